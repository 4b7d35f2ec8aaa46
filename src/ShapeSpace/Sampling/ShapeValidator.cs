using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// Plausible descriptor ranges for synthetic shapes (µm-based units): volume, area and principal-axis lengths within
/// [min / factor, max · factor] of a real population, sphericity within [min − margin, 1].
/// </summary>
public sealed record PlausibleRanges(
    double MinVolumeUm3, double MaxVolumeUm3,
    double MinSurfaceAreaUm2, double MaxSurfaceAreaUm2,
    double MinMajorAxisUm, double MaxMajorAxisUm,
    double MinMinorAxisUm, double MaxMinorAxisUm,
    double MinSphericity, double MaxSphericity)
{
    /// <summary>
    /// Ranges from real shapes' descriptors: each size-like descriptor's observed [min, max] widened by the factor
    /// <paramref name="factor"/> (≥ 1) on both sides, sphericity from the observed minimum − <paramref name="sphericityMargin"/> to 1.
    /// </summary>
    public static PlausibleRanges FromPopulation(IEnumerable<ShapeDescriptors> population, double factor = 2.0, double sphericityMargin = 0.1)
    {
        ArgumentNullException.ThrowIfNull(population);
        if (!(factor >= 1)) throw new ArgumentOutOfRangeException(nameof(factor), "factor must be ≥ 1");
        var list = population.ToList();
        if (list.Count == 0) throw new ArgumentException("empty population");
        return new PlausibleRanges(
            list.Min(d => d.VolumeUm3) / factor, list.Max(d => d.VolumeUm3) * factor,
            list.Min(d => d.SurfaceAreaUm2) / factor, list.Max(d => d.SurfaceAreaUm2) * factor,
            list.Min(d => d.MajorAxisUm) / factor, list.Max(d => d.MajorAxisUm) * factor,
            list.Min(d => d.MinorAxisUm) / factor, list.Max(d => d.MinorAxisUm) * factor,
            Math.Max(0, list.Min(d => d.Sphericity) - sphericityMargin), 1.0);
    }

    /// <summary>Null when <paramref name="d"/> lies within every range, else the first violation ("volume_um3 = … outside […, …]").</summary>
    public string? Violation(ShapeDescriptors d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return Outside("volume_um3", d.VolumeUm3, MinVolumeUm3, MaxVolumeUm3)
            ?? Outside("surface_area_um2", d.SurfaceAreaUm2, MinSurfaceAreaUm2, MaxSurfaceAreaUm2)
            ?? Outside("major_axis_um", d.MajorAxisUm, MinMajorAxisUm, MaxMajorAxisUm)
            ?? Outside("minor_axis_um", d.MinorAxisUm, MinMinorAxisUm, MaxMinorAxisUm)
            ?? Outside("sphericity", d.Sphericity, MinSphericity, MaxSphericity);
    }

    private static string? Outside(string name, double v, double lo, double hi) =>
        v >= lo && v <= hi ? null : FormattableString.Invariant($"implausible: {name} = {v:G6} outside [{lo:G6}, {hi:G6}]");
}

/// <summary>Result of checking one synthetic SH shape.</summary>
/// <param name="IsValid">True when every check passed.</param>
/// <param name="Reason">Null when valid, else a machine-readable reason ("self_intersection: …", "not_watertight",
/// "non_positive_volume: …", "implausible: …", "non_finite_coefficients").</param>
/// <param name="Mesh">The reconstructed surface in the aligned frame (centred at the origin, µm); null only when the
/// coefficients are not finite.</param>
/// <param name="Descriptors">Descriptors of <paramref name="Mesh"/>; null when the check stopped before measuring.</param>
/// <param name="MinRadiusUm">Smallest radius r(u) over the dense check directions (µm).</param>
public sealed record ShapeCheck(bool IsValid, string? Reason, TriangleMesh? Mesh, ShapeDescriptors? Descriptors, double MinRadiusUm);

/// <summary>
/// Validity checks for synthetic spherical-harmonic shapes, in order: finite coefficients; no self-intersection; the
/// reconstructed mesh is watertight; volume &gt; 0; descriptors within <see cref="PlausibleRanges"/>.
/// Self-intersection is decided exactly and cheaply for radial surfaces: the surface u ↦ r(u)·u is an embedded sphere
/// iff r &gt; 0 everywhere (then each ray from the centre crosses it once, and every mesh triangle projects centrally
/// onto its own icosphere triangle with positive orientation, so the triangulated surface cannot self-intersect);
/// where r ≤ 0 the surface passes through or behind the centre and folds over itself. r is tested at the vertices of
/// an icosphere one level finer than the output mesh, against a floor of <see cref="MinRadiusFraction"/> × the mean radius.
/// </summary>
/// <param name="Ranges">Plausible descriptor ranges; null skips that check.</param>
/// <param name="Subdivisions">Icosphere refinements of the reconstructed mesh (10·4^s + 2 vertices).</param>
/// <param name="MinRadiusFraction">Smallest allowed radius as a fraction of the mean radius c₀₀ / sqrt(4π).</param>
public sealed record ShapeValidator(PlausibleRanges? Ranges, int Subdivisions = 4, double MinRadiusFraction = 0.02)
{
    /// <summary>Checks the aligned-frame shape with coefficients <paramref name="coefficients"/> (length (lmax + 1)², µm).</summary>
    public ShapeCheck Check(double[] coefficients, int lmax)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        foreach (var c in coefficients)
            if (!double.IsFinite(c)) return new ShapeCheck(false, "non_finite_coefficients", null, null, double.NaN);
        var shape = ShVectors.ToShape(coefficients, lmax);
        var dense = Icosphere.Create(Subdivisions + 1).Vertices;
        double minR = double.MaxValue;
        var basis = new double[RealSphericalHarmonics.Count(lmax)];
        for (int i = 0; i < dense.Length; i += 3)
        {
            RealSphericalHarmonics.Evaluate(lmax, dense[i], dense[i + 1], dense[i + 2], basis);
            double r = 0;
            for (int k = 0; k < basis.Length; k++) r += coefficients[k] * basis[k];
            if (r < minR) minR = r;
        }
        double meanR = coefficients[0] / Math.Sqrt(4 * Math.PI);
        var mesh = shape.Reconstruct(Subdivisions, inInputFrame: false);
        if (!(meanR > 0) || !(minR > MinRadiusFraction * meanR))
            return new ShapeCheck(false, FormattableString.Invariant(
                $"self_intersection: radius falls to {minR:G4} µm (floor {MinRadiusFraction * meanR:G4} µm = {MinRadiusFraction} × mean radius {meanR:G4} µm)"),
                mesh, null, minR);
        if (!mesh.IsWatertight()) return new ShapeCheck(false, "not_watertight", mesh, null, minR);
        double volume = mesh.SignedVolume();
        if (!(volume > 0)) return new ShapeCheck(false, FormattableString.Invariant($"non_positive_volume: {volume:G4} µm³"), mesh, null, minR);
        var d = ShapeStudy.ShapeSpace.Descriptors.FromMesh(mesh);
        string? implausible = Ranges?.Violation(d);
        return new ShapeCheck(implausible is null, implausible, mesh, d, minR);
    }
}
