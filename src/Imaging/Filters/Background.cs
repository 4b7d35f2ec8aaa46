using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Background subtraction by morphological top-hat with a ball whose radius is given in µm (anisotropic grids
/// give an ellipsoidal ball in voxels). Semantics of scipy.ndimage.white_tophat / black_tophat with a footprint and
/// mode 'reflect'. Shape, spacing and origin are kept; the result is ≥ 0.
/// </summary>
public static class Background
{
    /// <summary>
    /// White top-hat: volume − grey opening. Removes a background that varies slowly compared with a ball of radius
    /// <paramref name="radiusUm"/> µm and keeps bright structures smaller than it (intensity units of the input).
    /// </summary>
    public static Volume<float> WhiteTopHat(Volume<float> volume, double radiusUm)
        => WhiteTopHat(volume, StructuringElement.Ball(radiusUm, volume.Spacing));

    /// <summary>White top-hat with an arbitrary flat footprint.</summary>
    public static Volume<float> WhiteTopHat(Volume<float> volume, StructuringElement footprint)
        => Difference(volume, volume, GreyMorphology.Open(volume, footprint));

    /// <summary>
    /// Black top-hat: grey closing − volume; keeps dark structures (e.g. membranes in electron microscopy) smaller
    /// than the ball of radius <paramref name="radiusUm"/> µm, as positive values.
    /// </summary>
    public static Volume<float> BlackTopHat(Volume<float> volume, double radiusUm)
        => BlackTopHat(volume, StructuringElement.Ball(radiusUm, volume.Spacing));

    /// <summary>Black top-hat with an arbitrary flat footprint.</summary>
    public static Volume<float> BlackTopHat(Volume<float> volume, StructuringElement footprint)
        => Difference(volume, GreyMorphology.Close(volume, footprint), volume);

    /// <summary>Voxel-wise <paramref name="a"/> − <paramref name="b"/>, shaped like <paramref name="like"/>.</summary>
    private static Volume<float> Difference(Volume<float> like, Volume<float> a, Volume<float> b)
    {
        var result = new float[like.Length];
        int plane = like.NY * like.NX;
        Parallel.For(0, like.NZ, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++) result[i] = a.Data[i] - b.Data[i];
        });
        return like.WithData(result);
    }
}
