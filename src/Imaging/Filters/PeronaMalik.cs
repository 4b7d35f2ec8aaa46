using System.Numerics;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Edge-stopping (conduction) function g(s) of Perona–Malik diffusion, s = |directional gradient| / κ.</summary>
public enum Conduction
{
    /// <summary>g = exp(−s²): favours high-contrast edges over wide regions.</summary>
    Exponential,
    /// <summary>g = 1 / (1 + s²): favours wide regions over small ones.</summary>
    Quadratic,
}

/// <summary>
/// Perona–Malik non-linear (edge-preserving) diffusion ∂u/∂t = div(g(|∇u|) ∇u) on an anisotropic grid, explicit
/// scheme over the 6 face neighbours. The flux across the face between voxels i and j along axis a (spacing h µm) is
/// g(|u_j − u_i| / (h κ)) · (u_j − u_i) / h², so each update is
/// u_i += dt · Σ_faces flux. Faces at the volume boundary carry no flux (zero-flux Neumann boundary), which makes
/// the scheme conserve Σu exactly up to round-off. Arithmetic in float64, result float32; shape, spacing and origin
/// are kept.
/// </summary>
/// <remarks>
/// Stability (and the maximum principle) needs dt ≤ 1 / (2 Σ_a 1/h_a²), see <see cref="MaxStableTimeStep"/>; larger
/// steps are rejected. With g ≡ 1 the scheme is the heat equation with unit diffusivity, so t = iterations · dt µm²
/// smooths like a Gaussian of σ = √(2t) µm.
/// </remarks>
public static class PeronaMalik
{
    /// <summary>Largest stable time step 1 / (2 (1/hz² + 1/hy² + 1/hx²)) in µm² (unit diffusivity).</summary>
    public static double MaxStableTimeStep(Spacing spacing)
        => 1.0 / (2.0 * (1.0 / (spacing.Z * spacing.Z) + 1.0 / (spacing.Y * spacing.Y) + 1.0 / (spacing.X * spacing.X)));

    /// <summary>
    /// Runs <paramref name="iterations"/> explicit steps of size <paramref name="timeStepUm2"/> µm² with gradient scale
    /// <paramref name="kappa"/> (intensity units per µm: gradients well above κ are edges that stop diffusion).
    /// </summary>
    public static Volume<float> Diffuse(Volume<float> volume, int iterations, double kappa, double timeStepUm2, Conduction conduction = Conduction.Exponential)
    {
        if (iterations < 0) throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "iterations must be ≥ 0");
        if (!(kappa > 0) || !double.IsFinite(kappa)) throw new ArgumentOutOfRangeException(nameof(kappa), kappa, "kappa must be a finite value > 0 (intensity per µm)");
        double limit = MaxStableTimeStep(volume.Spacing);
        if (!(timeStepUm2 > 0) || timeStepUm2 > limit * (1 + 1e-12))
            throw new ArgumentOutOfRangeException(nameof(timeStepUm2), timeStepUm2, $"time step must be in (0, {limit}] µm² for this spacing");
        int nz = volume.NZ, ny = volume.NY, nx = volume.NX;
        int plane = ny * nx;
        var u = new double[volume.Length];
        var src = volume.Data;
        for (int i = 0; i < u.Length; i++)
        {
            if (!float.IsFinite(src[i])) throw new ArgumentException($"volume holds the non-finite value {src[i]}");
            u[i] = src[i];
        }
        var next = new double[u.Length];
        var s = volume.Spacing;
        // Per axis: weight dt / h² and 1 / (h κ) to scale the difference inside g.
        double wz = timeStepUm2 / (s.Z * s.Z), wy = timeStepUm2 / (s.Y * s.Y), wx = timeStepUm2 / (s.X * s.X);
        double cz = 1.0 / (s.Z * kappa), cy = 1.0 / (s.Y * kappa), cx = 1.0 / (s.X * kappa);
        bool exponential = conduction == Conduction.Exponential;
        for (int it = 0; it < iterations; it++)
        {
            var cur = u;
            var nxt = next;
            Parallel.For(0, nz, () => (new double[nx], new double[nx], new double[nx], new double[nx]), (z, _, bufs) =>
            {
                // flux[x] is what voxel x receives across a face; yPrev holds the fluxes across the faces (y − 1, y),
                // computed once for the row below and negated for the row above.
                var (delta, flux, yPrev, yNext) = bufs;
                for (int y = 0; y < ny; y++)
                {
                    int row = z * plane + y * nx;
                    var c = cur.AsSpan(row, nx);
                    delta.AsSpan().Clear();
                    // X faces (x, x + 1): voxel x gains f, voxel x + 1 loses f.
                    FaceFlux(cur.AsSpan(row + 1, nx - 1), cur.AsSpan(row, nx - 1), flux.AsSpan(0, nx - 1), cx, wx, exponential);
                    for (int x = 0; x < nx - 1; x++) { delta[x] += flux[x]; delta[x + 1] -= flux[x]; }
                    // Y faces.
                    if (y > 0) for (int x = 0; x < nx; x++) delta[x] -= yPrev[x];
                    if (y < ny - 1)
                    {
                        FaceFlux(cur.AsSpan(row + nx, nx), c, yNext, cy, wy, exponential);
                        for (int x = 0; x < nx; x++) delta[x] += yNext[x];
                        (yPrev, yNext) = (yNext, yPrev);
                    }
                    // Z faces: each is computed by both planes it separates, with identical operands (so exactly
                    // opposite amounts).
                    if (z > 0)
                    {
                        FaceFlux(cur.AsSpan(row - plane, nx), c, flux, cz, wz, exponential);
                        for (int x = 0; x < nx; x++) delta[x] += flux[x];
                    }
                    if (z < nz - 1)
                    {
                        FaceFlux(cur.AsSpan(row + plane, nx), c, flux, cz, wz, exponential);
                        for (int x = 0; x < nx; x++) delta[x] += flux[x];
                    }
                    for (int x = 0; x < nx; x++) nxt[row + x] = c[x] + delta[x];
                }
                return bufs;
            }, _ => { });
            (u, next) = (next, u);
        }
        var result = new float[u.Length];
        for (int i = 0; i < u.Length; i++) result[i] = (float)u[i];
        return volume.WithData(result);
    }

    /// <summary>
    /// flux[x] = w · g(|d|·scale) · d with d = other[x] − self[x], the amount self gains across the face. Depends on
    /// d only through d² and an odd factor, so the voxel on the other side computes exactly −flux.
    /// </summary>
    private static void FaceFlux(ReadOnlySpan<double> other, ReadOnlySpan<double> self, Span<double> flux, double scale, double w, bool exponential)
    {
        int n = flux.Length, x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vw = Vector<double>.Count;
            var s = new Vector<double>(scale);
            var weight = new Vector<double>(w);
            for (; x + vw <= n; x += vw)
            {
                var d = new Vector<double>(other.Slice(x)) - new Vector<double>(self.Slice(x));
                var t = d * s;
                t *= t;
                var g = exponential ? Vector.Exp(-t) : Vector<double>.One / (Vector<double>.One + t);
                (d * g * weight).CopyTo(flux.Slice(x));
            }
        }
        for (; x < n; x++)
        {
            double d = other[x] - self[x];
            double t = d * scale;
            t *= t;
            flux[x] = d * (exponential ? Math.Exp(-t) : 1.0 / (1.0 + t)) * w;
        }
    }
}
