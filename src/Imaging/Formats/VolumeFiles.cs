using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Reads and writes volumes by file extension: TIFF / OME-TIFF (.tif, .tiff, .ome.tif, .ome.tiff), MRC
/// (.mrc, .map, .rec, .st, .ali) and NumPy (.npy). Extensions are matched case-insensitively.
/// </summary>
public static class VolumeFiles
{
    /// <summary>The extensions this class understands, for messages and help text.</summary>
    public const string SupportedFormats = "TIFF/OME-TIFF (.tif, .tiff, .ome.tif, .ome.tiff), MRC (.mrc, .map, .rec, .st, .ali), NumPy (.npy)";

    private enum Kind { Tiff, OmeTiff, Mrc, Npy }

    private static Kind? Detect(string path)
    {
        string name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".ome.tif", StringComparison.Ordinal) || name.EndsWith(".ome.tiff", StringComparison.Ordinal)) return Kind.OmeTiff;
        return Path.GetExtension(name) switch
        {
            ".tif" or ".tiff" => Kind.Tiff,
            ".mrc" or ".map" or ".rec" or ".st" or ".ali" => Kind.Mrc,
            ".npy" => Kind.Npy,
            _ => null,
        };
    }

    /// <summary>
    /// Reads the volume at <paramref name="path"/> as (Z, Y, X) float32 samples with spacing in µm;
    /// <paramref name="spacingOverride"/> wins over the file's own voxel size.
    /// </summary>
    /// <exception cref="InvalidDataException">Unknown extension, or a corrupt/unsupported file; the message starts
    /// with the path.</exception>
    public static ImageVolume Read(string path, Spacing? spacingOverride = null) => Detect(path) switch
    {
        Kind.Tiff or Kind.OmeTiff => TiffReader.Read(path, spacingOverride),
        Kind.Mrc => MrcFormat.Read(path, spacingOverride),
        Kind.Npy => NpyFormat.Read(path, spacingOverride),
        _ => throw Unsupported(path),
    };

    /// <summary>
    /// Writes <paramref name="image"/> in the format its extension names, keeping the stored type where the format
    /// has it (see <see cref="TiffWriter.Write(string, ImageVolume, TiffWriteOptions)"/>, <see cref="MrcFormat.Write(string, ImageVolume)"/>,
    /// <see cref="NpyFormat.Write(string, ImageVolume)"/>). ".ome.tif" writes OME-XML, other TIFF names ImageJ metadata;
    /// <paramref name="tiffCompression"/> applies to TIFF outputs only (BigTIFF is chosen automatically beyond 4 GiB).
    /// </summary>
    /// <exception cref="InvalidDataException">The extension is not a supported format.</exception>
    public static void Write(string path, ImageVolume image, TiffCompression tiffCompression = TiffCompression.None)
    {
        switch (Detect(path))
        {
            case Kind.Tiff: TiffWriter.Write(path, image, new TiffWriteOptions(TiffMetadata.ImageJ, tiffCompression)); break;
            case Kind.OmeTiff: TiffWriter.Write(path, image, new TiffWriteOptions(TiffMetadata.Ome, tiffCompression)); break;
            case Kind.Mrc: MrcFormat.Write(path, image); break;
            case Kind.Npy: NpyFormat.Write(path, image); break;
            default: throw Unsupported(path);
        }
    }

    /// <summary>Writes a uint8 volume (MRC widens it to mode 6, see <see cref="MrcFormat.Write(string, Volume{byte})"/>).</summary>
    public static void Write(string path, Volume<byte> volume) => Write(path, new ImageVolume(volume.WithData(ToFloat(volume.Data)), "uint8", true));

    /// <summary>Writes a uint16 volume.</summary>
    public static void Write(string path, Volume<ushort> volume) => Write(path, new ImageVolume(volume.WithData(ToFloat(volume.Data)), "uint16", true));

    /// <summary>Writes a float32 volume.</summary>
    public static void Write(string path, Volume<float> volume) => Write(path, new ImageVolume(volume, "float32", true));

    private static float[] ToFloat(byte[] d)
    {
        var f = new float[d.Length];
        for (int i = 0; i < f.Length; i++) f[i] = d[i];
        return f;
    }

    private static float[] ToFloat(ushort[] d)
    {
        var f = new float[d.Length];
        for (int i = 0; i < f.Length; i++) f[i] = d[i];
        return f;
    }

    private static InvalidDataException Unsupported(string path) =>
        FormatGuards.Error(path, $"unrecognised volume file extension '{Path.GetExtension(path)}'; supported formats are {SupportedFormats}");
}
