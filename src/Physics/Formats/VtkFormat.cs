using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// Legacy VTK unstructured grids (coordinates in µm). Writes BINARY (big endian, version 4.2 cell layout) with the
/// integer cell data <c>marker</c>; reads ASCII and BINARY files with the 4.2 or the 5.1 (OFFSETS/CONNECTIVITY) cell
/// layout, triangle and tetrahedron cells, and the cell scalars or field array named <c>marker</c>.
/// </summary>
public static class VtkFormat
{
    /// <summary>Writes triangles (VTK type 5) with <paramref name="faceMarkers"/> as cell data when given. Atomic.</summary>
    public static void Write(string path, TriangleMesh mesh, int[]? faceMarkers = null) => Write(path, UnstructuredGrid.From(mesh, faceMarkers));

    /// <summary>
    /// Writes the tetrahedra (VTK type 10, marker = <see cref="TetMesh.TetRegions"/>) followed by the boundary faces
    /// (type 5, marker = <see cref="TetMesh.FaceMarkers"/>) in one grid; readers that split cells by type (meshio) get a
    /// tetra block and a triangle block, each with its markers. Atomic.
    /// </summary>
    public static void Write(string path, TetMesh mesh) => Write(path, UnstructuredGrid.From(mesh));

    private static void Write(string path, UnstructuredGrid g)
    {
        FormatIo.AtomicWrite(path, fs =>
        {
            void Text(string s) => fs.Write(Encoding.ASCII.GetBytes(s));
            int np = g.Points.Length / 3, nc = g.CellCount;
            Text("# vtk DataFile Version 4.2\nShapeStudy mesh; units: micrometres\nBINARY\nDATASET UNSTRUCTURED_GRID\n");
            Text(FormattableString.Invariant($"POINTS {np} double\n"));
            var buf = new byte[8 * Math.Max(1, g.Points.Length)];
            for (int i = 0; i < g.Points.Length; i++) BinaryPrimitives.WriteDoubleBigEndian(buf.AsSpan(8 * i), g.Points[i]);
            fs.Write(buf, 0, 8 * g.Points.Length);
            Text(FormattableString.Invariant($"\nCELLS {nc} {nc + g.Connectivity.Length}\n"));
            var ints = new int[nc + g.Connectivity.Length];
            int at = 0;
            for (int c = 0; c < nc; c++)
            {
                ints[at++] = g.Offsets[c + 1] - g.Offsets[c];
                for (int q = g.Offsets[c]; q < g.Offsets[c + 1]; q++) ints[at++] = g.Connectivity[q];
            }
            WriteInts(fs, ints);
            Text(FormattableString.Invariant($"\nCELL_TYPES {nc}\n"));
            WriteInts(fs, g.Types);
            if (g.Markers is not null)
            {
                Text(FormattableString.Invariant($"\nCELL_DATA {nc}\nSCALARS {UnstructuredGrid.MarkerName} int 1\nLOOKUP_TABLE default\n"));
                WriteInts(fs, g.Markers);
            }
            Text("\n");
        });
    }

    private static void WriteInts(Stream fs, int[] values)
    {
        var buf = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(buf.AsSpan(4 * i), values[i]);
        fs.Write(buf);
    }

    /// <summary>Reads a legacy VTK unstructured grid of triangles and/or tetrahedra.</summary>
    /// <exception cref="InvalidDataException">Corrupt or unsupported input; the message names the file and the line, or
    /// the byte offset inside binary data.</exception>
    public static MeshFileContent Read(string path)
    {
        var s = new ByteScanner(path, FormatIo.ReadAll(path));
        var magic = s.ReadLine();
        if (magic is null || !magic.StartsWith("# vtk DataFile Version", StringComparison.OrdinalIgnoreCase))
            throw FormatIo.AtLine(path, 1, "not a legacy VTK file (the first line must be '# vtk DataFile Version x.x')");
        s.ReadLine(); // title
        var mode = (s.ReadLine() ?? "").Trim().ToUpperInvariant();
        if (mode is not ("ASCII" or "BINARY")) throw FormatIo.AtLine(path, 3, $"expected ASCII or BINARY, got '{mode}'");
        bool binary = mode == "BINARY";
        var dataset = s.ReadContentLine();
        if (dataset is null || !dataset.StartsWith("DATASET", StringComparison.OrdinalIgnoreCase))
            throw s.Error("expected 'DATASET UNSTRUCTURED_GRID'");
        if (!dataset.EndsWith("UNSTRUCTURED_GRID", StringComparison.OrdinalIgnoreCase))
            throw FormatIo.AtLine(path, s.LastLine, $"'{dataset}': only UNSTRUCTURED_GRID datasets are supported");
        double[]? points = null;
        int[]? types = null, offsets = null, conn = null, markers = null;
        int cellDataCount = -1, section = 0; // section: 0 none, 1 point data, 2 cell data
        while (true)
        {
            var key = s.NextToken();
            if (key is null) break;
            switch (key.ToUpperInvariant())
            {
                case "POINTS":
                {
                    int n = s.Count("point count", int.MaxValue / 3);
                    var type = s.Token("point data type");
                    s.ReadLine();
                    points = ReadValues(s, binary, 3L * n, type, "POINTS");
                    break;
                }
                case "CELLS":
                {
                    int a = s.Count("cell count"), b = s.Count("cell list size");
                    s.ReadLine();
                    var next = PeekToken(s);
                    if (next is not null && next.Equals("OFFSETS", StringComparison.OrdinalIgnoreCase))
                    {
                        // Version 5.1: OFFSETS <type> (a values) then CONNECTIVITY <type> (b values); a cells = a − 1.
                        s.NextToken(); var ot = s.Token("offsets type"); s.ReadLine();
                        var off = ReadValues(s, binary, a, ot, "OFFSETS");
                        Keyword(s, "CONNECTIVITY"); var ct = s.Token("connectivity type"); s.ReadLine();
                        var cv = ReadValues(s, binary, b, ct, "CONNECTIVITY");
                        offsets = ToInts(path, off, "OFFSETS");
                        conn = ToInts(path, cv, "CONNECTIVITY");
                        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != conn.Length)
                            throw s.Error("OFFSETS must start at 0 and end at the connectivity length");
                        for (int c = 0; c + 1 < offsets.Length; c++)
                            if (offsets[c + 1] < offsets[c]) throw s.Error($"OFFSETS decrease at cell {c}");
                    }
                    else
                    {
                        long start = s.Position; int line = s.Line;
                        var raw = ToInts(path, ReadValues(s, binary, b, "int", "CELLS"), "CELLS");
                        var offs = new List<int>(a + 1) { 0 };
                        var cl = new List<int>(Math.Max(0, b - a));
                        int q = 0;
                        for (int c = 0; c < a; c++)
                        {
                            if (q >= raw.Length) throw Where(path, binary, start, line, $"CELLS: the list of {b} values ends inside cell {c}");
                            int k = raw[q++];
                            if (k < 0 || q + k > raw.Length) throw Where(path, binary, start, line, $"CELLS: cell {c} declares {k} points, past the list of {b} values");
                            for (int j = 0; j < k; j++) cl.Add(raw[q++]);
                            offs.Add(cl.Count);
                        }
                        if (q != raw.Length) throw Where(path, binary, start, line, $"CELLS: {a} cells use {q} of the {b} declared values");
                        offsets = offs.ToArray();
                        conn = cl.ToArray();
                    }
                    break;
                }
                case "CELL_TYPES":
                {
                    int n = s.Count("cell type count");
                    s.ReadLine();
                    types = ToInts(path, ReadValues(s, binary, n, "int", "CELL_TYPES"), "CELL_TYPES");
                    break;
                }
                case "CELL_DATA": cellDataCount = s.Count("cell data count"); section = 2; break;
                case "POINT_DATA": s.Count("point data count"); section = 1; break;
                case "SCALARS":
                {
                    var name = s.Token("array name"); var type = s.Token("array type");
                    var rest = s.ReadLine()?.Trim() ?? "";
                    int comps = rest.Length == 0 ? 1 : int.Parse(rest, CultureInfo.InvariantCulture);
                    var lut = s.ReadContentLine();
                    if (lut is null || !lut.StartsWith("LOOKUP_TABLE", StringComparison.OrdinalIgnoreCase)) throw s.Error("expected LOOKUP_TABLE after SCALARS");
                    long count = (section == 2 ? cellDataCount : (points?.Length ?? 0) / 3) * (long)comps;
                    var values = ReadValues(s, binary, count, type, $"SCALARS {name}");
                    if (section == 2 && name == UnstructuredGrid.MarkerName && comps == 1) markers = ToInts(path, values, name);
                    break;
                }
                case "FIELD":
                {
                    s.Token("field name");
                    int arrays = s.Count("field array count");
                    s.ReadLine();
                    for (int k = 0; k < arrays; k++)
                    {
                        var name = s.Token("array name");
                        int comps = s.Count("component count"), tuples = s.Count("tuple count");
                        var type = s.Token("array type");
                        s.ReadLine();
                        var values = ReadValues(s, binary, (long)comps * tuples, type, $"FIELD array {name}");
                        if (section == 2 && name == UnstructuredGrid.MarkerName && comps == 1) markers = ToInts(path, values, name);
                    }
                    break;
                }
                case "VECTORS" or "NORMALS" or "TENSORS" or "TEXTURE_COORDINATES" or "COLOR_SCALARS":
                {
                    var k = key.ToUpperInvariant();
                    var name = s.Token("array name");
                    int comps = k switch { "TENSORS" => 9, "VECTORS" or "NORMALS" => 3, _ => s.Count("component count") };
                    var type = k == "COLOR_SCALARS" ? "float" : s.Token("array type");
                    s.ReadLine();
                    long count = (section == 2 ? cellDataCount : (points?.Length ?? 0) / 3) * (long)comps;
                    if (k == "COLOR_SCALARS" && binary) ReadValues(s, binary, count, "unsigned_char", name);
                    else ReadValues(s, binary, count, type, name);
                    break;
                }
                case "METADATA":
                    // Skip to the blank line that ends a metadata block.
                    while (true) { var l = s.ReadLine(); if (l is null || l.Trim().Length == 0) break; }
                    break;
                default: throw s.Error($"unexpected keyword '{key}'");
            }
        }
        if (points is null) throw s.Error("the file has no POINTS");
        if (offsets is null || conn is null) throw s.Error("the file has no CELLS");
        if (types is null) throw s.Error("the file has no CELL_TYPES");
        if (types.Length != offsets.Length - 1) throw s.Error($"{types.Length} cell types for {offsets.Length - 1} cells");
        if (markers is not null && markers.Length != types.Length) throw s.Error($"{markers.Length} markers for {types.Length} cells");
        var grid = new UnstructuredGrid { Points = points, Types = types, Offsets = offsets, Connectivity = conn, Markers = markers };
        return grid.ToContent(path);
    }

    private static InvalidDataException Where(string path, bool binary, long offset, int line, string what) =>
        binary ? FormatIo.AtByte(path, offset, what) : FormatIo.AtLine(path, line, what);

    private static string? PeekToken(ByteScanner s)
    {
        var mark = s.Save();
        var t = s.NextToken();
        s.Restore(mark);
        return t;
    }

    private static void Keyword(ByteScanner s, string word)
    {
        var t = s.Token(word);
        if (!t.Equals(word, StringComparison.OrdinalIgnoreCase)) throw s.Error($"expected {word}, got '{t}'");
    }

    private static int[] ToInts(string path, double[] v, string what)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            double d = v[i];
            if (d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue) throw new InvalidDataException($"{path}: {what} value {i} ({d}) is not a 32-bit integer");
            r[i] = (int)d;
        }
        return r;
    }

    private static int SizeOf(string type) => type.ToLowerInvariant() switch
    {
        "bit" => throw new InvalidDataException("bit arrays are not supported"),
        "unsigned_char" or "char" or "uint8" or "int8" => 1,
        "unsigned_short" or "short" or "uint16" or "int16" => 2,
        "unsigned_int" or "int" or "float" or "uint32" or "int32" or "vtktypeint32" or "vtktypeuint32" or "float32" => 4,
        "unsigned_long" or "long" or "double" or "vtktypeint64" or "vtktypeuint64" or "int64" or "uint64" or "float64" => 8,
        _ => -1,
    };

    private static double[] ReadValues(ByteScanner s, bool binary, long count, string type, string what)
    {
        int size = SizeOf(type);
        if (size < 0) throw s.Error($"{what}: unknown data type '{type}'");
        if (count > Array.MaxLength) throw s.Error($"{what}: {count} values exceed one array");
        var r = new double[count];
        if (!binary)
        {
            for (long i = 0; i < count; i++) r[i] = s.Double($"{what} value {i} of {count}");
            return r;
        }
        long start = s.Position;
        if (start + count * size > s.Bytes.Length)
            throw FormatIo.AtByte(s.Path, start, $"{what}: truncated binary data ({count} values of {size} bytes need {count * size} bytes, {s.Bytes.Length - start} remain)");
        var b = s.Bytes.AsSpan((int)start, (int)(count * size));
        string t = type.ToLowerInvariant();
        for (int i = 0; i < count; i++)
        {
            var x = b.Slice(i * size, size);
            r[i] = t switch
            {
                "unsigned_char" or "uint8" => x[0],
                "char" or "int8" => (sbyte)x[0],
                "unsigned_short" or "uint16" => BinaryPrimitives.ReadUInt16BigEndian(x),
                "short" or "int16" => BinaryPrimitives.ReadInt16BigEndian(x),
                "unsigned_int" or "uint32" or "vtktypeuint32" => BinaryPrimitives.ReadUInt32BigEndian(x),
                "int" or "int32" or "vtktypeint32" => BinaryPrimitives.ReadInt32BigEndian(x),
                "float" or "float32" => BinaryPrimitives.ReadSingleBigEndian(x),
                "unsigned_long" or "uint64" or "vtktypeuint64" => BinaryPrimitives.ReadUInt64BigEndian(x),
                "long" or "int64" or "vtktypeint64" => BinaryPrimitives.ReadInt64BigEndian(x),
                _ => BinaryPrimitives.ReadDoubleBigEndian(x),
            };
            if (!double.IsFinite(r[i])) throw FormatIo.AtByte(s.Path, start + (long)i * size, $"{what}: value {i} is not finite");
        }
        s.Position = (int)(start + count * size);
        return r;
    }
}
