using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Object File Format (OFF) surfaces, ascii (coordinates in µm). OFF stores no markers.</summary>
public static class OffFormat
{
    /// <summary>
    /// Reads "OFF" (optionally with the counts on the same line), the vertex, face and edge counts, the vertices and the
    /// faces ("n i0 … i(n−1)" followed by optional colour values); polygons are fan-triangulated from their first corner.
    /// Text after '#' is a comment.
    /// </summary>
    /// <exception cref="InvalidDataException">Corrupt input; the message names the file and line.</exception>
    public static TriangleMesh Read(string path)
    {
        var s = new ByteScanner(path, FormatIo.ReadAll(path));
        var magic = s.Token("'OFF'", '#');
        if (magic != "OFF")
        {
            if (!magic.StartsWith("OFF", StringComparison.Ordinal) || magic.Length == 3) throw s.Error($"not an OFF file (first token '{magic}')");
            throw s.Error($"'{magic}' files (with normals, colours or texture coordinates per vertex) are not supported; only plain OFF");
        }
        int nv = s.Count("vertex count", int.MaxValue / 3, '#');
        int nf = s.Count("face count", int.MaxValue / 3, '#');
        s.Count("edge count", long.MaxValue, '#');
        var verts = new double[3 * nv];
        for (int i = 0; i < 3 * nv; i++) verts[i] = s.Double($"coordinate of vertex {i / 3}", '#');
        var tris = new List<int>(2 * nf * 3);
        var poly = new List<int>(8);
        for (int f = 0; f < nf; f++)
        {
            s.SkipWhitespace();
            int line = s.Line;
            int n = s.Count($"corner count of face {f}", 1 << 20, '#');
            if (n < 3) throw s.Error($"face {f} has {n} corners (at least 3 needed)");
            poly.Clear();
            for (int k = 0; k < n; k++)
            {
                int idx = s.Int($"corner of face {f}", '#');
                if (idx < 0 || idx >= nv) throw FormatIo.AtLine(path, s.Line, $"vertex index {idx} is out of range (the file has {nv} vertices)");
                poly.Add(idx);
            }
            // Optional colour values up to the end of the face's line.
            while (!s.AtEnd && s.Bytes[s.Position] != (byte)'\n') s.Position++;
            if (s.Line != line) throw FormatIo.AtLine(path, line, $"face {f} continues past its line");
            for (int k = 1; k + 1 < n; k++) { tris.Add(poly[0]); tris.Add(poly[k]); tris.Add(poly[k + 1]); }
        }
        return new TriangleMesh(verts, tris.ToArray());
    }

    /// <summary>Writes ascii OFF (round-trip precision). Atomic.</summary>
    public static void Write(string path, TriangleMesh mesh)
    {
        FormatIo.AtomicWrite(path, fs =>
        {
            using var w = new StreamWriter(fs, FormatIo.Utf8, 1 << 16);
            w.NewLine = "\n";
            w.WriteLine("OFF");
            w.WriteLine("# ShapeStudy; units: micrometres");
            w.WriteLine(FormattableString.Invariant($"{mesh.VertexCount} {mesh.TriangleCount} 0"));
            var v = mesh.Vertices;
            for (int i = 0; i < v.Length; i += 3)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v[i]:R} {v[i + 1]:R} {v[i + 2]:R}"));
            var t = mesh.Triangles;
            for (int i = 0; i < t.Length; i += 3)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"3 {t[i]} {t[i + 1]} {t[i + 2]}"));
        });
    }
}
