using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Wavefront OBJ reading and writing of triangle meshes (coordinates in µm).</summary>
public static class ObjFormat
{
    /// <summary>
    /// Reads the vertices (<c>v x y z [w]</c>) and faces (<c>f</c>) of an OBJ file. Face corners may be written as
    /// <c>v</c>, <c>v/vt</c>, <c>v/vt/vn</c> or <c>v//vn</c>; indices are 1-based, negative indices count back from the
    /// last vertex defined so far. Polygons are fan-triangulated from their first corner. Other statements (vt, vn, o, g,
    /// s, usemtl, mtllib, l, …) are ignored.
    /// </summary>
    /// <exception cref="InvalidDataException">Malformed line or out-of-range index; the message names file and line.</exception>
    public static TriangleMesh Read(string path)
    {
        var verts = new List<double>();
        var tris = new List<int>();
        var pendingChecks = new List<(int Index, int Line)>(); // positive indices are checked once all vertices are known
        var corners = new List<int>(8);
        int lineNo = 0;
        using var reader = new StreamReader(path, Encoding.UTF8);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            var span = line.AsSpan().Trim();
            if (span.Length < 2 || span[0] == '#') continue;
            if (span[0] == 'v' && (span[1] == ' ' || span[1] == '\t'))
            {
                var parts = Tokens(span[2..]);
                if (parts.Count < 3) throw Bad(path, lineNo, $"vertex needs 3 coordinates, got {parts.Count}");
                for (int k = 0; k < 3; k++)
                {
                    if (!double.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out double c) || !double.IsFinite(c))
                        throw Bad(path, lineNo, $"'{parts[k]}' is not a finite number");
                    verts.Add(c);
                }
            }
            else if (span[0] == 'f' && (span[1] == ' ' || span[1] == '\t'))
            {
                var parts = Tokens(span[2..]);
                if (parts.Count < 3) throw Bad(path, lineNo, $"face needs at least 3 corners, got {parts.Count}");
                corners.Clear();
                int defined = verts.Count / 3;
                foreach (var tok in parts)
                {
                    int slash = tok.IndexOf('/');
                    var idxText = slash < 0 ? tok : tok[..slash];
                    if (!int.TryParse(idxText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int idx) || idx == 0)
                        throw Bad(path, lineNo, $"'{tok}' is not a valid vertex reference (1-based or negative index)");
                    int zeroBased;
                    if (idx > 0) { zeroBased = idx - 1; pendingChecks.Add((zeroBased, lineNo)); }
                    else
                    {
                        zeroBased = defined + idx;
                        if (zeroBased < 0) throw Bad(path, lineNo, $"relative index {idx} refers before the first vertex ({defined} defined so far)");
                    }
                    corners.Add(zeroBased);
                }
                for (int k = 1; k + 1 < corners.Count; k++)
                {
                    tris.Add(corners[0]); tris.Add(corners[k]); tris.Add(corners[k + 1]);
                }
            }
        }
        int nv = verts.Count / 3;
        foreach (var (index, ln) in pendingChecks)
            if (index >= nv) throw Bad(path, ln, $"vertex index {index + 1} exceeds the {nv} vertices in the file");
        return new TriangleMesh(verts.ToArray(), tris.ToArray());
    }

    /// <summary>
    /// Writes <paramref name="mesh"/> as OBJ (round-trip precision, 1-based indices). The file is written to a temporary
    /// name in the same directory and renamed, so a crash never leaves a truncated file at <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, TriangleMesh mesh)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 16))
            {
                w.NewLine = "\n";
                w.WriteLine(FormattableString.Invariant($"# {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles; units: micrometres"));
                var v = mesh.Vertices;
                for (int i = 0; i < v.Length; i += 3)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"v {v[i]:R} {v[i + 1]:R} {v[i + 2]:R}"));
                var t = mesh.Triangles;
                for (int i = 0; i < t.Length; i += 3)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"f {t[i] + 1} {t[i + 1] + 1} {t[i + 2] + 1}"));
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static List<string> Tokens(ReadOnlySpan<char> s)
    {
        var list = new List<string>(4);
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            int start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            if (i > start) list.Add(s[start..i].ToString());
        }
        return list;
    }

    private static InvalidDataException Bad(string path, int line, string what) =>
        new($"{path}:{line}: {what}");
}
