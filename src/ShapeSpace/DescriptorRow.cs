namespace ShapeStudy.ShapeSpace;

/// <summary>
/// The single definition of the descriptor feature row used for the shape-space PCA and variant sampling.
/// Scale-like features enter as natural logarithms so that multiplicative changes are linear:
/// [log V (µm³), log A (µm²), log major (µm), log mid (µm), log minor (µm), sphericity].
/// </summary>
public static class DescriptorRow
{
    /// <summary>Index of log(volume / µm³).</summary>
    public const int LogVolume = 0;
    /// <summary>Index of log(surface area / µm²).</summary>
    public const int LogSurfaceArea = 1;
    /// <summary>Index of log(major axis / µm).</summary>
    public const int LogMajorAxis = 2;
    /// <summary>Index of log(mid axis / µm).</summary>
    public const int LogMidAxis = 3;
    /// <summary>Index of log(minor axis / µm).</summary>
    public const int LogMinorAxis = 4;
    /// <summary>Index of sphericity (dimensionless).</summary>
    public const int Sphericity = 5;

    /// <summary>Feature names in row order (snake_case, as used in output tables).</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["log_volume_um3", "log_surface_area_um2", "log_major_axis_um", "log_mid_axis_um", "log_minor_axis_um", "sphericity"];

    /// <summary>Number of features in a row.</summary>
    public static int Length => Names.Count;

    /// <summary>The feature row of <paramref name="d"/>; throws when a size is not positive (log undefined).</summary>
    public static double[] From(ShapeDescriptors d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return
        [
            Log(d.VolumeUm3, "volume"), Log(d.SurfaceAreaUm2, "surface area"),
            Log(d.MajorAxisUm, "major axis"), Log(d.MidAxisUm, "mid axis"), Log(d.MinorAxisUm, "minor axis"),
            d.Sphericity,
        ];
    }

    /// <summary>Feature rows of many shapes (n × p).</summary>
    public static double[][] From(IEnumerable<ShapeDescriptors> shapes) => shapes.Select(From).ToArray();

    private static double Log(double v, string what) =>
        v > 0 && double.IsFinite(v) ? Math.Log(v) : throw new ArgumentException($"{what} must be positive to enter the descriptor row, got {v}");
}
