using System.IO.Compression;
using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.Segmentation;

/// <summary>Golden outputs of reference/make_segmentation_reference.py (scikit-image 0.19 / scipy 1.10).</summary>
internal static class SegmentationReference
{
    private static readonly Lazy<JsonElement> Json = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Dir("reference.json")));
        return doc.RootElement.Clone();
    });

    private static string Dir(string name) => Reference.RepoPath("tests/Imaging.Tests/reference/segmentation/" + name);

    public static JsonElement Volume(string key) => Json.Value.GetProperty("volumes").GetProperty(key);

    public static Spacing SpacingOf(string key)
    {
        var s = Volume(key).GetProperty("spacing");
        return new Spacing(s[0].GetDouble(), s[1].GetDouble(), s[2].GetDouble());
    }

    private static readonly Dictionary<string, ImageVolume> Cache = new();

    /// <summary>The bundled raw volume with the spacing the reference used (callers must not modify it).</summary>
    public static ImageVolume Load(string key)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(key, out var v))
            {
                v = TiffReader.Read(Reference.RepoPath(Volume(key).GetProperty("path").GetString()!), SpacingOf(key));
                Cache[key] = v;
            }
            return v;
        }
    }

    /// <summary>A gzip-compressed little-endian uint16 label volume written by the script.</summary>
    public static int[] Labels(string file, int length)
    {
        using var gz = new GZipStream(File.OpenRead(Dir(file)), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var bytes = ms.ToArray();
        if (bytes.Length != 2 * length) throw new InvalidDataException($"{file}: {bytes.Length} bytes, expected {2 * length}");
        var labels = new int[length];
        for (int i = 0; i < length; i++) labels[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
        return labels;
    }

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Foreground mask raw &gt; Otsu threshold (the reference's mask).</summary>
    public static Volume<byte> OtsuMask(ImageVolume image)
    {
        double t = Otsu.Threshold(image);
        var d = image.Voxels.Data;
        var m = new byte[d.Length];
        for (int i = 0; i < d.Length; i++) m[i] = (byte)(d[i] > t ? 1 : 0);
        return image.Voxels.WithData(m);
    }

    /// <summary>Fraction of voxels with equal labels.</summary>
    public static double Agreement(int[] a, int[] b)
    {
        long same = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] == b[i]) same++;
        return (double)same / a.Length;
    }
}
