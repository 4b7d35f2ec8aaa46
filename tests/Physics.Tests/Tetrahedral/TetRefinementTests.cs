using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Tetrahedral;

public class TetRefinementTests(ITestOutputHelper output)
{
    private static double MarkedArea(TetMesh mesh, int marker)
    {
        double area = 0;
        var p = mesh.Vertices;
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            if (mesh.FaceMarkers[f] != marker) continue;
            int a = 3 * mesh.BoundaryFaces[3 * f], b = 3 * mesh.BoundaryFaces[3 * f + 1], c = 3 * mesh.BoundaryFaces[3 * f + 2];
            double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            double cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
            area += 0.5 * Math.Sqrt(cx * cx + cy * cy + cz * cz);
        }
        return area;
    }

    private static double RegionVolume(TetMesh mesh, int region)
    {
        double v = 0;
        for (int t = 0; t < mesh.TetCount; t++)
            if (mesh.TetRegions[t] == region) v += mesh.TetVolume(t);
        return v;
    }

    [Fact]
    public void UniformRedRefinementIsConformingVolumeExactAndCarriesMarkers()
    {
        var coarse = TetTestMeshes.KuhnBox(3, 0.5);
        var q0 = TetMeshQuality.Measure(coarse);
        Assert.True(q0.IsValid);
        var mesh = coarse;
        for (int level = 0; level < 2; level++)
        {
            var r = TetRefinement.UniformWithMap(mesh);
            Assert.Equal(8 * mesh.TetCount, r.Mesh.TetCount);
            Assert.Equal(4 * mesh.BoundaryFaceCount, r.Mesh.BoundaryFaceCount);
            mesh = r.Mesh;
            var q = TetMeshQuality.Measure(mesh);
            Assert.True(q.IsValid, q.ToString());
            Assert.Equal(1.5 * 1.5 * 1.5, q.VolumeUm3, 12);
            Assert.True(q.MinDihedralDeg > 0.5 * q0.MinDihedralDeg, $"min dihedral {q.MinDihedralDeg}");
        }
        Assert.Equal(1.5 * 1.5, MarkedArea(mesh, BoundaryRegion.Psd), 12);
        Assert.Equal(5 * 1.5 * 1.5, MarkedArea(mesh, BoundaryRegion.Membrane), 12);
        Assert.Equal(RegionVolume(coarse, 1), RegionVolume(mesh, 1), 12);
    }

    [Fact]
    public void RepeatedLocalBisectionStaysConformingExactAndShapeBounded()
    {
        var mesh = TetTestMeshes.KuhnBox(3, 0.5);
        double psd = MarkedArea(mesh, BoundaryRegion.Psd), region1 = RegionVolume(mesh, 1);
        double initialMin = TetMeshQuality.Measure(mesh).MinDihedralDeg;
        int previous = mesh.TetCount;
        for (int round = 0; round < 5; round++)
        {
            // mark the tetrahedra around the boundary vertex (0, 0, 0.5) on the PSD face: refinement towards a point
            var marked = new List<int>();
            for (int t = 0; t < mesh.TetCount; t++)
                for (int i = 0; i < 4; i++)
                {
                    int v = 3 * mesh.Tetrahedra[4 * t + i];
                    if (mesh.Vertices[v] == 0 && mesh.Vertices[v + 1] == 0 && mesh.Vertices[v + 2] == 0.5) marked.Add(t);
                }
            Assert.NotEmpty(marked);
            var r = TetRefinement.RefineWithMap(mesh, marked.ToArray());
            mesh = r.Mesh;
            Assert.True(mesh.TetCount >= previous + marked.Count);
            previous = mesh.TetCount;
            var q = TetMeshQuality.Measure(mesh);
            Assert.True(q.IsValid, q.ToString());
            Assert.Equal(1.5 * 1.5 * 1.5, q.VolumeUm3, 12);
            Assert.True(q.MinDihedralDeg >= 0.5 * initialMin, $"round {round}: min dihedral {q.MinDihedralDeg}");
            Assert.Equal(psd, MarkedArea(mesh, BoundaryRegion.Psd), 12);
            Assert.Equal(region1, RegionVolume(mesh, 1), 12);
        }
    }

    [Fact]
    public void ProlongationReproducesLinearFieldsExactly()
    {
        var coarse = TetTestMeshes.KuhnBox(2, 1.0);
        double F(double x, double y, double z) => 2 * x - 3 * y + 0.5 * z + 1;
        var values = new double[coarse.VertexCount];
        for (int v = 0; v < values.Length; v++)
            values[v] = F(coarse.Vertices[3 * v], coarse.Vertices[3 * v + 1], coarse.Vertices[3 * v + 2]);
        foreach (var r in new[] { TetRefinement.UniformWithMap(coarse), TetRefinement.RefineWithMap(coarse, new[] { 0, 5, 17 }, 3) })
        {
            var fine = r.Prolong(values);
            for (int v = 0; v < fine.Length; v++)
                Assert.Equal(F(r.Mesh.Vertices[3 * v], r.Mesh.Vertices[3 * v + 1], r.Mesh.Vertices[3 * v + 2]), fine[v], 12);
            for (int t = 0; t < r.Mesh.TetCount; t++)
                Assert.InRange(r.ParentTet[t], 0, coarse.TetCount - 1);
        }
    }

    [Fact]
    public void LocalRefinementAtThePsdOfTheStuffedRealSpineKeepsConformityVolumeMarkersAndAngles()
    {
        var (surface, markers, _) = IsosurfaceStuffingTests.RealSpine();
        var mesh = IsosurfaceStuffing.Mesh(surface, markers, new StuffingOptions { LatticeSpacingUm = 0.1 });
        var q0 = TetMeshQuality.Measure(mesh);
        double volume = q0.VolumeUm3, psd = MarkedArea(mesh, BoundaryRegion.Psd), membrane = MarkedArea(mesh, BoundaryRegion.Membrane);
        output.WriteLine($"round 0: {mesh.TetCount} tets, dihedral [{q0.MinDihedralDeg:F2}, {q0.MaxDihedralDeg:F2}]°");
        for (int round = 1; round <= 5; round++)
        {
            // mark every tetrahedron with a vertex on a PSD face (the influx patch, where an estimator would refine)
            var onPsd = new bool[mesh.VertexCount];
            for (int f = 0; f < mesh.BoundaryFaceCount; f++)
                if (mesh.FaceMarkers[f] == BoundaryRegion.Psd)
                    for (int k = 0; k < 3; k++) onPsd[mesh.BoundaryFaces[3 * f + k]] = true;
            var marked = new List<int>();
            for (int t = 0; t < mesh.TetCount; t++)
                for (int i = 0; i < 4; i++)
                    if (onPsd[mesh.Tetrahedra[4 * t + i]]) { marked.Add(t); break; }
            int before = mesh.TetCount;
            mesh = TetRefinement.Refine(mesh, marked.ToArray());
            var q = TetMeshQuality.Measure(mesh);
            output.WriteLine($"round {round}: {marked.Count} marked, {before} → {mesh.TetCount} tets, dihedral [{q.MinDihedralDeg:F2}, {q.MaxDihedralDeg:F2}]°, radius ratio min {q.MinRadiusRatio:F3}");
            Assert.True(q.IsValid, q.ToString());
            Assert.Equal(volume, q.VolumeUm3, 1e-12 * volume);
            Assert.Equal(psd, MarkedArea(mesh, BoundaryRegion.Psd), 1e-12 * psd);
            Assert.Equal(membrane, MarkedArea(mesh, BoundaryRegion.Membrane), 1e-12 * membrane);
            Assert.True(q.MinDihedralDeg >= 4.0, $"round {round}: min dihedral {q.MinDihedralDeg}");
            Assert.True(q.MaxDihedralDeg <= 172.0, $"round {round}: max dihedral {q.MaxDihedralDeg}");
        }
    }
}
