using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Result of <see cref="Relabel.Sequential"/>: <paramref name="Labels"/> (Z, Y, X) with the non-zero labels
/// renumbered offset, offset + 1, … in increasing order of the old label; <paramref name="Forward"/>[old] = new
/// (length old max + 1, 0 for labels that do not occur and for 0); <paramref name="Inverse"/>[new] = old (length
/// offset + <paramref name="Count"/>, 0 below offset); <paramref name="Count"/> = number of non-zero labels.
/// </summary>
public sealed record SequentialRelabeling(Volume<int> Labels, int[] Forward, int[] Inverse, int Count);

/// <summary>Label renumbering.</summary>
public static class Relabel
{
    /// <summary>
    /// Renumbers the non-zero labels to offset, offset + 1, … keeping their order, as
    /// skimage.segmentation.relabel_sequential (0 stays 0; labels must be ≥ 0; offset ≥ 1).
    /// </summary>
    public static SequentialRelabeling Sequential(Volume<int> labels, int offset = 1)
    {
        if (offset < 1) throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset must be ≥ 1");
        var counts = LabelOps.VoxelCounts(labels);
        var forward = new int[counts.Length];
        int count = 0;
        for (int l = 1; l < counts.Length; l++) if (counts[l] > 0) count++;
        if ((long)offset + count > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(offset), offset, "offset + number of labels exceeds the int range");
        var inverse = new int[offset + count];
        int next = offset;
        for (int l = 1; l < counts.Length; l++)
        {
            if (counts[l] == 0) continue;
            forward[l] = next;
            inverse[next] = l;
            next++;
        }
        var src = labels.Data;
        var dst = new int[src.Length];
        int plane = labels.NY * labels.NX;
        Parallel.For(0, labels.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++) dst[i] = forward[src[i]];
        });
        return new SequentialRelabeling(labels.WithData(dst), forward, inverse, count);
    }
}
