using System.Globalization;
using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>The <c>mesh</c> verb on a real spine mesh with its PSD region and on a label volume with a degenerate object.</summary>
public sealed class MeshVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-mesh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliCapture.Run(args);

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => SplitCsv(l).Select((v, i) => (header[i], v)).ToDictionary(p => p.Item1, p => p.v)).ToList();
    }

    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    private static double D(Dictionary<string, string> row, string key) => double.Parse(row[key], CultureInfo.InvariantCulture);

    [Fact]
    public async Task RealSpineWithItsPsdGivesAWatertightSurfaceAndBoundedTetrahedraCarryingThePsd()
    {
        var r = await Cli("mesh", RepoPaths.Data("rangamani-spine", "real_Mushroom_dendrite.obj"), "--out", _dir, "--tetrahedral",
            "--lattice-um", "0.06", "--format", "ply");
        Assert.True(r.Code == 0, r.Out + r.Err);
        var row = Assert.Single(ReadCsv(Path.Combine(_dir, "quality.csv")));
        Assert.Equal("ok", row["status"]);
        Assert.Equal("true", row["watertight"]);
        Assert.Equal("true", row["outward"]);
        Assert.Equal("0", row["self_intersections"]);
        Assert.InRange(D(row, "relative_volume_change"), -0.01, 0.01);
        Assert.True(D(row, "min_dihedral_deg") >= 10.7 && D(row, "max_dihedral_deg") <= 164.8, $"{row["min_dihedral_deg"]}–{row["max_dihedral_deg"]}");
        Assert.InRange(D(row, "tet_volume_um3") / D(row, "volume_um3"), 0.99, 1.01);
        Assert.True(int.Parse(row["psd_faces"], CultureInfo.InvariantCulture) > 0, "the PSD region must reach the tetrahedral boundary");
        var written = Physics.MeshFiles.Read(Path.Combine(_dir, row["tet_file"]));
        Assert.NotNull(written.Tetrahedra);
        Assert.Equal(int.Parse(row["tetrahedra"], CultureInfo.InvariantCulture), written.Tetrahedra!.TetCount);
        Assert.True(File.Exists(Path.Combine(_dir, row["surface_file"])));
    }

    [Fact]
    public async Task EveryObjectOfALabelVolumeIsMeshedWithinTwoPercentOfItsVoxelVolume()
    {
        // Two balls (radii 7 and 5 voxels, > 1,000 and ~500 voxels) and a single-voxel object, 0.1 µm voxels.
        var labels = new Volume<float>(24, 24, 40, Spacing.Isotropic(0.1));
        for (int z = 0; z < 24; z++)
            for (int y = 0; y < 24; y++)
                for (int x = 0; x < 40; x++)
                {
                    if ((z - 12) * (z - 12) + (y - 12) * (y - 12) + (x - 10) * (x - 10) <= 49) labels[z, y, x] = 1;
                    if ((z - 12) * (z - 12) + (y - 12) * (y - 12) + (x - 28) * (x - 28) <= 25) labels[z, y, x] = 2;
                }
        labels[2, 2, 38] = 3;
        string path = Path.Combine(_dir, "labels.npy");
        Imaging.NpyFormat.Write(path, labels);
        var r = await Cli("mesh", path, "--out", Path.Combine(_dir, "out"), "--format", "stl");
        var rows = ReadCsv(Path.Combine(_dir, "out", "quality.csv"));
        Assert.Equal(new[] { "labels_1", "labels_2", "labels_3" }, rows.Select(x => x["object"]));
        foreach (var row in rows.Where(x => x["status"] == "ok"))
        {
            Assert.Equal("true", row["watertight"]);
            Assert.Equal("0", row["self_intersections"]);
        }
        // the single voxel is meshed (a closed octahedron-like surface) or refused with a reason, never dropped silently
        Assert.True(rows[2]["status"] == "ok" || rows[2]["error"].Length > 0, string.Join(",", rows[2].Values));
        var big = rows[0];
        Assert.Equal("ok", big["status"]);
        Assert.InRange(D(big, "volume_um3") / D(big, "voxel_volume_um3"), 0.98, 1.02);
        Assert.Equal(rows.All(x => x["status"] == "ok") ? 0 : 1, r.Code);
    }

    /// <summary>Unit sphere (radius 1 µm) as an icosphere, outward.</summary>
    private static TriangleMesh Sphere() => ShapeSpace.Icosphere.Create(3);

    private static TriangleMesh Without(TriangleMesh m, Func<int, bool> drop)
    {
        var t = new List<int>();
        for (int i = 0; i < m.TriangleCount; i++)
            if (!drop(i)) t.AddRange(m.Triangles.AsSpan(3 * i, 3).ToArray());
        return new TriangleMesh(m.Vertices, t.ToArray());
    }

    private static double ZOf(TriangleMesh m, int tri) =>
        (m.Vertices[3 * m.Triangles[3 * tri] + 2] + m.Vertices[3 * m.Triangles[3 * tri + 1] + 2] + m.Vertices[3 * m.Triangles[3 * tri + 2] + 2]) / 3;

    [Fact]
    public async Task DegenerateInputsGiveARepairedMeshOrAClearErrorInTheQualityReport()
    {
        var sphere = Sphere();
        // open: one triangle missing (a hole of 3 edges); hemisphere: the lower half missing (its rim is closed by a fan);
        // non-manifold: a fin on an edge
        var open = Without(sphere, i => i == 10);
        var patch = Without(sphere, i => ZOf(sphere, i) < 0);
        var fin = new TriangleMesh(sphere.Vertices.Concat(new[] { 3.0, 3.0, 3.0 }).ToArray(),
            sphere.Triangles.Concat(new[] { sphere.Triangles[0], sphere.Triangles[1], sphere.VertexCount }).ToArray());
        // a flat 10 × 10 grid: an open sheet that encloses nothing even once its boundary is closed
        var grid = new List<double>();
        var cells = new List<int>();
        for (int j = 0; j <= 10; j++)
            for (int i = 0; i <= 10; i++) grid.AddRange(new[] { 0.1 * i, 0.1 * j, 0.0 });
        for (int j = 0; j < 10; j++)
            for (int i = 0; i < 10; i++)
            {
                int a = 11 * j + i;
                cells.AddRange(new[] { a, a + 1, a + 12, a, a + 12, a + 11 });
            }
        var sheet = new TriangleMesh(grid.ToArray(), cells.ToArray());
        double v = sphere.SignedVolume();
        var cases = new (string Name, TriangleMesh Mesh, string? Repair, string? Error, double Lo, double Hi)[]
        {
            ("open", open, "closed 1 holes (largest 3 boundary edges)", null, 0.98 * v, 1.02 * v),
            ("hemisphere", patch, "closed 1 holes", null, 0.4 * v, 0.6 * v),
            ("fin", fin, "split 1 non-manifold edges", null, 0.98 * v, 1.02 * v),
            ("sheet", sheet, null, "no component encloses a volume", 0, 0),
        };
        foreach (var (name, mesh, repair, error, lo, hi) in cases)
        {
            string file = Path.Combine(_dir, name + ".obj");
            Physics.ObjFormat.Write(file, mesh);
            string outDir = Path.Combine(_dir, "out-" + name);
            var r = await Cli("mesh", file, "--out", outDir, "--format", "obj");
            var row = Assert.Single(ReadCsv(Path.Combine(outDir, "quality.csv")));
            if (error is null)
            {
                Assert.True(r.Code == 0, name + ": " + r.Out + r.Err);
                Assert.Equal("ok", row["status"]);
                Assert.Contains(repair!, row["repairs"]);
                Assert.Equal(("true", "true", "true", "0"), (row["watertight"], row["manifold"], row["outward"], row["self_intersections"]));
                Assert.InRange(D(row, "volume_um3"), lo, hi);
            }
            else
            {
                Assert.Equal(1, r.Code);
                Assert.Equal("failed", row["status"]);
                Assert.Contains(error, row["error"]);
            }
        }
        // a label volume with only background: a clear error naming the file
        var empty = new Volume<float>(4, 4, 4, Spacing.Isotropic(1));
        string emptyPath = Path.Combine(_dir, "empty.npy");
        Imaging.NpyFormat.Write(emptyPath, empty);
        var e = await Cli("mesh", emptyPath, "--out", Path.Combine(_dir, "out-empty"));
        Assert.Equal(2, e.Code);
        Assert.Contains("empty.npy", e.Err);
        Assert.Contains("no objects", e.Err);
    }

    [Fact]
    public async Task ACorruptMeshIsAClearErrorNamingTheFile()
    {
        string bad = Path.Combine(_dir, "bad.obj");
        File.WriteAllText(bad, "v 0 0 0\nv 1 0 0\nf 1 2 9\n");
        var r = await Cli("mesh", bad, "--out", Path.Combine(_dir, "o"));
        Assert.Equal(2, r.Code);
        Assert.Contains("bad.obj", r.Err);
    }
}
