using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.Imaging.Tests;

/// <summary>Repository paths and the committed scikit-image reference numbers.</summary>
internal static class Reference
{
    private static readonly Lazy<JsonElement> Json = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Imaging.Tests/reference/skimage_reference.json")));
        return doc.RootElement.Clone();
    });

    public static string RepoPath(string relative) => Path.Combine(RepoPaths.Root, relative);

    public static string Fixture(string name) => RepoPath("tests/Imaging.Tests/reference/fixtures/" + name);

    public static JsonElement Data => Json.Value;

    public static JsonElement Volume(string key) => Data.GetProperty("volumes").GetProperty(key);

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static readonly Dictionary<string, ImageVolume> Cache = new();

    /// <summary>Reads a bundled volume once per test run (callers must not modify it).</summary>
    public static ImageVolume Load(string key, Spacing? spacingOverride = null)
    {
        lock (Cache)
        {
            string cacheKey = key + spacingOverride;
            if (!Cache.TryGetValue(cacheKey, out var v))
            {
                v = TiffReader.Read(RepoPath(Volume(key).GetProperty("path").GetString()!), spacingOverride);
                Cache[cacheKey] = v;
            }
            return v;
        }
    }
}
