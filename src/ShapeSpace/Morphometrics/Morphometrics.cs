using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// Size, shape, convexity and topology of one object, in µm-based units.
/// </summary>
/// <param name="Descriptors">Volume, area, sphericity, equivalent diameter, principal axes, elongation and flatness.</param>
/// <param name="ConvexHullVolumeUm3">Volume of the convex hull, µm³.</param>
/// <param name="Solidity">Volume / convex-hull volume (1 for convex solids, smaller otherwise).</param>
/// <param name="ComponentCount">Connected surface components (null when no surface was given).</param>
/// <param name="EulerCharacteristic">χ = V − E + F of the surface (null when no surface was given).</param>
/// <param name="Genus">Total number of handles, from χ = 2 − 2g per closed component (null when no surface was given).</param>
public sealed record ObjectMorphometrics(
    ShapeDescriptors Descriptors,
    double ConvexHullVolumeUm3,
    double Solidity,
    int? ComponentCount,
    int? EulerCharacteristic,
    int? Genus);

/// <summary>Morphometrics of meshes and label masks.</summary>
public static class Morphometrics
{
    /// <summary>Morphometrics of the solid bounded by a closed, consistently oriented mesh (µm).</summary>
    public static ObjectMorphometrics FromMesh(TriangleMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var d = Descriptors.FromMesh(mesh);
        double hull = ConvexHull.Compute(mesh).SignedVolume();
        var components = SurfaceTopology.Components(mesh);
        return new ObjectMorphometrics(d, hull, d.VolumeUm3 / hull, components.Count,
            components.Sum(c => c.EulerCharacteristic), components.Sum(c => c.Genus));
    }

    /// <summary>
    /// Morphometrics of the foreground of <paramref name="mask"/> (shape (Z, Y, X), anisotropic spacing in µm). The
    /// solid is the union of the voxel boxes: volume = voxels × voxel volume, and the hull is the exact hull of those
    /// boxes (their exposed corners). Area, sphericity, χ and genus come from <paramref name="surface"/> when given
    /// (normally the mesh extracted from the same mask), else they are NaN / null.
    /// </summary>
    public static ObjectMorphometrics FromMask(Volume<byte> mask, TriangleMesh? surface)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var d = Descriptors.FromMask(mask, surface);
        var corners = new HashSet<(int, int, int)>();
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
                for (int x = 0; x < mask.NX; x++)
                {
                    if (mask[z, y, x] == 0) continue;
                    if (Foreground(mask, z - 1, y, x) && Foreground(mask, z + 1, y, x) && Foreground(mask, z, y - 1, x)
                        && Foreground(mask, z, y + 1, x) && Foreground(mask, z, y, x - 1) && Foreground(mask, z, y, x + 1)) continue;
                    for (int c = 0; c < 8; c++) corners.Add((z + (c >> 2), y + ((c >> 1) & 1), x + (c & 1)));
                }
        var s = mask.Spacing; var o = mask.Origin;
        var pts = new double[3 * corners.Count];
        int i = 0;
        foreach (var (z, y, x) in corners)
        {
            pts[i++] = o.X + (x - 0.5) * s.X; pts[i++] = o.Y + (y - 0.5) * s.Y; pts[i++] = o.Z + (z - 0.5) * s.Z;
        }
        double hull = ConvexHull.Compute(pts).SignedVolume();
        if (surface is null) return new ObjectMorphometrics(d, hull, d.VolumeUm3 / hull, null, null, null);
        var components = SurfaceTopology.Components(surface);
        return new ObjectMorphometrics(d, hull, d.VolumeUm3 / hull, components.Count,
            components.Sum(c => c.EulerCharacteristic), components.Sum(c => c.Genus));
    }

    private static bool Foreground(Volume<byte> m, int z, int y, int x) => m.Contains(z, y, x) && m[z, y, x] != 0;
}
