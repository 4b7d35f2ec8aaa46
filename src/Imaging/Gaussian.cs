using System.Numerics;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Separable Gaussian smoothing with the semantics of scipy.ndimage.gaussian_filter (which
/// skimage.filters.gaussian(..., preserve_range=True) calls): kernel radius int(truncate·σ + 0.5) voxels, weights
/// exp(−x²/2σ²) normalised to sum 1, boundary mode 'nearest' (edge voxels repeated), axes with σ ≤ 1e−15 skipped.
/// Arithmetic is in float64 and the result is stored as float32. Axes are filtered Y, X, then Z (scipy: Z, Y, X);
/// the passes commute exactly in real arithmetic, so the difference is float64 round-off (~1e−13 relative).
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
        bool fz = sigmaZ > 1e-15, fy = sigmaY > 1e-15, fx = sigmaX > 1e-15;
        double[] hz = fz ? HalfKernel(sigmaZ, truncate) : [1.0];
        double[] hy = fy ? HalfKernel(sigmaY, truncate) : [1.0];
        double[] hx = fx ? HalfKernel(sigmaX, truncate) : [1.0];
        // Pass 1, per z plane (parallel): widen to float64, filter along Y, then along X, into a float64 volume.
        int plane = ny * nx;
        var a = GC.AllocateUninitializedArray<double>(volume.Length);
        var src = volume.Data;
        Parallel.For(0, nz, () => (new double[plane], new double[plane], new double[nx + 2 * (hx.Length - 1)]), (z, _, buffers) =>
        {
            var (wide, yPlane, padded) = buffers;
            Widen(src.AsSpan(z * plane, plane), wide);
            if (fy) FilterYPlane(wide, yPlane, ny, nx, hy);
            else wide.AsSpan().CopyTo(yPlane);
            FilterXPlane(yPlane, a.AsSpan(z * plane, plane), ny, nx, hx, padded);
            return buffers;
        }, _ => { });
        // Pass 2 (parallel over output planes, in cache-sized chunks): filter along Z and narrow to float32.
        var result = GC.AllocateUninitializedArray<float>(volume.Length);
        FilterZ(a, result, nz, ny, nx, hz);
        return volume.WithData(result);
    }

    /// <summary>
    /// The full normalised 1-D kernel (length 2r + 1, r = int(truncate·σ + 0.5)) exactly as scipy computes it.
    /// </summary>
    public static double[] Kernel(double sigma, double truncate = 4.0)
    {
        double radius = truncate * sigma + 0.5;
        if (!(radius < 1 << 24)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "kernel radius truncate·σ is too large (σ in voxels)");
        int r = (int)radius;
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

    // dst = h0 · centre (vectorised).
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

    // dst += h · (plus + minus) (vectorised); the pair sum first, as scipy does for symmetric kernels.
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

    /// <summary>Z pass from float64 to float32, in cache-sized chunks of each output plane.</summary>
    private static void FilterZ(double[] src, float[] dst, int nz, int ny, int nx, double[] h)
    {
        int plane = ny * nx, r = h.Length - 1;
        const int Chunk = 2048;
        int chunks = (plane + Chunk - 1) / Chunk;
        Parallel.For(0, nz, () => new double[Chunk], (z, _, acc) =>
        {
            for (int ch = 0; ch < chunks; ch++)
            {
                int start = ch * Chunk, len = Math.Min(Chunk, plane - start);
                var sum = acc.AsSpan(0, len);
                Combine(sum, src.AsSpan(z * plane + start, len), h[0]);
                for (int j = 1; j <= r; j++)
                {
                    int zp = Math.Min(z + j, nz - 1), zm = Math.Max(z - j, 0);
                    AddPair(sum, src.AsSpan(zp * plane + start, len), src.AsSpan(zm * plane + start, len), h[j]);
                }
                Narrow(sum, dst.AsSpan(z * plane + start, len));
            }
            return acc;
        }, _ => { });
    }

    private static void Narrow(ReadOnlySpan<double> src, Span<float> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<double, Vector<double>>(src);
            var vd = MemoryMarshal.Cast<float, Vector<float>>(dst);
            for (int k = 0; k < vd.Length; k++) vd[k] = Vector.Narrow(vs[2 * k], vs[2 * k + 1]);
            i = vd.Length * Vector<float>.Count;
        }
        for (; i < dst.Length; i++) dst[i] = (float)src[i];
    }

    private static void Widen(ReadOnlySpan<float> src, Span<double> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vs = MemoryMarshal.Cast<float, Vector<float>>(src);
            var vd = MemoryMarshal.Cast<double, Vector<double>>(dst);
            for (int k = 0; k < vs.Length; k++)
            {
                Vector.Widen(vs[k], out var lo, out var hi);
                vd[2 * k] = lo;
                vd[2 * k + 1] = hi;
            }
            i = vs.Length * Vector<float>.Count;
        }
        for (; i < src.Length; i++) dst[i] = src[i];
    }

    private static void FilterYPlane(ReadOnlySpan<double> src, Span<double> dst, int ny, int nx, double[] h)
    {
        int r = h.Length - 1;
        for (int y = 0; y < ny; y++)
        {
            var outRow = dst.Slice(y * nx, nx);
            Combine(outRow, src.Slice(y * nx, nx), h[0]);
            for (int j = 1; j <= r; j++)
            {
                int yp = Math.Min(y + j, ny - 1), ym = Math.Max(y - j, 0);
                AddPair(outRow, src.Slice(yp * nx, nx), src.Slice(ym * nx, nx), h[j]);
            }
        }
    }

    private static void FilterXPlane(ReadOnlySpan<double> src, Span<double> dst, int ny, int nx, double[] h, double[] padded)
    {
        int r = h.Length - 1;
        for (int y = 0; y < ny; y++)
        {
            var row = src.Slice(y * nx, nx);
            padded.AsSpan(0, r).Fill(row[0]);
            row.CopyTo(padded.AsSpan(r, nx));
            padded.AsSpan(r + nx, r).Fill(row[nx - 1]);
            var outRow = dst.Slice(y * nx, nx);
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                int vc = Vector<double>.Count;
                ref double pad0 = ref MemoryMarshal.GetArrayDataReference(padded);
                for (; x + 2 * vc <= nx; x += 2 * vc)
                {
                    var w0 = new Vector<double>(h[0]);
                    var a0 = Vector.LoadUnsafe(ref pad0, (nuint)(r + x)) * w0;
                    var a1 = Vector.LoadUnsafe(ref pad0, (nuint)(r + x + vc)) * w0;
                    for (int j = 1; j <= r; j++)
                    {
                        var w = new Vector<double>(h[j]);
                        a0 += (Vector.LoadUnsafe(ref pad0, (nuint)(r + x + j)) + Vector.LoadUnsafe(ref pad0, (nuint)(r + x - j))) * w;
                        a1 += (Vector.LoadUnsafe(ref pad0, (nuint)(r + x + vc + j)) + Vector.LoadUnsafe(ref pad0, (nuint)(r + x + vc - j))) * w;
                    }
                    a0.CopyTo(outRow.Slice(x));
                    a1.CopyTo(outRow.Slice(x + vc));
                }
            }
            for (; x < nx; x++)
            {
                double v = padded[r + x] * h[0];
                for (int j = 1; j <= r; j++) v += (padded[r + x + j] + padded[r + x - j]) * h[j];
                outRow[x] = v;
            }
        }
    }
}
