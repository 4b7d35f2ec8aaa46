using System.Buffers.Binary;

namespace ShapeStudy.Imaging;

/// <summary>Shared checks for the volume readers: typed errors naming the file, overflow-safe sizes.</summary>
internal static class FormatGuards
{
    /// <summary>An <see cref="InvalidDataException"/> whose message is "path: problem".</summary>
    public static InvalidDataException Error(string path, string problem) => new($"{path}: {problem}");

    /// <summary>
    /// The product of <paramref name="bytesPerVoxel"/> and the dimensions, or −1 when any factor is not positive or
    /// the product exceeds <paramref name="limit"/> (never overflows).
    /// </summary>
    public static long CheckedBytes(long limit, long bytesPerVoxel, params long[] dims)
    {
        long total = bytesPerVoxel;
        if (total <= 0) return -1;
        foreach (long d in dims)
        {
            if (d <= 0 || total > limit / d) return -1;
            total *= d;
        }
        return total;
    }

    /// <summary>Writes <paramref name="write"/>'s output to path + ".tmp" and renames it over <paramref name="path"/>.</summary>
    public static void WriteAtomically(string path, Action<FileStream> write)
    {
        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                write(fs);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            throw;
        }
    }
}

/// <summary>Stored sample types of the array formats.</summary>
internal enum SampleType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float16, Float32, Float64 }

/// <summary>Decoding of packed samples to float32.</summary>
internal static class Samples
{
    public static int Size(SampleType t) => t switch
    {
        SampleType.Int8 or SampleType.UInt8 => 1,
        SampleType.Int16 or SampleType.UInt16 or SampleType.Float16 => 2,
        SampleType.Int32 or SampleType.UInt32 or SampleType.Float32 => 4,
        _ => 8,
    };

    /// <summary>The NumPy-style name used for <see cref="ImageVolume.DType"/>.</summary>
    public static string Name(SampleType t) => t switch
    {
        SampleType.Int8 => "int8",
        SampleType.UInt8 => "uint8",
        SampleType.Int16 => "int16",
        SampleType.UInt16 => "uint16",
        SampleType.Int32 => "int32",
        SampleType.UInt32 => "uint32",
        SampleType.Int64 => "int64",
        SampleType.UInt64 => "uint64",
        SampleType.Float16 => "float16",
        SampleType.Float32 => "float32",
        _ => "float64",
    };

    /// <summary>Largest integer magnitude that float32 holds exactly (2^24).</summary>
    private const double ExactFloatLimit = 16777216;

    /// <summary>
    /// Converts <c>dest.Length</c> samples from <paramref name="raw"/> to float32. Returns the index of the first
    /// 32/64-bit integer sample whose value float32 cannot hold exactly, or −1 when all converted exactly.
    /// </summary>
    public static long Convert(SampleType t, ReadOnlySpan<byte> raw, Span<float> dest, bool little)
    {
        switch (t)
        {
            case SampleType.UInt8:
                for (int i = 0; i < dest.Length; i++) dest[i] = raw[i];
                return -1;
            case SampleType.Int8:
                for (int i = 0; i < dest.Length; i++) dest[i] = (sbyte)raw[i];
                return -1;
            case SampleType.Int16:
                for (int i = 0; i < dest.Length; i++)
                {
                    var s = raw.Slice(2 * i, 2);
                    dest[i] = little ? BinaryPrimitives.ReadInt16LittleEndian(s) : BinaryPrimitives.ReadInt16BigEndian(s);
                }
                return -1;
            case SampleType.UInt16:
                for (int i = 0; i < dest.Length; i++)
                {
                    var s = raw.Slice(2 * i, 2);
                    dest[i] = little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
                }
                return -1;
            case SampleType.Float16:
                for (int i = 0; i < dest.Length; i++)
                {
                    var s = raw.Slice(2 * i, 2);
                    dest[i] = (float)(little ? BinaryPrimitives.ReadHalfLittleEndian(s) : BinaryPrimitives.ReadHalfBigEndian(s));
                }
                return -1;
            case SampleType.Float32:
                for (int i = 0; i < dest.Length; i++)
                {
                    var s = raw.Slice(4 * i, 4);
                    dest[i] = little ? BinaryPrimitives.ReadSingleLittleEndian(s) : BinaryPrimitives.ReadSingleBigEndian(s);
                }
                return -1;
            case SampleType.Float64:
                for (int i = 0; i < dest.Length; i++)
                {
                    var s = raw.Slice(8 * i, 8);
                    dest[i] = (float)(little ? BinaryPrimitives.ReadDoubleLittleEndian(s) : BinaryPrimitives.ReadDoubleBigEndian(s));
                }
                return -1;
            default:
                for (int i = 0; i < dest.Length; i++)
                {
                    double v = t switch
                    {
                        SampleType.Int32 => little ? BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(4 * i, 4)) : BinaryPrimitives.ReadInt32BigEndian(raw.Slice(4 * i, 4)),
                        SampleType.UInt32 => little ? BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(4 * i, 4)) : BinaryPrimitives.ReadUInt32BigEndian(raw.Slice(4 * i, 4)),
                        SampleType.Int64 => little ? BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(8 * i, 8)) : BinaryPrimitives.ReadInt64BigEndian(raw.Slice(8 * i, 8)),
                        _ => little ? BinaryPrimitives.ReadUInt64LittleEndian(raw.Slice(8 * i, 8)) : BinaryPrimitives.ReadUInt64BigEndian(raw.Slice(8 * i, 8)),
                    };
                    if (Math.Abs(v) > ExactFloatLimit) return i;
                    dest[i] = (float)v;
                }
                return -1;
        }
    }

    /// <summary>
    /// Reads <c>dest.Length</c> samples of type <paramref name="t"/> from <paramref name="stream"/>'s current position
    /// in blocks, converting to float32. The caller has checked that the bytes exist.
    /// </summary>
    public static void ReadInto(string path, Stream stream, SampleType t, bool little, Span<float> dest)
    {
        int size = Size(t);
        const int blockSamples = 1 << 18;
        var buffer = new byte[Math.Min((long)dest.Length, blockSamples) * size];
        long done = 0;
        while (done < dest.Length)
        {
            int n = (int)Math.Min(blockSamples, dest.Length - done);
            var chunk = buffer.AsSpan(0, n * size);
            int got = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            if (got < chunk.Length)
                throw FormatGuards.Error(path, $"truncated: the data ended after {done + got / size} of {dest.Length} samples");
            long bad = Convert(t, chunk, dest.Slice((int)done, n), little);
            if (bad >= 0)
                throw FormatGuards.Error(path, $"sample {done + bad} of the {Name(t)} data is larger in magnitude than 2^24 and cannot be held exactly as float32");
            done += n;
        }
    }
}
