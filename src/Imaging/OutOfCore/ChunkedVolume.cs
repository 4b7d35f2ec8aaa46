using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// A (Z, Y, X) volume on disk read in z-slabs without ever loading the whole array: NumPy <c>.npy</c> (C order,
/// dtypes u1, i1, u2, i2, u4, i4, u8, i8, f2, f4, f8), MRC2014 (modes 0, 1, 2, 6, 12, axis order MAPC/MAPR/MAPS =
/// 1/2/3) and multi-page TIFF / OME-TIFF / ImageJ stacks (BigTIFF too; pages decoded on demand by <see cref="TiffStack"/>).
/// NumPy and MRC store C-order z planes contiguously after a header, so planes [z0, z1) are one contiguous byte range.
/// Samples are converted to float32 exactly as <see cref="NpyFormat.Read"/>, <see cref="MrcFormat.Read"/> and
/// <see cref="TiffReader.Read"/> do.
/// </summary>
public sealed class ChunkedVolume : IDisposable
{
    private readonly FileStream? _stream;
    private readonly TiffStack? _tiff;
    private readonly SampleType _type;
    private readonly bool _little;
    private readonly long _dataStart;

    /// <summary>Path of the file.</summary>
    public string Path { get; }

    /// <summary>Number of z planes.</summary>
    public int NZ { get; }

    /// <summary>Number of rows per plane.</summary>
    public int NY { get; }

    /// <summary>Number of columns per row.</summary>
    public int NX { get; }

    /// <summary>Voxel size in µm (the override, the MRC header's, or 1 µm).</summary>
    public Spacing Spacing { get; }

    /// <summary>Stored sample type ("uint8", "uint16", "float32", …), as <see cref="ImageVolume.DType"/>.</summary>
    public string DType { get; }

    /// <summary>True when the stored samples are integers (the integer Otsu histogram applies).</summary>
    public bool IsIntegerType => DType is "uint8" or "uint16" or "int8" or "int16" or "int32" or "uint32" or "int64" or "uint64";

    /// <summary>Voxels per z plane (NY · NX).</summary>
    public long PlaneVoxels => (long)NY * NX;

    private ChunkedVolume(string path, FileStream stream, int nz, int ny, int nx, SampleType type, bool little, long dataStart, Spacing spacing)
    {
        Path = path; _stream = stream; NZ = nz; NY = ny; NX = nx; _type = type; _little = little; _dataStart = dataStart;
        Spacing = spacing; DType = Samples.Name(type);
    }

    private ChunkedVolume(TiffStack tiff)
    {
        _tiff = tiff; Path = tiff.Path; NZ = tiff.NZ; NY = tiff.NY; NX = tiff.NX; Spacing = tiff.Spacing; DType = tiff.DType;
    }

    /// <summary>
    /// Opens <paramref name="path"/> (.npy, TIFF, or MRC: .mrc, .map, .rec, .st, .ali; recognised by content) for slab
    /// reads. Only the header (for TIFF: the IFDs) is read. <paramref name="spacingOverride"/> (µm) wins over the file's voxel size.
    /// </summary>
    /// <exception cref="InvalidDataException">Corrupt, truncated or a layout that is not plane-contiguous.</exception>
    public static ChunkedVolume Open(string path, Spacing? spacingOverride = null)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var magic = new byte[6];
            int got = fs.ReadAtLeast(magic, 6, throwOnEndOfStream: false);
            fs.Position = 0;
            bool npy = got == 6 && magic[0] == 0x93 && Encoding.ASCII.GetString(magic, 1, 5) == "NUMPY";
            bool tiff = got >= 4 && ((magic[0] == 'I' && magic[1] == 'I' && magic[2] is 42 or 43 && magic[3] == 0)
                                     || (magic[0] == 'M' && magic[1] == 'M' && magic[2] == 0 && magic[3] is 42 or 43));
            if (tiff)
            {
                fs.Dispose();
                return new ChunkedVolume(TiffStack.Open(path, spacingOverride));
            }
            return npy ? OpenNpy(path, fs, spacingOverride) : OpenMrc(path, fs, spacingOverride);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Planes [<paramref name="z0"/>, <paramref name="z1"/>) as float32, shape (z1 − z0, NY, NX), with this volume's
    /// spacing and Origin (z0 · spacing.Z, 0, 0) µm.
    /// </summary>
    public Volume<float> ReadSlab(int z0, int z1)
    {
        if (z0 < 0 || z1 > NZ || z0 >= z1) throw new ArgumentOutOfRangeException(nameof(z0), $"slab [{z0}, {z1}) is empty or outside [0, {NZ})");
        long n = (z1 - z0) * PlaneVoxels;
        var data = GC.AllocateUninitializedArray<float>(checked((int)n));
        if (_tiff is not null)
        {
            _tiff.ReadPlanes(z0, z1, data);
            return new Volume<float>(z1 - z0, NY, NX, Spacing, data, (z0 * Spacing.Z, 0, 0));
        }
        _stream!.Position = _dataStart + z0 * PlaneVoxels * Samples.Size(_type);
        Samples.ReadInto(Path, _stream, _type, _little, data);
        return new Volume<float>(z1 - z0, NY, NX, Spacing, data, (z0 * Spacing.Z, 0, 0));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stream?.Dispose();
        _tiff?.Dispose();
    }

    private static ChunkedVolume OpenNpy(string path, FileStream fs, Spacing? spacingOverride)
    {
        var pre = new byte[12];
        int got = fs.ReadAtLeast(pre, 12, throwOnEndOfStream: false);
        int major = pre[6];
        long headerStart, headerLength;
        if (major == 1 && got >= 10) { headerStart = 10; headerLength = BinaryPrimitives.ReadUInt16LittleEndian(pre.AsSpan(8)); }
        else if (major is 2 or 3 && got >= 12) { headerStart = 12; headerLength = BinaryPrimitives.ReadUInt32LittleEndian(pre.AsSpan(8)); }
        else throw FormatGuards.Error(path, $"unsupported or truncated .npy preamble (version {major})");
        if (headerStart + headerLength > fs.Length || headerLength > 1 << 20)
            throw FormatGuards.Error(path, "truncated: the .npy header runs past the end of the file");
        var bytes = new byte[headerLength];
        fs.Position = headerStart;
        fs.ReadExactly(bytes);
        string header = Encoding.Latin1.GetString(bytes);

        string descr = Field(path, header, "descr", '\'', '\'');
        string fortran = Field(path, header, "fortran_order", ' ', ',').Trim();
        if (fortran != "False") throw FormatGuards.Error(path, "Fortran-order .npy arrays are not plane-contiguous; out-of-core reading needs C order");
        var dims = new List<long>();
        foreach (var part in Field(path, header, "shape", '(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw FormatGuards.Error(path, $"malformed .npy shape dimension '{part}'");
            dims.Add(d);
        }
        while (dims.Count > 3 && dims.IndexOf(1) is int one and >= 0) dims.RemoveAt(one);
        if (dims.Count is < 2 or > 3) throw FormatGuards.Error(path, $"array with {dims.Count} axes longer than 1 is not 2-D or 3-D");
        long nz = dims.Count == 3 ? dims[0] : 1, ny = dims[^2], nx = dims[^1];

        var (type, little) = NpyFormat.ParseDescr(path, descr);
        long dataStart = headerStart + headerLength;
        Check(path, fs.Length - dataStart, type, nz, ny, nx);
        return new ChunkedVolume(path, fs, (int)nz, (int)ny, (int)nx, type, little, dataStart, spacingOverride?.Validated() ?? Spacing.Isotropic(1.0));
    }

    /// <summary>The text of key <paramref name="key"/> in the header dict, between the first open and close characters after the colon.</summary>
    private static string Field(string path, string header, string key, char open, char close)
    {
        int k = header.IndexOf(key, StringComparison.Ordinal);
        int colon = k < 0 ? -1 : header.IndexOf(':', k + key.Length);
        if (colon < 0) throw FormatGuards.Error(path, $"the .npy header lacks '{key}'");
        int start = colon + 1;
        if (open != ' ')
        {
            start = header.IndexOfAny(open == '\'' ? ['\'', '"'] : [open], start);
            if (start < 0) throw FormatGuards.Error(path, $"malformed .npy header value of '{key}'");
            if (open == '\'') close = header[start];
            start++;
        }
        int end = header.IndexOfAny(close == ',' ? [',', '}'] : [close], start);
        if (end < 0) throw FormatGuards.Error(path, $"malformed .npy header value of '{key}'");
        return header[start..end];
    }

    private static void Check(string path, long available, SampleType type, long nz, long ny, long nx)
    {
        if (FormatGuards.CheckedBytes(Math.Max(available, 0), Samples.Size(type), nz, ny, nx) < 0)
            throw FormatGuards.Error(path, $"truncated or corrupt: shape ({nz}, {ny}, {nx}) of {Samples.Name(type)} does not fit in the {available} data bytes");
        if (nz > int.MaxValue || ny * nx > Array.MaxLength)
            throw FormatGuards.Error(path, $"shape ({nz}, {ny}, {nx}) has a z plane or a z count too large to index");
    }

    private static ChunkedVolume OpenMrc(string path, FileStream fs, Spacing? spacingOverride)
    {
        const int headerBytes = 1024;
        if (fs.Length < headerBytes) throw FormatGuards.Error(path, $"neither .npy nor MRC: file is too short for an MRC header ({fs.Length} bytes)");
        var h = new byte[headerBytes];
        fs.ReadExactly(h);
        bool little = h[212] == 0x44 || (h[212] != 0x11 && BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(12)) is >= 0 and < 65536);
        int I(int at) => little ? BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadInt32BigEndian(h.AsSpan(at));
        float F(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(h.AsSpan(at));
        int nx = I(0), ny = I(4), nz = I(8), mode = I(12);
        if (nx <= 0 || ny <= 0 || nz <= 0) throw FormatGuards.Error(path, $"invalid MRC dimensions NX={nx}, NY={ny}, NZ={nz}");
        SampleType type = mode switch
        {
            0 => SampleType.Int8,
            1 => SampleType.Int16,
            2 => SampleType.Float32,
            6 => SampleType.UInt16,
            12 => SampleType.Float16,
            _ => throw FormatGuards.Error(path, $"MRC mode {mode} is not supported out of core (modes 0, 1, 2, 6 and 12 are)"),
        };
        // Mode 0 holds unsigned bytes in IMOD files without the signed flag, or when DMIN ≥ 0 and 127 < DMAX ≤ 255 (as MrcFormat.Read decides).
        if (type == SampleType.Int8)
        {
            bool unsigned = I(152) == 1146047817 ? (I(156) & 1) == 0 : F(76) >= 0 && F(80) > 127 && F(80) <= 255;
            if (unsigned) type = SampleType.UInt8;
        }
        int mapc = I(64), mapr = I(68), maps = I(72);
        if (!((mapc, mapr, maps) is (1, 2, 3) or (0, 0, 0)))
            throw FormatGuards.Error(path, $"MRC axis order MAPC={mapc}, MAPR={mapr}, MAPS={maps} is not plane-contiguous (1, 2, 3); out-of-core reading needs it");
        int nsymbt = I(92);
        if (nsymbt < 0) throw FormatGuards.Error(path, $"negative extended header size NSYMBT={nsymbt}");
        long dataStart = headerBytes + (long)nsymbt;
        Check(path, fs.Length - dataStart, type, nz, ny, nx);
        Spacing? fileSpacing = null;
        double cx = F(40), cy = F(44), cz = F(48);
        int mx = I(28), my = I(32), mz = I(36);
        if (cx > 0 && cy > 0 && cz > 0 && mx > 0 && my > 0 && mz > 0 && double.IsFinite(cx + cy + cz))
            fileSpacing = new Spacing(cz / mz * 1e-4, cy / my * 1e-4, cx / mx * 1e-4);
        return new ChunkedVolume(path, fs, nz, ny, nx, type, little, dataStart, spacingOverride?.Validated() ?? fileSpacing ?? Spacing.Isotropic(1.0));
    }
}
