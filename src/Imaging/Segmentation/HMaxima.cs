using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// h-maxima transform with the semantics of skimage.morphology.h_maxima (0.19) on a float32 image: the regional
/// maxima whose height (dynamic) is ≥ h, plus the global maxima.
/// </summary>
/// <remarks>
/// As skimage does for floating-point images, the seed is image − h − 2·1e−6·|image| computed in float32 (the small
/// extra term guarantees seed &lt; image − h despite round-off), the seed is reconstructed by dilation under the
/// image, and a voxel is a maximum when image − reconstruction ≥ h (in float64). When h exceeds the image range
/// (max − min) there are no maxima.
/// </remarks>
public static class HMaxima
{
    /// <summary>
    /// Binary h-maxima (1 = voxel of a maximum of height ≥ <paramref name="h"/>, in the image's units) with the 6-,
    /// 18- or 26-neighbourhood (skimage's default footprint is the 26-neighbourhood).
    /// </summary>
    public static Volume<byte> Mask(Volume<float> image, double h, int connectivity = 26)
    {
        Neighbourhood.Validate(connectivity);
        if (!(h > 0) || !double.IsFinite(h)) throw new ArgumentOutOfRangeException(nameof(h), h, "h must be a finite value > 0");
        var data = image.Data;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in data)
        {
            if (float.IsNaN(v)) throw new ArgumentException("image holds NaN");
            if (v < min) min = v;
            if (v > max) max = v;
        }
        var result = new byte[data.Length];
        if (h > (double)(max - min)) return image.WithData(result);

        float hf = (float)h, resolution = 2f * 1e-6f;
        var seed = GC.AllocateUninitializedArray<float>(data.Length);
        Parallel.For(0, image.NZ, z =>
        {
            int plane = image.NY * image.NX;
            for (int i = z * plane, end = i + plane; i < end; i++)
            {
                float v = data[i];
                seed[i] = (v - hf) - resolution * MathF.Abs(v);
            }
        });
        var rec = Reconstruction.ByDilation(image.WithData(seed), image, connectivity).Data;
        Parallel.For(0, image.NZ, z =>
        {
            int plane = image.NY * image.NX;
            for (int i = z * plane, end = i + plane; i < end; i++)
                result[i] = (byte)((double)data[i] - rec[i] >= h ? 1 : 0);
        });
        return image.WithData(result);
    }

    /// <summary>
    /// Labelled h-maxima: <see cref="Mask"/> followed by connected-component labelling with the same connectivity
    /// (labels 1..Count in raster order of their first voxel, as skimage.measure.label numbers them).
    /// </summary>
    public static (Volume<int> Labels, int Count) Markers(Volume<float> image, double h, int connectivity = 26)
        => ConnectedComponents.Label(Mask(image, h, connectivity), connectivity);
}
