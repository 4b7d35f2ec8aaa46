using System.Buffers.Binary;
using System.Globalization;
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

/// <summary>
/// Writes (Z, Y, X) volumes as uncompressed little-endian multi-page ImageJ TIFF stacks (one page per z slice) with
/// the spacing in µm stored the ImageJ way: XResolution/YResolution = pixels per µm, "unit=micron" and
/// "spacing=" (z step) in the ImageDescription, or as OME-TIFF (<see cref="TiffMetadata.Ome"/>). Files are written to path + ".tmp" and renamed when complete.
/// The volume's Origin is not stored (TIFF has no field for it); the output is limited to 4 GiB (classic TIFF).
/// </summary>
public static class TiffWriter
{
    /// <summary>Writes an 8-bit volume with ImageJ metadata.</summary>
    public static void Write(string path, Volume<byte> volume) => Write(path, volume, TiffMetadata.ImageJ);

    /// <summary>Writes a 16-bit unsigned volume with ImageJ metadata.</summary>
    public static void Write(string path, Volume<ushort> volume) => Write(path, volume, TiffMetadata.ImageJ);

    /// <summary>Writes a 32-bit float volume with ImageJ metadata.</summary>
    public static void Write(string path, Volume<float> volume) => Write(path, volume, TiffMetadata.ImageJ);

    /// <summary>Writes an 8-bit volume with the chosen metadata (ImageJ or OME-XML).</summary>
    public static void Write(string path, Volume<byte> volume, TiffMetadata metadata) =>
        WriteCore(path, volume.Shape, volume.Spacing, 8, 1, metadata, (z, dst) => volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX).CopyTo(dst));

    /// <summary>Writes a 16-bit unsigned volume with the chosen metadata (ImageJ or OME-XML).</summary>
    public static void Write(string path, Volume<ushort> volume, TiffMetadata metadata) =>
        WriteCore(path, volume.Shape, volume.Spacing, 16, 1, metadata, (z, dst) =>
        {
            var src = volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX);
            for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(dst.Slice(2 * i), src[i]);
        });

    /// <summary>Writes a 32-bit float volume with the chosen metadata (ImageJ or OME-XML).</summary>
    public static void Write(string path, Volume<float> volume, TiffMetadata metadata) =>
        WriteCore(path, volume.Shape, volume.Spacing, 32, 3, metadata, (z, dst) =>
        {
            var src = volume.Data.AsSpan(z * volume.NY * volume.NX, volume.NY * volume.NX);
            for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(4 * i), src[i]);
        });

    /// <summary>
    /// Writes <paramref name="image"/> as uint8 or uint16 when that is its stored type and as float32 otherwise
    /// (exact for every integer and float16 type), with the chosen metadata.
    /// </summary>
    public static void Write(string path, ImageVolume image, TiffMetadata metadata = TiffMetadata.ImageJ)
    {
        var v = image.Voxels;
        switch (image.DType)
        {
            case "uint8":
            {
                var d = new byte[v.Length];
                for (int i = 0; i < d.Length; i++) d[i] = (byte)v.Data[i];
                Write(path, v.WithData(d), metadata);
                break;
            }
            case "uint16":
            {
                var d = new ushort[v.Length];
                for (int i = 0; i < d.Length; i++) d[i] = (ushort)v.Data[i];
                Write(path, v.WithData(d), metadata);
                break;
            }
            default: Write(path, v, metadata); break;
        }
    }

    private delegate void PlaneWriter(int z, Span<byte> destination);

    private static void WriteCore(string path, (int Z, int Y, int X) shape, Spacing spacing, int bits, int sampleFormat, TiffMetadata metadata, PlaneWriter plane)
    {
        var (nz, ny, nx) = shape;
        long planeBytes = (long)ny * nx * (bits / 8);
        string description = metadata == TiffMetadata.Ome
            ? OmeXml.Build(shape, spacing, bits switch { 8 => "uint8", 16 => "uint16", _ => "float" })
            : string.Create(CultureInfo.InvariantCulture,
                $"ImageJ=1.11a\nimages={nz}\nslices={nz}\nunit=micron\nspacing={spacing.Z:R}\nloop=false\n");
        byte[] descBytes = Encoding.ASCII.GetBytes(description + "\0");
        const int entriesFirst = 14, entriesOther = 13;
        long ifdSize(int entries) => 2 + entries * 12 + 4;
        // Layout per page: IFD, then out-of-line values (XRes, YRes, [description]), then the pixel strip.
        long estimate = 8 + nz * (ifdSize(entriesFirst) + 16 + descBytes.Length + planeBytes);
        if (estimate > uint.MaxValue) throw new ArgumentException($"volume of {estimate} bytes exceeds the 4 GiB classic TIFF limit");
        var (xNum, xDen) = PixelsPerMicron(spacing.X);
        var (yNum, yDen) = PixelsPerMicron(spacing.Y);

        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var header = new byte[8];
                header[0] = (byte)'I'; header[1] = (byte)'I';
                BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), 42);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 8);
                fs.Write(header);
                long pos = 8;
                var pixels = new byte[planeBytes];
                for (int z = 0; z < nz; z++)
                {
                    bool firstPage = z == 0;
                    int entries = firstPage ? entriesFirst : entriesOther;
                    long ifdStart = pos;
                    long extra = ifdStart + ifdSize(entries);
                    long xResAt = extra, yResAt = extra + 8, descAt = extra + 16;
                    long dataAt = descAt + (firstPage ? descBytes.Length : 0);
                    if ((dataAt & 1) == 1) dataAt++;
                    long next = z + 1 < nz ? dataAt + planeBytes : 0;
                    if ((next & 1) == 1) next++;

                    var ifd = new byte[dataAt - ifdStart];
                    var span = ifd.AsSpan();
                    BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)entries);
                    int e = 0;
                    void Entry(int tag, int type, uint count, uint value)
                    {
                        var s = ifd.AsSpan(2 + e * 12, 12);
                        BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)tag);
                        BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(2), (ushort)type);
                        BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(4), count);
                        if (type == 3 && count == 1) BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(8), (ushort)value);
                        else BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(8), value);
                        e++;
                    }
                    Entry(254, 4, 1, 0);                       // NewSubfileType
                    Entry(256, 4, 1, (uint)nx);                // ImageWidth
                    Entry(257, 4, 1, (uint)ny);                // ImageLength
                    Entry(258, 3, 1, (uint)bits);              // BitsPerSample
                    Entry(259, 3, 1, 1);                       // Compression: none
                    Entry(262, 3, 1, 1);                       // Photometric: BlackIsZero
                    if (firstPage) Entry(270, 2, (uint)descBytes.Length, (uint)descAt); // ImageDescription
                    Entry(273, 4, 1, (uint)dataAt);            // StripOffsets
                    Entry(277, 3, 1, 1);                       // SamplesPerPixel
                    Entry(278, 4, 1, (uint)ny);                // RowsPerStrip
                    Entry(279, 4, 1, (uint)planeBytes);        // StripByteCounts
                    Entry(282, 5, 1, (uint)xResAt);            // XResolution
                    Entry(283, 5, 1, (uint)yResAt);            // YResolution
                    Entry(339, 3, 1, (uint)sampleFormat);      // SampleFormat
                    BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(2 + entries * 12), (uint)next);
                    int o = (int)(xResAt - ifdStart);
                    BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(o), xNum);
                    BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(o + 4), xDen);
                    BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(o + 8), yNum);
                    BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(o + 12), yDen);
                    if (firstPage) descBytes.CopyTo(span.Slice((int)(descAt - ifdStart)));
                    fs.Write(ifd);
                    plane(z, pixels);
                    fs.Write(pixels);
                    pos = dataAt + planeBytes;
                    if (next != 0 && next > pos) { fs.WriteByte(0); pos = next; }
                }
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            throw;
        }
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
