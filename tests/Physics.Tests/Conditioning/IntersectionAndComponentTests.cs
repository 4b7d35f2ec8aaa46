using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using static ShapeStudy.Physics.Tests.Conditioning.ConditioningFixtures;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class IntersectionAndComponentTests
{
    [Fact]
    public void TwoOverlappingSpheresInOneMeshIntersectAndACleanSphereDoesNot()
    {
        var a = TestGeometry.Icosphere(1.0, 3);
        var b = TestGeometry.Icosphere(1.0, 3, (1.2, 0.1, 0.05));
        var overlapping = Merge(a, b);
        var pairs = SelfIntersection.FindPairs(overlapping);
        Assert.NotEmpty(pairs);
        // Every reported pair has one triangle from each sphere, and their boxes lie in the lens where the spheres meet.
        foreach (var (i, j) in pairs)
        {
            Assert.True(i < a.TriangleCount && j >= a.TriangleCount, $"pair ({i}, {j}) is not one triangle from each sphere");
        }
        Assert.Equal(pairs.Count, SelfIntersection.Count(overlapping));
        Assert.Equal(0, SelfIntersection.Count(a));
        Assert.Equal(0, SelfIntersection.Count(Merge(a, TestGeometry.Icosphere(1.0, 3, (2.5, 0, 0)))));
        Assert.Equal(0, SelfIntersection.Count(Torus(1, 0.3, 60, 24)));
        Assert.True(SurfaceQuality.Measure(overlapping).SelfIntersections > 0);
    }

    [Fact]
    public void TheIntersectionCurveOfTwoSpheresIsCrossedByAsManyPairsAsItsLength()
    {
        // Unit spheres with centres 1 µm apart meet on a circle of radius √3/2. The triangles of each sphere cut by that
        // circle number about circumference / edge length, and each meets a bounded number of the other's, so the pair
        // count doubles when the edge length halves (one icosphere level).
        int coarse = SelfIntersection.Count(Merge(TestGeometry.Icosphere(1.0, 3), TestGeometry.Icosphere(1.0, 3, (1.0, 0.013, 0.007))));
        int fine = SelfIntersection.Count(Merge(TestGeometry.Icosphere(1.0, 4), TestGeometry.Icosphere(1.0, 4, (1.0, 0.013, 0.007))));
        Assert.InRange((double)fine / coarse, 1.6, 2.5);
    }

    [Fact]
    public void ResolveSmoothsAPokedVertexBackOut()
    {
        var sphere = TestGeometry.Icosphere(1.0, 3);
        // Push vertex 0 through the sphere so its fan pierces the opposite side.
        var v = (double[])sphere.Vertices.Clone();
        v[0] *= -1.15; v[1] *= -1.15; v[2] *= -1.15;
        var poked = new TriangleMesh(v, sphere.Triangles);
        int before = SelfIntersection.Count(poked);
        Assert.True(before > 0);
        var (fixedMesh, remaining) = SelfIntersection.Resolve(poked);
        Assert.Equal(0, remaining);
        Assert.Equal(0, SelfIntersection.Count(fixedMesh));
        Assert.True(fixedMesh.IsWatertight());
    }

    [Fact]
    public void SplitReturnsEachComponentAsAClosedMesh()
    {
        var s1 = TestGeometry.Icosphere(1.0, 2);
        var s2 = TestGeometry.Icosphere(0.5, 2, (4, 0, 0));
        var torus = Torus(1.0, 0.3, 40, 16).Transformed((x, y, z) => (x, y + 5, z));
        var all = Merge(Merge(s1, torus), s2);
        Assert.Equal(3, MeshComponents.Count(all));
        var parts = MeshComponents.Split(all);
        Assert.Equal(3, parts.Count);
        Assert.Equal(new[] { s1.TriangleCount, torus.TriangleCount, s2.TriangleCount }, parts.Select(p => p.TriangleCount));
        Assert.All(parts, p => Assert.True(p.IsWatertight()));
        Assert.Equal(all.VertexCount, parts.Sum(p => p.VertexCount));
        Assert.Equal(all.SignedVolume(), parts.Sum(p => p.SignedVolume()), 10);
        var q = SurfaceQuality.Measure(all);
        Assert.Equal(3, q.Components);
        Assert.Equal(1, q.Genus);                    // two spheres (g = 0) and one torus (g = 1)
        Assert.Equal(2 + 0 + 2, q.EulerCharacteristic);
    }
}
