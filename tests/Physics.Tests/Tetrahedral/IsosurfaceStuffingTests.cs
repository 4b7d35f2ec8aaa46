using System.Diagnostics;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;
using ShapeStudy.Testing;
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

    internal static (TriangleMesh Surface, int[] Markers, int[] PsdFaces) RealSpine()
    {
        var dir = RepoPaths.Data("rangamani-spine");
        var surface = ObjFormat.Read(Path.Combine(dir, "real_Mushroom_dendrite.obj"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "real_Mushroom_dendrite_regions.json")));
        var psd = doc.RootElement.GetProperty("PSD").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var markers = new int[surface.TriangleCount];
        Array.Fill(markers, BoundaryRegion.Membrane);
        foreach (int f in psd) markers[f] = BoundaryRegion.Psd;
        return (surface, markers, psd);
    }

    internal static double MarkedArea(TetMesh mesh, int marker)
    {
        var faces = new List<int>();
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
            if (mesh.FaceMarkers[f] == marker)
                faces.AddRange(mesh.BoundaryFaces.AsSpan(3 * f, 3).ToArray());
        return new TriangleMesh(mesh.Vertices, faces.ToArray()).Area();
    }

    [Fact]
    public void RealSpineWithPsdMeetsBoundsVolumeAndKeepsThePsdPatch()
    {
        var (surface, markers, psd) = RealSpine();
        const double h = 0.05;
        var q = Run("real mushroom spine", surface, markers, new StuffingOptions { LatticeSpacingUm = h }, out var mesh);
        AssertGuaranteedQuality(q, "real spine");
        Assert.InRange(q.VolumeUm3 / surface.SignedVolume(), 0.99, 1.01);

        // the PSD patch of the input and its marked counterpart on the tetrahedral boundary
        var psdTris = new int[3 * psd.Length];
        for (int i = 0; i < psd.Length; i++)
            for (int k = 0; k < 3; k++) psdTris[3 * i + k] = surface.Triangles[3 * psd[i] + k];
        var psdPatch = new TriangleMesh(surface.Vertices, psdTris);
        double inputArea = psdPatch.Area(), meshArea = MarkedArea(mesh, BoundaryRegion.Psd);
        output.WriteLine($"PSD area: input {inputArea:F4} µm², marked {meshArea:F4} µm² ({100 * (meshArea / inputArea - 1):F2} %)");
        Assert.InRange(meshArea / inputArea, 0.95, 1.05);
        // located on it: every vertex of a PSD-marked face lies on the input PSD patch (up to a lattice spacing at its rim)
        var onPatch = new SurfaceLocator(psdPatch);
        double worst = 0;
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            if (mesh.FaceMarkers[f] != BoundaryRegion.Psd) continue;
            for (int k = 0; k < 3; k++)
            {
                int v = 3 * mesh.BoundaryFaces[3 * f + k];
                worst = Math.Max(worst, onPatch.Closest(mesh.Vertices[v], mesh.Vertices[v + 1], mesh.Vertices[v + 2]).Distance);
            }
        }
        output.WriteLine($"largest distance of a PSD-face vertex from the input PSD patch: {worst:F4} µm");
        Assert.True(worst < h, $"PSD face vertex {worst} µm from the input patch");
        Assert.Equal(surface.Area(), mesh.BoundarySurface().Area(), 0.02 * surface.Area());
    }
}
