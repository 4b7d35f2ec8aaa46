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
        int rx = footprint.RX;
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
        Parallel.For(0, nz, () => (new float[count], new int[runs.Length]), (z, _, state) =>
        {
            var (buffer, rowBase) = state;
            for (int y = 0; y < ny; y++)
            {
                for (int k = 0; k < runs.Length; k++)
                    rowBase[k] = (GreyMorphology.Reflect(z + runs[k].Dz, nz) * ny + GreyMorphology.Reflect(y + runs[k].Dy, ny)) * nx;
                int outRow = z * plane + y * nx;
                for (int x = 0; x < nx; x++)
                {
                    int n = 0;
                    bool interior = x - rx >= 0 && x + rx < nx;
                    for (int k = 0; k < runs.Length; k++)
                    {
                        var (_, _, a, b) = runs[k];
                        if (interior)
                        {
                            src.AsSpan(rowBase[k] + x + a, b - a + 1).CopyTo(buffer.AsSpan(n));
                            n += b - a + 1;
                        }
                        else
                            for (int dx = a; dx <= b; dx++) buffer[n++] = src[rowBase[k] + GreyMorphology.Reflect(x + dx, nx)];
                    }
                    dst[outRow + x] = Select(buffer, rank);
                }
            }
            return state;
        }, _ => { });
        return volume.WithData(dst);
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
