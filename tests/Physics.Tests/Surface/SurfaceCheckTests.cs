using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class SurfaceCheckTests
{
    [Fact]
    public void AgreesWithCoreTopologyOnClosedOpenFlippedAndNonManifoldMeshes()
    {
        var sphere = TestGeometry.Icosphere(1, 2);
        var t = sphere.Triangles;
        var open = new TriangleMesh(sphere.Vertices, t[3..]);
        var flipped = (int[])t.Clone();
        (flipped[1], flipped[2]) = (flipped[2], flipped[1]);
        var doubled = new TriangleMesh(sphere.Vertices, [.. t, t[0], t[1], t[2]]);
        var two = new TriangleMesh([.. sphere.Vertices, .. TestGeometry.Icosphere(1, 1, (5, 0, 0)).Vertices],
            [.. t, .. TestGeometry.Icosphere(1, 1).Triangles.Select(i => i + sphere.VertexCount)]);
        foreach (var m in new[] { sphere, open, new TriangleMesh(sphere.Vertices, flipped), doubled, two })
        {
            var r = SurfaceCheck.Of(m);
            var (boundary, nonManifold, misoriented, edges) = m.EdgeTopology();
            Assert.Equal(boundary, r.BoundaryEdges);
            Assert.Equal(nonManifold, r.NonManifoldEdges);
            Assert.Equal(misoriented, r.MisorientedEdges);
            Assert.Equal(edges, r.Edges);
            Assert.Equal(m.EulerCharacteristic(), r.EulerCharacteristic);
            Assert.Equal(m.IsWatertight(), r.IsWatertight);
        }
        Assert.Equal(1, SurfaceCheck.Of(sphere).Components);
        Assert.Equal(2, SurfaceCheck.Of(two).Components);
        Assert.Equal(4, SurfaceCheck.Of(two).EulerCharacteristic);
    }
}
