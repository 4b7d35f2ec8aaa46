using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Study.Tests.Manifest;

/// <summary>The watershed segmentation options and the volume formats the manifest accepts.</summary>
public sealed class SegmentationMethodTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ManifestLoadResult Load(string segmentation, string volume = "data/gala/train_raw.tif")
    {
        _dir.WriteSampleData();
        _dir.Write("data/tomo.mrc", "x");
        _dir.Write("data/stack.npy", "x");
        return _dir.LoadVolumeStudy("ws", volume, segmentation);
    }

    [Fact]
    public void WatershedWithHAndCompactnessParses()
    {
        var r = Load("{ method: watershed, sigma_um: 0.01, h_um: 0.02, compactness: 0.5 }");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        Assert.Equal(new SegmentationSettings(SegmentationMethod.Watershed, 0.01, Foreground.Bright, 26, 0, 0.02, 0.5), r.Manifest!.Segmentation);
    }

    [Fact]
    public void HDefaultsToAutomaticAndMustBePositive()
    {
        Assert.Null(Load("{ method: watershed }").Manifest!.Segmentation.HUm);
        var bad = Load("{ method: watershed, h_um: 0, compactness: -1 }");
        Assert.Equal(new[] { "segmentation.compactness", "segmentation.h_um" }, bad.Errors.Select(e => e.Key).OrderBy(k => k));
    }

    [Theory]
    [InlineData("data/tomo.mrc")]
    [InlineData("data/stack.npy")]
    public void MrcAndNpyVolumesAreAccepted(string volume) => Assert.True(Load("{ method: otsu }", volume).IsValid);
}
