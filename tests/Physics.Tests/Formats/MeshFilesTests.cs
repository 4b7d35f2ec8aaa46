using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests;

public sealed class MeshFilesTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"meshfiles-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private string FilePath(string name)
    {
        Directory.CreateDirectory(_dir);
        return Path.Combine(_dir, name);
    }

    /// <summary>Cube of edge <paramref name="size"/> µm split into 6 positively oriented tetrahedra (Kuhn split along its
    /// (0,0,0)–(1,1,1) diagonal); the first three tetrahedra in region 0, the others in region 5; boundary faces found as the tet faces used once, oriented outward, marked Cut on z = 0, Psd on
    /// z = 1 and Membrane elsewhere.</summary>
    internal static TetMesh CubeTets(double size = 1.5)
    {
        var verts = new double[24];
        for (int c = 0; c < 8; c++) { verts[3 * c] = size * (c & 1); verts[3 * c + 1] = size * ((c >> 1) & 1); verts[3 * c + 2] = size * ((c >> 2) & 1); }
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        var tets = new List<int>();
        var regions = new List<int>();
        foreach (var o in orders)
        {
            int c1 = 1 << o[0], c2 = c1 | (1 << o[1]);
            int[] t = [0, c1, c2, 7];
            if (SignedVolume(verts, t) < 0) (t[2], t[3]) = (t[3], t[2]);
            tets.AddRange(t);
            regions.Add(regions.Count < 3 ? 0 : 5);
        }
        var faceUse = new Dictionary<(int, int, int), (int A, int B, int C, int Opposite)>();
        var counts = new Dictionary<(int, int, int), int>();
        for (int t = 0; t < tets.Count; t += 4)
            for (int skip = 0; skip < 4; skip++)
            {
                var f = new List<int>();
                for (int k = 0; k < 4; k++) if (k != skip) f.Add(tets[t + k]);
                var key = Key(f[0], f[1], f[2]);
                counts[key] = counts.GetValueOrDefault(key) + 1;
                faceUse[key] = (f[0], f[1], f[2], tets[t + skip]);
            }
        var faces = new List<int>();
        var markers = new List<int>();
        foreach (var (key, n) in counts.OrderBy(kv => kv.Key))
        {
            if (n != 1) continue;
            var (a, b, c, opp) = faceUse[key];
            // Outward: the opposite vertex lies on the negative side of (a, b, c).
            if (SignedVolume(verts, [a, b, c, opp]) > 0) (b, c) = (c, b);
            faces.AddRange([a, b, c]);
            double zc = (verts[3 * a + 2] + verts[3 * b + 2] + verts[3 * c + 2]) / 3;
            markers.Add(zc == 0 ? BoundaryRegion.Cut : zc == size ? BoundaryRegion.Psd : BoundaryRegion.Membrane);
        }
        return new TetMesh(verts, tets.ToArray(), regions.ToArray(), faces.ToArray(), markers.ToArray());

        static (int, int, int) Key(int a, int b, int c)
        {
            Span<int> s = [a, b, c];
            s.Sort();
            return (s[0], s[1], s[2]);
        }
    }

    private static double SignedVolume(double[] p, int[] t)
    {
        int a = 3 * t[0], b = 3 * t[1], c = 3 * t[2], d = 3 * t[3];
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double wx = p[d] - p[a], wy = p[d + 1] - p[a + 1], wz = p[d + 2] - p[a + 2];
        return (ux * (vy * wz - vz * wy) - uy * (vx * wz - vz * wx) + uz * (vx * wy - vy * wx)) / 6;
    }

    [Fact]
    public void HandBuiltCubeTetMeshIsValid()
    {
        var m = CubeTets();
        Assert.Equal(6, m.TetCount);
        Assert.Equal(12, m.BoundaryFaceCount);
        for (int t = 0; t < m.TetCount; t++) Assert.True(m.TetVolume(t) > 0);
        Assert.Equal(1.5 * 1.5 * 1.5, m.Volume(), 1e-12);
        var surface = m.BoundarySurface();
        Assert.True(surface.IsWatertight());
        Assert.Equal(m.Volume(), surface.SignedVolume(), 1e-12);
        Assert.Equal(2, m.FaceMarkers.Count(f => f == BoundaryRegion.Psd));
        Assert.Equal(2, m.FaceMarkers.Count(f => f == BoundaryRegion.Cut));
        Assert.Equal(3, m.TetRegions.Count(r => r == 5));
    }

    private static readonly string[] SurfaceFiles = ["s.obj", "s.ply", "s.stl", "s.off", "s.vtk", "s.vtu", "s-ascii.vtu"];
    private static readonly string[] TetFiles = ["t.vtk", "t.vtu", "t-ascii.vtu", "t.ply", "t.obj", "t.stl", "t.off"];

    [Fact]
    public void EveryFormatRoundTripsAndMeshioReadsTheSameCounts()
    {
        var sphere = TestGeometry.Icosphere(2.345678901234, 2, (0.1, -3.7, 12.25));
        var markers = new int[sphere.TriangleCount];
        for (int i = 0; i < markers.Length; i++) markers[i] = 1 + i % 3;
        var tet = CubeTets();
        var written = new List<string>();

        foreach (var name in SurfaceFiles)
        {
            var path = FilePath(name);
            MeshFiles.Write(path, sphere, markers, vtuAscii: name.Contains("ascii"));
            written.Add(path);
            var back = MeshFiles.Read(path);
            Assert.Null(back.Tetrahedra);
            Assert.Equal(sphere.VertexCount, back.Surface.VertexCount);
            Assert.Equal(sphere.TriangleCount, back.Surface.TriangleCount);
            Assert.True(back.Surface.IsWatertight(), name);
            if (name.EndsWith(".stl"))
            {
                // float32 coordinates, vertices renumbered by first appearance: same solid up to float rounding.
                Assert.Equal(sphere.SignedVolume(), back.Surface.SignedVolume(), 1e-5 * sphere.SignedVolume());
                Assert.Equal(sphere.Area(), back.Surface.Area(), 1e-5 * sphere.Area());
                Assert.Null(back.FaceMarkers);
            }
            else
            {
                Assert.Equal(sphere.Vertices, back.Surface.Vertices);
                Assert.Equal(sphere.Triangles, back.Surface.Triangles);
                bool carriesMarkers = name.EndsWith(".ply") || name.EndsWith(".vtk") || name.EndsWith(".vtu");
                if (carriesMarkers) Assert.Equal(markers, back.FaceMarkers);
                else Assert.Null(back.FaceMarkers);
            }
        }
        foreach (var name in TetFiles)
        {
            var path = FilePath(name);
            MeshFiles.Write(path, tet, vtuAscii: name.Contains("ascii"));
            written.Add(path);
            var back = MeshFiles.Read(path);
            if (name.EndsWith(".vtk") || name.EndsWith(".vtu"))
            {
                var t = back.Tetrahedra!;
                Assert.Equal(tet.Vertices, t.Vertices);
                Assert.Equal(tet.Tetrahedra, t.Tetrahedra);
                Assert.Equal(tet.TetRegions, t.TetRegions);
                Assert.Equal(tet.BoundaryFaces, t.BoundaryFaces);
                Assert.Equal(tet.FaceMarkers, t.FaceMarkers);
                Assert.Equal(tet.FaceMarkers, back.FaceMarkers);
            }
            else
            {
                // Surface formats carry the boundary surface (and PLY its face markers).
                Assert.Null(back.Tetrahedra);
                Assert.Equal(tet.BoundaryFaceCount, back.Surface.TriangleCount);
                Assert.Equal(tet.Volume(), back.Surface.SignedVolume(), 1e-6);
                if (name.EndsWith(".ply")) Assert.Equal(tet.FaceMarkers, back.FaceMarkers);
            }
        }
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(_dir, ".*")));

        var meshio = RunMeshio(written);
        if (meshio is null)
        {
            output.WriteLine("meshio absent (/usr/bin/python3 cannot import it): checked ShapeStudy's own read-back only");
            return;
        }
        output.WriteLine($"meshio read {meshio.Count} files");
        foreach (var entry in meshio)
        {
            var path = entry.GetProperty("file").GetString()!;
            var ours = MeshFiles.Read(path);
            var cells = entry.GetProperty("cells");
            var meshioMarkers = entry.GetProperty("markers");
            var sums = entry.GetProperty("marker_sums");
            int Count(JsonElement e, string type) => e.TryGetProperty(type, out var v) ? v.GetInt32() : 0;
            long Sum(JsonElement e, string type) => e.TryGetProperty(type, out var v) ? v.GetInt64() : 0;
            Assert.Equal(ours.Surface.VertexCount, entry.GetProperty("points").GetInt32());
            Assert.Equal(ours.Surface.TriangleCount, Count(cells, "triangle"));
            Assert.Equal(ours.Tetrahedra?.TetCount ?? 0, Count(cells, "tetra"));
            Assert.Equal(ours.FaceMarkers?.Length ?? 0, Count(meshioMarkers, "triangle"));
            Assert.Equal(ours.Tetrahedra is null ? 0 : ours.Tetrahedra.TetRegions.Length, Count(meshioMarkers, "tetra"));
            Assert.Equal(ours.FaceMarkers?.Sum(m => (long)m) ?? 0, Sum(sums, "triangle"));
            Assert.Equal(ours.Tetrahedra?.TetRegions.Sum(m => (long)m) ?? 0, Sum(sums, "tetra"));
            output.WriteLine($"  {Path.GetFileName(path)}: {entry}");
        }
    }

    [Fact]
    public void FilesWrittenByMeshioAreReadWithTheSameCounts()
    {
        // meshio's own encodings (legacy VTK 5.1 binary/ascii, zlib-compressed VTU, …) of a marked tetrahedron.
        var files = RunMeshio(["--write", FilePath("")]);
        if (files is null)
        {
            output.WriteLine("meshio absent (/usr/bin/python3 cannot import it): nothing to compare");
            return;
        }
        Assert.Equal(10, files.Count);
        foreach (var entry in files)
        {
            var path = entry.GetProperty("file").GetString()!;
            var ours = MeshFiles.Read(path);
            var cells = entry.GetProperty("cells");
            Assert.Equal(entry.GetProperty("points").GetInt32(), ours.Surface.VertexCount);
            Assert.Equal(cells.GetProperty("triangle").GetInt32(), ours.Surface.TriangleCount);
            Assert.True(ours.Surface.IsWatertight(), path);
            Assert.Equal(1.0 / 6, ours.Surface.SignedVolume(), 1e-12);
            if (cells.TryGetProperty("tetra", out var tetra))
            {
                Assert.Equal(tetra.GetInt32(), ours.Tetrahedra!.TetCount);
                Assert.Equal([5], ours.Tetrahedra.TetRegions);
                Assert.Equal([1, 2, 3, 4], ours.FaceMarkers!);
                Assert.Equal(1.0 / 6, ours.Tetrahedra.Volume(), 1e-12);
            }
            else Assert.Null(ours.Tetrahedra);
            output.WriteLine($"  {Path.GetFileName(path)}: read");
        }
    }

    /// <summary>Runs meshio_roundtrip.py with the arguments; null when /usr/bin/python3 or meshio is missing.</summary>
    private static List<JsonElement>? RunMeshio(List<string> files)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) return null;
        var script = Path.Combine(RepoPaths.Root, "tests", "Physics.Tests", "Formats", "meshio_roundtrip.py");
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        var stdout = stdoutTask.Result;
        p.WaitForExit();
        if (p.ExitCode == 3) return null;
        Assert.True(p.ExitCode == 0, $"meshio_roundtrip.py failed ({p.ExitCode}): {stderr}");
        var line = stdout.Trim().Split('\n')[^1];
        return JsonDocument.Parse(line).RootElement.EnumerateArray().ToList();
    }

    [Fact]
    public void AsciiAndBigEndianPlyWithPolygonsAndExtraPropertiesAreRead()
    {
        // Unit cube as 6 quads with colours and a per-face marker; vertices carry normals.
        string header(string format) => $"ply\nformat {format} 1.0\ncomment cube\nelement vertex 8\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\n" +
                                         "element face 6\nproperty uchar red\nproperty list uchar int vertex_indices\nproperty int marker\nend_header\n";
        int[][] quads = [[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]];
        var ascii = new StringBuilder(header("ascii"));
        for (int c = 0; c < 8; c++) ascii.Append($"{c & 1} {(c >> 1) & 1} {(c >> 2) & 1} 0.5\n");
        for (int f = 0; f < 6; f++) ascii.Append($"200 4 {string.Join(' ', quads[f])} {10 + f}\n");
        var a = FilePath("cube-ascii.ply");
        File.WriteAllText(a, ascii.ToString());

        var be = new MemoryStream();
        be.Write(Encoding.ASCII.GetBytes(header("binary_big_endian")));
        void F(float v) { var b = BitConverter.GetBytes(v); Array.Reverse(b); be.Write(b); }
        void I(int v) { var b = BitConverter.GetBytes(v); Array.Reverse(b); be.Write(b); }
        for (int c = 0; c < 8; c++) { F(c & 1); F((c >> 1) & 1); F((c >> 2) & 1); F(0.5f); }
        for (int f = 0; f < 6; f++) { be.WriteByte(200); be.WriteByte(4); foreach (var q in quads[f]) I(q); I(10 + f); }
        var b = FilePath("cube-be.ply");
        File.WriteAllBytes(b, be.ToArray());

        foreach (var path in new[] { a, b })
        {
            var content = MeshFiles.Read(path);
            Assert.Equal(8, content.Surface.VertexCount);
            Assert.Equal(12, content.Surface.TriangleCount);
            Assert.True(content.Surface.IsWatertight());
            Assert.Equal(1.0, content.Surface.SignedVolume(), 1e-12);
            Assert.Equal([10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15], content.FaceMarkers!);
        }
    }

    [Fact]
    public void AsciiStlAndOffWithPolygonsAreRead()
    {
        var stl = FilePath("tet.stl");
        File.WriteAllText(stl, """
            solid tet
              facet normal 0 0 -1
                outer loop
                  vertex 0 0 0
                  vertex 0 1 0
                  vertex 1 0 0
                endloop
              endfacet
              facet normal 0 -1 0
                outer loop
                  vertex 0 0 0
                  vertex 1 0 0
                  vertex 0 0 1
                endloop
              endfacet
              facet normal -1 0 0
                outer loop
                  vertex 0 0 0
                  vertex 0 0 1
                  vertex 0 1 0
                endloop
              endfacet
              facet normal 1 1 1
                outer loop
                  vertex 1 0 0
                  vertex 0 1 0
                  vertex 0 0 1
                endloop
              endfacet
            endsolid tet
            """);
        var m = MeshFiles.Read(stl).Surface;
        Assert.Equal(4, m.VertexCount);
        Assert.True(m.IsWatertight());
        Assert.Equal(1.0 / 6, m.SignedVolume(), 1e-12);

        var off = FilePath("cube.off");
        File.WriteAllText(off, "OFF\n# unit cube\n8 6 12\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n" +
                               "4 0 2 3 1\n4 4 5 7 6 255 0 0\n4 0 1 5 4\n4 2 6 7 3\n4 0 4 6 2\n4 1 3 7 5\n");
        var cube = MeshFiles.Read(off).Surface;
        Assert.Equal(12, cube.TriangleCount);
        Assert.True(cube.IsWatertight());
        Assert.Equal(1.0, cube.SignedVolume(), 1e-12);
    }

    public static TheoryData<string, string, string> CorruptFiles => new()
    {
        // file name, content (\u0001 = binary payload built in the test), expected location fragment and message fragment
        { "bad-keyword.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperti float x\nend_header\n", ":4: unknown header keyword" },
        { "bad-index.ply", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", ":13: vertex index 7 is out of range" },
        { "bad-number.ply", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 zero 0\n", ":8: 'zero' is not a finite number" },
        { "truncated.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n\u0001", ": byte 131: truncated" },
        { "no-endloop.stl", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendlop\nendfacet\nendsolid x\n", ":7: expected 'endloop'" },
        { "truncated.stl", "\u0002", ": byte 80: binary STL declares 2 facets" },
        { "bad.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 9\n", ":6: vertex index 9 is out of range" },
        { "bad-count.off", "OFF\n3 x 0\n", ":2: 'x' is not an integer" },
        { "truncated.vtk", "# vtk DataFile Version 4.2\nt\nBINARY\nDATASET UNSTRUCTURED_GRID\nPOINTS 3 double\n\u0003", ": byte 78: POINTS: truncated binary data" },
        { "bad-cells.vtk", "# vtk DataFile Version 4.2\nt\nASCII\nDATASET UNSTRUCTURED_GRID\nPOINTS 3 double\n0 0 0 1 0 0 0 1 0\nCELLS 1 4\n3 0 1 2\nCELL_TYPES 1\nfive\n", ":10: 'five' is not a finite number" },
        { "polydata.vtk", "# vtk DataFile Version 4.2\nt\nASCII\nDATASET POLYDATA\n", ":4: 'DATASET POLYDATA': only UNSTRUCTURED_GRID" },
        { "bad-base64.vtu", "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\" header_type=\"UInt64\">\n<UnstructuredGrid>\n<Piece NumberOfPoints=\"1\" NumberOfCells=\"0\">\n<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"binary\">@@@@</DataArray>\n</Points>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n", ":6: DataArray '(unnamed)' is not valid base64" },
        { "unclosed.vtu", "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\">\n<UnstructuredGrid>\n", ":4: malformed XML" },
        { "missing-cells.vtu", "<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\">\n<UnstructuredGrid>\n<Piece NumberOfPoints=\"1\" NumberOfCells=\"0\">\n<Points>\n<DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">0 0 0</DataArray>\n</Points>\n</Piece>\n</UnstructuredGrid>\n</VTKFile>\n", ":4: missing <Cells>" },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptFilesGiveErrorsNamingFileAndLocation(string name, string content, string fragment)
    {
        var path = FilePath(name);
        byte[] bytes;
        if (content == "\u0002")
        {
            bytes = new byte[84 + 50]; // declares 2 facets, holds 1
            bytes[80] = 2;
        }
        else if (content.EndsWith('\u0001')) bytes = [.. Encoding.ASCII.GetBytes(content[..^1]), .. new byte[16]]; // 16 of 24 bytes
        else if (content.EndsWith('\u0003')) bytes = [.. Encoding.ASCII.GetBytes(content[..^1]), .. new byte[20]]; // 20 of 72 bytes
        else bytes = Encoding.ASCII.GetBytes(content);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => MeshFiles.Read(path));
        Assert.StartsWith(path, ex.Message);
        Assert.Contains(fragment, ex.Message);
    }

    [Fact]
    public void UnknownExtensionAndMissingFileAreClearErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => MeshFiles.Read(FilePath("mesh.xyz")));
        Assert.Contains("unknown mesh file extension '.xyz'", ex.Message);
        Assert.Throws<FileNotFoundException>(() => MeshFiles.Read(FilePath("absent.ply")));
        Assert.Throws<ArgumentException>(() => MeshFiles.Write(FilePath("m.ply"), TestGeometry.Icosphere(1, 0), [1, 2]));
    }
}
