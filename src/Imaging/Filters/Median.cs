using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// 3D median filter with the semantics of scipy.ndimage.median_filter (mode 'reflect': d c b a | a b c d | d c b a):
/// each output voxel is the element of rank ⌊n / 2⌋ (0-based, ascending) of the n footprint values around it, i.e.
/// the median for the odd-sized footprints built here. Input must be free of NaN. Shape, spacing and origin are kept.
/// </summary>
public static class Median
{
    /// <summary>Median over a cube of side 2·radius + 1 voxels (scipy size = 2·radius + 1).</summary>
    public static Volume<float> Filter(Volume<float> volume, int radius)
    {
        if (radius < 0) throw new ArgumentOutOfRangeException(nameof(radius), radius, "radius must be ≥ 0 voxels");
        return Filter(volume, StructuringElement.Cube(radius));
    }

    /// <summary>Median over a ball of radius <paramref name="radiusUm"/> µm on the volume's (possibly anisotropic) grid.</summary>
    public static Volume<float> FilterBall(Volume<float> volume, double radiusUm)
        => Filter(volume, StructuringElement.Ball(radiusUm, volume.Spacing));

    /// <summary>Median over an arbitrary centred footprint (scipy footprint argument).</summary>
    public static Volume<float> Filter(Volume<float> volume, StructuringElement footprint)
    {
        int nz = volume.NZ, ny = volume.NY, nx = volume.NX;
        var src = volume.Data;
        foreach (var v in src)
            if (float.IsNaN(v)) throw new ArgumentException("volume contains NaN; the median filter needs ordered values");
        var runs = footprint.Runs;
        int count = footprint.Count, rank = count / 2;
        int plane = ny * nx;
        var dst = GC.AllocateUninitializedArray<float>(src.Length);
        if (count == 1)
        {
            var (dz0, dy0, dx0, _) = runs[0];
            Parallel.For(0, nz, z =>
            {
                for (int y = 0; y < ny; y++)
                    for (int x = 0; x < nx; x++)
                        dst[(z * ny + y) * nx + x] = src[(GreyMorphology.Reflect(z + dz0, nz) * ny + GreyMorphology.Reflect(y + dy0, ny)) * nx + GreyMorphology.Reflect(x + dx0, nx)];
            });
            return volume.WithData(dst);
        }
        if (count <= RankCountLimit)
        {
            RankCountFilter(src, dst, nz, ny, nx, runs, count, rank);
            return volume.WithData(dst);
        }
        int m = runs.Length;
        Parallel.For(0, nz, () => new SlidingWindow(count, m), (z, _, w) =>
        {
            for (int y = 0; y < ny; y++)
            {
                for (int k = 0; k < m; k++)
                    w.RowBase[k] = (GreyMorphology.Reflect(z + runs[k].Dz, nz) * ny + GreyMorphology.Reflect(y + runs[k].Dy, ny)) * nx;
                int outRow = z * plane + y * nx;
                w.Start(src, runs, nx);
                dst[outRow] = w.Values[rank];
                for (int x = 1; x < nx; x++)
                {
                    w.Slide(src, runs, nx, x);
                    dst[outRow + x] = w.Values[rank];
                }
            }
            return w;
        }, _ => { });
        return volume.WithData(dst);
    }

    /// <summary>Footprints up to this many voxels use branch-free vectorised rank counting.</summary>
    private const int RankCountLimit = 64;

    /// <summary>
    /// Small footprints: gather the n values, then test candidates a vector of W at a time: for candidates c (one per
    /// lane), accumulate #(values &lt; c) and #(values == c) over the n values with broadcast compares; a candidate
    /// is the answer when #less ≤ rank &lt; #less + #equal. No data-dependent branch except the exit per block, which
    /// avoids the mispredictions that dominate a quickselect.
    /// </summary>
    private static void RankCountFilter(float[] src, float[] dst, int nz, int ny, int nx, (int Dz, int Dy, int A, int B)[] runs, int count, int rank)
    {
        int w = Vector<float>.Count;
        int blocks = (count + w - 1) / w;
        int plane = ny * nx;
        int maxA = 0, maxB = 0;
        foreach (var r in runs) { maxA = Math.Max(maxA, -r.A); maxB = Math.Max(maxB, r.B); }
        Parallel.For(0, nz, () => (new float[blocks * w], new int[count], new int[runs.Length]), (z, _, state) =>
        {
            var (buffer, offsets, rowBase) = state;
            buffer.AsSpan(count).Fill(float.NaN);   // padding lanes: NaN is never < or == a value
            for (int y = 0; y < ny; y++)
            {
                int t = 0;
                for (int k = 0; k < runs.Length; k++)
                {
                    rowBase[k] = (GreyMorphology.Reflect(z + runs[k].Dz, nz) * ny + GreyMorphology.Reflect(y + runs[k].Dy, ny)) * nx;
                    for (int dx = runs[k].A; dx <= runs[k].B; dx++) offsets[t++] = rowBase[k] + dx;
                }
                int outRow = z * plane + y * nx;
                for (int x = 0; x < nx; x++)
                {
                    if (x >= maxA && x + maxB < nx)
                        for (int i = 0; i < count; i++) buffer[i] = src[offsets[i] + x];
                    else
                    {
                        int n = 0;
                        for (int k = 0; k < runs.Length; k++)
                            for (int dx = runs[k].A; dx <= runs[k].B; dx++)
                                buffer[n++] = src[rowBase[k] + GreyMorphology.Reflect(x + dx, nx)];
                    }
                    dst[outRow + x] = RankOf(buffer, count, blocks, rank);
                }
            }
            return state;
        }, _ => { });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RankOf(float[] values, int count, int blocks, int rank)
    {
        var vec = MemoryMarshal.Cast<float, Vector<float>>(values.AsSpan());
        var r = new Vector<int>(rank);
        for (int b = 0; b < blocks; b++)
        {
            var c = vec[b];
            var less = Vector<int>.Zero;
            var equal = Vector<int>.Zero;
            for (int j = 0; j < count; j++)
            {
                var v = new Vector<float>(values[j]);
                less -= Vector.LessThan(v, c);
                equal -= Vector.Equals(v, c);
            }
            // NaN padding lanes have equal = 0, so they never satisfy rank < less + equal with less ≤ rank.
            var hit = Vector.BitwiseAnd(Vector.LessThanOrEqual(less, r), Vector.GreaterThan(less + equal, r));
            if (hit == Vector<int>.Zero) continue;
            for (int lane = 0; lane < Vector<int>.Count; lane++)
                if (hit[lane] != 0) return c[lane];
        }
        throw new InvalidOperationException("rank selection found no candidate (the input holds NaN)");
    }

    /// <summary>
    /// The footprint's values around the current x, sorted ascending, each with the last output x it belongs to
    /// (expiry = unreflected position − run start). Sliding to x + 1 merges the sorted entering values (one per
    /// run: position x + B) with the window while dropping the expired ones, in one pass of n + runs steps.
    /// </summary>
    private sealed class SlidingWindow(int count, int runs)
    {
        public float[] Values = new float[count];
        private int[] expiry = new int[count];
        private float[] nextValues = new float[count];
        private int[] nextExpiry = new int[count];
        private readonly float[] inValues = new float[runs];
        private readonly int[] inExpiry = new int[runs];
        public readonly int[] RowBase = new int[runs];

        private static int Clamp(int p, int nx) => (uint)p < (uint)nx ? p : GreyMorphology.Reflect(p, nx);

        public void Start(float[] src, (int Dz, int Dy, int A, int B)[] runs, int nx)
        {
            int n = 0;
            for (int k = 0; k < runs.Length; k++)
            {
                var (_, _, a, b) = runs[k];
                for (int p = a; p <= b; p++)
                {
                    Values[n] = src[RowBase[k] + Clamp(p, nx)];
                    expiry[n] = p - a;
                    n++;
                }
            }
            Values.AsSpan().Sort(expiry.AsSpan());
        }

        public void Slide(float[] src, (int Dz, int Dy, int A, int B)[] runs, int nx, int x)
        {
            int m = runs.Length;
            var iv = inValues;
            var ie = inExpiry;
            // Entering values, insertion-sorted.
            for (int k = 0; k < m; k++)
            {
                var (_, _, a, b) = runs[k];
                int p = x + b;
                float v = src[RowBase[k] + Clamp(p, nx)];
                int e = p - a;
                int j = k - 1;
                while (j >= 0 && iv[j] > v) { iv[j + 1] = iv[j]; ie[j + 1] = ie[j]; j--; }
                iv[j + 1] = v; ie[j + 1] = e;
            }
            var wv = Values;
            var we = expiry;
            var ov = nextValues;
            var oe = nextExpiry;
            int n = wv.Length, i = 0, jj = 0, o = 0;
            // Merge; every expired window entry is written and then overwritten (o does not advance).
            while (i < n && jj < m)
            {
                bool takeWindow = wv[i] <= iv[jj];
                float v = takeWindow ? wv[i] : iv[jj];
                int e = takeWindow ? we[i] : ie[jj];
                i += takeWindow ? 1 : 0;
                jj += takeWindow ? 0 : 1;
                if (o < n) { ov[o] = v; oe[o] = e; }
                o += e >= x ? 1 : 0;
            }
            for (; i < n; i++)
            {
                if (o < n) { ov[o] = wv[i]; oe[o] = we[i]; }
                o += we[i] >= x ? 1 : 0;
            }
            for (; jj < m; jj++) { ov[o] = iv[jj]; oe[o] = ie[jj]; o++; }
            (Values, nextValues) = (nextValues, Values);
            (expiry, nextExpiry) = (nextExpiry, expiry);
        }
    }

    /// <summary>
    /// The element of 0-based rank <paramref name="k"/> in ascending order of the NaN-free array
    /// <paramref name="a"/> (quickselect; reorders a).
    /// </summary>
    public static float Select(float[] a, int k)
    {
        if ((uint)k >= (uint)a.Length) throw new ArgumentOutOfRangeException(nameof(k), k, $"rank must be in [0, {a.Length})");
        int lo = 0, hi = a.Length - 1;
        while (hi > lo)
        {
            if (hi - lo < 16)
            {
                for (int i = lo + 1; i <= hi; i++)
                {
                    float v = a[i];
                    int j = i - 1;
                    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
                    a[j + 1] = v;
                }
                return a[k];
            }
            // Median of three as pivot; Hoare partition.
            int mid = lo + ((hi - lo) >> 1);
            if (a[mid] < a[lo]) (a[mid], a[lo]) = (a[lo], a[mid]);
            if (a[hi] < a[lo]) (a[hi], a[lo]) = (a[lo], a[hi]);
            if (a[hi] < a[mid]) (a[hi], a[mid]) = (a[mid], a[hi]);
            float pivot = a[mid];
            int l = lo, r = hi;
            while (l <= r)
            {
                while (a[l] < pivot) l++;
                while (a[r] > pivot) r--;
                if (l <= r)
                {
                    (a[l], a[r]) = (a[r], a[l]);
                    l++; r--;
                }
            }
            if (k <= r) hi = r;
            else if (k >= l) lo = l;
            else return a[k];
        }
        return a[k];
    }
}
