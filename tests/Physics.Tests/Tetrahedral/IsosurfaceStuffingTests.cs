using System.Diagnostics;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Tetrahedral;

public class IsosurfaceStuffingTests(ITestOutputHelper output)
{
    private static void AssertGuaranteedQuality(TetQualityReport q, string name)
    {
        Assert.True(q.IsValid, $"{name}: {q}");
        Assert.True(q.MinDihedralDeg >= IsosurfaceStuffing.GuaranteedMinDihedralDeg, $"{name}: min dihedral {q.MinDihedralDeg}");
        Assert.True(q.MaxDihedralDeg <= IsosurfaceStuffing.GuaranteedMaxDihedralDeg, $"{name}: max dihedral {q.MaxDihedralDeg}");
    }

    private TetQualityReport Run(string name, TriangleMesh surface, int[]? markers, StuffingOptions options, out TetMesh mesh)
    {
        var sw = Stopwatch.StartNew();
        mesh = IsosurfaceStuffing.Mesh(surface, markers, options);
        double ms = sw.Elapsed.TotalMilliseconds;
        var q = TetMeshQuality.Measure(mesh);
        double v0 = surface.SignedVolume();
        output.WriteLine($"{name}: h={options.LatticeSpacingUm} µm, {q.VertexCount} vertices, {q.TetCount} tets, {q.BoundaryFaceCount} faces, " +
                         $"dihedral [{q.MinDihedralDeg:F2}, {q.MaxDihedralDeg:F2}]°, radius ratio min {q.MinRadiusRatio:F3} mean {q.MeanRadiusRatio:F3}, " +
                         $"volume {q.VolumeUm3:F5} vs {v0:F5} µm³ ({100 * (q.VolumeUm3 / v0 - 1):F3} %), {ms:F0} ms");
        return q;
    }

    [Fact]
    public void SphereMeetsTheDihedralBoundsAndVolume()
    {
        var surface = TestGeometry.Icosphere(1.0, 5);
        var q = Run("sphere", surface, null, new StuffingOptions { LatticeSpacingUm = 0.12 }, out var mesh);
        AssertGuaranteedQuality(q, "sphere");
        Assert.InRange(q.VolumeUm3 / surface.SignedVolume(), 0.99, 1.01);
        Assert.All(mesh.FaceMarkers, m => Assert.Equal(BoundaryRegion.Membrane, m));
        // every boundary vertex lies on the input surface (radius 1 up to the icosphere's chord error)
        foreach (int v in mesh.BoundaryFaces)
        {
            double r = Math.Sqrt(mesh.Vertices[3 * v] * mesh.Vertices[3 * v] + mesh.Vertices[3 * v + 1] * mesh.Vertices[3 * v + 1] + mesh.Vertices[3 * v + 2] * mesh.Vertices[3 * v + 2]);
            Assert.InRange(r, 0.998, 1.0 + 1e-9);
        }
    }

    [Fact]
    public void EllipsoidMeetsTheDihedralBoundsAndVolume()
    {
        var surface = TestGeometry.Icosphere(1.0, 5).Transformed((x, y, z) => (1.2 * x + 0.05, 0.7 * y - 0.02, 0.45 * z + 0.01));
        var q = Run("ellipsoid", surface, null, new StuffingOptions { LatticeSpacingUm = 0.07 }, out _);
        AssertGuaranteedQuality(q, "ellipsoid");
        Assert.InRange(q.VolumeUm3 / surface.SignedVolume(), 0.99, 1.01);
    }
}
