using ShapeStudy.Testing;

namespace ShapeStudy.ShapeSpace.Tests;

/// <summary>Descriptor properties on real dendritic spine meshes (MICrONS, µm).</summary>
public class RealMeshTests
{
    private static TriangleMeshAndDescriptors Load(int i)
    {
        var path = RepoPaths.Data("microns-spines", $"spine_{i:00}.obj");
        var mesh = Obj.Read(path);
        return new(mesh, Descriptors.FromMesh(mesh));
    }

    private sealed record TriangleMeshAndDescriptors(Core.TriangleMesh Mesh, ShapeDescriptors D);

    private static void Near(double expected, double actual, double relTol, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relTol * Math.Abs(expected), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(19)]
    public void SpineDescriptors_AreConsistentAndInvariant(int index)
    {
        var (mesh, d) = Load(index);
        Assert.True(mesh.IsWatertight());
        Near(mesh.SignedVolume(), d.VolumeUm3, 1e-10, "volume vs divergence theorem");
        var c = mesh.VolumeCentroid();
        Near(c.X, d.CentroidXUm, 1e-9, "centroid x");
        Near(c.Z, d.CentroidZUm, 1e-9, "centroid z");
        // Isoperimetric inequality: sphericity ≤ 1; axes ordered.
        Assert.InRange(d.Sphericity, 0.1, 1.0);
        Assert.True(d.MajorAxisUm >= d.MidAxisUm && d.MidAxisUm >= d.MinorAxisUm && d.MinorAxisUm > 0);
        // Rotation about an arbitrary axis leaves the intrinsic descriptors unchanged.
        var r = TestShapes.Rotation(0.7, 1.9, -0.4);
        var rotated = Descriptors.FromMesh(mesh.Transformed((x, y, z) =>
            (r[0] * x + r[1] * y + r[2] * z, r[3] * x + r[4] * y + r[5] * z, r[6] * x + r[7] * y + r[8] * z)));
        Near(d.VolumeUm3, rotated.VolumeUm3, 1e-10, "volume");
        Near(d.MajorAxisUm, rotated.MajorAxisUm, 1e-9, "major");
        Near(d.MidAxisUm, rotated.MidAxisUm, 1e-9, "mid");
        Near(d.MinorAxisUm, rotated.MinorAxisUm, 1e-9, "minor");
        // The rotated major direction is R times the original one.
        var m = d.MajorDirection;
        double rx = r[0] * m.X + r[1] * m.Y + r[2] * m.Z, ry = r[3] * m.X + r[4] * m.Y + r[5] * m.Z, rz = r[6] * m.X + r[7] * m.Y + r[8] * m.Z;
        double dot = rx * rotated.MajorDirection.X + ry * rotated.MajorDirection.Y + rz * rotated.MajorDirection.Z;
        Assert.True(Math.Abs(dot) > 1 - 1e-9, $"|dot| = {Math.Abs(dot)}");
        // Warping a real spine scales its volume exactly and each principal axis by its factor.
        var w = Descriptors.FromMesh(ShapeWarp.WarpMesh(mesh, d, 1.2, 1.1, 0.9));
        Near(d.VolumeUm3 * 1.2 * 1.1 * 0.9, w.VolumeUm3, 1e-10, "warped volume");
        Near(d.MajorAxisUm * 1.2, w.MajorAxisUm, 1e-9, "warped major");
        Near(d.MinorAxisUm * 0.9, w.MinorAxisUm, 1e-9, "warped minor");
    }
}
