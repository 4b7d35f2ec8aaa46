using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Options of the distance-transform watershed pipeline: Gaussian smoothing with σ = <paramref name="SigmaUm"/> µm
/// (0 = none), Otsu threshold with foreground side <paramref name="Foreground"/>, Euclidean distance transform of
/// the foreground (µm), h-maxima of the distance with height <paramref name="HUm"/> µm (null = the smallest voxel
/// spacing) as markers, watershed of −distance inside the foreground with <paramref name="Connectivity"/> (6, 18 or
/// 26, used for the markers too) and <paramref name="Compactness"/> (0 = classic watershed), and removal of objects
/// smaller than <paramref name="MinVolumeUm3"/> µm³.
/// </summary>
public sealed record WatershedSegmentationOptions(
    double SigmaUm = 0,
    ForegroundPolarity Foreground = ForegroundPolarity.Bright,
    double? HUm = null,
    int Connectivity = 26,
    double Compactness = 0,
    double MinVolumeUm3 = 0)
{
    /// <summary>Throws with a message naming the bad option and what is allowed.</summary>
    public WatershedSegmentationOptions Validated()
    {
        if (!(SigmaUm >= 0) || !double.IsFinite(SigmaUm)) throw new ArgumentException($"sigma_um must be a finite value ≥ 0, got {SigmaUm}");
        if (HUm is double h && (!(h > 0) || !double.IsFinite(h))) throw new ArgumentException($"h_um must be a finite value > 0, got {h}");
        if (Connectivity is not (6 or 18 or 26)) throw new ArgumentException($"connectivity must be 6, 18 or 26, got {Connectivity}");
        if (!(Compactness >= 0) || !double.IsFinite(Compactness)) throw new ArgumentException($"compactness must be a finite value ≥ 0, got {Compactness}");
        if (!(MinVolumeUm3 >= 0) || !double.IsFinite(MinVolumeUm3)) throw new ArgumentException($"min_volume_um3 must be a finite value ≥ 0, got {MinVolumeUm3}");
        return this;
    }
}

/// <summary>
/// Smoothing → Otsu foreground → distance transform → h-maxima markers → watershed of −distance in the foreground →
/// size filter. Touching objects joined by a neck shallower than h are split. A foreground component whose deepest
/// point is less than h µm from the background has no marker and stays background (as with skimage's h_maxima).
/// </summary>
public static class WatershedSegmentation
{
    /// <summary>
    /// Segments <paramref name="image"/>; labels 1..ObjectCount follow the order of the markers (raster order of
    /// their first voxel) after the size filter; <see cref="SegmentationResult.ComponentsBeforeSizeFilter"/> is the
    /// number of basins (markers). Spacing and origin of the labels equal the image's.
    /// </summary>
    public static SegmentationResult Run(ImageVolume image, WatershedSegmentationOptions options)
    {
        options.Validated();
        var (maskVolume, threshold) = ClassicalSegmentation.Foreground(image, options.SigmaUm, options.Foreground);
        var voxels = maskVolume;
        int plane = voxels.NY * voxels.NX;
        var distance = DistanceTransform.Euclidean(maskVolume);
        var s = voxels.Spacing;
        double h = options.HUm ?? Math.Min(s.Z, Math.Min(s.Y, s.X));
        var (markers, count) = HMaxima.Markers(distance, h, options.Connectivity);

        var d = distance.Data;
        var negated = GC.AllocateUninitializedArray<float>(d.Length);
        Parallel.For(0, voxels.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++) negated[i] = -d[i];
        });
        var labels = Watershed.Run(distance.WithData(negated), markers, maskVolume, options.Connectivity, options.Compactness);

        int minVoxels = ClassicalSegmentation.MinVoxels(options.MinVolumeUm3, s);
        if (minVoxels <= 1) return new SegmentationResult(labels, count, threshold, count);
        var (kept, keptCount) = LabelOps.RemoveSmall(labels, minVoxels);
        return new SegmentationResult(kept, keptCount, threshold, count);
    }
}
