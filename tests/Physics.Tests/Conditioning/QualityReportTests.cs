using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using static ShapeStudy.Physics.Tests.Conditioning.ConditioningFixtures;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class QualityReportTests
{
    [Fact]
    public void ARegularTetrahedronHasTheAnalyticFigures()
    {
        double s = 0.5;   // edge length 2√2·s
        var v = new[] { s, s, s, s, -s, -s, -s, s, -s, -s, -s, s };
        var t = new[] { 0, 1, 2, 0, 3, 1, 0, 2, 3, 1, 3, 2 };
        var mesh = new TriangleMesh(v, t);
        var q = SurfaceQuality.Measure(mesh);
        double edge = 2 * Math.Sqrt(2) * s;
        Assert.Equal(4, q.Vertices);
        Assert.Equal(6, q.Edges);
        Assert.Equal(2, q.EulerCharacteristic);
        Assert.Equal(0, q.Genus);
        Assert.True(q.Watertight && q.Manifold && q.ConsistentlyOriented && q.Outward);
        Assert.Equal(60, q.MinAngleDeg, 9);
        Assert.Equal(60, q.MaxAngleDeg, 9);
        Assert.Equal(1, q.MinAspectRatio, 9);
        Assert.Equal(1, q.MaxAspectRatio, 9);
        Assert.Equal(edge, q.MinEdgeUm, 12);
        Assert.Equal(edge, q.MaxEdgeUm, 12);
        Assert.Equal(Math.Pow(edge, 3) / (6 * Math.Sqrt(2)), q.VolumeUm3, 12);
        Assert.Equal(4 * Math.Sqrt(3) / 4 * edge * edge, q.AreaUm2, 12);
        var expected = new int[SurfaceQuality.AngleBins];
        expected[6] = 12;    // all twelve angles are 60°, in [60°, 70°)
        Assert.Equal(expected, q.AngleHistogram);
    }

    [Fact]
    public void ARightIsoscelesTriangleHasAspectRatioOnePlusRootTwo()
    {
        // Closed as a double-sided pillow is not a solid; measure an open single triangle instead (boundary 3, 1 loop).
        var q = SurfaceQuality.Measure(new TriangleMesh(new double[] { 0, 0, 0, 1, 0, 0, 0, 1, 0 }, new[] { 0, 1, 2 }));
        // R = √2/2, r = (2 − √2)/2 → R / 2r = √2 / (2(2 − √2)) = (1 + √2) / 2.
        Assert.Equal((1 + Math.Sqrt(2)) / 2, q.MaxAspectRatio, 12);
        Assert.Equal(45, q.MinAngleDeg, 9);
        Assert.Equal(90, q.MaxAngleDeg, 9);
        Assert.Equal(3, q.BoundaryEdges);
        Assert.Equal(1, q.BoundaryLoops);
        Assert.False(q.Watertight);
        Assert.Equal(0, q.Genus);    // a disc: χ = 1 = 2 − 2g − 1
        Assert.Equal(new[] { 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, q.AngleHistogram);
    }

    [Fact]
    public void GenusAndHistogramTotalsOfATorusAndASphere()
    {
        var torus = SurfaceQuality.Measure(Torus(1, 0.4, 48, 20));
        Assert.Equal(1, torus.Genus);
        Assert.Equal(0, torus.EulerCharacteristic);
        Assert.Equal(3 * torus.Triangles, torus.AngleHistogram.Sum());
        var sphere = TestGeometry.Icosphere(2.0, 4);
        var q = SurfaceQuality.Measure(sphere);
        Assert.Equal(0, q.Genus);
        Assert.Equal(1, q.Components);
        Assert.InRange(q.VolumeUm3 / SphereVolume(2.0), 0.99, 1.0);
        Assert.Equal(sphere.Area(), q.AreaUm2, 12);
        Assert.InRange(q.MinAngleDeg, 50, 60);
        Assert.InRange(q.MaxAngleDeg, 60, 75);
    }

    [Fact]
    public void ColumnsHaveUniqueSnakeCaseNamesAndTheReportValues()
    {
        var q = SurfaceQuality.Measure(TestGeometry.Icosphere(1.0, 2));
        var cols = q.ToColumns();
        Assert.Equal(cols.Count, cols.Select(c => c.Name).Distinct().Count());
        Assert.All(cols, c => Assert.Matches("^[a-z][a-z0-9_]*$", c.Name));
        var byName = cols.ToDictionary(c => c.Name, c => c.Value);
        Assert.Equal(q.VolumeUm3, byName["volume_um3"]);
        Assert.Equal(q.MinAngleDeg, byName["min_angle_deg"]);
        Assert.Equal(q.Watertight, byName["watertight"]);
        Assert.Equal(q.AngleHistogram[5], byName["angle_hist_05"]);
        Assert.Equal(SurfaceQuality.AngleBins, cols.Count(c => c.Name.StartsWith("angle_hist_", StringComparison.Ordinal)));
    }
}
