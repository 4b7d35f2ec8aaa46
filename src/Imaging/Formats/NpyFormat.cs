using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// NumPy <c>.npy</c> arrays (format versions 1.0, 2.0 and 3.0). Reads dtypes u1, i1, u2, i2, f2, f4, f8 and the
/// 32/64-bit integers (when every value fits float32 exactly), little or big endian, C or Fortran order. A 3-D array
/// is (Z, Y, X); a 2-D array is one z plane (1, Y, X); axes of length 1 beyond three are dropped.
/// .npy stores no voxel size: the spacing is the override or 1 µm, and <see cref="ImageVolume.HasFileSpacing"/> is false.
/// </summary>
public static class NpyFormat
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the array at <paramref name="path"/> as (Z, Y, X) float32 samples.</summary>
    /// <exception cref="InvalidDataException">Corrupt, truncated or unsupported; the message starts with the path.</exception>
    public static ImageVolume Read(string path, Spacing? spacingOverride = null)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = fs.Length;
        var pre = new byte[12];
        int got = fs.ReadAtLeast(pre, pre.Length, throwOnEndOfStream: false);
        if (got < 10 || !pre.AsSpan(0, 6).SequenceEqual(Magic))
            throw FormatGuards.Error(path, "not a NumPy .npy file (missing the \\x93NUMPY magic)");
        int major = pre[6], minor = pre[7];
        long headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3)
        {
            if (got < 12) throw FormatGuards.Error(path, "truncated .npy preamble");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pre.AsSpan(8)); headerStart = 12;
        }
        else throw FormatGuards.Error(path, $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        if (headerStart + headerLength > fileLength)
            throw FormatGuards.Error(path, $"truncated: the .npy header of {headerLength} bytes runs past the end of the file ({fileLength} bytes)");
        var headerBytes = new byte[headerLength];
        fs.Position = headerStart;
        fs.ReadExactly(headerBytes);
        string header;
        try { header = (major == 3 ? new UTF8Encoding(false, true) : Encoding.Latin1).GetString(headerBytes); }
        catch (DecoderFallbackException) { throw FormatGuards.Error(path, "the .npy header is not valid UTF-8"); }

        var (descr, fortran, shape) = ParseHeader(path, header);
        var (type, little) = ParseDescr(path, descr);

        // Axes of length 1 do not change the memory layout (in C or Fortran order), so beyond three axes they are
        // dropped, leading ones first: (1, Z, Y, X) and (Z, Y, X, 1) both read as (Z, Y, X).
        var dims = new List<long>(shape);
        while (dims.Count > 3 && dims[0] == 1) dims.RemoveAt(0);
        while (dims.Count > 3 && dims[^1] == 1) dims.RemoveAt(dims.Count - 1);
        while (dims.Count > 3 && dims.IndexOf(1) is int one and >= 0) dims.RemoveAt(one);
        if (dims.Count > 3) throw FormatGuards.Error(path, $"array of shape ({string.Join(", ", shape)}) has more than three axes longer than 1");
        if (dims.Count < 2) throw FormatGuards.Error(path, $"array of shape ({string.Join(", ", shape)}) is not 2-D or 3-D");
        long nz = dims.Count == 3 ? dims[0] : 1, ny = dims[^2], nx = dims[^1];
        long dataStart = headerStart + headerLength;
        long available = fileLength - dataStart;
        if (FormatGuards.CheckedBytes(available, Samples.Size(type), nz, ny, nx) < 0)
            throw FormatGuards.Error(path, $"truncated or corrupt: shape ({string.Join(", ", shape)}) of {Samples.Name(type)} does not fit in the {available} data bytes");
        if (nz * ny * nx > Array.MaxLength)
            throw FormatGuards.Error(path, $"array of {nz * ny * nx} elements is too large to hold in memory");

        var data = new float[nz * ny * nx];
        Samples.ReadInto(path, fs, type, little, data);
        if (fortran) data = FortranToC(data, (int)nz, (int)ny, (int)nx);

        Spacing spacing = spacingOverride?.Validated() ?? Spacing.Isotropic(1.0);
        return new ImageVolume(new Volume<float>((int)nz, (int)ny, (int)nx, spacing, data), Samples.Name(type), false);
    }

    /// <summary>Fortran order of shape (Z, Y, X) stores z fastest and x slowest; returns the C-order copy.</summary>
    private static float[] FortranToC(float[] f, int nz, int ny, int nx)
    {
        var c = new float[f.Length];
        long i = 0;
        for (int x = 0; x < nx; x++)
            for (int y = 0; y < ny; y++)
                for (int z = 0; z < nz; z++)
                    c[((long)z * ny + y) * nx + x] = f[i++];
        return c;
    }

    /// <summary>Sample type and byte order of a NumPy dtype descr such as '&lt;u2'; throws naming the file otherwise.</summary>
    internal static (SampleType Type, bool Little) ParseDescr(string path, string descr)
    {
        if (descr.Length < 3) throw FormatGuards.Error(path, $"unsupported dtype '{descr}'");
        char order = descr[0];
        bool little = order switch
        {
            '<' => true,
            '>' => false,
            '|' or '=' => BitConverter.IsLittleEndian,
            _ => throw FormatGuards.Error(path, $"unsupported dtype '{descr}' (expected a byte-order mark <, > or |)"),
        };
        SampleType? t = descr[1..] switch
        {
            "u1" => SampleType.UInt8,
            "i1" => SampleType.Int8,
            "u2" => SampleType.UInt16,
            "i2" => SampleType.Int16,
            "u4" => SampleType.UInt32,
            "i4" => SampleType.Int32,
            "u8" => SampleType.UInt64,
            "i8" => SampleType.Int64,
            "f2" => SampleType.Float16,
            "f4" => SampleType.Float32,
            "f8" => SampleType.Float64,
            _ => null,
        };
        if (t is null) throw FormatGuards.Error(path, $"unsupported dtype '{descr}'; supported are u1, i1, u2, i2, u4, i4, u8, i8, f2, f4 and f8");
        return (t.Value, little);
    }

    /// <summary>Parses the Python dict literal {'descr': str, 'fortran_order': bool, 'shape': tuple}.</summary>
    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string path, string text)
    {
        var p = new Parser(path, text);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (!p.TryConsume('}'))
        {
            string key = p.String();
            p.Expect(':');
            switch (key)
            {
                case "descr":
                    if (p.Peek() != '\'' && p.Peek() != '"') throw p.Fail("structured (record) dtypes are not supported");
                    descr = p.String();
                    break;
                case "fortran_order": fortran = p.Bool(); break;
                case "shape": shape = p.Tuple(); break;
                default: throw p.Fail($"unexpected key '{key}'");
            }
            if (!p.TryConsume(',')) { p.Expect('}'); break; }
        }
        if (descr is null || fortran is null || shape is null)
            throw FormatGuards.Error(path, "the .npy header lacks one of 'descr', 'fortran_order' and 'shape'");
        return (descr, fortran.Value, shape);
    }

    private sealed class Parser(string path, string text)
    {
        private int _at;

        public InvalidDataException Fail(string what) => FormatGuards.Error(path, $"malformed .npy header at character {_at}: {what}");

        private void SkipSpace() { while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++; }

        public char Peek() { SkipSpace(); return _at < text.Length ? text[_at] : '\0'; }

        public bool TryConsume(char c)
        {
            if (Peek() != c) return false;
            _at++;
            return true;
        }

        public void Expect(char c) { if (!TryConsume(c)) throw Fail($"expected '{c}'"); }

        public string String()
        {
            char q = Peek();
            if (q != '\'' && q != '"') throw Fail("expected a quoted string");
            int end = text.IndexOf(q, _at + 1);
            if (end < 0) throw Fail("unterminated string");
            string s = text.Substring(_at + 1, end - _at - 1);
            _at = end + 1;
            return s;
        }

        public bool Bool()
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, "True", 0, 4) == 0) { _at += 4; return true; }
            if (string.CompareOrdinal(text, _at, "False", 0, 5) == 0) { _at += 5; return false; }
            throw Fail("expected True or False");
        }

        public long[] Tuple()
        {
            Expect('(');
            var dims = new List<long>();
            while (!TryConsume(')'))
            {
                SkipSpace();
                int start = _at;
                while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
                if (_at == start) throw Fail("expected a non-negative integer dimension");
                if (!long.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                    throw Fail("dimension out of range");
                if (_at < text.Length && text[_at] == 'L') _at++;   // Python 2 long suffix
                dims.Add(d);
                if (dims.Count > 32) throw Fail("more than 32 dimensions");
                if (!TryConsume(',')) { Expect(')'); break; }
            }
            return dims.ToArray();
        }
    }

    /// <summary>Writes a uint8 volume as dtype |u1, shape (Z, Y, X), C order.</summary>
    public static void Write(string path, Volume<byte> volume) => WriteArray(path, volume, "|u1");

    /// <summary>Writes an int8 volume as dtype |i1.</summary>
    public static void Write(string path, Volume<sbyte> volume) => WriteArray(path, volume, "|i1");

    /// <summary>Writes a uint16 volume as dtype u2 in the machine's byte order.</summary>
    public static void Write(string path, Volume<ushort> volume) => WriteArray(path, volume, Native("u2"));

    /// <summary>Writes an int16 volume as dtype i2.</summary>
    public static void Write(string path, Volume<short> volume) => WriteArray(path, volume, Native("i2"));

    /// <summary>Writes a float16 volume as dtype f2.</summary>
    public static void Write(string path, Volume<Half> volume) => WriteArray(path, volume, Native("f2"));

    /// <summary>Writes a float32 volume as dtype f4.</summary>
    public static void Write(string path, Volume<float> volume) => WriteArray(path, volume, Native("f4"));

    /// <summary>Writes a float64 volume as dtype f8.</summary>
    public static void Write(string path, Volume<double> volume) => WriteArray(path, volume, Native("f8"));

    /// <summary>
    /// Writes <paramref name="image"/> in its stored type when .npy has it (uint8, int8, uint16, int16, float16,
    /// float32) and as float32 otherwise. The spacing is not stored (.npy has no field for it).
    /// </summary>
    public static void Write(string path, ImageVolume image)
    {
        var v = image.Voxels;
        switch (image.DType)
        {
            case "uint8": Write(path, v.WithData(Map(v.Data, static f => (byte)f))); break;
            case "int8": Write(path, v.WithData(Map(v.Data, static f => (sbyte)f))); break;
            case "uint16": Write(path, v.WithData(Map(v.Data, static f => (ushort)f))); break;
            case "int16": Write(path, v.WithData(Map(v.Data, static f => (short)f))); break;
            case "float16": Write(path, v.WithData(Map(v.Data, static f => (Half)f))); break;
            default: Write(path, v); break;
        }
    }

    private static TOut[] Map<TOut>(float[] data, Func<float, TOut> f)
    {
        var r = new TOut[data.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(data[i]);
        return r;
    }

    private static string Native(string code) => (BitConverter.IsLittleEndian ? "<" : ">") + code;

    /// <summary>
    /// The bytes of a version-1.0 .npy header for a C-order (Z, Y, X) array of dtype <paramref name="descr"/> (e.g. '&lt;i4'),
    /// padded with spaces and a newline so that the data starts on a 64-byte boundary, as NumPy writes it.
    /// </summary>
    public static byte[] Header(string descr, long nz, long ny, long nx)
    {
        string dict = string.Create(CultureInfo.InvariantCulture,
            $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({nz}, {ny}, {nx}), }}");
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string text = dict + new string(' ', padded - total) + "\n";
        var header = new byte[10 + text.Length];
        Magic.CopyTo(header);
        header[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text).CopyTo(header, 10);
        return header;
    }

    private static void WriteArray<T>(string path, Volume<T> volume, string descr) where T : unmanaged
    {
        var header = Header(descr, volume.NZ, volume.NY, volume.NX);
        FormatGuards.WriteAtomically(path, fs =>
        {
            fs.Write(header);
            int plane = volume.NY * volume.NX;
            for (int z = 0; z < volume.NZ; z++)
                fs.Write(MemoryMarshal.AsBytes(volume.Data.AsSpan(z * plane, plane)));
        });
    }
}
