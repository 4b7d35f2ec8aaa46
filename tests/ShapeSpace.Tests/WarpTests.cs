using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace.Tests;

public class WarpTests
{
    private static void Near(double expected, double actual, double relTol, string what) =>
        Assert.True(Math.Abs(actual - expected) <= relTol * Math.Abs(expected), $"{what}: expected {expected}, got {actual} (rel tol {relTol})");

    [Fact]
    public void WarpMesh_ScalesVolumeExactly_AndAxesByTheirFactors()
    {
        var mesh = TestShapes.EllipsoidMesh(3, 2, 1.2, levels: 4, TestShapes.Rotation(0.4, 0.9, -0.2), (1, 2, 3));
        var d = Descriptors.FromMesh(mesh);
        var warped = ShapeWarp.WarpMesh(mesh, d, 1.3, 0.7, 1.5);
        var w = Descriptors.FromMesh(warped);
        Near(d.VolumeUm3 * 1.3 * 0.7 * 1.5, w.VolumeUm3, 1e-10, "volume");
        Near(d.MajorAxisUm * 1.3, w.MajorAxisUm, 1e-9, "major");
        // 2·0.7 = 1.4 and 1.2·1.5 = 1.8: the mid and minor roles swap after the warp.
        Near(d.MinorAxisUm * 1.5, w.MidAxisUm, 1e-9, "old minor → new mid");
        Near(d.MidAxisUm * 0.7, w.MinorAxisUm, 1e-9, "old mid → new minor");
        Near(d.CentroidXUm, w.CentroidXUm, 1e-9, "centroid x");
        Assert.True(warped.IsWatertight());
    }

    [Fact]
    public void WarpMask_ScalesVolumeAndAxes()
    {
        var spacing = new Spacing(0.12, 0.1, 0.1);
        var rot = TestShapes.Rotation(0.6, -0.3, 0.8);
        // Major semi-axis 20 voxels (2.0 µm).
        var mask = TestShapes.EllipsoidMask(40, 48, 48, spacing, (2.4, 2.4, 2.4), (2.0, 1.4, 1.0), rot);
        var d = Descriptors.FromMask(mask, null);
        var (sMaj, sMid, sMin) = (1.25, 0.8, 1.1);
        var warped = ShapeWarp.WarpMask(mask, d, sMaj, sMid, sMin);
        Assert.Equal(spacing, warped.Spacing);
        var w = Descriptors.FromMask(warped, null);
        Near(d.VolumeUm3 * sMaj * sMid * sMin, w.VolumeUm3, 0.03, "volume");
        Near(d.MajorAxisUm * sMaj, w.MajorAxisUm, 0.02, "major");
        Near(d.MidAxisUm * sMid, w.MidAxisUm, 0.02, "mid");
        Near(d.MinorAxisUm * sMin, w.MinorAxisUm, 0.02, "minor");
        Near(d.CentroidXUm, w.CentroidXUm, 0.01, "centroid x");
        Near(d.CentroidZUm, w.CentroidZUm, 0.01, "centroid z");
        // One voxel of background padding on every face.
        for (int y = 0; y < warped.NY; y++)
            for (int x = 0; x < warped.NX; x++)
                Assert.Equal(0, warped[0, y, x] + warped[warped.NZ - 1, y, x]);
        for (int z = 0; z < warped.NZ; z++)
            for (int y = 0; y < warped.NY; y++)
                Assert.Equal(0, warped[z, y, 0] + warped[z, y, warped.NX - 1]);
    }

    [Fact]
    public void WarpMask_IdentityScales_ReproducesTheMaskInPhysicalSpace()
    {
        var spacing = new Spacing(0.2, 0.1, 0.1);
        var mask = TestShapes.EllipsoidMask(20, 30, 30, spacing, (1.5, 1.5, 2.0), (1.2, 0.8, 1.5), TestShapes.Rotation(0.1, 0.2, 0.3));
        var d = Descriptors.FromMask(mask, null);
        var same = ShapeWarp.WarpMask(mask, d, 1, 1, 1);
        var e = Descriptors.FromMask(same, null);
        Near(d.VolumeUm3, e.VolumeUm3, 0.005, "volume");
        Near(d.CentroidXUm, e.CentroidXUm, 1e-3, "centroid x");
        Near(d.MajorAxisUm, e.MajorAxisUm, 0.005, "major");
    }

    [Fact]
    public void VariantSampler_AxisScalesFollowTheSampledLogAxes()
    {
        // A population of ellipsoid meshes with varied axes gives the PCA model.
        var rng = new Random(21);
        var shapes = new List<ShapeDescriptors>();
        var sphere = TestShapes.Icosphere(2);
        for (int i = 0; i < 30; i++)
        {
            double a = 2 + rng.NextDouble(), b = 1.2 + 0.5 * rng.NextDouble(), c = 0.6 + 0.4 * rng.NextDouble();
            shapes.Add(Descriptors.FromMesh(sphere.Transformed((x, y, z) => (a * x, b * y, c * z))));
        }
        var rows = DescriptorRow.From(shapes);
        Assert.Equal(DescriptorRow.Length, rows[0].Length);
        Assert.Equal(Math.Log(shapes[0].MajorAxisUm), rows[0][DescriptorRow.LogMajorAxis], 12);
        var model = DescriptorPca.Fit(rows);
        var parent = rows[4];
        var variants = VariantSampler.Sample(model, parent, new Random(2), 200);
        Assert.Equal(200, variants.Count);
        int clamped = 0;
        foreach (var v in variants)
        {
            Assert.Equal(model.ModeCount, v.Scores.Length);
            var back = model.Reconstruct(v.Scores);
            for (int j = 0; j < back.Length; j++) Assert.Equal(back[j], v.Row[j], 12);
            double raw = Math.Exp(v.Row[DescriptorRow.LogMajorAxis] - parent[DescriptorRow.LogMajorAxis]);
            Assert.Equal(Math.Clamp(raw, 0.5, 2.0), v.ScaleMajor, 12);
            Assert.InRange(v.ScaleMid, 0.5, 2.0);
            Assert.InRange(v.ScaleMinor, 0.5, 2.0);
            if (raw != v.ScaleMajor) clamped++;
        }
        // The population spread of major axes (2..3 µm) stays well inside the clamp range.
        Assert.True(clamped < 10, $"{clamped} clamped");
        // Warping the parent by a variant's scales gives that variant's sampled axis lengths.
        var v0 = variants[0];
        var parentMesh = sphere.Transformed((x, y, z) => (shapes[4].MajorAxisUm / 2 * x, shapes[4].MidAxisUm / 2 * y, shapes[4].MinorAxisUm / 2 * z));
        var pd = Descriptors.FromMesh(parentMesh);
        var wd = Descriptors.FromMesh(ShapeWarp.WarpMesh(parentMesh, pd, v0.ScaleMajor, v0.ScaleMid, v0.ScaleMinor));
        Near(pd.MajorAxisUm * v0.ScaleMajor, wd.MajorAxisUm, 1e-6, "warped major");
        Near(Math.Exp(v0.Row[DescriptorRow.LogMajorAxis]) * pd.MajorAxisUm / shapes[4].MajorAxisUm, wd.MajorAxisUm, 1e-6, "sampled major");
    }

    [Fact]
    public void VariantSampler_AroundParentWithZeroSpread_ReturnsTheParentProjection()
    {
        var rng = new Random(8);
        var rows = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, DescriptorRow.Length).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        var model = DescriptorPca.Fit(rows);
        var v = VariantSampler.Sample(model, rows[3], new Random(1), 3, VariantSampling.AroundParent, spread: 0);
        foreach (var variant in v)
        {
            Assert.Equal(1.0, variant.ScaleMajor, 10);
            Assert.Equal(1.0, variant.ScaleMinor, 10);
            for (int j = 0; j < DescriptorRow.Length; j++) Assert.Equal(rows[3][j], variant.Row[j], 10);
        }
    }
}
