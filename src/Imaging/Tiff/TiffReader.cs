using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Reads multi-page grey-level TIFF stacks (classic TIFF and BigTIFF, little or big endian) into a (Z, Y, X) float32
/// volume, one page per z slice. Supported: 1 sample per pixel, uint8 / uint16 / float32 samples, strips with any
/// RowsPerStrip, compression none, LZW, Deflate (8 and 32946) and PackBits, predictor none, horizontal (2) and
/// floating point (3). ImageJ hyperstacks stored with a single IFD and contiguous data ("images=N") are read too.
/// </summary>
/// <remarks>
/// Spacing (µm) comes from ImageJ metadata: XResolution/YResolution are pixels per unit, the ImageDescription's
/// "unit=" names the unit (micron, um, µm, nm, mm, cm) and "spacing=" is the z step in that unit (ImageJ's default
/// is 1 unit). Without an ImageJ unit, resolutions are used only when ResolutionUnit is centimetre; the TIFF default
/// (inch, usually 72 dpi of screen meaning) is not treated as a physical size. OME-TIFF files (OME-XML in the first
/// ImageDescription) take the spacing from Pixels PhysicalSizeX/Y/Z and their units (default µm; pm, Å, nm, mm, cm and
/// m are converted) and read the SizeZ·SizeC·SizeT planes of the first image, of which only one axis may exceed 1.
/// </remarks>
public static class TiffReader
{
    /// <summary>
    /// Reads the TIFF at <paramref name="path"/>. <paramref name="spacingOverride"/> (µm, (Z, Y, X)) wins over the
    /// file's spacing; without either the spacing is 1 µm isotropic and <see cref="ImageVolume.HasFileSpacing"/>
    /// is false.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or uses an unsupported feature; the
    /// message names the file and the problem.</exception>
    public static ImageVolume Read(string path, Spacing? spacingOverride = null)
    {
        using var stack = TiffStack.Open(path, spacingOverride);
        long planeVoxels = (long)stack.NY * stack.NX;
        if (planeVoxels * stack.NZ > Array.MaxLength)
            throw new InvalidDataException($"{path}: stack of {stack.NZ} pages of {stack.NY}x{stack.NX} is too large to hold in memory; segment it out of core (shapestudy segment --out-of-core)");
        var data = new float[planeVoxels * stack.NZ];
        stack.ReadPlanes(0, stack.NZ, data);
        var volume = new Volume<float>(stack.NZ, stack.NY, stack.NX, stack.Spacing, data);
        return new ImageVolume(volume, stack.DType, stack.HasFileSpacing);
    }

    internal static Spacing? FileSpacing(PageLayout page, ImageJInfo ij)
    {
        double? unitUm = ij.UnitInMicrons;
        if (unitUm is null)
        {
            if (page.ResolutionUnit != 3 || page.XResolution is not > 0 || page.YResolution is not > 0) return null;
            double ux = 1e4 / page.XResolution.Value, uy = 1e4 / page.YResolution.Value;
            return new Spacing(ux, uy, ux);
        }
        double u = unitUm.Value;
        double x = page.XResolution is > 0 ? u / page.XResolution.Value : u;
        double y = page.YResolution is > 0 ? u / page.YResolution.Value : u;
        double z = ij.Spacing is > 0 ? u * ij.Spacing.Value : u;
        if (!double.IsFinite(x) || !double.IsFinite(y) || !double.IsFinite(z)) return null;
        return new Spacing(z, y, x);
    }

    /// <summary>Fields of the ImageJ ImageDescription that matter here.</summary>
    internal sealed record ImageJInfo(int Images, int Channels, double? Spacing, double? UnitInMicrons)
    {
        public static ImageJInfo Parse(string? description)
        {
            if (description is null || !description.StartsWith("ImageJ=", StringComparison.Ordinal))
                return new ImageJInfo(0, 1, null, null);
            int images = 0, channels = 1;
            double? spacing = null, unit = null;
            foreach (var rawLine in description.Split('\n'))
            {
                var line = rawLine.Trim();
                int eq = line.IndexOf('=');
                if (eq <= 0) continue;
                string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim();
                switch (key)
                {
                    case "images": int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out images); break;
                    case "channels": int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out channels); break;
                    case "spacing":
                        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s)) spacing = s;
                        break;
                    case "unit": unit = UnitToMicrons(value); break;
                }
            }
            return new ImageJInfo(images, Math.Max(channels, 1), spacing, unit);
        }

        private static double? UnitToMicrons(string unit) => unit.Replace("\\u00B5", "µ").Replace("\\u00b5", "µ").Replace('μ', 'µ').ToLowerInvariant() switch
        {
            "micron" or "microns" or "um" or "µm" or "micrometer" or "micrometre" or "micrometers" or "micrometres" => 1.0,
            "nm" or "nanometer" or "nanometre" or "nanometers" or "nanometres" => 1e-3,
            "mm" or "millimeter" or "millimetre" or "millimeters" or "millimetres" => 1e3,
            "cm" or "centimeter" or "centimetre" => 1e4,
            _ => null,
        };
    }
}

/// <summary>
/// Raw TIFF container over a seekable stream: byte order, IFD chain and typed tag access. Only the bytes asked for are
/// read, so files larger than memory can be decoded page by page.
/// </summary>
internal sealed class TiffFile : IDisposable
{
    private readonly Stream _stream;
    public string Path { get; }
    public long Length { get; }
    public bool LittleEndian { get; }
    public bool Big { get; }
    private readonly long _firstIfd;

    public TiffFile(string path, Stream stream)
    {
        Path = path;
        _stream = stream;
        Length = stream.Length;
        if (Length < 8) throw Error($"file is too short to be a TIFF ({Length} bytes)");
        Span<byte> bom = stackalloc byte[2];
        ReadAt(0, bom);
        if (bom[0] == (byte)'I' && bom[1] == (byte)'I') LittleEndian = true;
        else if (bom[0] == (byte)'M' && bom[1] == (byte)'M') LittleEndian = false;
        else throw Error("not a TIFF file (the byte-order mark is neither 'II' nor 'MM')");
        int magic = U16(2);
        if (magic == 42) { Big = false; _firstIfd = U32(4); }
        else if (magic == 43)
        {
            if (Length < 16) throw Error("truncated BigTIFF header");
            if (U16(4) != 8) throw Error($"BigTIFF offset size {U16(4)} is not supported (expected 8)");
            Big = true; _firstIfd = (long)U64(8);
        }
        else throw Error($"not a TIFF file (magic number {magic}, expected 42 or 43)");
    }

    /// <summary>Opens <paramref name="path"/> for page-wise reading.</summary>
    public static TiffFile Open(string path)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try { return new TiffFile(path, fs); }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    public InvalidDataException Error(string what) => new($"{Path}: {what}");

    /// <summary>Reads exactly <c>dest.Length</c> bytes at <paramref name="at"/>; a range outside the file is a typed error.</summary>
    public void ReadAt(long at, Span<byte> dest)
    {
        Check(at, dest.Length);
        _stream.Position = at;
        _stream.ReadExactly(dest);
    }

    public int U16(long at)
    {
        Span<byte> s = stackalloc byte[2];
        ReadAt(at, s);
        return LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    }

    public uint U32(long at)
    {
        Span<byte> s = stackalloc byte[4];
        ReadAt(at, s);
        return LittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    }

    public ulong U64(long at)
    {
        Span<byte> s = stackalloc byte[8];
        ReadAt(at, s);
        return LittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);
    }

    private void Check(long at, long n)
    {
        if (at < 0 || n < 0 || n > Length || at > Length - n)
            throw Error($"truncated or corrupt: needs bytes {at}..{at + n} but the file has {Length} bytes");
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>All IFDs in file order, each as a tag → entry map.</summary>
    public List<Dictionary<int, TiffEntry>> ReadIfds()
    {
        var result = new List<Dictionary<int, TiffEntry>>();
        var seen = new HashSet<long>();
        long offset = _firstIfd;
        while (offset != 0)
        {
            if (!seen.Add(offset)) throw Error($"IFD chain loops back to offset {offset}");
            if (offset < 8 || offset >= Length) throw Error($"truncated or corrupt: IFD {result.Count} offset {offset} lies outside the file ({Length} bytes)");
            long count = Big ? (long)U64(offset) : U16(offset);
            long entrySize = Big ? 20 : 12;
            long entries = offset + (Big ? 8 : 2);
            if (count <= 0 || count > Length / entrySize || entries + count * entrySize + (Big ? 8 : 4) > Length)
                throw Error($"truncated or corrupt: IFD {result.Count} at offset {offset} declares {count} entries that do not fit in the file");
            var map = new Dictionary<int, TiffEntry>();
            var block = new byte[count * entrySize + (Big ? 8 : 4)];
            ReadAt(entries, block);
            for (long i = 0; i < count; i++)
            {
                long e = entries + i * entrySize;
                var at = block.AsSpan((int)(i * entrySize));
                int tag = U16(at), type = U16(at[2..]);
                long n = Big ? (long)U64(at[4..]) : U32(at[4..]);
                int size = TypeSize(type);
                long valueField = e + (Big ? 12 : 8);
                long inline = Big ? 8 : 4;
                long valueOffset = size == 0 ? -1 : (n * size <= inline ? valueField : (Big ? (long)U64(at[12..]) : U32(at[8..])));
                map[tag] = new TiffEntry(tag, type, n, valueOffset);
            }
            result.Add(map);
            var next = block.AsSpan((int)(count * entrySize));
            offset = Big ? (long)U64(next) : U32(next);
        }
        if (result.Count == 0) throw Error("the file contains no image (no IFD)");
        return result;
    }

    public static int TypeSize(int type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 or 13 => 4,
        5 or 10 or 12 or 16 or 17 or 18 => 8,
        _ => 0,
    };

    /// <summary>Integer values of an entry (BYTE/SHORT/LONG/LONG8 and their signed forms).</summary>
    public long[] Integers(TiffEntry e)
    {
        if (e.ValueOffset < 0) throw Error($"tag {e.Tag} has unknown field type {e.Type}");
        int size = TypeSize(e.Type);
        if (e.Count < 0 || e.Count > Length || e.ValueOffset > Length - e.Count * size)
            throw Error($"truncated or corrupt: tag {e.Tag} declares {e.Count} values that do not fit in the file");
        var bytes = new byte[e.Count * size];
        ReadAt(e.ValueOffset, bytes);
        var v = new long[e.Count];
        for (long i = 0; i < e.Count; i++)
        {
            var at = bytes.AsSpan((int)(i * size));
            v[i] = e.Type switch
            {
                1 or 7 => at[0],
                6 => (sbyte)at[0],
                3 => U16(at),
                8 => (short)U16(at),
                4 or 13 => U32(at),
                9 => (int)U32(at),
                16 or 18 => (long)U64(at),
                17 => (long)U64(at),
                _ => throw Error($"tag {e.Tag} has type {e.Type}, expected an integer type"),
            };
        }
        return v;
    }

    private int U16(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    private uint U32(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    private ulong U64(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);

    public double Rational(TiffEntry e)
    {
        if (e.Type == 5 || e.Type == 10)
        {
            double num = e.Type == 5 ? U32(e.ValueOffset) : (int)U32(e.ValueOffset);
            double den = e.Type == 5 ? U32(e.ValueOffset + 4) : (int)U32(e.ValueOffset + 4);
            return den == 0 ? double.NaN : num / den;
        }
        if (e.Type == 11) { var bits = U32(e.ValueOffset); return BitConverter.UInt32BitsToSingle(bits); }
        if (e.Type == 12) { var bits = U64(e.ValueOffset); return BitConverter.UInt64BitsToDouble(bits); }
        var values = Integers(e);
        if (values.Length == 0) throw Error($"tag {e.Tag} has no value");
        return values[0];
    }

    public string Ascii(TiffEntry e)
    {
        if (e.Count < 0 || e.Count > Length) throw Error($"truncated or corrupt: tag {e.Tag} declares {e.Count} characters");
        var bytes = new byte[e.Count];
        ReadAt(e.ValueOffset, bytes);
        ReadOnlySpan<byte> span = bytes;
        int nul = span.IndexOf((byte)0);
        if (nul >= 0) span = span[..nul];
        return Encoding.UTF8.GetString(span);
    }
}

internal readonly record struct TiffEntry(int Tag, int Type, long Count, long ValueOffset);

/// <summary>The layout of one page's samples and how to decode them.</summary>
internal sealed class PageLayout
{
    public int Width, Height, BitsPerSample, Compression, Predictor, RowsPerStrip, SampleFormat, ResolutionUnit;
    public long[] StripOffsets = [];
    public long[] StripByteCounts = [];
    public double? XResolution, YResolution;
    public string? Description;
    public string DType = "";
    public int BytesPerSample => BitsPerSample / 8;

    public static PageLayout From(TiffFile f, Dictionary<int, TiffEntry> ifd, int index)
    {
        long One(int tag, long fallback)
        {
            if (!ifd.TryGetValue(tag, out var e)) return fallback;
            var v = f.Integers(e);
            return v.Length == 0 ? fallback : v[0];
        }
        var p = new PageLayout();
        if (!ifd.ContainsKey(256) || !ifd.ContainsKey(257)) throw f.Error($"page {index} lacks ImageWidth/ImageLength");
        long width = One(256, 0), height = One(257, 0);
        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue || width * height > Array.MaxLength / 4)
            throw f.Error($"page {index} has an invalid size {height}x{width}");
        p.Width = (int)width;
        p.Height = (int)height;
        int spp = (int)One(277, 1);
        if (spp != 1) throw f.Error($"page {index} has {spp} samples per pixel; only single-channel grey-level images are supported");
        if (ifd.ContainsKey(322) || ifd.ContainsKey(324))
            throw f.Error($"page {index} is tiled; only strip-organised TIFF is supported (re-save with strips, e.g. tifffile without tile=)");
        if (ifd.TryGetValue(258, out var bpsEntry))
        {
            var bps = f.Integers(bpsEntry);
            if (bps.Length == 0) throw f.Error($"page {index} has an empty BitsPerSample tag");
            p.BitsPerSample = (int)Math.Clamp(bps[0], 0, 1024);
        }
        else p.BitsPerSample = 1;
        p.SampleFormat = (int)One(339, 1);
        p.DType = (p.SampleFormat, p.BitsPerSample) switch
        {
            (1, 8) => "uint8",
            (1, 16) => "uint16",
            (3, 32) => "float32",
            _ => throw f.Error($"page {index} has {p.BitsPerSample}-bit samples of format {p.SampleFormat} ({FormatName(p.SampleFormat)}); supported are uint8, uint16 and float32"),
        };
        p.Compression = (int)One(259, 1);
        if (p.Compression is not (1 or 5 or 8 or 32946 or 32773))
            throw f.Error($"compression {p.Compression} ({CompressionName(p.Compression)}) is not supported; use none, LZW or Deflate");
        p.Predictor = (int)One(317, 1);
        if (p.Predictor is not (1 or 2 or 3)) throw f.Error($"predictor {p.Predictor} is not supported (expected 1, 2 or 3)");
        if (p.Predictor == 3 && p.DType != "float32") throw f.Error($"floating-point predictor on {p.DType} samples is invalid");
        long rps = One(278, p.Height);
        p.RowsPerStrip = (int)Math.Clamp(rps, 1, p.Height);
        if (!ifd.TryGetValue(273, out var offs)) throw f.Error($"page {index} has no StripOffsets");
        p.StripOffsets = f.Integers(offs);
        int strips = (p.Height + p.RowsPerStrip - 1) / p.RowsPerStrip;
        if (p.StripOffsets.Length < strips)
            throw f.Error($"page {index} has {p.StripOffsets.Length} strip offsets but {strips} strips of {p.RowsPerStrip} rows are needed");
        if (ifd.TryGetValue(279, out var counts)) p.StripByteCounts = f.Integers(counts);
        else if (p.Compression == 1)
        {
            p.StripByteCounts = new long[strips];
            for (int s = 0; s < strips; s++)
                p.StripByteCounts[s] = (long)Math.Min(p.RowsPerStrip, p.Height - s * p.RowsPerStrip) * p.Width * p.BytesPerSample;
        }
        else throw f.Error($"page {index} is compressed but has no StripByteCounts");
        if (p.StripByteCounts.Length < strips) throw f.Error($"page {index} has {p.StripByteCounts.Length} strip byte counts but {strips} strips");
        if (ifd.TryGetValue(282, out var xr)) p.XResolution = f.Rational(xr);
        if (ifd.TryGetValue(283, out var yr)) p.YResolution = f.Rational(yr);
        p.ResolutionUnit = (int)One(296, 2);
        if (ifd.TryGetValue(270, out var desc) && desc.Type == 2) p.Description = f.Ascii(desc);
        return p;
    }

    private static string FormatName(int format) => format switch
    {
        1 => "unsigned integer",
        2 => "signed integer",
        3 => "IEEE float",
        _ => "unknown",
    };

    private static string CompressionName(int c) => c switch
    {
        2 => "CCITT RLE",
        3 => "CCITT Group 3",
        4 => "CCITT Group 4",
        6 => "old-style JPEG",
        7 => "JPEG",
        34712 => "JPEG 2000",
        34887 or 34925 => "LERC",
        50000 => "ZSTD",
        50001 or 34927 => "WebP",
        34933 => "PNG",
        34934 => "JPEG XR",
        _ => "unknown",
    };

    /// <summary>Decodes every strip of this page into <paramref name="dest"/> (Height × Width floats).</summary>
    public void Decode(TiffFile f, Span<float> dest)
    {
        int rowBytes = Width * BytesPerSample;
        int strips = (Height + RowsPerStrip - 1) / RowsPerStrip;
        var buffer = new byte[(long)RowsPerStrip * rowBytes];
        byte[] packed = [];
        for (int s = 0; s < strips; s++)
        {
            int rows = Math.Min(RowsPerStrip, Height - s * RowsPerStrip);
            int expected = rows * rowBytes;
            long off = StripOffsets[s], count = StripByteCounts[s];
            ReadOnlySpan<byte> raw;
            if (Compression == 1)
            {
                if (off < 0 || off > f.Length - expected)
                    throw f.Error($"truncated: strip {s} needs {expected} bytes at offset {off} but the file has {f.Length} bytes");
                f.ReadAt(off, buffer.AsSpan(0, expected));
                raw = buffer.AsSpan(0, expected);
            }
            else
            {
                if (off < 0 || count < 0 || off > f.Length - count || count > Array.MaxLength)
                    throw f.Error($"truncated: compressed strip {s} of {count} bytes at offset {off} runs past the end of the file ({f.Length} bytes)");
                if (packed.Length < count) packed = new byte[count];
                f.ReadAt(off, packed.AsSpan(0, (int)count));
                var src = packed.AsSpan(0, (int)count);
                var outSpan = buffer.AsSpan(0, expected);
                int produced = Compression switch
                {
                    5 => Lzw.Decode(src, outSpan),
                    8 or 32946 => Inflate(f, s, packed, (int)count, outSpan),
                    _ => PackBits(src, outSpan),
                };
                if (produced < 0) throw f.Error($"corrupt: strip {s} holds an invalid LZW code stream");
                if (produced < expected)
                    throw f.Error($"corrupt or truncated: strip {s} decompressed to {produced} bytes, expected {expected}");
                if (Predictor == 2) UndoHorizontalDifferencing(outSpan, rows, f.LittleEndian);
                else if (Predictor == 3) UndoFloatingPointPredictor(outSpan, rows);
                raw = outSpan;
            }
            bool little = Predictor == 3 ? BitConverter.IsLittleEndian : f.LittleEndian;
            ConvertSamples(raw, dest.Slice(s * RowsPerStrip * Width, rows * Width), little);
        }
    }

    /// <summary>Converts packed samples in the given byte order to floats.</summary>
    public void ConvertSamples(ReadOnlySpan<byte> raw, Span<float> dest, bool littleEndian)
    {
        switch (DType)
        {
            case "uint8":
                for (int i = 0; i < dest.Length; i++) dest[i] = raw[i];
                break;
            case "uint16":
                for (int i = 0; i < dest.Length; i++)
                    dest[i] = littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(2 * i, 2)) : BinaryPrimitives.ReadUInt16BigEndian(raw.Slice(2 * i, 2));
                break;
            default:
                for (int i = 0; i < dest.Length; i++)
                    dest[i] = littleEndian ? BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(4 * i, 4)) : BinaryPrimitives.ReadSingleBigEndian(raw.Slice(4 * i, 4));
                break;
        }
    }

    private void UndoHorizontalDifferencing(Span<byte> data, int rows, bool littleEndian)
    {
        int rowBytes = Width * BytesPerSample;
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * rowBytes, rowBytes);
            if (BytesPerSample == 1)
            {
                for (int i = 1; i < row.Length; i++) row[i] = (byte)(row[i] + row[i - 1]);
            }
            else if (BytesPerSample == 2)
            {
                ushort prev = Read16(row, 0, littleEndian);
                for (int i = 1; i < Width; i++)
                {
                    prev = (ushort)(prev + Read16(row, i, littleEndian));
                    if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(row.Slice(2 * i), prev);
                    else BinaryPrimitives.WriteUInt16BigEndian(row.Slice(2 * i), prev);
                }
            }
            else
            {
                uint prev = Read32(row, 0, littleEndian);
                for (int i = 1; i < Width; i++)
                {
                    prev += Read32(row, i, littleEndian);
                    if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(row.Slice(4 * i), prev);
                    else BinaryPrimitives.WriteUInt32BigEndian(row.Slice(4 * i), prev);
                }
            }
        }
    }

    private static ushort Read16(Span<byte> row, int i, bool le) =>
        le ? BinaryPrimitives.ReadUInt16LittleEndian(row.Slice(2 * i)) : BinaryPrimitives.ReadUInt16BigEndian(row.Slice(2 * i));

    private static uint Read32(Span<byte> row, int i, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(row.Slice(4 * i)) : BinaryPrimitives.ReadUInt32BigEndian(row.Slice(4 * i));

    /// <summary>
    /// Undoes TIFF predictor 3: bytes are differenced along the row, and each row stores all most-significant bytes
    /// first. Output is in the machine's byte order.
    /// </summary>
    private void UndoFloatingPointPredictor(Span<byte> data, int rows)
    {
        int rowBytes = Width * 4;
        var tmp = new byte[rowBytes];
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * rowBytes, rowBytes);
            for (int i = 1; i < rowBytes; i++) row[i] = (byte)(row[i] + row[i - 1]);
            row.CopyTo(tmp);
            for (int k = 0; k < Width; k++)
                for (int b = 0; b < 4; b++)
                {
                    int dst = BitConverter.IsLittleEndian ? 3 - b : b;
                    row[4 * k + dst] = tmp[b * Width + k];
                }
        }
    }

    private static int Inflate(TiffFile f, int strip, byte[] packed, int count, Span<byte> dest)
    {
        try
        {
            using var ms = new MemoryStream(packed, 0, count, writable: false);
            using var z = new ZLibStream(ms, CompressionMode.Decompress);
            int total = 0;
            while (total < dest.Length)
            {
                int n = z.Read(dest[total..]);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (InvalidDataException e)
        {
            throw f.Error($"corrupt Deflate data in strip {strip}: {e.Message}");
        }
    }

    private static int PackBits(ReadOnlySpan<byte> src, Span<byte> dest)
    {
        int i = 0, o = 0;
        while (i < src.Length && o < dest.Length)
        {
            int n = (sbyte)src[i++];
            if (n >= 0)
            {
                int len = Math.Min(n + 1, Math.Min(src.Length - i, dest.Length - o));
                src.Slice(i, len).CopyTo(dest[o..]);
                i += n + 1; o += len;
            }
            else if (n != -128)
            {
                if (i >= src.Length) break;
                byte b = src[i++];
                int len = Math.Min(1 - n, dest.Length - o);
                dest.Slice(o, len).Fill(b);
                o += len;
            }
        }
        return o;
    }
}
