using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Operations on label volumes (0 = background, 1..N = objects), shape (Z, Y, X).</summary>
public static class LabelOps
{
    /// <summary>
    /// Voxel count per label: element i is the number of voxels with label i (element 0 = background), length
    /// max label + 1. Negative labels are rejected.
    /// </summary>
    public static long[] VoxelCounts(Volume<int> labels)
    {
        int max = 0;
        foreach (var l in labels.Data)
        {
            if (l < 0) throw new ArgumentException($"label volume holds the negative label {l}");
            if (l > max) max = l;
        }
        var counts = new long[max + 1];
        foreach (var l in labels.Data) counts[l]++;
        return counts;
    }

    /// <summary>
    /// Removes objects with fewer than <paramref name="minVoxels"/> voxels (like skimage's remove_small_objects)
    /// and renumbers the rest 1..Count in the order of their old label. Returns the new volume and Count.
    /// </summary>
    public static (Volume<int> Labels, int Count) RemoveSmall(Volume<int> labels, int minVoxels)
    {
        var counts = VoxelCounts(labels);
        var map = new int[counts.Length];
        int next = 0;
        for (int l = 1; l < counts.Length; l++)
            if (counts[l] > 0 && counts[l] >= minVoxels) map[l] = ++next;
        var src = labels.Data;
        var dst = new int[src.Length];
        Parallel.For(0, labels.NZ, z =>
        {
            int start = z * labels.NY * labels.NX, end = start + labels.NY * labels.NX;
            for (int i = start; i < end; i++) dst[i] = map[src[i]];
        });
        return (labels.WithData(dst), next);
    }

    /// <summary>
    /// Binary mask (1 = object) of <paramref name="label"/> cropped to its tight bounding box plus
    /// <paramref name="pad"/> voxels of zeros on every side. Spacing is the parent's; Origin (µm, Z, Y, X) is the
    /// physical centre of the crop's voxel (0, 0, 0), i.e. parent origin + (box start − pad) · spacing.
    /// </summary>
    /// <exception cref="ArgumentException">The label does not occur in the volume.</exception>
    public static Volume<byte> CropObject(Volume<int> labels, int label, int pad = 1)
    {
        if (pad < 0) throw new ArgumentOutOfRangeException(nameof(pad), pad, "pad must be ≥ 0 voxels");
        if (label == 0) throw new ArgumentException("label 0 is the background, not an object");
        int z0 = int.MaxValue, y0 = int.MaxValue, x0 = int.MaxValue, z1 = -1, y1 = -1, x1 = -1;
        int nz = labels.NZ, ny = labels.NY, nx = labels.NX;
        var d = labels.Data;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    if (d[row + x] != label) continue;
                    if (z < z0) z0 = z;
                    if (z > z1) z1 = z;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                }
            }
        if (z1 < 0) throw new ArgumentException($"label {label} does not occur in the volume");
        int cz = z1 - z0 + 1 + 2 * pad, cy = y1 - y0 + 1 + 2 * pad, cx = x1 - x0 + 1 + 2 * pad;
        var s = labels.Spacing;
        var origin = (labels.Origin.Z + (z0 - pad) * s.Z, labels.Origin.Y + (y0 - pad) * s.Y, labels.Origin.X + (x0 - pad) * s.X);
        var crop = new Volume<byte>(cz, cy, cx, s, null, origin);
        var c = crop.Data;
        for (int z = z0; z <= z1; z++)
            for (int y = y0; y <= y1; y++)
            {
                int src = (z * ny + y) * nx;
                int dst = ((z - z0 + pad) * cy + (y - y0 + pad)) * cx + pad - x0;
                for (int x = x0; x <= x1; x++)
                    if (d[src + x] == label) c[dst + x] = 1;
            }
        return crop;
    }
}
