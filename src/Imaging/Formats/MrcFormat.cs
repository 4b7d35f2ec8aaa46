using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// MRC2014 volumes (electron tomography, cryo-EM maps). Reads modes 0 (int8, see below), 1 (int16), 2 (float32),
/// 6 (uint16) and 12 (float16), little or big endian (from MACHST, guessed from MODE when MACHST is unset), any
/// permutation of the axis order MAPC/MAPR/MAPS, and skips the extended header of NSYMBT bytes whatever its EXTTYP.
/// The voxel size is CELLA / (MX, MY, MZ) in Å, converted to µm; a zero cell or sampling means "unknown".
/// </summary>
/// <remarks>
/// Mode 0 is signed int8 in MRC2014. Files stamped by IMOD (stamp 1146047817 at byte 152) store unsigned bytes unless
/// bit 0 of the IMOD flags (byte 156) is set, and a header whose DMAX exceeds 127 with DMIN ≥ 0 can only describe
/// unsigned bytes; both read as uint8. The volume's Origin (µm, (Z, Y, X)) is ORIGIN when non-zero, otherwise the
/// start indices (NXSTART…) times the voxel size, following UCSF Chimera.
/// </remarks>
public static class MrcFormat
{
    private const int HeaderBytes = 1024;
    private const int ImodStamp = 1146047817;
    private const double AngstromToMicron = 1e-4;

    /// <summary>
    /// Reads the MRC file at <paramref name="path"/> as (Z, Y, X) float32 samples. <paramref name="spacingOverride"/>
    /// (µm) wins over the header's voxel size; without either the spacing is 1 µm and
    /// <see cref="ImageVolume.HasFileSpacing"/> is false.
    /// </summary>
    /// <exception cref="InvalidDataException">Corrupt, truncated or unsupported; the message starts with the path.</exception>
    public static ImageVolume Read(string path, Spacing? spacingOverride = null)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = fs.Length;
        if (fileLength < HeaderBytes)
            throw FormatGuards.Error(path, $"file is too short to be MRC ({fileLength} bytes; the header alone is {HeaderBytes})");
        var h = new byte[HeaderBytes];
        fs.ReadExactly(h);

        bool little;
        if (h[212] == 0x44) little = true;
        else if (h[212] == 0x11) little = false;
        else
        {
            int modeLittle = BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(12));
            little = modeLittle is >= 0 and < 65536;
        }
        int I(int at) => little ? BinaryPrimitives.ReadInt32LittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadInt32BigEndian(h.AsSpan(at));
        float F(int at) => little ? BinaryPrimitives.ReadSingleLittleEndian(h.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(h.AsSpan(at));

        int nc = I(0), nr = I(4), ns = I(8), mode = I(12);
        if (nc <= 0 || nr <= 0 || ns <= 0)
            throw FormatGuards.Error(path, $"invalid dimensions NX={nc}, NY={nr}, NZ={ns} (all must be positive)");
        SampleType type = mode switch
        {
            0 => SampleType.Int8,
            1 => SampleType.Int16,
            2 => SampleType.Float32,
            6 => SampleType.UInt16,
            12 => SampleType.Float16,
            3 or 4 => throw FormatGuards.Error(path, $"mode {mode} holds complex numbers (Fourier transforms); only real-space modes 0, 1, 2, 6 and 12 are supported"),
            101 => throw FormatGuards.Error(path, "mode 101 (4-bit packed) is not supported; supported modes are 0, 1, 2, 6 and 12"),
            _ => throw FormatGuards.Error(path, $"unknown mode {mode}; supported modes are 0 (int8), 1 (int16), 2 (float32), 6 (uint16) and 12 (float16)"),
        };
        if (type == SampleType.Int8 && ModeZeroIsUnsigned(I, F)) type = SampleType.UInt8;

        int nsymbt = I(92);
        if (nsymbt < 0) throw FormatGuards.Error(path, $"negative extended header size NSYMBT={nsymbt}");
        long dataStart = HeaderBytes + (long)nsymbt;
        long available = fileLength - dataStart;
        long needed = FormatGuards.CheckedBytes(Math.Max(available, 0), Samples.Size(type), nc, nr, ns);
        if (needed < 0)
        {
            string ext = nsymbt > 0 ? $" after the {nsymbt}-byte extended header" : "";
            throw FormatGuards.Error(path, $"truncated or corrupt: {ns} sections of {nr}x{nc} {Samples.Name(type)} samples do not fit in the {Math.Max(available, 0)} bytes{ext}");
        }
        if ((long)nc * nr * ns > Array.MaxLength)
            throw FormatGuards.Error(path, $"volume of {(long)nc * nr * ns} voxels is too large to hold in memory");

        int mapc = I(64), mapr = I(68), maps = I(72);
        if (mapc == 0 && mapr == 0 && maps == 0) (mapc, mapr, maps) = (1, 2, 3);
        if (!IsPermutation(mapc, mapr, maps))
            throw FormatGuards.Error(path, $"axis order MAPC={mapc}, MAPR={mapr}, MAPS={maps} is not a permutation of 1, 2, 3");

        var raw = new float[(long)nc * nr * ns];
        fs.Position = dataStart;
        Samples.ReadInto(path, fs, type, little, raw);

        // Spatial sizes along x (1), y (2), z (3).
        var size = new int[4];
        size[mapc] = nc; size[mapr] = nr; size[maps] = ns;
        int nx = size[1], ny = size[2], nz = size[3];
        float[] data = raw;
        if ((mapc, mapr, maps) != (1, 2, 3)) data = Permute(raw, nc, nr, ns, mapc, mapr, maps, nx, ny);

        var cell = new double[] { F(40), F(44), F(48) };
        var sampling = new long[] { I(28), I(32), I(36) };
        Spacing? fileSpacing = null;
        var step = new double[3];
        bool known = true;
        for (int a = 0; a < 3; a++)
        {
            if (!double.IsFinite(cell[a]) || cell[a] < 0)
                throw FormatGuards.Error(path, $"invalid cell length CELLA[{"xyz"[a]}]={cell[a]} Å");
            if (sampling[a] < 0)
                throw FormatGuards.Error(path, $"invalid sampling M{"XYZ"[a]}={sampling[a]}");
            if (cell[a] == 0 || sampling[a] == 0) { known = false; continue; }
            step[a] = cell[a] / sampling[a] * AngstromToMicron;
            if (!(step[a] > 0) || !double.IsFinite(step[a])) known = false;
        }
        if (known) fileSpacing = new Spacing(step[2], step[1], step[0]);
        Spacing spacing = spacingOverride?.Validated() ?? fileSpacing ?? Spacing.Isotropic(1.0);

        var startByAxis = new long[4];
        startByAxis[mapc] = I(16); startByAxis[mapr] = I(20); startByAxis[maps] = I(24);
        double ox = F(196), oy = F(200), oz = F(204);
        (double Z, double Y, double X) origin;
        if (double.IsFinite(ox) && double.IsFinite(oy) && double.IsFinite(oz) && (ox != 0 || oy != 0 || oz != 0))
            origin = (oz * AngstromToMicron, oy * AngstromToMicron, ox * AngstromToMicron);
        else
            origin = (startByAxis[3] * spacing.Z, startByAxis[2] * spacing.Y, startByAxis[1] * spacing.X);

        var volume = new Volume<float>(nz, ny, nx, spacing, data, origin);
        return new ImageVolume(volume, Samples.Name(type), fileSpacing is not null && spacingOverride is null);
    }

    private static bool ModeZeroIsUnsigned(Func<int, int> readInt, Func<int, float> readFloat)
    {
        if (readInt(152) == ImodStamp) return (readInt(156) & 1) == 0;
        float dmin = readFloat(76), dmax = readFloat(80);
        return dmin >= 0 && dmax > 127 && dmax <= 255;
    }

    private static bool IsPermutation(int a, int b, int c) =>
        a is >= 1 and <= 3 && b is >= 1 and <= 3 && c is >= 1 and <= 3 && a != b && b != c && a != c;

    /// <summary>Reorders file-order samples (section, row, column) into C-order (z, y, x).</summary>
    private static float[] Permute(float[] raw, int nc, int nr, int ns, int mapc, int mapr, int maps, int nx, int ny)
    {
        var stride = new long[4];
        stride[1] = 1; stride[2] = nx; stride[3] = (long)nx * ny;
        long sc = stride[mapc], sr = stride[mapr], ss = stride[maps];
        var data = new float[raw.Length];
        long i = 0;
        for (int s = 0; s < ns; s++)
            for (int r = 0; r < nr; r++)
            {
                long b = s * ss + r * sr;
                for (int c = 0; c < nc; c++) data[b + c * sc] = raw[i++];
            }
        return data;
    }

    /// <summary>Writes a float32 volume as mode 2.</summary>
    public static void Write(string path, Volume<float> volume) => WriteVolume(path, volume, 2);

    /// <summary>Writes a float16 volume as mode 12.</summary>
    public static void Write(string path, Volume<Half> volume) => WriteVolume(path, volume, 12);

    /// <summary>Writes an int16 volume as mode 1.</summary>
    public static void Write(string path, Volume<short> volume) => WriteVolume(path, volume, 1);

    /// <summary>Writes a uint16 volume as mode 6.</summary>
    public static void Write(string path, Volume<ushort> volume) => WriteVolume(path, volume, 6);

    /// <summary>Writes a signed int8 volume as mode 0 (MRC2014 convention).</summary>
    public static void Write(string path, Volume<sbyte> volume) => WriteVolume(path, volume, 0);

    /// <summary>
    /// Writes a uint8 volume as mode 6 (uint16): MRC2014's mode 0 is signed, so unsigned bytes are widened, as
    /// mrcfile does; reading the file back gives DType "uint16" with the same values.
    /// </summary>
    public static void Write(string path, Volume<byte> volume)
    {
        var wide = new ushort[volume.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = volume.Data[i];
        WriteVolume(path, volume.WithData(wide), 6);
    }

    /// <summary>
    /// Writes <paramref name="image"/> in the mode matching its stored type (int8 → 0, int16 → 1, uint8/uint16 → 6,
    /// float16 → 12, anything else → 2 as float32). Integer and float16 values convert exactly.
    /// </summary>
    public static void Write(string path, ImageVolume image)
    {
        var v = image.Voxels;
        switch (image.DType)
        {
            case "int8": Write(path, v.WithData(Convert(v.Data, static f => (sbyte)f))); break;
            case "int16": Write(path, v.WithData(Convert(v.Data, static f => (short)f))); break;
            case "uint8" or "uint16": Write(path, v.WithData(Convert(v.Data, static f => (ushort)f))); break;
            case "float16": Write(path, v.WithData(Convert(v.Data, static f => (Half)f))); break;
            default: Write(path, v); break;
        }
    }

    private static TOut[] Convert<TOut>(float[] data, Func<float, TOut> map)
    {
        var r = new TOut[data.Length];
        for (int i = 0; i < r.Length; i++) r[i] = map(data[i]);
        return r;
    }

    private static double AsDouble<T>(T v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (float)(object)v;
        if (typeof(T) == typeof(Half)) return (double)(Half)(object)v;
        if (typeof(T) == typeof(short)) return (short)(object)v;
        if (typeof(T) == typeof(ushort)) return (ushort)(object)v;
        return (sbyte)(object)v;
    }

    /// <summary>Header + native-order samples (MACHST records the machine's byte order), via a temporary file.</summary>
    private static void WriteVolume<T>(string path, Volume<T> volume, int mode) where T : unmanaged
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        foreach (var t in volume.Data)
        {
            double d = AsDouble(t);
            if (double.IsNaN(d)) continue;
            if (d < min) min = d;
            if (d > max) max = d;
            sum += d;
        }
        double mean = sum / volume.Length, ss = 0;
        foreach (var t in volume.Data)
        {
            double d = AsDouble(t) - mean;
            if (!double.IsNaN(d)) ss += d * d;
        }
        double rms = Math.Sqrt(ss / volume.Length);
        if (double.IsInfinity(min)) (min, max, mean, rms) = (0, -1, -2, -1);   // MRC2014 "not set" convention

        var h = new byte[HeaderBytes];
        bool little = BitConverter.IsLittleEndian;
        void I(int at, int v) { if (little) BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(at), v); else BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(at), v); }
        void F(int at, double v) { if (little) BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(at), (float)v); else BinaryPrimitives.WriteSingleBigEndian(h.AsSpan(at), (float)v); }
        var s = volume.Spacing;
        I(0, volume.NX); I(4, volume.NY); I(8, volume.NZ); I(12, mode);
        I(28, volume.NX); I(32, volume.NY); I(36, volume.NZ);
        F(40, volume.NX * s.X / AngstromToMicron); F(44, volume.NY * s.Y / AngstromToMicron); F(48, volume.NZ * s.Z / AngstromToMicron);
        F(52, 90); F(56, 90); F(60, 90);
        I(64, 1); I(68, 2); I(72, 3);
        F(76, min); F(80, max); F(84, mean);
        I(88, 1);                      // ISPG 1: a single volume
        I(108, 20141);                 // NVERSION
        F(196, volume.Origin.X / AngstromToMicron); F(200, volume.Origin.Y / AngstromToMicron); F(204, volume.Origin.Z / AngstromToMicron);
        Encoding.ASCII.GetBytes("MAP ").CopyTo(h, 208);
        if (little) { h[212] = 0x44; h[213] = 0x44; } else { h[212] = 0x11; h[213] = 0x11; }
        F(216, rms);
        I(220, 1);
        Encoding.ASCII.GetBytes("ShapeStudy".PadRight(80)).CopyTo(h, 224);

        FormatGuards.WriteAtomically(path, fs =>
        {
            fs.Write(h);
            int plane = volume.NY * volume.NX;
            for (int z = 0; z < volume.NZ; z++)
                fs.Write(MemoryMarshal.AsBytes(volume.Data.AsSpan(z * plane, plane)));
        });
    }
}
