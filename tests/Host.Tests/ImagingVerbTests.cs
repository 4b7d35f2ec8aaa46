using System.Text.Json;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>The headless segmentation verbs on the bundled FIB-SEM test crop and its ground truth.</summary>
public sealed class ImagingVerbTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-verbs-" + Guid.NewGuid().ToString("N"));

    public ImagingVerbTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliCapture.Run(args);

    private async Task<JsonElement> SegmentAndEvaluate(string method, params string[] extra)
    {
        var labels = Path.Combine(_dir, method + ".tif");
        var seg = await Cli(new[] { "segment", RepoPaths.Data("gala", "test_raw.tif"), "--method", method, "--sigma-um", "0.01",
            "--spacing-um", "0.01,0.01,0.01", "--out", labels }.Concat(extra).ToArray());
        Assert.True(seg.Code == 0, seg.Out + seg.Err);
        Assert.Contains("objects", seg.Out);
        var eval = await Cli("evaluate", "--truth", RepoPaths.Data("gala", "test_labels.tif"), "--pred", labels, "--json");
        Assert.True(eval.Code == 0, eval.Out + eval.Err);
        return JsonDocument.Parse(eval.Out).RootElement;
    }

    [Fact]
    public async Task WatershedBeatsPlainOtsuOnAdaptedRandErrorAgainstGroundTruth()
    {
        var otsu = await SegmentAndEvaluate("otsu");
        var watershed = await SegmentAndEvaluate("watershed", "--h-um", "0.02");
        double otsuError = otsu.GetProperty("AdaptedRandError").GetDouble(), wsError = watershed.GetProperty("AdaptedRandError").GetDouble();
        Assert.Equal(132, otsu.GetProperty("TruthObjects").GetInt32());
        Assert.InRange(otsuError, 0, 1);
        Assert.True(wsError < otsuError, $"watershed ARAND {wsError} vs Otsu {otsuError}");
        Assert.True(watershed.GetProperty("PredictedObjects").GetInt32() > otsu.GetProperty("PredictedObjects").GetInt32());
    }

    [Fact]
    public async Task EvaluatingTruthAgainstItselfIsPerfect()
    {
        var truth = RepoPaths.Data("gala", "test_labels.tif");
        var r = await Cli("evaluate", "--truth", truth, "--pred", truth, "--json");
        var q = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(0, q.GetProperty("AdaptedRandError").GetDouble(), 12);
        Assert.Equal(0, q.GetProperty("VoiSplit").GetDouble(), 12);
        Assert.Equal(0, q.GetProperty("VoiMerge").GetDouble(), 12);
        Assert.Equal(1, q.GetProperty("ForegroundDice").GetDouble(), 12);
    }

    [Fact]
    public async Task BadFilesAndOptionsGiveOneClearErrorAndNoOutput()
    {
        var missing = await Cli("segment", Path.Combine(_dir, "nope.tif"), "--out", Path.Combine(_dir, "x.tif"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.tif", missing.Err);

        var corrupt = Path.Combine(_dir, "corrupt.tif");
        File.WriteAllBytes(corrupt, new byte[] { 0x49, 0x49, 0x2A, 0x00, 0xFF, 0xFF, 0xFF, 0x7F });
        var bad = await Cli("segment", corrupt, "--out", Path.Combine(_dir, "y.tif"));
        Assert.Equal(2, bad.Code);
        Assert.StartsWith($"error: {corrupt}", bad.Err);

        var spacing = await Cli("segment", RepoPaths.Data("gala", "test_raw.tif"), "--spacing-um", "1,2", "--out", Path.Combine(_dir, "z.tif"));
        Assert.Equal(2, spacing.Code);
        Assert.Contains("--spacing-um", spacing.Err);
        Assert.Equal(new[] { corrupt }, Directory.GetFiles(_dir, "*.tif"));
    }

    [Fact]
    public async Task OutOfCoreSegmentationOfATiffGivesTheInMemoryLabels()
    {
        var raw = RepoPaths.Data("gala", "test_raw.tif");
        string inMemory = Path.Combine(_dir, "mem.npy"), slabbed = Path.Combine(_dir, "ooc.npy");
        var common = new[] { "--sigma-um", "0.01", "--spacing-um", "0.01,0.01,0.01", "--min-volume-um3", "0.0001" };
        var a = await Cli(new[] { "segment", raw, "--out", inMemory }.Concat(common).ToArray());
        Assert.True(a.Code == 0, a.Out + a.Err);
        // 0.5 MiB holds a few of the crop's 100×200 planes at a time, so the volume really is processed in several slabs.
        var b = await Cli(new[] { "segment", raw, "--out", slabbed, "--out-of-core", "--memory-gib", "0.0005" }.Concat(common).ToArray());
        Assert.True(b.Code == 0, b.Out + b.Err);
        Assert.Contains("slabs", b.Out);
        var expected = Imaging.NpyFormat.Read(inMemory).Voxels.Data;
        var actual = Imaging.NpyFormat.Read(slabbed).Voxels.Data;
        Assert.Equal(expected, actual);
        Assert.True(expected.Max() > 10, "the crop must hold many objects for the comparison to mean something");

        var wrongFormat = await Cli("segment", raw, "--out", Path.Combine(_dir, "ooc.tif"), "--out-of-core");
        Assert.Equal(2, wrongFormat.Code);
        Assert.Contains(".npy", wrongFormat.Err);
    }
}
