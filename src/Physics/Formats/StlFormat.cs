using System.Buffers.Binary;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// STL surfaces (coordinates in µm): reads ascii and binary files, merging bit-identical corner positions into shared
/// vertices (in order of first appearance); writes binary STL (float32 coordinates, facet normals from the
/// triangles). STL stores no markers.
/// </summary>
public static class StlFormat
{
    /// <summary>Reads an ascii or binary STL; binary is recognised by its size (84 + 50 × facet count bytes).</summary>
    /// <exception cref="InvalidDataException">Corrupt input; the message names the file and the line (ascii) or byte
    /// offset (binary).</exception>
    public static TriangleMesh Read(string path)
    {
        var bytes = FormatIo.ReadAll(path);
        if (bytes.Length >= 84)
        {
            long n = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(80));
            if (84 + 50 * n == bytes.Length) return ReadBinary(path, bytes, (int)n);
        }
        int start = 0;
        while (start < bytes.Length && bytes[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') start++;
        if (bytes.Length - start >= 5 && Encoding.ASCII.GetString(bytes, start, 5) == "solid") return ReadAscii(path, bytes);
        if (bytes.Length < 84) throw FormatIo.AtByte(path, bytes.Length, $"truncated: a binary STL needs at least 84 bytes, the file has {bytes.Length}");
        long count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(80));
        throw FormatIo.AtByte(path, 80, $"binary STL declares {count} facets ({84 + 50 * count} bytes) but the file has {bytes.Length} bytes, and it is not ascii STL (no leading 'solid')");
    }

    private static TriangleMesh ReadBinary(string path, byte[] bytes, int n)
    {
        var merge = new VertexMerger(n);
        var tris = new int[3 * n];
        for (int f = 0; f < n; f++)
        {
            int o = 84 + 50 * f + 12;
            for (int k = 0; k < 3; k++)
            {
                float x = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(o + 12 * k));
                float y = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(o + 12 * k + 4));
                float z = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(o + 12 * k + 8));
                if (!float.IsFinite(x) || !float.IsFinite(y) || !float.IsFinite(z))
                    throw FormatIo.AtByte(path, o + 12 * k, $"facet {f} has a non-finite coordinate");
                tris[3 * f + k] = merge.Add(x, y, z);
            }
        }
        return new TriangleMesh(merge.Vertices(), tris);
    }

    private static TriangleMesh ReadAscii(string path, byte[] bytes)
    {
        var s = new ByteScanner(path, bytes);
        s.Token("solid");
        s.ReadLine(); // the solid's name
        var merge = new VertexMerger(1024);
        var tris = new List<int>();
        while (true)
        {
            var t = s.NextToken() ?? throw s.Error("unexpected end of file: expected 'facet' or 'endsolid'");
            if (t == "endsolid") break;
            if (t != "facet") throw s.Error($"expected 'facet' or 'endsolid', got '{t}'");
            Expect(s, "normal");
            for (int k = 0; k < 3; k++) s.Double("normal component");
            Expect(s, "outer"); Expect(s, "loop");
            for (int k = 0; k < 3; k++)
            {
                Expect(s, "vertex");
                double x = s.Double("x"), y = s.Double("y"), z = s.Double("z");
                tris.Add(merge.Add((float)x, (float)y, (float)z));
            }
            var end = s.Token("'endloop'");
            if (end == "vertex") throw s.Error("facet with more than 3 vertices (STL facets are triangles)");
            if (end != "endloop") throw s.Error($"expected 'endloop', got '{end}'");
            Expect(s, "endfacet");
        }
        return new TriangleMesh(merge.Vertices(), tris.ToArray());
    }

    private static void Expect(ByteScanner s, string word)
    {
        var t = s.Token($"'{word}'");
        if (t != word) throw s.Error($"expected '{word}', got '{t}'");
    }

    /// <summary>Writes binary STL: 80-byte header, facet count, per facet the unit normal, 3 corners (float32), attribute 0.</summary>
    public static void Write(string path, TriangleMesh mesh)
    {
        FormatIo.AtomicWrite(path, fs =>
        {
            var header = new byte[84];
            Encoding.ASCII.GetBytes("ShapeStudy binary STL; units: micrometres").CopyTo(header, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(80), (uint)mesh.TriangleCount);
            fs.Write(header);
            var v = mesh.Vertices;
            var t = mesh.Triangles;
            var buf = new byte[50 * 1024];
            int at = 0;
            for (int q = 0; q < t.Length; q += 3)
            {
                int a = 3 * t[q], b = 3 * t[q + 1], c = 3 * t[q + 2];
                double ux = v[b] - v[a], uy = v[b + 1] - v[a + 1], uz = v[b + 2] - v[a + 2];
                double wx = v[c] - v[a], wy = v[c + 1] - v[a + 1], wz = v[c + 2] - v[a + 2];
                double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
                double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
                if (len > 0) { nx /= len; ny /= len; nz /= len; }
                var span = buf.AsSpan(at, 50);
                BinaryPrimitives.WriteSingleLittleEndian(span, (float)nx);
                BinaryPrimitives.WriteSingleLittleEndian(span[4..], (float)ny);
                BinaryPrimitives.WriteSingleLittleEndian(span[8..], (float)nz);
                int o = 12;
                foreach (int p in (ReadOnlySpan<int>)[a, b, c])
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span[o..], (float)v[p]);
                    BinaryPrimitives.WriteSingleLittleEndian(span[(o + 4)..], (float)v[p + 1]);
                    BinaryPrimitives.WriteSingleLittleEndian(span[(o + 8)..], (float)v[p + 2]);
                    o += 12;
                }
                span[48] = 0; span[49] = 0;
                at += 50;
                if (at == buf.Length) { fs.Write(buf, 0, at); at = 0; }
            }
            fs.Write(buf, 0, at);
        });
    }

    /// <summary>Shares bit-identical float32 corner positions.</summary>
    private sealed class VertexMerger(int capacity)
    {
        private readonly Dictionary<(float, float, float), int> _index = new(capacity);
        private readonly List<double> _coords = new(3 * capacity);

        public int Add(float x, float y, float z)
        {
            // +0 and −0 are the same position.
            if (x == 0) x = 0;
            if (y == 0) y = 0;
            if (z == 0) z = 0;
            if (!_index.TryGetValue((x, y, z), out int id))
            {
                id = _coords.Count / 3;
                _index[(x, y, z)] = id;
                _coords.Add(x); _coords.Add(y); _coords.Add(z);
            }
            return id;
        }

        public double[] Vertices() => _coords.ToArray();
    }
}
