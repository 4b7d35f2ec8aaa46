using System.Text.RegularExpressions;
using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>train-segmenter and segment --method unet end to end: the printed hash is the model file's SHA-256, labels are written, bad models are refused.</summary>
public sealed class LearnedSegmentationVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-learned-verbs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliCapture.Run(args);

    [Fact]
    public async Task TrainedUNetModelIsHashedAndSegmentsAVolume()
    {
        string model = Path.Combine(_dir, "tiny.ssun"), labels = Path.Combine(_dir, "labels.tif");
        var train = await Cli("train-segmenter", "--raw", RepoPaths.Data("gala", "train_raw.tif"), "--labels", RepoPaths.Data("gala", "train_labels.tif"),
            "--method", "unet", "--out", model, "--epochs", "1", "--steps-per-epoch", "1", "--levels", "2", "--base-channels", "2",
            "--patch", "16,32,32", "--threads", "1", "--seed", "4");
        Assert.True(train.Code == 0, train.Out + train.Err);
        var hash = Regex.Match(train.Out, "sha256 ([0-9a-f]{64})").Groups[1].Value;
        Assert.Equal(ContentHash.OfFile(model), hash);

        var seg = await Cli("segment", RepoPaths.Data("gala", "test_raw.tif"), "--method", "unet", "--model", model, "--out", labels);
        Assert.True(seg.Code == 0, seg.Out + seg.Err);
        Assert.Contains(hash, seg.Out);
        var written = ShapeStudy.Imaging.VolumeFiles.Read(labels).Voxels;
        Assert.Equal((50, 100, 200), written.Shape);

        string garbage = Path.Combine(_dir, "garbage.ssun");
        File.WriteAllText(garbage, "not a model");
        var bad = await Cli("segment", RepoPaths.Data("gala", "test_raw.tif"), "--method", "unet", "--model", garbage, "--out", Path.Combine(_dir, "x.tif"));
        Assert.Equal(2, bad.Code);
        Assert.Contains(garbage, bad.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "x.tif")));
        var missing = await Cli("segment", RepoPaths.Data("gala", "test_raw.tif"), "--method", "rf", "--out", Path.Combine(_dir, "y.tif"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("--model", missing.Err);
    }
}
