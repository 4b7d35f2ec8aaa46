using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// Stanford PLY surfaces (coordinates in µm): reads ascii, binary_little_endian and binary_big_endian files; writes
/// binary little endian or ascii, with double coordinates and an optional integer face property <c>marker</c>.
/// </summary>
public static class PlyFormat
{
    /// <summary>
    /// Reads the <c>vertex</c> element's x, y, z and the <c>face</c> element's <c>vertex_indices</c> (or
    /// <c>vertex_index</c>) lists, fan-triangulating polygons from their first corner, and the face property
    /// <c>marker</c> when present (repeated for each triangle of a polygon). Other elements and properties are skipped.
    /// </summary>
    /// <returns>The surface and its face markers (null when the file has none).</returns>
    /// <exception cref="InvalidDataException">Corrupt input; the message names the file and the header line or the
    /// byte offset (binary) or line (ascii) of the problem.</exception>
    public static (TriangleMesh Mesh, int[]? FaceMarkers) Read(string path)
    {
        var s = new ByteScanner(path, FormatIo.ReadAll(path));
        var first = s.ReadLine();
        if (first is null || first.Trim() != "ply") throw FormatIo.AtLine(path, 1, "not a PLY file (the first line must be 'ply')");
        string? format = null;
        var elements = new List<Element>();
        while (true)
        {
            var line = s.ReadLine() ?? throw s.Error("unexpected end of file in the header (no 'end_header')");
            int ln = s.LastLine;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            switch (parts[0])
            {
                case "end_header": goto body;
                case "comment" or "obj_info": break;
                case "format":
                    if (parts.Length < 2 || parts[1] is not ("ascii" or "binary_little_endian" or "binary_big_endian"))
                        throw FormatIo.AtLine(path, ln, $"unknown PLY format '{(parts.Length > 1 ? parts[1] : "")}'");
                    format = parts[1];
                    break;
                case "element":
                    if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count > int.MaxValue)
                        throw FormatIo.AtLine(path, ln, "element line must be 'element <name> <count>'");
                    elements.Add(new Element(parts[1], (int)count));
                    break;
                case "property":
                    if (elements.Count == 0) throw FormatIo.AtLine(path, ln, "property before any element");
                    if (parts.Length == 5 && parts[1] == "list")
                        elements[^1].Properties.Add(new Property(parts[4], TypeOf(parts[3], path, ln), TypeOf(parts[2], path, ln)));
                    else if (parts.Length == 3)
                        elements[^1].Properties.Add(new Property(parts[2], TypeOf(parts[1], path, ln), null));
                    else throw FormatIo.AtLine(path, ln, "property line must be 'property <type> <name>' or 'property list <count type> <type> <name>'");
                    break;
                default: throw FormatIo.AtLine(path, ln, $"unknown header keyword '{parts[0]}'");
            }
        }
    body:
        if (format is null) throw s.Error("the header has no 'format' line");
        var verts = new List<double>();
        var tris = new List<int>();
        var markers = new List<int>();
        bool hasMarkers = false;
        var faceCorners = new List<(long Index, long Where)>(); // checked after all vertices are known
        var poly = new List<long>(8);
        foreach (var el in elements)
        {
            int ix = el.Index("x"), iy = el.Index("y"), iz = el.Index("z");
            int iFace = el.Index("vertex_indices");
            if (iFace < 0) iFace = el.Index("vertex_index");
            int iMarker = el.Index("marker");
            bool isVertex = el.Name == "vertex", isFace = el.Name == "face";
            if (isVertex && (ix < 0 || iy < 0 || iz < 0)) throw s.Error("the vertex element needs x, y and z properties");
            if (isFace && (iFace < 0 || el.Properties[iFace].CountType is null)) throw s.Error("the face element needs a vertex_indices list");
            if (isFace && iMarker >= 0) hasMarkers = true;
            var scalars = new double[el.Properties.Count];
            for (int r = 0; r < el.Count; r++)
            {
                if (format == "ascii") s.SkipWhitespace();
                long where = format == "ascii" ? s.Line : s.Position;
                poly.Clear();
                for (int p = 0; p < el.Properties.Count; p++)
                {
                    var prop = el.Properties[p];
                    if (prop.CountType is PlyType ct)
                    {
                        long n = format == "ascii" ? s.Long($"{el.Name} {r} list length") : (long)ReadBinary(s, ct, format);
                        if (n < 0 || n > 1 << 20) throw Located(s, format, where, $"{el.Name} {r}: list length {n} is out of range");
                        for (long k = 0; k < n; k++)
                        {
                            double v = format == "ascii" ? s.Double($"{el.Name} {r} list item") : ReadBinary(s, prop.Type, format);
                            if (isFace && p == iFace) poly.Add((long)v);
                        }
                    }
                    else scalars[p] = format == "ascii" ? s.Double($"{el.Name} {r} {prop.Name}") : ReadBinary(s, prop.Type, format);
                }
                if (isVertex)
                {
                    double x = scalars[ix], y = scalars[iy], z = scalars[iz];
                    if (!double.IsFinite(x) || !double.IsFinite(y) || !double.IsFinite(z))
                        throw Located(s, format, where, $"vertex {r} has a non-finite coordinate");
                    verts.Add(x); verts.Add(y); verts.Add(z);
                }
                else if (isFace)
                {
                    if (poly.Count < 3) throw Located(s, format, where, $"face {r} has {poly.Count} corners (at least 3 needed)");
                    foreach (var c in poly) faceCorners.Add((c, where));
                    for (int k = 1; k + 1 < poly.Count; k++)
                    {
                        tris.Add((int)poly[0]); tris.Add((int)poly[k]); tris.Add((int)poly[k + 1]); // ranges checked below
                        if (iMarker >= 0) markers.Add((int)scalars[iMarker]);
                    }
                }
            }
        }
        int nv = verts.Count / 3;
        foreach (var (index, where) in faceCorners)
            if (index < 0 || index >= nv) throw Located(s, format, where, $"vertex index {index} is out of range (the file has {nv} vertices)");
        return (new TriangleMesh(verts.ToArray(), tris.ToArray()), hasMarkers ? markers.ToArray() : null);
    }

    /// <summary>
    /// Writes <paramref name="mesh"/> as PLY: binary little endian (double x, y, z; faces as uchar-counted int lists) or,
    /// when <paramref name="ascii"/>, ascii with round-trip precision; <paramref name="faceMarkers"/> (one per triangle)
    /// become the int face property <c>marker</c> when given. Atomic.
    /// </summary>
    /// <remarks>Debian's meshio 5.0 reads face properties of ascii PLY only (its binary reader assumes the face element
    /// holds nothing but the index list), which is why <see cref="MeshFiles.Write(string, TriangleMesh, int[], MeshFormat?, bool)"/>
    /// writes marked surfaces as ascii PLY.</remarks>
    public static void Write(string path, TriangleMesh mesh, int[]? faceMarkers = null, bool ascii = false)
    {
        if (faceMarkers is not null && faceMarkers.Length != mesh.TriangleCount)
            throw new ArgumentException($"{faceMarkers.Length} face markers for {mesh.TriangleCount} triangles");
        FormatIo.AtomicWrite(path, fs =>
        {
            var header = new StringBuilder();
            header.Append(ascii ? "ply\nformat ascii 1.0\n" : "ply\nformat binary_little_endian 1.0\n");
            header.Append("comment ShapeStudy; units: micrometres\n");
            header.Append(CultureInfo.InvariantCulture, $"element vertex {mesh.VertexCount}\nproperty double x\nproperty double y\nproperty double z\n");
            header.Append(CultureInfo.InvariantCulture, $"element face {mesh.TriangleCount}\nproperty list uchar int vertex_indices\n");
            if (faceMarkers is not null) header.Append("property int marker\n");
            header.Append("end_header\n");
            fs.Write(Encoding.ASCII.GetBytes(header.ToString()));
            var v = mesh.Vertices;
            var t = mesh.Triangles;
            if (ascii)
            {
                using var w = new StreamWriter(fs, FormatIo.Utf8, 1 << 16);
                w.NewLine = "\n";
                for (int i = 0; i < v.Length; i += 3)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v[i]:R} {v[i + 1]:R} {v[i + 2]:R}"));
                for (int q = 0; q < mesh.TriangleCount; q++)
                    w.WriteLine(faceMarkers is null
                        ? string.Create(CultureInfo.InvariantCulture, $"3 {t[3 * q]} {t[3 * q + 1]} {t[3 * q + 2]}")
                        : string.Create(CultureInfo.InvariantCulture, $"3 {t[3 * q]} {t[3 * q + 1]} {t[3 * q + 2]} {faceMarkers[q]}"));
                return;
            }
            var buf = new byte[1 << 16];
            int at = 0;
            void Flush() { fs.Write(buf, 0, at); at = 0; }
            for (int i = 0; i < v.Length; i++)
            {
                if (at + 8 > buf.Length) Flush();
                BinaryPrimitives.WriteDoubleLittleEndian(buf.AsSpan(at), v[i]); at += 8;
            }
            for (int q = 0; q < mesh.TriangleCount; q++)
            {
                if (at + 17 > buf.Length) Flush();
                buf[at++] = 3;
                for (int k = 0; k < 3; k++) { BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(at), t[3 * q + k]); at += 4; }
                if (faceMarkers is not null) { BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(at), faceMarkers[q]); at += 4; }
            }
            Flush();
        });
    }

    private enum PlyType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 }

    private sealed record Property(string Name, PlyType Type, PlyType? CountType);

    private sealed class Element(string name, int count)
    {
        public string Name { get; } = name;
        public int Count { get; } = count;
        public List<Property> Properties { get; } = [];
        public int Index(string property) => Properties.FindIndex(p => p.Name == property);
    }

    private static PlyType TypeOf(string name, string path, int line) => name switch
    {
        "char" or "int8" => PlyType.Int8,
        "uchar" or "uint8" => PlyType.UInt8,
        "short" or "int16" => PlyType.Int16,
        "ushort" or "uint16" => PlyType.UInt16,
        "int" or "int32" => PlyType.Int32,
        "uint" or "uint32" => PlyType.UInt32,
        "float" or "float32" => PlyType.Float32,
        "double" or "float64" => PlyType.Float64,
        _ => throw FormatIo.AtLine(path, line, $"unknown PLY property type '{name}'"),
    };

    private static int Size(PlyType t) => t switch
    {
        PlyType.Int8 or PlyType.UInt8 => 1,
        PlyType.Int16 or PlyType.UInt16 => 2,
        PlyType.Int32 or PlyType.UInt32 or PlyType.Float32 => 4,
        _ => 8,
    };

    private static double ReadBinary(ByteScanner s, PlyType t, string format)
    {
        int size = Size(t);
        if (s.Position + size > s.Bytes.Length)
            throw FormatIo.AtByte(s.Path, s.Position, $"truncated: {size} more bytes needed, the file ends at byte {s.Bytes.Length}");
        var b = s.Bytes.AsSpan(s.Position, size);
        s.Position += size;
        bool le = format == "binary_little_endian";
        return t switch
        {
            PlyType.Int8 => (sbyte)b[0],
            PlyType.UInt8 => b[0],
            PlyType.Int16 => le ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt16BigEndian(b),
            PlyType.UInt16 => le ? BinaryPrimitives.ReadUInt16LittleEndian(b) : BinaryPrimitives.ReadUInt16BigEndian(b),
            PlyType.Int32 => le ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadInt32BigEndian(b),
            PlyType.UInt32 => le ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b),
            PlyType.Float32 => le ? BinaryPrimitives.ReadSingleLittleEndian(b) : BinaryPrimitives.ReadSingleBigEndian(b),
            _ => le ? BinaryPrimitives.ReadDoubleLittleEndian(b) : BinaryPrimitives.ReadDoubleBigEndian(b),
        };
    }

    private static InvalidDataException Located(ByteScanner s, string format, long where, string what) =>
        format == "ascii" ? FormatIo.AtLine(s.Path, (int)where, what) : FormatIo.AtByte(s.Path, where, what);
}
