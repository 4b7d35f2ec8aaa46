using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// An open multi-page TIFF / OME-TIFF / ImageJ stack read plane by plane: only the IFDs are parsed on open, and
/// <see cref="ReadPlanes"/> decodes just the pages asked for, so stacks larger than memory can be processed in z-slabs.
/// Metadata rules (spacing, OME planes, ImageJ hyperstacks) are those of <see cref="TiffReader"/>.
/// </summary>
public sealed class TiffStack : IDisposable
{
    private readonly TiffFile _file;
    private readonly List<Dictionary<int, TiffEntry>> _ifds;
    private readonly PageLayout _first;
    private readonly bool _contiguousImageJ;

    /// <summary>Path of the file.</summary>
    public string Path => _file.Path;

    /// <summary>Number of z planes (pages, OME planes or ImageJ images).</summary>
    public int NZ { get; }

    /// <summary>Rows per plane.</summary>
    public int NY => _first.Height;

    /// <summary>Columns per row.</summary>
    public int NX => _first.Width;

    /// <summary>Stored sample type: "uint8", "uint16" or "float32".</summary>
    public string DType => _first.DType;

    /// <summary>Voxel size in µm: the override, else the file's, else 1 µm.</summary>
    public Spacing Spacing { get; }

    /// <summary>True when <see cref="Spacing"/> came from the file's metadata (not an override or the default).</summary>
    public bool HasFileSpacing { get; }

    private TiffStack(TiffFile file, List<Dictionary<int, TiffEntry>> ifds, PageLayout first, int nz, bool contiguous, Spacing spacing, bool hasFileSpacing)
    {
        _file = file; _ifds = ifds; _first = first; NZ = nz; _contiguousImageJ = contiguous; Spacing = spacing; HasFileSpacing = hasFileSpacing;
    }

    /// <summary>Opens <paramref name="path"/>; <paramref name="spacingOverride"/> (µm) wins over the file's voxel size.</summary>
    /// <exception cref="InvalidDataException">Corrupt, truncated or unsupported; the message names the file.</exception>
    public static TiffStack Open(string path, Spacing? spacingOverride = null)
    {
        var file = TiffFile.Open(path);
        try
        {
            return Describe(file, spacingOverride);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static TiffStack Describe(TiffFile file, Spacing? spacingOverride)
    {
        var pages = file.ReadIfds();
        var first = PageLayout.From(file, pages[0], 0);
        int nz = pages.Count;
        OmeInfo? ome = OmeXml.Parse(file.Path, first.Description);
        if (ome is not null)
        {
            int stacked = (ome.SizeZ > 1 ? 1 : 0) + (ome.SizeC > 1 ? 1 : 0) + (ome.SizeT > 1 ? 1 : 0);
            if (stacked > 1)
                throw file.Error($"OME-TIFF image has SizeZ={ome.SizeZ}, SizeC={ome.SizeC}, SizeT={ome.SizeT}; only one of them may exceed 1 (save one channel and time point per file)");
            if (ome.Planes > pages.Count)
                throw file.Error($"OME-XML declares {ome.Planes} planes but the file holds {pages.Count} pages (multi-file OME-TIFF datasets are not supported)");
            nz = (int)ome.Planes;
        }
        var ij = ome is null ? TiffReader.ImageJInfo.Parse(first.Description) : new TiffReader.ImageJInfo(0, 1, null, null);
        bool contiguous = false;
        if (pages.Count == 1 && ij.Images > 1)
        {
            if (ij.Channels > 1)
                throw file.Error($"ImageJ stack has {ij.Channels} channels; only single-channel stacks are supported (save one channel per file)");
            if (first.Compression != 1)
                throw file.Error($"ImageJ stack declares images={ij.Images} in one IFD but is compressed; only uncompressed contiguous ImageJ stacks can be read that way");
            nz = ij.Images;
            contiguous = true;
        }
        else if (ij.Channels > 1)
            throw file.Error($"ImageJ stack has {ij.Channels} channels; only single-channel stacks are supported (save one channel per file)");

        long planeVoxels = (long)first.Height * first.Width;
        // Never promise more samples than the file can hold: raw bytes for uncompressed data, a generous bound for compressed.
        long decodedBytes = planeVoxels * nz * first.BytesPerSample;
        long maxDecoded = first.Compression == 1 ? file.Length : file.Length * 4096L;
        if (decodedBytes > maxDecoded || decodedBytes < 0)
            throw file.Error($"truncated or corrupt: {nz} pages of {first.Height}x{first.Width} {first.DType} samples ({decodedBytes} bytes) cannot be stored in a {file.Length}-byte file");
        if (contiguous && (first.StripOffsets[0] < 0 || first.StripOffsets[0] > file.Length - planeVoxels * first.BytesPerSample * nz))
            throw file.Error($"truncated: ImageJ stack of {nz} slices needs {planeVoxels * first.BytesPerSample * nz} bytes from offset {first.StripOffsets[0]} but the file has {file.Length} bytes");

        Spacing? fileSpacing = ome is not null ? ome.Spacing : TiffReader.FileSpacing(first, ij);
        Spacing spacing = spacingOverride?.Validated() ?? fileSpacing ?? Spacing.Isotropic(1.0);
        return new TiffStack(file, pages, first, nz, contiguous, spacing, fileSpacing is not null && spacingOverride is null);
    }

    /// <summary>
    /// Decodes planes [<paramref name="z0"/>, <paramref name="z1"/>) into <paramref name="dest"/> as float32 samples,
    /// C order (z1 − z0, NY, NX).
    /// </summary>
    /// <exception cref="InvalidDataException">A page is corrupt, truncated, or differs in size or type from page 0.</exception>
    public void ReadPlanes(int z0, int z1, Span<float> dest)
    {
        if (z0 < 0 || z1 > NZ || z0 > z1) throw new ArgumentOutOfRangeException(nameof(z0), $"planes [{z0}, {z1}) are outside [0, {NZ})");
        int planeVoxels = checked(NY * NX);
        if (dest.Length < (long)(z1 - z0) * planeVoxels) throw new ArgumentException("destination is smaller than the planes asked for", nameof(dest));
        if (_contiguousImageJ)
        {
            long planeBytes = (long)planeVoxels * _first.BytesPerSample;
            var buffer = new byte[planeBytes];
            for (int z = z0; z < z1; z++)
            {
                _file.ReadAt(_first.StripOffsets[0] + z * planeBytes, buffer);
                _first.ConvertSamples(buffer, dest.Slice((z - z0) * planeVoxels, planeVoxels), _file.LittleEndian);
            }
            return;
        }
        for (int z = z0; z < z1; z++)
        {
            var page = z == 0 ? _first : PageLayout.From(_file, _ifds[z], z);
            if (page.Width != NX || page.Height != NY)
                throw _file.Error($"page {z} is {page.Height}x{page.Width} but page 0 is {NY}x{NX}; all pages must share one size");
            if (page.DType != DType)
                throw _file.Error($"page {z} holds {page.DType} samples but page 0 holds {DType}; all pages must share one sample type");
            page.Decode(_file, dest.Slice((z - z0) * planeVoxels, planeVoxels));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
