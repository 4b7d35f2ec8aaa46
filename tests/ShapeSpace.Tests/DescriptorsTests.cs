using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.ShapeSpace.Tests;

public class DescriptorsTests
{
    private static void Near(double expected, double actual, double relTol, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relTol * Math.Abs(expected), $"{what}: expected {expected}, got {actual} (rel tol {relTol})");

    [Fact]
    public void EllipsoidMask_AnisotropicSpacing_MatchesSolidEllipsoidAxes()
    {
        // Semi-axes of 12, 8 and 5 voxels along x, y, z with spacing (z, y, x) = (0.4, 0.2, 0.25) µm
        // → 3.0, 1.6, 2.0 µm; skimage convention gives full lengths 2a.
        var spacing = new Spacing(0.4, 0.2, 0.25);
        var centre = (X: 20 * 0.25, Y: 15 * 0.2, Z: 10 * 0.4);
        var mask = TestShapes.EllipsoidMask(21, 31, 41, spacing, centre, (3.0, 1.6, 2.0));
        var d = Descriptors.FromMask(mask, null);
        Near(6.0, d.MajorAxisUm, 0.03, "major");
        Near(4.0, d.MidAxisUm, 0.03, "mid");
        Near(3.2, d.MinorAxisUm, 0.03, "minor");
        Near(4.0 / 3.0 * Math.PI * 3.0 * 1.6 * 2.0, d.VolumeUm3, 0.03, "volume");
        // Voxel centres exactly on the surface may round either way, so the centroid is exact only to a fraction of a voxel.
        Assert.InRange(d.CentroidXUm - centre.X, -0.01, 0.01);
        Assert.InRange(d.CentroidYUm - centre.Y, -0.01, 0.01);
        Assert.InRange(d.CentroidZUm - centre.Z, -0.01, 0.01);
        Assert.True(Math.Abs(d.MajorDirection.X) > 0.999, "major axis along x");
        Assert.True(Math.Abs(d.MidDirection.Z) > 0.999, "mid axis along z");
        Assert.True(Math.Abs(d.MinorDirection.Y) > 0.999, "minor axis along y");
        Assert.True(double.IsNaN(d.SurfaceAreaUm2) && double.IsNaN(d.Sphericity));
    }

    [Fact]
    public void EllipsoidMesh_MatchesAnalyticMomentsAndArea()
    {
        double a = 3.0, b = 2.0, c = 1.2;
        var mesh = TestShapes.EllipsoidMesh(a, b, c, levels: 5, TestShapes.Rotation(0.3, -0.7, 1.1), (5, -2, 7));
        var d = Descriptors.FromMesh(mesh);
        Near(2 * a, d.MajorAxisUm, 0.01, "major");
        Near(2 * b, d.MidAxisUm, 0.01, "mid");
        Near(2 * c, d.MinorAxisUm, 0.01, "minor");
        double v = 4.0 / 3.0 * Math.PI * a * b * c;
        Near(v, d.VolumeUm3, 0.01, "volume");
        // Knud Thomsen's approximation of the ellipsoid area (error ≤ 1.061 %).
        double pexp = 1.6075;
        double area = 4 * Math.PI * Math.Pow((Math.Pow(a * b, pexp) + Math.Pow(a * c, pexp) + Math.Pow(b * c, pexp)) / 3, 1 / pexp);
        Near(area, d.SurfaceAreaUm2, 0.015, "area");
        Near(5, d.CentroidXUm, 1e-9, "cx");
        Near(-2, d.CentroidYUm, 1e-9, "cy");
        Near(7, d.CentroidZUm, 1e-9, "cz");
        Near(a / b, d.Elongation, 0.01, "elongation");
        Near(b / c, d.Flatness, 0.01, "flatness");
        Near(Math.Cbrt(6 * v / Math.PI), d.EquivalentDiameterUm, 0.01, "equivalent diameter");
        // The major direction is the rotated x axis.
        var r = TestShapes.Rotation(0.3, -0.7, 1.1);
        double dot = d.MajorDirection.X * r[0] + d.MajorDirection.Y * r[3] + d.MajorDirection.Z * r[6];
        Assert.True(Math.Abs(dot) > 0.9999, $"major direction dot rotated x = {dot}");
    }

    [Fact]
    public void SphereMesh_SphericityNearOne_AndPolyhedronVolumeExact()
    {
        var mesh = TestShapes.Icosphere(4);
        var d = Descriptors.FromMesh(mesh);
        Near(mesh.SignedVolume(), d.VolumeUm3, 1e-12, "volume equals divergence-theorem volume");
        Assert.InRange(d.Sphericity, 0.995, 1.0);
    }

    [Fact]
    public void InwardOrientedMesh_GivesSameDescriptors()
    {
        var mesh = TestShapes.EllipsoidMesh(2, 1.5, 1, levels: 3);
        var t = (int[])mesh.Triangles.Clone();
        for (int i = 0; i < t.Length; i += 3) (t[i + 1], t[i + 2]) = (t[i + 2], t[i + 1]);
        var a = Descriptors.FromMesh(mesh);
        var b = Descriptors.FromMesh(new TriangleMesh(mesh.Vertices, t));
        Near(a.VolumeUm3, b.VolumeUm3, 1e-12, "volume");
        Near(a.MajorAxisUm, b.MajorAxisUm, 1e-12, "major");
        Near(a.MinorAxisUm, b.MinorAxisUm, 1e-12, "minor");
    }

    [Fact]
    public void MeshDescriptors_AreRotationInvariant_AndTranslationMovesOnlyTheCentroid()
    {
        var mesh = TestShapes.EllipsoidMesh(2.5, 1.5, 0.8, levels: 3, TestShapes.Rotation(0.2, 0.4, 0.1));
        var d0 = Descriptors.FromMesh(mesh);
        var r = TestShapes.Rotation(1.3, -0.4, 2.2);
        var rotated = Descriptors.FromMesh(mesh.Transformed((x, y, z) =>
            (r[0] * x + r[1] * y + r[2] * z, r[3] * x + r[4] * y + r[5] * z, r[6] * x + r[7] * y + r[8] * z)));
        foreach (var (a, b, what) in new[]
        {
            (d0.VolumeUm3, rotated.VolumeUm3, "volume"), (d0.SurfaceAreaUm2, rotated.SurfaceAreaUm2, "area"),
            (d0.MajorAxisUm, rotated.MajorAxisUm, "major"), (d0.MidAxisUm, rotated.MidAxisUm, "mid"),
            (d0.MinorAxisUm, rotated.MinorAxisUm, "minor"), (d0.Sphericity, rotated.Sphericity, "sphericity"),
        })
            Near(a, b, 1e-10, what);

        var moved = Descriptors.FromMesh(mesh.Transformed((x, y, z) => (x + 100.5, y - 40.25, z + 3)));
        Near(d0.CentroidXUm + 100.5, moved.CentroidXUm, 1e-10, "cx");
        Near(d0.CentroidYUm - 40.25, moved.CentroidYUm, 1e-10, "cy");
        Assert.Equal(d0.CentroidZUm + 3, moved.CentroidZUm, 9);
        Near(d0.VolumeUm3, moved.VolumeUm3, 1e-10, "volume");
        Near(d0.SurfaceAreaUm2, moved.SurfaceAreaUm2, 1e-12, "area");
        Near(d0.MajorAxisUm, moved.MajorAxisUm, 1e-9, "major");
        Near(d0.MidAxisUm, moved.MidAxisUm, 1e-9, "mid");
        Near(d0.MinorAxisUm, moved.MinorAxisUm, 1e-9, "minor");
        Assert.Equal(d0.MajorDirection.X, moved.MajorDirection.X, 9);
    }

    [Fact]
    public void MaskDescriptors_MoveWithTheOrigin()
    {
        var spacing = new Spacing(0.3, 0.2, 0.1);
        var mask = TestShapes.EllipsoidMask(15, 20, 30, spacing, (1.5, 2.0, 2.1), (1.2, 1.4, 1.8), TestShapes.Rotation(0.5, 0.2, -0.3));
        var d0 = Descriptors.FromMask(mask, null);
        var shifted = new Volume<byte>(mask.NZ, mask.NY, mask.NX, spacing, mask.Data, (10.0, -3.0, 7.5));
        var d1 = Descriptors.FromMask(shifted, null);
        Assert.Equal(d0.CentroidZUm + 10.0, d1.CentroidZUm, 10);
        Assert.Equal(d0.CentroidYUm - 3.0, d1.CentroidYUm, 10);
        Assert.Equal(d0.CentroidXUm + 7.5, d1.CentroidXUm, 10);
        Assert.Equal(d0.MajorAxisUm, d1.MajorAxisUm, 12);
        Assert.Equal(d0.VolumeUm3, d1.VolumeUm3, 12);
    }

    [Fact]
    public void GalaLargestObject_MatchesScikitImageRegionprops()
    {
        string root = RepoPaths.Root;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "tests", "ShapeSpace.Tests", "reference", "gala_regionprops.json")));
        var refs = json.RootElement;
        var raw = TestShapes.ReadUInt8Stack(Path.Combine(root, "studies", "data", "gala", "train_raw.tif"));
        var fg = raw.WithData(raw.Data.Select(v => v > 144 ? (byte)1 : (byte)0).ToArray());
        Assert.Equal(refs.GetProperty("foreground_voxels").GetInt64(), fg.Data.Sum(v => (long)v));
        var mask = TestShapes.LargestComponent(fg);
        var d = Descriptors.FromMask(mask, null);
        Assert.Equal(refs.GetProperty("area").GetDouble(), d.VolumeUm3);
        var c = refs.GetProperty("centroid_zyx");
        Near(c[0].GetDouble(), d.CentroidZUm, 1e-6, "centroid z");
        Near(c[1].GetDouble(), d.CentroidYUm, 1e-6, "centroid y");
        Near(c[2].GetDouble(), d.CentroidXUm, 1e-6, "centroid x");
        Near(refs.GetProperty("axis_major_length").GetDouble(), d.MajorAxisUm, 1e-6, "major");
        Near(refs.GetProperty("axis_mid_length").GetDouble(), d.MidAxisUm, 1e-6, "mid");
        Near(refs.GetProperty("axis_minor_length").GetDouble(), d.MinorAxisUm, 1e-6, "minor");
    }
}
