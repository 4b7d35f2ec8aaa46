using System.Numerics;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Grey-level erosion, dilation, opening and closing of a float (Z, Y, X) volume with a flat structuring element,
/// with the semantics of scipy.ndimage.grey_* (footprint, mode 'reflect': d c b a | a b c d | d c b a): erosion =
/// min over x + s, dilation = max over x − s (s in the element). Input must be free of NaN. Shape, spacing and
/// origin are kept.
/// </summary>
/// <remarks>
/// Boxes are separable: a van Herk / Gil–Werman running min/max along X (3 comparisons per voxel whatever the
/// width) and vectorised plane/row minima along Y and Z. Other elements are split into runs along X: for each
/// distinct run width the van Herk pass is done once over the whole volume, then each run contributes one
/// vectorised row minimum, so the cost is (distinct widths + runs) · voxels.
/// </remarks>
public static class GreyMorphology
{
    /// <summary>Grey erosion (scipy.ndimage.grey_erosion with footprint, mode reflect).</summary>
    public static Volume<float> Erode(Volume<float> volume, StructuringElement element)
        => volume.WithData(Filter<MinOp>(volume, element));

    /// <summary>Grey dilation (scipy.ndimage.grey_dilation with footprint, mode reflect).</summary>
    public static Volume<float> Dilate(Volume<float> volume, StructuringElement element)
        => volume.WithData(Filter<MaxOp>(volume, element.Reflected()));

    /// <summary>Grey opening: dilation of the erosion (scipy.ndimage.grey_opening).</summary>
    public static Volume<float> Open(Volume<float> volume, StructuringElement element) => Dilate(Erode(volume, element), element);

    /// <summary>Grey closing: erosion of the dilation (scipy.ndimage.grey_closing).</summary>
    public static Volume<float> Close(Volume<float> volume, StructuringElement element) => Erode(Dilate(volume, element), element);

    /// <summary>Erosion, dilation, opening or closing with a ball of radius <paramref name="radiusUm"/> µm on the volume's grid.</summary>
    public static Volume<float> Apply(Volume<float> volume, MorphologyOperation operation, double radiusUm)
        => Apply(volume, operation, StructuringElement.Ball(radiusUm, volume.Spacing));

    /// <summary>Applies <paramref name="operation"/> with <paramref name="element"/>.</summary>
    public static Volume<float> Apply(Volume<float> volume, MorphologyOperation operation, StructuringElement element) => operation switch
    {
        MorphologyOperation.Erode => Erode(volume, element),
        MorphologyOperation.Dilate => Dilate(volume, element),
        MorphologyOperation.Open => Open(volume, element),
        MorphologyOperation.Close => Close(volume, element),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown morphology operation"),
    };

    /// <summary>
    /// scipy.ndimage's 'reflect' boundary: the in-range index that position <paramref name="i"/> reads on an axis of
    /// <paramref name="n"/> voxels (d c b a | a b c d | d c b a, repeated).
    /// </summary>
    public static int Reflect(int i, int n)
    {
        if ((uint)i < (uint)n) return i;
        int period = 2 * n;
        int j = i % period;
        if (j < 0) j += period;
        return j < n ? j : period - 1 - j;
    }

    internal interface IOp
    {
        static abstract float Apply(float a, float b);
        static abstract Vector<float> Apply(Vector<float> a, Vector<float> b);
    }

    internal readonly struct MinOp : IOp
    {
        public static float Apply(float a, float b) => Math.Min(a, b);
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => Vector.Min(a, b);
    }

    internal readonly struct MaxOp : IOp
    {
        public static float Apply(float a, float b) => Math.Max(a, b);
        public static Vector<float> Apply(Vector<float> a, Vector<float> b) => Vector.Max(a, b);
    }

    private static float[] Filter<TOp>(Volume<float> volume, StructuringElement element) where TOp : struct, IOp
    {
        if (element.IsFullBox) return Box<TOp>(volume, element.RZ, element.RY, element.RX);
        int nz = volume.NZ, ny = volume.NY, nx = volume.NX;
        int plane = ny * nx;
        int padX = element.RX, width = nx + 2 * padX;
        var src = volume.Data;
        var dst = GC.AllocateUninitializedArray<float>(src.Length);
        var runs = element.Runs;
        var windows = runs.Select(r => r.B - r.A + 1).Distinct().OrderBy(w => w).ToArray();
        // run[zz, yy, s] = op over row (zz, yy) of X positions s − padX .. s − padX + L − 1 (reflected), s in [0, width − L].
        var run = GC.AllocateUninitializedArray<float>(nz * ny * width);
        bool first = true;
        foreach (int len in windows)
        {
            Parallel.For(0, nz, () => (new float[width + len], new float[width + len], new float[width + len]), (z, _, bufs) =>
            {
                var (padded, g, h) = bufs;
                for (int y = 0; y < ny; y++)
                {
                    int row = z * plane + y * nx;
                    for (int i = 0; i < width; i++) padded[i] = src[row + Reflect(i - padX, nx)];
                    RunningOp<TOp>(padded, width, len, g, h, run.AsSpan((z * ny + y) * width, width - len + 1));
                }
                return bufs;
            }, _ => { });
            bool initialise = first;
            first = false;
            Parallel.For(0, nz, z =>
            {
                for (int y = 0; y < ny; y++)
                {
                    var outRow = dst.AsSpan(z * plane + y * nx, nx);
                    bool fresh = initialise;
                    foreach (var (dz, dy, a, b) in runs)
                    {
                        if (b - a + 1 != len) continue;
                        int zz = Reflect(z + dz, nz), yy = Reflect(y + dy, ny);
                        var source = run.AsSpan((zz * ny + yy) * width + a + padX, nx);
                        if (fresh) { source.CopyTo(outRow); fresh = false; }
                        else Combine<TOp>(outRow, source);
                    }
                }
            });
        }
        return dst;
    }

    /// <summary>
    /// van Herk / Gil–Werman: res[s] = op(x[s .. s + len − 1]) for s in [0, n − len], using block prefix (g) and
    /// suffix (h) scans.
    /// </summary>
    private static void RunningOp<TOp>(float[] x, int n, int len, float[] g, float[] h, Span<float> res) where TOp : struct, IOp
    {
        if (len == 1) { x.AsSpan(0, res.Length).CopyTo(res); return; }
        for (int start = 0; start < n; start += len)
        {
            int end = Math.Min(n, start + len);
            g[start] = x[start];
            for (int i = start + 1; i < end; i++) g[i] = TOp.Apply(g[i - 1], x[i]);
            h[end - 1] = x[end - 1];
            for (int i = end - 2; i >= start; i--) h[i] = TOp.Apply(h[i + 1], x[i]);
        }
        for (int s = 0; s < res.Length; s++) res[s] = TOp.Apply(h[s], g[s + len - 1]);
    }

    private static void Combine<TOp>(Span<float> acc, ReadOnlySpan<float> src) where TOp : struct, IOp
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(acc);
            var vs = MemoryMarshal.Cast<float, Vector<float>>(src);
            for (int k = 0; k < va.Length; k++) va[k] = TOp.Apply(va[k], vs[k]);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < acc.Length; i++) acc[i] = TOp.Apply(acc[i], src[i]);
    }

    private static float[] Box<TOp>(Volume<float> volume, int rz, int ry, int rx) where TOp : struct, IOp
    {
        int nz = volume.NZ, ny = volume.NY, nx = volume.NX;
        int plane = ny * nx;
        var src = volume.Data;
        // X: van Herk over reflected rows.
        var a = GC.AllocateUninitializedArray<float>(src.Length);
        int len = 2 * rx + 1, width = nx + 2 * rx;
        Parallel.For(0, nz, () => (new float[width + len], new float[width + len], new float[width + len]), (z, _, bufs) =>
        {
            var (padded, g, h) = bufs;
            for (int y = 0; y < ny; y++)
            {
                int row = z * plane + y * nx;
                for (int i = 0; i < width; i++) padded[i] = src[row + Reflect(i - rx, nx)];
                RunningOp<TOp>(padded, width, len, g, h, a.AsSpan(row, nx));
            }
            return bufs;
        }, _ => { });
        // Y: row minima within each plane.
        var b = GC.AllocateUninitializedArray<float>(src.Length);
        Parallel.For(0, nz, z =>
        {
            for (int y = 0; y < ny; y++)
            {
                var outRow = b.AsSpan(z * plane + y * nx, nx);
                a.AsSpan(z * plane + y * nx, nx).CopyTo(outRow);
                for (int dy = -ry; dy <= ry; dy++)
                    if (dy != 0) Combine<TOp>(outRow, a.AsSpan(z * plane + Reflect(y + dy, ny) * nx, nx));
            }
        });
        if (rz == 0) return b;
        // Z: plane minima.
        var c = a;
        Parallel.For(0, nz, z =>
        {
            var outPlane = c.AsSpan(z * plane, plane);
            b.AsSpan(z * plane, plane).CopyTo(outPlane);
            for (int dz = -rz; dz <= rz; dz++)
                if (dz != 0) Combine<TOp>(outPlane, b.AsSpan(Reflect(z + dz, nz) * plane, plane));
        });
        return c;
    }
}
