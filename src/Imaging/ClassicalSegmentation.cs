using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Options of the classical pipeline: Gaussian smoothing with σ = <paramref name="SigmaUm"/> µm (0 = none), Otsu
/// threshold, foreground side <paramref name="Foreground"/>, connected components with
/// <paramref name="Connectivity"/> (6, 18 or 26), and removal of objects smaller than
/// <paramref name="MinVolumeUm3"/> µm³ (converted to ceil(MinVolumeUm3 / voxel volume) voxels).
/// </summary>
public sealed record ClassicalSegmentationOptions(
    double SigmaUm = 0,
    ForegroundPolarity Foreground = ForegroundPolarity.Bright,
    int Connectivity = 26,
    double MinVolumeUm3 = 0)
{
    /// <summary>Throws with a message naming the bad option and what is allowed.</summary>
    public ClassicalSegmentationOptions Validated()
    {
        if (!(SigmaUm >= 0) || !double.IsFinite(SigmaUm)) throw new ArgumentException($"sigma_um must be a finite value ≥ 0, got {SigmaUm}");
        if (Connectivity is not (6 or 18 or 26)) throw new ArgumentException($"connectivity must be 6, 18 or 26, got {Connectivity}");
        if (!(MinVolumeUm3 >= 0) || !double.IsFinite(MinVolumeUm3)) throw new ArgumentException($"min_volume_um3 must be a finite value ≥ 0, got {MinVolumeUm3}");
        return this;
    }
}

/// <summary>
/// Output of <see cref="ClassicalSegmentation.Run"/>: <paramref name="Labels"/> (Z, Y, X), 0 = background, objects
/// 1..<paramref name="ObjectCount"/> in raster order of their first voxel; <paramref name="Threshold"/> in the
/// image's intensity units; <paramref name="ComponentsBeforeSizeFilter"/> = components before the size filter;
/// <paramref name="MergeThreshold"/> = the agglomeration's merge threshold (learned methods only; null otherwise).
/// </summary>
public sealed record SegmentationResult(Volume<int> Labels, int ObjectCount, double Threshold, int ComponentsBeforeSizeFilter,
    double? MergeThreshold = null);

/// <summary>Smoothing → Otsu threshold → connected components → size filter.</summary>
public static class ClassicalSegmentation
{
    /// <summary>Segments <paramref name="image"/>; spacing and origin of the labels equal the image's.</summary>
    public static SegmentationResult Run(ImageVolume image, ClassicalSegmentationOptions options)
    {
        options.Validated();
        var (mask, threshold) = Foreground(image, options.SigmaUm, options.Foreground);
        var (labels, count) = ConnectedComponents.Label(mask, options.Connectivity);
        int minVoxels = MinVoxels(options.MinVolumeUm3, mask.Spacing);
        if (minVoxels <= 1) return new SegmentationResult(labels, count, threshold, count);
        var (kept, keptCount) = LabelOps.RemoveSmall(labels, minVoxels);
        return new SegmentationResult(kept, keptCount, threshold, count);
    }

    /// <summary>
    /// The foreground of <paramref name="image"/>: Gaussian smoothing with σ = <paramref name="sigmaUm"/> µm (0 = none),
    /// then the Otsu threshold of the (smoothed) image; foreground = value &gt; threshold (bright) or ≤ threshold (dark).
    /// Returns the binary mask (same shape, spacing and origin) and the threshold in intensity units.
    /// </summary>
    public static (Volume<byte> Mask, double Threshold) Foreground(ImageVolume image, double sigmaUm, ForegroundPolarity polarity)
    {
        var voxels = image.Voxels;
        double threshold;
        if (sigmaUm > 0)
        {
            voxels = Gaussian.Smooth(voxels, sigmaUm);
            threshold = Otsu.Threshold(voxels, integerSamples: false);
        }
        else threshold = Otsu.Threshold(image);

        var data = voxels.Data;
        var mask = new byte[data.Length];
        bool bright = polarity == ForegroundPolarity.Bright;
        int plane = voxels.NY * voxels.NX;
        Parallel.For(0, voxels.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++)
                mask[i] = (byte)((bright ? data[i] > threshold : data[i] <= threshold) ? 1 : 0);
        });
        return (voxels.WithData(mask), threshold);
    }

    /// <summary>
    /// Smallest object size in voxels for a minimum volume in µm³: ceil(minVolumeUm3 / voxel volume), with a 1e-12
    /// relative allowance so that round-off (0.001 / 1e-6 = 1000.0000000000001) does not add a voxel.
    /// </summary>
    public static int MinVoxels(double minVolumeUm3, Spacing spacing)
    {
        double v = Math.Ceiling(minVolumeUm3 / spacing.VoxelVolume * (1 - 1e-12));
        return v >= int.MaxValue ? int.MaxValue : (int)v;
    }
}
