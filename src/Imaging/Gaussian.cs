using System.Numerics;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Separable Gaussian smoothing with the semantics of scipy.ndimage.gaussian_filter (which
/// skimage.filters.gaussian(..., preserve_range=True) calls): kernel radius int(truncate·σ + 0.5) voxels, weights
/// exp(−x²/2σ²) normalised to sum 1, boundary mode 'nearest' (edge voxels repeated), axes filtered in the order
/// Z, Y, X, axes with σ ≤ 1e−15 skipped. Arithmetic is in float64; the result is stored as float32.
/// </summary>
public static class Gaussian
{
    /// <summary>
    /// Smooths <paramref name="volume"/> with a Gaussian of standard deviation <paramref name="sigmaUm"/> µm; the
    /// per-axis σ in voxels is sigmaUm / spacing of that axis. Shape, spacing and origin are kept.
    /// </summary>
    public static Volume<float> Smooth(Volume<float> volume, double sigmaUm, double truncate = 4.0)
    {
        if (!(sigmaUm >= 0) || !double.IsFinite(sigmaUm)) throw new ArgumentOutOfRangeException(nameof(sigmaUm), sigmaUm, "sigma must be a finite value ≥ 0 µm");
        var s = volume.Spacing;
        return SmoothVoxels(volume, sigmaUm / s.Z, sigmaUm / s.Y, sigmaUm / s.X, truncate);
    }

    /// <summary>Smooths with per-axis standard deviations given in voxels (Z, Y, X).</summary>
    public static Volume<float> SmoothVoxels(Volume<float> volume, double sigmaZ, double sigmaY, double sigmaX, double truncate = 4.0)
    {
        foreach (var (name, v) in new[] { ("sigmaZ", sigmaZ), ("sigmaY", sigmaY), ("sigmaX", sigmaX) })
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, "sigma must be a finite value ≥ 0 voxels");
        if (!(truncate > 0) || !double.IsFinite(truncate)) throw new ArgumentOutOfRangeException(nameof(truncate), truncate, "truncate must be > 0");

        int nz = volume.NZ, ny = volume.NY, nx = volume.NX;
        var a = new double[volume.Length];
        var src = volume.Data;
        Parallel.For(0, nz, z =>
        {
            int o = z * ny * nx;
            for (int i = 0; i < ny * nx; i++) a[o + i] = src[o + i];
        });
        var b = new double[volume.Length];
        if (sigmaZ > 1e-15) { FilterZ(a, b, nz, ny, nx, HalfKernel(sigmaZ, truncate)); (a, b) = (b, a); }
        if (sigmaY > 1e-15) { FilterY(a, b, nz, ny, nx, HalfKernel(sigmaY, truncate)); (a, b) = (b, a); }
        if (sigmaX > 1e-15) { FilterX(a, b, nz, ny, nx, HalfKernel(sigmaX, truncate)); (a, b) = (b, a); }
        var result = new float[volume.Length];
        Parallel.For(0, nz, z =>
        {
            int o = z * ny * nx;
            for (int i = 0; i < ny * nx; i++) result[o + i] = (float)a[o + i];
        });
        return volume.WithData(result);
    }

    /// <summary>
    /// The full normalised 1-D kernel (length 2r + 1, r = int(truncate·σ + 0.5)) exactly as scipy computes it.
    /// </summary>
    public static double[] Kernel(double sigma, double truncate = 4.0)
    {
        int r = (int)(truncate * sigma + 0.5);
        var w = new double[2 * r + 1];
        double s2 = sigma * sigma, sum = 0;
        for (int i = -r; i <= r; i++) { w[i + r] = Math.Exp(-0.5 / s2 * i * i); }
        // numpy sums with pairwise (8-way) summation; a left-to-right sum differs from it by ~1e-17 at most.
        for (int i = 0; i < w.Length; i++) sum += w[i];
        for (int i = 0; i < w.Length; i++) w[i] /= sum;
        return w;
    }

    /// <summary>Centre and right half of the kernel: h[0] = centre weight, h[j] = weight at offset ±j.</summary>
    private static double[] HalfKernel(double sigma, double truncate)
    {
        var w = Kernel(sigma, truncate);
        int r = w.Length / 2;
        var h = new double[r + 1];
        for (int j = 0; j <= r; j++) h[j] = w[r + j];
        return h;
    }

    // out = h0 * c + Σ_j h_j * (p_j + m_j), vectorised over the span.
    private static void Combine(Span<double> dst, ReadOnlySpan<double> center, double h0)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = MemoryMarshal.Cast<double, Vector<double>>(dst);
            var vc = MemoryMarshal.Cast<double, Vector<double>>(center);
            var w = new Vector<double>(h0);
            for (int k = 0; k < vd.Length; k++) vd[k] = vc[k] * w;
            i = vd.Length * Vector<double>.Count;
        }
        for (; i < dst.Length; i++) dst[i] = center[i] * h0;
    }

    private static void AddPair(Span<double> dst, ReadOnlySpan<double> plus, ReadOnlySpan<double> minus, double h)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = MemoryMarshal.Cast<double, Vector<double>>(dst);
            var vp = MemoryMarshal.Cast<double, Vector<double>>(plus);
            var vm = MemoryMarshal.Cast<double, Vector<double>>(minus);
            var w = new Vector<double>(h);
            for (int k = 0; k < vd.Length; k++) vd[k] += (vp[k] + vm[k]) * w;
            i = vd.Length * Vector<double>.Count;
        }
        for (; i < dst.Length; i++) dst[i] += (plus[i] + minus[i]) * h;
    }

    private static void FilterZ(double[] src, double[] dst, int nz, int ny, int nx, double[] h)
    {
        int plane = ny * nx, r = h.Length - 1;
        Parallel.For(0, nz, z =>
        {
            var outPlane = dst.AsSpan(z * plane, plane);
            Combine(outPlane, src.AsSpan(z * plane, plane), h[0]);
            for (int j = 1; j <= r; j++)
            {
                int zp = Math.Min(z + j, nz - 1), zm = Math.Max(z - j, 0);
                AddPair(outPlane, src.AsSpan(zp * plane, plane), src.AsSpan(zm * plane, plane), h[j]);
            }
        });
    }

    private static void FilterY(double[] src, double[] dst, int nz, int ny, int nx, double[] h)
    {
        int r = h.Length - 1;
        Parallel.For(0, nz, z =>
        {
            int baseIndex = z * ny * nx;
            for (int y = 0; y < ny; y++)
            {
                var outRow = dst.AsSpan(baseIndex + y * nx, nx);
                Combine(outRow, src.AsSpan(baseIndex + y * nx, nx), h[0]);
                for (int j = 1; j <= r; j++)
                {
                    int yp = Math.Min(y + j, ny - 1), ym = Math.Max(y - j, 0);
                    AddPair(outRow, src.AsSpan(baseIndex + yp * nx, nx), src.AsSpan(baseIndex + ym * nx, nx), h[j]);
                }
            }
        });
    }

    private static void FilterX(double[] src, double[] dst, int nz, int ny, int nx, double[] h)
    {
        int r = h.Length - 1;
        Parallel.For(0, nz, () => new double[nx + 2 * r], (z, _, padded) =>
        {
            for (int y = 0; y < ny; y++)
            {
                int o = (z * ny + y) * nx;
                var row = src.AsSpan(o, nx);
                padded.AsSpan(0, r).Fill(row[0]);
                row.CopyTo(padded.AsSpan(r, nx));
                padded.AsSpan(r + nx, r).Fill(row[nx - 1]);
                var outRow = dst.AsSpan(o, nx);
                Combine(outRow, padded.AsSpan(r, nx), h[0]);
                for (int j = 1; j <= r; j++)
                    AddPair(outRow, padded.AsSpan(r + j, nx), padded.AsSpan(r - j, nx), h[j]);
            }
            return padded;
        }, _ => { });
    }
}
