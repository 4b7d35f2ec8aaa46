using System.Buffers.Binary;
using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// VTK XML unstructured grids (.vtu; coordinates in µm). Writes one piece with Float64 points, Int64 connectivity and
/// offsets, UInt8 types and Int32 cell data <c>marker</c>, as ascii or as base64 raw binary (header_type UInt64, no
/// compression); reads ascii and base64 raw DataArrays (UInt32 or UInt64 headers, either byte order) of triangle and
/// tetrahedron cells, uncompressed or zlib-compressed (meshio's default). LZMA and appended data are refused with a clear
/// error.
/// </summary>
public static class VtuFormat
{
    /// <summary>Writes triangles with <paramref name="faceMarkers"/> as cell data when given. Atomic.</summary>
    public static void Write(string path, TriangleMesh mesh, int[]? faceMarkers = null, bool ascii = false) =>
        Write(path, UnstructuredGrid.From(mesh, faceMarkers), ascii);

    /// <summary>
    /// Writes the tetrahedra (marker = <see cref="TetMesh.TetRegions"/>) followed by the boundary faces (marker =
    /// <see cref="TetMesh.FaceMarkers"/>) in one piece; meshio reads them as a tetra and a triangle block. Atomic.
    /// </summary>
    public static void Write(string path, TetMesh mesh, bool ascii = false) => Write(path, UnstructuredGrid.From(mesh), ascii);

    private static void Write(string path, UnstructuredGrid g, bool ascii)
    {
        FormatIo.AtomicWrite(path, fs =>
        {
            using var w = new StreamWriter(fs, FormatIo.Utf8, 1 << 16);
            w.NewLine = "\n";
            string fmt = ascii ? "ascii" : "binary";
            int np = g.Points.Length / 3, nc = g.CellCount;
            w.WriteLine("<?xml version=\"1.0\"?>");
            w.WriteLine("<!-- ShapeStudy mesh; units: micrometres -->");
            w.WriteLine("<VTKFile type=\"UnstructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">");
            w.WriteLine("<UnstructuredGrid>");
            w.WriteLine(FormattableString.Invariant($"<Piece NumberOfPoints=\"{np}\" NumberOfCells=\"{nc}\">"));
            w.WriteLine("<Points>");
            w.Write($"<DataArray type=\"Float64\" Name=\"Points\" NumberOfComponents=\"3\" format=\"{fmt}\">");
            if (ascii) WriteAscii(w, g.Points, v => v.ToString("R", CultureInfo.InvariantCulture));
            else WriteBase64(w, g.Points.Length * 8L, (span, i) => BinaryPrimitives.WriteDoubleLittleEndian(span, g.Points[i]), 8, g.Points.Length);
            w.WriteLine("</DataArray>");
            w.WriteLine("</Points>");
            w.WriteLine("<Cells>");
            w.Write($"<DataArray type=\"Int64\" Name=\"connectivity\" format=\"{fmt}\">");
            if (ascii) WriteAscii(w, g.Connectivity, v => v.ToString(CultureInfo.InvariantCulture));
            else WriteBase64(w, g.Connectivity.Length * 8L, (span, i) => BinaryPrimitives.WriteInt64LittleEndian(span, g.Connectivity[i]), 8, g.Connectivity.Length);
            w.WriteLine("</DataArray>");
            w.Write($"<DataArray type=\"Int64\" Name=\"offsets\" format=\"{fmt}\">");
            if (ascii) WriteAscii(w, g.Offsets[1..], v => v.ToString(CultureInfo.InvariantCulture));
            else WriteBase64(w, nc * 8L, (span, i) => BinaryPrimitives.WriteInt64LittleEndian(span, g.Offsets[i + 1]), 8, nc);
            w.WriteLine("</DataArray>");
            w.Write($"<DataArray type=\"UInt8\" Name=\"types\" format=\"{fmt}\">");
            if (ascii) WriteAscii(w, g.Types, v => v.ToString(CultureInfo.InvariantCulture));
            else WriteBase64(w, nc, (span, i) => span[0] = (byte)g.Types[i], 1, nc);
            w.WriteLine("</DataArray>");
            w.WriteLine("</Cells>");
            if (g.Markers is not null)
            {
                w.WriteLine("<CellData>");
                w.Write($"<DataArray type=\"Int32\" Name=\"{UnstructuredGrid.MarkerName}\" format=\"{fmt}\">");
                if (ascii) WriteAscii(w, g.Markers, v => v.ToString(CultureInfo.InvariantCulture));
                else WriteBase64(w, nc * 4L, (span, i) => BinaryPrimitives.WriteInt32LittleEndian(span, g.Markers[i]), 4, nc);
                w.WriteLine("</DataArray>");
                w.WriteLine("</CellData>");
            }
            w.WriteLine("</Piece>");
            w.WriteLine("</UnstructuredGrid>");
            w.WriteLine("</VTKFile>");
        });
    }

    private static void WriteAscii<T>(StreamWriter w, T[] values, Func<T, string> format)
    {
        w.WriteLine();
        for (int i = 0; i < values.Length; i++)
        {
            w.Write(format(values[i]));
            w.Write((i + 1) % 12 == 0 || i + 1 == values.Length ? '\n' : ' ');
        }
    }

    private delegate void Put(Span<byte> dest, int index);

    /// <summary>base64 of (UInt64 byte count, raw little-endian values), as one stream.</summary>
    private static void WriteBase64(StreamWriter w, long byteCount, Put put, int size, int count)
    {
        var raw = new byte[8 + byteCount];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, (ulong)byteCount);
        for (int i = 0; i < count; i++) put(raw.AsSpan(8 + i * size, size), i);
        w.WriteLine();
        w.WriteLine(Convert.ToBase64String(raw));
    }

    /// <summary>Reads a .vtu file of triangle and/or tetrahedron cells.</summary>
    /// <exception cref="InvalidDataException">Corrupt or unsupported input; the message names the file and the line.</exception>
    public static MeshFileContent Read(string path)
    {
        XDocument doc;
        try
        {
            using var stream = File.OpenRead(path);
            doc = XDocument.Load(stream, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            throw FormatIo.AtLine(path, ex.LineNumber, $"malformed XML: {ex.Message}");
        }
        var root = doc.Root!;
        int Line(XObject o) => o is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : 0;
        if (root.Name.LocalName != "VTKFile" || (string?)root.Attribute("type") != "UnstructuredGrid")
            throw FormatIo.AtLine(path, Line(root), "not a VTK XML UnstructuredGrid file (root must be <VTKFile type=\"UnstructuredGrid\">)");
        bool zlib = false;
        if (root.Attribute("compressor") is XAttribute comp)
        {
            if (comp.Value != "vtkZLibDataCompressor")
                throw FormatIo.AtLine(path, Line(root), $"compressed data ({comp.Value}) is not supported; only vtkZLibDataCompressor and uncompressed data are");
            zlib = true;
        }
        bool bigEndian = (string?)root.Attribute("byte_order") == "BigEndian";
        string header = (string?)root.Attribute("header_type") ?? "UInt32";
        if (header is not ("UInt32" or "UInt64")) throw FormatIo.AtLine(path, Line(root), $"unsupported header_type '{header}'");
        var grid = root.Element("UnstructuredGrid") ?? throw FormatIo.AtLine(path, Line(root), "missing <UnstructuredGrid>");
        var pieces = grid.Elements("Piece").ToList();
        if (pieces.Count != 1) throw FormatIo.AtLine(path, Line(grid), $"{pieces.Count} pieces; exactly one is supported");
        var piece = pieces[0];
        int np = IntAttr(path, piece, "NumberOfPoints", Line), nc = IntAttr(path, piece, "NumberOfCells", Line);
        var pointsEl = piece.Element("Points")?.Element("DataArray") ?? throw FormatIo.AtLine(path, Line(piece), "missing <Points><DataArray>");
        var points = Values(path, pointsEl, 3L * np, bigEndian, header, zlib, Line);
        var cells = piece.Element("Cells") ?? throw FormatIo.AtLine(path, Line(piece), "missing <Cells>");
        XElement Named(XElement parent, string name) =>
            parent.Elements("DataArray").FirstOrDefault(e => (string?)e.Attribute("Name") == name)
            ?? throw FormatIo.AtLine(path, Line(parent), $"missing DataArray '{name}'");
        var offsetsEl = Named(cells, "offsets");
        var offs = Ints(path, offsetsEl, Values(path, offsetsEl, nc, bigEndian, header, zlib, Line), Line);
        long connCount = nc == 0 ? 0 : offs[^1];
        var connEl = Named(cells, "connectivity");
        var conn = Ints(path, connEl, Values(path, connEl, connCount, bigEndian, header, zlib, Line), Line);
        var typesEl = Named(cells, "types");
        var types = Ints(path, typesEl, Values(path, typesEl, nc, bigEndian, header, zlib, Line), Line);
        var offsets = new int[nc + 1];
        for (int c = 0; c < nc; c++)
        {
            offsets[c + 1] = offs[c];
            if (offs[c] < offsets[c]) throw FormatIo.AtLine(path, Line(offsetsEl), $"offsets decrease at cell {c}");
        }
        int[]? markers = null;
        var markerEl = piece.Element("CellData")?.Elements("DataArray").FirstOrDefault(e => (string?)e.Attribute("Name") == UnstructuredGrid.MarkerName);
        if (markerEl is not null) markers = Ints(path, markerEl, Values(path, markerEl, nc, bigEndian, header, zlib, Line), Line);
        var g = new UnstructuredGrid { Points = points, Types = types, Offsets = offsets, Connectivity = conn, Markers = markers };
        return g.ToContent(path);
    }

    private static int IntAttr(string path, XElement e, string name, Func<XObject, int> line)
    {
        var a = e.Attribute(name);
        if (a is null || !int.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            throw FormatIo.AtLine(path, line(e), $"<{e.Name.LocalName}> needs a non-negative integer {name}");
        return v;
    }

    private static int[] Ints(string path, XElement e, double[] v, Func<XObject, int> line)
    {
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] != Math.Floor(v[i]) || v[i] < int.MinValue || v[i] > int.MaxValue)
                throw FormatIo.AtLine(path, line(e), $"DataArray '{(string?)e.Attribute("Name")}' value {i} ({v[i]}) is not a 32-bit integer");
            r[i] = (int)v[i];
        }
        return r;
    }

    private static double[] Values(string path, XElement e, long count, bool bigEndian, string header, bool zlib, Func<XObject, int> line)
    {
        string name = (string?)e.Attribute("Name") ?? "(unnamed)";
        string type = (string?)e.Attribute("type") ?? throw FormatIo.AtLine(path, line(e), $"DataArray '{name}' has no type");
        string format = (string?)e.Attribute("format") ?? "ascii";
        int size = type switch
        {
            "Int8" or "UInt8" => 1,
            "Int16" or "UInt16" => 2,
            "Int32" or "UInt32" or "Float32" => 4,
            "Int64" or "UInt64" or "Float64" => 8,
            _ => throw FormatIo.AtLine(path, line(e), $"DataArray '{name}': unknown type '{type}'"),
        };
        if (count > Array.MaxLength) throw FormatIo.AtLine(path, line(e), $"DataArray '{name}': {count} values exceed one array");
        var r = new double[count];
        if (format == "ascii")
        {
            var tokens = e.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length != count)
                throw FormatIo.AtLine(path, line(e), $"DataArray '{name}' has {tokens.Length} values, expected {count}");
            for (int i = 0; i < count; i++)
                if (!double.TryParse(tokens[i], NumberStyles.Float, CultureInfo.InvariantCulture, out r[i]) || !double.IsFinite(r[i]))
                    throw FormatIo.AtLine(path, line(e), $"DataArray '{name}' value {i} ('{tokens[i]}') is not a finite number");
            return r;
        }
        if (format != "binary")
            throw FormatIo.AtLine(path, line(e), $"DataArray '{name}': format '{format}' is not supported (ascii and binary are)");
        int hsize = header == "UInt64" ? 8 : 4;
        long need = count * size;
        byte[] bytes = zlib ? Inflate(path, e, name, hsize, bigEndian, need, line) : Raw(path, e, name, hsize, bigEndian, need, line);
        var b = bytes.AsSpan();
        for (int i = 0; i < count; i++)
        {
            var x = b.Slice(i * size, size);
            r[i] = type switch
            {
                "Int8" => (sbyte)x[0],
                "UInt8" => x[0],
                "Int16" => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(x) : BinaryPrimitives.ReadInt16LittleEndian(x),
                "UInt16" => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(x) : BinaryPrimitives.ReadUInt16LittleEndian(x),
                "Int32" => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(x) : BinaryPrimitives.ReadInt32LittleEndian(x),
                "UInt32" => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(x) : BinaryPrimitives.ReadUInt32LittleEndian(x),
                "Float32" => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(x) : BinaryPrimitives.ReadSingleLittleEndian(x),
                "Int64" => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(x) : BinaryPrimitives.ReadInt64LittleEndian(x),
                "UInt64" => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(x) : BinaryPrimitives.ReadUInt64LittleEndian(x),
                _ => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(x) : BinaryPrimitives.ReadDoubleLittleEndian(x),
            };
            if (!double.IsFinite(r[i])) throw FormatIo.AtLine(path, line(e), $"DataArray '{name}' value {i} is not finite");
        }
        return r;
    }

    private static ulong Header(ReadOnlySpan<byte> b, int hsize, bool bigEndian) => hsize == 8
        ? (bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b))
        : (bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b));

    /// <summary>Uncompressed base64: (byte count header, data), encoded together or as two base64 groups.</summary>
    private static byte[] Raw(string path, XElement e, string name, int hsize, bool bigEndian, long need, Func<XObject, int> line)
    {
        byte[] bytes;
        string text = e.Value.Trim();
        try { bytes = Convert.FromBase64String(text); }
        catch (FormatException)
        {
            int hchars = (hsize + 2) / 3 * 4;
            try
            {
                var h = Convert.FromBase64String(text[..Math.Min(hchars, text.Length)]);
                var d = Convert.FromBase64String(text[Math.Min(hchars, text.Length)..]);
                bytes = [.. h.AsSpan(0, Math.Min(hsize, h.Length)), .. d];
            }
            catch (FormatException) { throw FormatIo.AtLine(path, line(e), $"DataArray '{name}' is not valid base64"); }
        }
        if (bytes.Length < hsize) throw FormatIo.AtLine(path, line(e), $"DataArray '{name}': binary data shorter than its header");
        ulong declared = Header(bytes, hsize, bigEndian);
        if ((long)declared != need || bytes.Length - hsize < need)
            throw FormatIo.AtLine(path, line(e), $"DataArray '{name}': {need} bytes expected, the header declares {declared} and {bytes.Length - hsize} are present");
        return bytes[hsize..(int)(hsize + need)];
    }

    /// <summary>zlib-compressed base64: header (blocks, block size, last block size, compressed sizes…) then the blocks,
    /// each part base64-encoded on its own.</summary>
    private static byte[] Inflate(string path, XElement e, string name, int hsize, bool bigEndian, long need, Func<XObject, int> line)
    {
        string text = e.Value.Trim();
        InvalidDataException Bad(string what) => FormatIo.AtLine(path, line(e), $"DataArray '{name}': {what}");
        static int Chars(int bytes) => (bytes + 2) / 3 * 4;
        try
        {
            var first = Convert.FromBase64String(text[..Math.Min(Chars(hsize), text.Length)]);
            if (first.Length < hsize) throw Bad("compressed header truncated");
            long blocks = (long)Header(first, hsize, bigEndian);
            if (blocks < 0 || blocks > 1 << 24) throw Bad($"{blocks} compressed blocks is out of range");
            int headerBytes = (int)((3 + blocks) * hsize);
            int headerChars = Chars(headerBytes);
            if (headerChars > text.Length) throw Bad("compressed header truncated");
            var head = Convert.FromBase64String(text[..headerChars]);
            var data = Convert.FromBase64String(text[headerChars..]);
            var result = new byte[need];
            int at = 0, src = 0;
            for (int k = 0; k < blocks; k++)
            {
                long csize = (long)Header(head.AsSpan((3 + k) * hsize), hsize, bigEndian);
                if (csize < 0 || src + csize > data.Length) throw Bad($"compressed block {k} runs past the data");
                using var z = new System.IO.Compression.ZLibStream(new MemoryStream(data, src, (int)csize), System.IO.Compression.CompressionMode.Decompress);
                int got;
                while (at < need && (got = z.Read(result, at, (int)(need - at))) > 0) at += got;
                src += (int)csize;
            }
            if (at != need) throw Bad($"{need} bytes expected, {at} decompressed");
            return result;
        }
        catch (FormatException) { throw Bad("is not valid base64"); }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal)) { throw Bad($"corrupt zlib data ({ex.Message})"); }
    }
}
