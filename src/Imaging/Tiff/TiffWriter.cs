using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Which metadata a written TIFF carries for the voxel size.</summary>
public enum TiffMetadata
{
    /// <summary>ImageJ hyperstack description ("unit=micron", "spacing=") plus X/YResolution in pixels per µm.</summary>
    ImageJ,

    /// <summary>OME-XML (2016-06) in the first ImageDescription with PhysicalSizeX/Y/Z in µm: an OME-TIFF.</summary>
    Ome,
}

/// <summary>Compression of written TIFF strips.</summary>
public enum TiffCompression
{
    /// <summary>Uncompressed (TIFF compression 1).</summary>
    None,

    /// <summary>LZW (TIFF compression 5).</summary>
    Lzw,

    /// <summary>Deflate / zlib (TIFF compression 8, "Adobe Deflate").</summary>
    Deflate,
}

/// <summary>
/// How <see cref="TiffWriter"/> writes a stack. <paramref name="BigTiff"/>: true forces BigTIFF, false forces classic
/// TIFF (an error beyond 4 GiB), null (default) picks BigTIFF only when the file could exceed 4 GiB.
/// </summary>
public sealed record TiffWriteOptions(
    TiffMetadata Metadata = TiffMetadata.ImageJ,
    TiffCompression Compression = TiffCompression.None,
    bool? BigTiff = null);

/// <summary>
/// Writes (Z, Y, X) volumes as little-endian multi-page TIFF stacks, one page (one strip) per z slice, uncompressed,
/// LZW or Deflate, classic TIFF or BigTIFF. The spacing in µm is stored the ImageJ way (XResolution/YResolution =
/// pixels per µm, "unit=micron" and "spacing=" (z step) in the ImageDescription) or as OME-XML
/// (<see cref="TiffMetadata.Ome"/>). Files are written to path + ".tmp" and renamed when complete. The volume's
/// Origin is not stored (TIFF has no field for it).
/// </summary>
public static class TiffWriter
{
    /// <summary>Writes an 8-bit volume with ImageJ metadata, uncompressed.</summary>
    public static void Write(string path, Volume<byte> volume) => Write(path, volume, new TiffWriteOptions());

    /// <summary>Writes a 16-bit unsigned volume with ImageJ metadata, uncompressed.</summary>
    public static void Write(string path, Volume<ushort> volume) => Write(path, volume, new TiffWriteOptions());

    /// <summary>Writes a 32-bit float volume with ImageJ metadata, uncompressed.</summary>
    public static void Write(string path, Volume<float> volume) => Write(path, volume, new TiffWriteOptions());

    /// <summary>Writes an 8-bit volume with the chosen metadata (ImageJ or OME-XML), uncompressed.</summary>
    public static void Write(string path, Volume<byte> volume, TiffMetadata metadata) => Write(path, volume, new TiffWriteOptions(metadata));

    /// <summary>Writes a 16-bit unsigned volume with the chosen metadata (ImageJ or OME-XML), uncompressed.</summary>
    public static void Write(string path, Volume<ushort> volume, TiffMetadata metadata) => Write(path, volume, new TiffWriteOptions(metadata));

    /// <summary>Writes a 32-bit float volume with the chosen metadata (ImageJ or OME-XML), uncompressed.</summary>
    public static void Write(string path, Volume<float> volume, TiffMetadata metadata) => Write(path, volume, new TiffWriteOptions(metadata));

    /// <summary>Writes an 8-bit volume with the given metadata, compression and container.</summary>
    public static void Write(string path, Volume<byte> volume, TiffWriteOptions options) =>
        WriteCore(path, volume.Shape, volume.Spacing, 8, 1, options, (z, dst) => volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX).CopyTo(dst));

    /// <summary>Writes a 16-bit unsigned volume with the given metadata, compression and container.</summary>
    public static void Write(string path, Volume<ushort> volume, TiffWriteOptions options) =>
        WriteCore(path, volume.Shape, volume.Spacing, 16, 1, options, (z, dst) =>
        {
            var src = volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX);
            for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(2 * i), src[i]);
        });

    /// <summary>Writes a 32-bit float volume with the given metadata, compression and container.</summary>
    public static void Write(string path, Volume<float> volume, TiffWriteOptions options) =>
        WriteCore(path, volume.Shape, volume.Spacing, 32, 3, options, (z, dst) =>
        {
            var src = volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX);
            for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(4 * i), src[i]);
        });

    /// <summary>
    /// Writes <paramref name="image"/> as uint8 or uint16 when that is its stored type and as float32 otherwise
    /// (exact for every integer type up to 16 bits and for float16), with the chosen metadata, uncompressed.
    /// </summary>
    public static void Write(string path, ImageVolume image, TiffMetadata metadata = TiffMetadata.ImageJ) =>
        Write(path, image, new TiffWriteOptions(metadata));

    /// <summary>As <see cref="Write(string, ImageVolume, TiffMetadata)"/> with full options.</summary>
    public static void Write(string path, ImageVolume image, TiffWriteOptions options)
    {
        var v = image.Voxels;
        switch (image.DType)
        {
            case "uint8":
            {
                var d = new byte[v.Length];
                for (int i = 0; i < d.Length; i++) d[i] = (byte)v.Data[i];
                Write(path, v.WithData(d), options);
                break;
            }
            case "uint16":
            {
                var d = new ushort[v.Length];
                for (int i = 0; i < d.Length; i++) d[i] = (ushort)v.Data[i];
                Write(path, v.WithData(d), options);
                break;
            }
            default: Write(path, v, options); break;
        }
    }

    private delegate void PlaneWriter(int z, Span<byte> destination);

    private static void WriteCore(string path, (int Z, int Y, int X) shape, Spacing spacing, int bits, int sampleFormat, TiffWriteOptions options, PlaneWriter plane)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (nz, ny, nx) = shape;
        long planeBytes = (long)ny * nx * (bits / 8);
        if (planeBytes > Array.MaxLength) throw new ArgumentException($"a plane of {ny}x{nx} {bits}-bit samples exceeds the 2 GiB strip limit");
        string description = options.Metadata == TiffMetadata.Ome
            ? OmeXml.Build(shape, spacing, bits switch { 8 => "uint8", 16 => "uint16", _ => "float" })
            : string.Create(CultureInfo.InvariantCulture,
                $"ImageJ=1.11a\nimages={nz}\nslices={nz}\nunit=micron\nspacing={spacing.Z:R}\nloop=false\n");
        byte[] descBytes = Encoding.ASCII.GetBytes(description + "\0");
        int compressionTag = options.Compression switch { TiffCompression.Lzw => 5, TiffCompression.Deflate => 8, _ => 1 };

        // Worst case per page: IFD and values (< 512 bytes), the description once, and the strip (LZW can expand
        // incompressible data by up to 12/8, Deflate by a little).
        long worstStrip = options.Compression == TiffCompression.None ? planeBytes : planeBytes * 3 / 2 + 1024;
        long estimate = 16 + descBytes.Length + nz * (512 + worstStrip);
        bool big = options.BigTiff ?? estimate > uint.MaxValue;
        if (!big && estimate > uint.MaxValue)
            throw new ArgumentException($"volume of up to {estimate} bytes exceeds the 4 GiB classic TIFF limit; write BigTIFF instead");
        var (xNum, xDen) = PixelsPerMicron(spacing.X);
        var (yNum, yDen) = PixelsPerMicron(spacing.Y);
        int entrySize = big ? 20 : 12, countSize = big ? 8 : 2, nextSize = big ? 8 : 4, inline = big ? 8 : 4;

        FormatGuards.WriteAtomically(path, fs =>
        {
            var header = new byte[big ? 16 : 8];
            header[0] = (byte)'I'; header[1] = (byte)'I';
            if (big)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), 43);
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 8);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), 16);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), 42);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 8);
            }
            fs.Write(header);
            long pos = header.Length;
            var pixels = new byte[planeBytes];
            var lzw = options.Compression == TiffCompression.Lzw ? new LzwEncoder() : null;
            for (int z = 0; z < nz; z++)
            {
                plane(z, pixels);
                ReadOnlySpan<byte> strip = options.Compression switch
                {
                    TiffCompression.Lzw => lzw!.Encode(pixels),
                    TiffCompression.Deflate => Deflate(pixels),
                    _ => pixels,
                };
                bool firstPage = z == 0;
                int entries = firstPage ? 14 : 13;
                long ifdStart = pos;
                long extra = ifdStart + countSize + entries * entrySize + nextSize;
                long resAt = extra;                               // XResolution, YResolution (classic TIFF only)
                long descAt = big ? extra : extra + 16;
                long dataAt = descAt + (firstPage ? descBytes.Length : 0);
                if ((dataAt & 1) == 1) dataAt++;
                long end = dataAt + strip.Length;
                long next = z + 1 < nz ? end + (end & 1) : 0;
                if (!big && next > uint.MaxValue)
                    throw new ArgumentException("the stack exceeds the 4 GiB classic TIFF limit; write BigTIFF instead");

                var ifd = new byte[dataAt - ifdStart];
                if (big) BinaryPrimitives.WriteUInt64LittleEndian(ifd, (ulong)entries);
                else BinaryPrimitives.WriteUInt16LittleEndian(ifd, (ushort)entries);
                int e = 0;
                void Entry(int tag, int type, long count, long value)
                {
                    var s = ifd.AsSpan(countSize + e * entrySize, entrySize);
                    BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)tag);
                    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(2), (ushort)type);
                    var v = s.Slice(big ? 12 : 8, inline);
                    if (big) BinaryPrimitives.WriteUInt64LittleEndian(s.Slice(4), (ulong)count);
                    else BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(4), (uint)count);
                    if (type == 3 && count == 1) BinaryPrimitives.WriteUInt16LittleEndian(v, (ushort)value);
                    else if (big) BinaryPrimitives.WriteUInt64LittleEndian(v, (ulong)value);
                    else BinaryPrimitives.WriteUInt32LittleEndian(v, (uint)value);
                    e++;
                }
                void Rational(int tag, uint num, uint den, long at)
                {
                    if (big)
                    {
                        // 8 bytes fit in a BigTIFF entry: store the rational inline.
                        var s = ifd.AsSpan(countSize + e * entrySize, entrySize);
                        BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)tag);
                        BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(2), 5);
                        BinaryPrimitives.WriteUInt64LittleEndian(s.Slice(4), 1);
                        BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(12), num);
                        BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(16), den);
                        e++;
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(ifd.AsSpan((int)(at - ifdStart)), num);
                        BinaryPrimitives.WriteUInt32LittleEndian(ifd.AsSpan((int)(at - ifdStart) + 4), den);
                        Entry(tag, 5, 1, at);
                    }
                }
                int type32 = big ? 16 : 4;                             // LONG8 in BigTIFF, LONG in classic TIFF
                Entry(254, 4, 1, 0);                                   // NewSubfileType
                Entry(256, 4, 1, nx);                                  // ImageWidth
                Entry(257, 4, 1, ny);                                  // ImageLength
                Entry(258, 3, 1, bits);                                // BitsPerSample
                Entry(259, 3, 1, compressionTag);                      // Compression
                Entry(262, 3, 1, 1);                                   // Photometric: BlackIsZero
                if (firstPage) Entry(270, 2, descBytes.Length, descAt); // ImageDescription
                Entry(273, type32, 1, dataAt);                         // StripOffsets
                Entry(277, 3, 1, 1);                                   // SamplesPerPixel
                Entry(278, 4, 1, ny);                                  // RowsPerStrip
                Entry(279, type32, 1, strip.Length);                   // StripByteCounts
                Rational(282, xNum, xDen, resAt);                      // XResolution
                Rational(283, yNum, yDen, resAt + 8);                  // YResolution
                Entry(339, 3, 1, sampleFormat);                        // SampleFormat
                var nextField = ifd.AsSpan(countSize + entries * entrySize);
                if (big) BinaryPrimitives.WriteUInt64LittleEndian(nextField, (ulong)next);
                else BinaryPrimitives.WriteUInt32LittleEndian(nextField, (uint)next);
                if (firstPage) descBytes.CopyTo(ifd.AsSpan((int)(descAt - ifdStart)));
                fs.Write(ifd);
                fs.Write(strip);
                pos = end;
                if (next > pos) { fs.WriteByte(0); pos = next; }
            }
        });
    }

    private static byte[] Deflate(byte[] data)
    {
        using var ms = new MemoryStream(data.Length / 2 + 64);
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    /// <summary>Pixels per µm as an unsigned rational with the largest denominator that keeps both in 32 bits.</summary>
    private static (uint Num, uint Den) PixelsPerMicron(double spacingUm)
    {
        double ppu = 1.0 / spacingUm;
        if (ppu >= 1)
        {
            double den = Math.Floor(uint.MaxValue / ppu);
            return ((uint)Math.Round(ppu * den), (uint)den);
        }
        double num = Math.Floor(uint.MaxValue * ppu);
        return ((uint)num, (uint)Math.Round(num / ppu));
    }
}
