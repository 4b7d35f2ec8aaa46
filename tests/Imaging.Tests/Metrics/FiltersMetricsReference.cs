using System.IO.Compression;
using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

/// <summary>
/// The committed scipy / scikit-image reference of reference/make_filters_metrics_reference.py and the inputs it
/// was computed from.
/// </summary>
internal static class FiltersMetricsReference
{
    public static string Root { get; } = FindRoot();

    private static readonly Lazy<JsonElement> Json = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "tests/Imaging.Tests/reference/filters_metrics/reference.json")));
        return doc.RootElement.Clone();
    });

    public static JsonElement Metrics => Json.Value.GetProperty("metrics");

    public static JsonElement Morphology => Json.Value.GetProperty("morphology");

    private static readonly Lazy<ImageVolume> TestRaw = new(() => TiffReader.Read(Path.Combine(Root, "studies/data/gala/test_raw.tif")));
    private static readonly Lazy<Volume<int>> TestLabels = new(() =>
        SegmentationMetrics.LabelsFromSamples(TiffReader.Read(Path.Combine(Root, "studies/data/gala/test_labels.tif")).Voxels));

    /// <summary>gala test raw (50, 100, 200), uint8 samples as float32 (callers must not modify it).</summary>
    public static ImageVolume GalaRaw => TestRaw.Value;

    /// <summary>gala test ground truth labels (callers must not modify it).</summary>
    public static Volume<int> GalaTruth => TestLabels.Value;

    /// <summary>The (16, 40, 60) crop of the gala test raw the morphology and filter references use.</summary>
    public static Volume<float> RawCrop()
    {
        var c = Morphology.GetProperty("crop");
        int[] lo = new int[3], hi = new int[3];
        for (int a = 0; a < 3; a++) { lo[a] = c[a][0].GetInt32(); hi[a] = c[a][1].GetInt32(); }
        var src = GalaRaw.Voxels;
        var crop = new Volume<float>(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], Spacing.Isotropic(1));
        for (int z = 0; z < crop.NZ; z++)
            for (int y = 0; y < crop.NY; y++)
                for (int x = 0; x < crop.NX; x++)
                    crop[z, y, x] = src[z + lo[0], y + lo[1], x + lo[2]];
        return crop;
    }

    /// <summary>Mask crop &gt; Otsu threshold (as the script computes it).</summary>
    public static Volume<byte> MaskCrop()
    {
        var crop = RawCrop();
        double t = Morphology.GetProperty("threshold").GetDouble();
        return crop.WithData(crop.Data.Select(v => (byte)(v > t ? 1 : 0)).ToArray());
    }

    /// <summary>Decodes base64(zlib(packbits(mask))) into one byte (0/1) per voxel.</summary>
    public static byte[] Bits(JsonElement e, int length)
    {
        var packed = Inflate(e.GetString()!);
        var result = new byte[length];
        for (int i = 0; i < length; i++) result[i] = (byte)((packed[i >> 3] >> (7 - (i & 7))) & 1);
        return result;
    }

    /// <summary>Decodes base64(zlib(uint8 bytes)) into floats.</summary>
    public static float[] Bytes(JsonElement e) => Inflate(e.GetString()!).Select(b => (float)b).ToArray();

    private static byte[] Inflate(string base64)
    {
        using var input = new MemoryStream(Convert.FromBase64String(base64));
        using var z = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        z.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Digest of a label array as the script computes it (max, sum, Σ label·(index mod 9973)).</summary>
    public static (long Max, long Sum, long Weighted) Digest(int[] labels)
    {
        long max = long.MinValue, sum = 0, weighted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            long l = labels[i];
            if (l > max) max = l;
            sum += l;
            weighted += l * (i % 9973);
        }
        return (max, sum, weighted);
    }

    public static void AssertDigest(JsonElement expected, int[] labels)
    {
        var (max, sum, weighted) = Digest(labels);
        Assert.Equal(expected.GetProperty("max").GetInt64(), max);
        Assert.Equal(expected.GetProperty("sum").GetInt64(), sum);
        Assert.Equal(expected.GetProperty("weighted_sum").GetInt64(), weighted);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ShapeStudy.sln"))) return dir.FullName;
        throw new InvalidOperationException("ShapeStudy.sln not found above " + AppContext.BaseDirectory);
    }
}
