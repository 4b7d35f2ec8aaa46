using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using static ShapeStudy.Physics.Tests.Conditioning.ConditioningFixtures;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class RepairTests
{
    private static readonly TriangleMesh Sphere = TestGeometry.Icosphere(1.0, 3);

    [Fact]
    public void AnOpenSphereIsClosedAndTheHolesAreStated()
    {
        // Remove the fan around vertex 0 (one hole of 5 edges) and two separate single triangles (holes of 3 edges).
        var fan = new HashSet<int>();
        for (int i = 0; i < Sphere.TriangleCount; i++)
            if (Sphere.Triangles.Skip(3 * i).Take(3).Contains(0)) fan.Add(i);
        var remove = new HashSet<int>(fan) { 400, 900 };
        var open = WithoutTriangles(Sphere, remove);
        var input = SurfaceQuality.Measure(open);
        Assert.False(input.Watertight);
        Assert.Equal(3, input.BoundaryLoops);
        var r = SurfaceConditioning.Condition(open);
        Assert.Contains(r.Repairs, s => s.StartsWith("closed 3 holes", StringComparison.Ordinal));
        AssertClean(r.Quality);
        Assert.Equal(0, r.Quality.Genus);
        Assert.InRange(Math.Abs(r.Quality.VolumeUm3 / Sphere.SignedVolume() - 1), 0, 0.01);
    }

    [Fact]
    public void AnInsideOutSphereAndAPartlyFlippedSphereComeOutOutward()
    {
        var inverted = WithFlipped(Sphere, _ => true);
        var q = SurfaceQuality.Measure(inverted);
        Assert.True(q.ConsistentlyOriented);
        Assert.False(q.Outward);
        var r = MeshRepair.Repair(inverted);
        Assert.Contains(r.Repairs, s => s.Contains("inside-out", StringComparison.Ordinal));
        Assert.True(SurfaceQuality.Measure(r.Mesh).Outward);
        Assert.Equal(Sphere.SignedVolume(), r.Mesh.SignedVolume(), 12);

        var mixed = WithFlipped(Sphere, i => i % 7 == 3);
        Assert.False(SurfaceQuality.Measure(mixed).ConsistentlyOriented);
        var rm = MeshRepair.Repair(mixed);
        Assert.Contains(rm.Repairs, s => s.StartsWith("re-oriented", StringComparison.Ordinal));
        AssertClean(SurfaceQuality.Measure(rm.Mesh));
        Assert.Equal(Sphere.SignedVolume(), rm.Mesh.SignedVolume(), 12);
    }

    [Fact]
    public void ATriangleSoupWithDuplicatedVerticesIsWelded()
    {
        var soup = Soup(Sphere);
        Assert.Equal(3 * Sphere.TriangleCount, soup.VertexCount);
        var r = MeshRepair.Repair(soup);
        Assert.Contains(r.Repairs, s => s.StartsWith($"merged {soup.VertexCount - Sphere.VertexCount} duplicate vertices", StringComparison.Ordinal));
        Assert.Equal(Sphere.VertexCount, r.Mesh.VertexCount);
        Assert.Equal(Sphere.TriangleCount, r.Mesh.TriangleCount);
        AssertClean(SurfaceQuality.Measure(r.Mesh));
    }

    [Fact]
    public void DuplicatedAndDegenerateTrianglesAreRemoved()
    {
        var t = Sphere.Triangles.Concat(Sphere.Triangles.Take(3)).Concat(new[] { 5, 5, 6 }).ToArray();
        var r = MeshRepair.Repair(new TriangleMesh(Sphere.Vertices, t));
        Assert.Contains("removed 1 duplicated triangles", r.Repairs);
        Assert.Contains("removed 1 triangles with a repeated corner (zero area)", r.Repairs);
        Assert.Equal(Sphere.TriangleCount, r.Mesh.TriangleCount);
    }

    [Fact]
    public void CoincidentVerticesOfAClosedSheetAreCollapsedNotWelded()
    {
        // Split one edge of the sphere by a vertex placed exactly on an end point: the two new triangles have zero area.
        var v = Sphere.Vertices.Concat(Sphere.Vertices.Take(3)).ToArray();   // vertex n duplicates vertex 0
        int n = Sphere.VertexCount;
        var t = (int[])Sphere.Triangles.Clone();
        int f = Array.FindIndex(Enumerable.Range(0, Sphere.TriangleCount).ToArray(), i => t[3 * i] == 0);
        int a = t[3 * f], b = t[3 * f + 1], c = t[3 * f + 2];
        // Insert n on edge (c, a) at a's position: f = (a, b, c) becomes (a, b, n) + (n, b, c), and the neighbour g across
        // that edge is split the same way, so the mesh stays closed with two zero-area triangles.
        int g = Enumerable.Range(0, Sphere.TriangleCount).First(i => i != f && t.Skip(3 * i).Take(3).Contains(a) && t.Skip(3 * i).Take(3).Contains(c));
        var list = new List<int>();
        for (int i = 0; i < Sphere.TriangleCount; i++)
        {
            if (i == f) { list.AddRange(new[] { a, b, n, n, b, c }); continue; }
            if (i == g)
            {
                // g traverses a → c; d is its third corner.
                var tri = t.Skip(3 * i).Take(3).ToArray();
                int d = tri.Single(x => x != a && x != c);
                list.AddRange(new[] { a, n, d, n, c, d });
                continue;
            }
            list.AddRange(t.Skip(3 * i).Take(3));
        }
        var mesh = new TriangleMesh(v, list.ToArray());
        Assert.True(mesh.IsWatertight());
        Assert.True(SurfaceQuality.Measure(mesh).DegenerateTriangles >= 2);
        var r = MeshRepair.Repair(mesh);
        Assert.Contains(r.Repairs, s => s.StartsWith("collapsed 1 zero-length edges", StringComparison.Ordinal));
        var q = SurfaceQuality.Measure(r.Mesh);
        AssertClean(q);
        Assert.Equal(0, q.DegenerateTriangles);
        Assert.Equal(Sphere.TriangleCount, q.Triangles);
    }

    [Fact]
    public void TwoSpheresSharingOneVertexAreSplitIntoTwoManifolds()
    {
        // Translate a second sphere so that its vertex 0 lands on the first sphere's vertex 0's antipode, then weld them.
        var s1 = Sphere;
        double x0 = s1.Vertices[0], y0 = s1.Vertices[1], z0 = s1.Vertices[2];
        var s2 = s1.Transformed((x, y, z) => (x + 2 * x0, y + 2 * y0, z + 2 * z0)); // s2's antipode of vertex 0 meets s1's vertex 0
        // The point of s2 at s1's vertex 0 is the antipode of s2's vertex 0: find it.
        int anti = Enumerable.Range(0, s2.VertexCount).MinBy(i =>
            Math.Abs(s2.Vertices[3 * i] - x0) + Math.Abs(s2.Vertices[3 * i + 1] - y0) + Math.Abs(s2.Vertices[3 * i + 2] - z0));
        Assert.InRange(Math.Abs(s2.Vertices[3 * anti] - x0), 0, 1e-12);
        var merged = Merge(s1, s2);
        var t = merged.Triangles.Select(i => i == s1.VertexCount + anti ? 0 : i).ToArray();
        var bowtie = new TriangleMesh(merged.Vertices, t);
        var q0 = SurfaceQuality.Measure(bowtie);
        Assert.Equal(1, q0.NonManifoldVertices);
        Assert.False(q0.Manifold);
        Assert.Equal(-1, q0.Genus);
        var r = MeshRepair.Repair(bowtie);
        Assert.Contains(r.Repairs, s => s.StartsWith("split 1 non-manifold vertices", StringComparison.Ordinal));
        var q = SurfaceQuality.Measure(r.Mesh);
        AssertClean(q);
        Assert.Equal(2, q.Components);
        Assert.Equal(2 * s1.SignedVolume(), q.VolumeUm3, 10);
    }

    [Fact]
    public void AFinOnANonManifoldEdgeIsCutOffAndDropped()
    {
        // A third triangle hanging off an edge of the sphere: the edge is used three times.
        int a = Sphere.Triangles[0], b = Sphere.Triangles[1];
        var v = Sphere.Vertices.Concat(new[] { 3.0, 3.0, 3.0 }).ToArray();
        var t = Sphere.Triangles.Concat(new[] { a, b, Sphere.VertexCount }).ToArray();
        var fin = new TriangleMesh(v, t);
        Assert.Equal(1, SurfaceQuality.Measure(fin).NonManifoldEdges);
        var r = MeshRepair.Repair(fin);
        Assert.Contains(r.Repairs, s => s.StartsWith("split 1 non-manifold edges", StringComparison.Ordinal));
        Assert.Contains("removed 1 components enclosing no volume", r.Repairs);
        var q = SurfaceQuality.Measure(r.Mesh);
        AssertClean(q);
        Assert.Equal(Sphere.TriangleCount, q.Triangles);
    }

    [Fact]
    public void DegenerateInputGivesAClearErrorNotACrash()
    {
        var empty = new TriangleMesh(Array.Empty<double>(), Array.Empty<int>());
        Assert.Contains("no triangles", Assert.Throws<MeshConditioningException>(() => SurfaceConditioning.Condition(empty)).Message);
        // An open hemisphere-like patch: the big boundary loop is not a hole to close.
        var cap = new HashSet<int>();
        for (int i = 0; i < Sphere.TriangleCount; i++)
        {
            double z = 0;
            for (int k = 0; k < 3; k++) z += Sphere.Vertices[3 * Sphere.Triangles[3 * i + k] + 2];
            if (z < 0) cap.Add(i);
        }
        var patch = WithoutTriangles(Sphere, cap);
        var ex = Assert.Throws<MeshConditioningException>(() => SurfaceConditioning.Condition(patch, new ConditioningOptions(MaxHoleEdges: 32)));
        Assert.Contains("open mesh", ex.Message);
        Assert.Contains("max_hole_edges = 32", ex.Message);
        var nan = new TriangleMesh(new[] { 0, 0, 0, 1, 0, 0, double.NaN, 1, 0 }, new[] { 0, 1, 2 });
        Assert.Contains("non-finite", Assert.Throws<MeshConditioningException>(() => MeshRepair.Repair(nan)).Message);
        var flat = new TriangleMesh(new double[] { 0, 0, 0, 1, 0, 0, 0, 1, 0 }, new[] { 0, 1, 2 });
        Assert.Contains("no component encloses a volume", Assert.Throws<MeshConditioningException>(() => MeshRepair.Repair(flat)).Message);
    }

    [Fact]
    public void AHalfMillionTriangleMarchingCubesSurfaceWithDefectsIsRepaired()
    {
        // A gyroid clipped to a ball (closed, genus in the hundreds), 140³ samples: ≈ 0.5 M triangles, the size at which
        // repair used to stall (edge keys hashed by their default long hash collided for neighbouring vertex ids).
        const int n = 140;
        var field = new Volume<float>(n, n, n, Spacing.Isotropic(0.1));
        double s = 2 * Math.PI / 23.7, c = (n - 1) / 2.0, radius = 0.45 * n;
        for (int z = 0; z < n; z++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    double gyroid = Math.Sin((x + 0.37) * s) * Math.Cos((y + 0.21) * s) + Math.Sin((y + 0.21) * s) * Math.Cos((z + 0.13) * s)
                        + Math.Sin((z + 0.13) * s) * Math.Cos((x + 0.37) * s) + 0.3;
                    double ball = (radius - Math.Sqrt((x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c))) / radius;
                    field[z, y, x] = (float)Math.Min(gyroid, ball);
                }
        var surface = IsoSurface.Extract(field, 0.0);
        Assert.True(surface.TriangleCount > 450_000, $"{surface.TriangleCount} triangles");
        Assert.True(surface.IsWatertight());
        // Defects: every 5th triangle flipped, 200 scattered triangles removed (holes of 3 edges), the mesh inside out.
        var removed = new HashSet<int>(Enumerable.Range(0, 200).Select(i => 1000 + i * (surface.TriangleCount / 250)));
        var defective = WithFlipped(WithoutTriangles(WithFlipped(surface, i => i % 5 == 0), removed), _ => true);
        var r = MeshRepair.Repair(defective);
        Assert.Contains(r.Repairs, x => x.StartsWith("re-oriented", StringComparison.Ordinal));
        Assert.Contains(r.Repairs, x => x.StartsWith("closed 200 holes (largest 3 boundary edges)", StringComparison.Ordinal));
        Assert.True(r.Mesh.IsWatertight());
        // the only other changes: marching cubes' zero-length edges collapsed, droplets enclosing no volume removed
        Assert.InRange(surface.TriangleCount - r.Mesh.TriangleCount, 0, surface.TriangleCount / 1000);
        Assert.Equal(surface.SignedVolume(), r.Mesh.SignedVolume(), 1e-6 * surface.SignedVolume());
        // Euler characteristic kept, except for the tiny droplets (a few samples barely above the iso value) whose enclosed
        // volume is below repair's zero-volume threshold: each removed sphere-like component takes away χ = 2.
        var dropped = r.Repairs.Select(x => System.Text.RegularExpressions.Regex.Match(x, @"^removed (\d+) components enclosing no volume"))
            .Where(m => m.Success).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(surface.EulerCharacteristic() - 2 * dropped, r.Mesh.EulerCharacteristic());
    }

    private static void AssertClean(MeshQualityReport q)
    {
        Assert.True(q.Watertight, "watertight");
        Assert.True(q.Manifold, "manifold");
        Assert.True(q.Outward, "outward");
        Assert.Equal(0, q.SelfIntersections);
    }
}
