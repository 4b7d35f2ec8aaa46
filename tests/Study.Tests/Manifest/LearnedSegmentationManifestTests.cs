using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Study.Tests.Manifest;

/// <summary>The saved-model segmentation methods rf and unet: model path resolution, extension and method checks, thresholds.</summary>
public sealed class LearnedSegmentationManifestTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ManifestLoadResult Load(string segmentation)
    {
        _dir.WriteSampleData();
        _dir.Write("models/forest.sspc", "x");
        _dir.Write("models/net.ssun", "x");
        return _dir.LoadVolumeStudy("learned", "data/gala/train_raw.tif", segmentation);
    }

    [Fact]
    public void RfAndUnetModelsResolveRelativeToTheManifest()
    {
        var rf = Load("{ method: rf, model: models/forest.sspc, merge_threshold: 0.3, interior_threshold: 0.6 }");
        Assert.True(rf.IsValid, string.Join("\n", rf.Errors));
        var s = rf.Manifest!.Segmentation;
        Assert.Equal(SegmentationMethod.Rf, s.Method);
        Assert.Equal(Path.Combine(_dir.Root, "models", "forest.sspc"), s.ModelPath);
        Assert.Equal(((double?)0.3, 0.6), (s.MergeThreshold, s.InteriorThreshold));
        var unet = Load("{ method: unet, model: models/net.ssun }");
        Assert.True(unet.IsValid, string.Join("\n", unet.Errors));
        // No merge_threshold: null, i.e. the model's own (a U-Net's calibrated threshold).
        Assert.Equal((SegmentationMethod.Unet, (double?)null, 0.5), (unet.Manifest!.Segmentation.Method, unet.Manifest.Segmentation.MergeThreshold, unet.Manifest.Segmentation.InteriorThreshold));
        Assert.Null(Load("{ method: otsu }").Manifest!.Segmentation.ModelPath);
    }

    [Theory]
    [InlineData("{ method: rf }", "needs a saved model")]
    [InlineData("{ method: unet, model: models/missing.ssun }", "file not found")]
    [InlineData("{ method: rf, model: models/net.ssun }", ".sspc")]
    [InlineData("{ method: unet, model: models/forest.sspc }", ".ssun")]
    [InlineData("{ method: otsu, model: models/forest.sspc }", "only by methods rf and unet")]
    [InlineData("{ method: watershed, model: models/forest.sspc }", "only by methods rf and unet")]
    public void BadModelsAreErrorsNamingSegmentationModel(string segmentation, string expected)
    {
        var r = Load(segmentation);
        var error = Assert.Single(r.Errors);
        Assert.Equal("segmentation.model", error.Key);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ThresholdsMustBeProbabilities()
    {
        var r = Load("{ method: rf, model: models/forest.sspc, merge_threshold: 1.5, interior_threshold: 1 }");
        Assert.Equal(new[] { "segmentation.interior_threshold", "segmentation.merge_threshold" }, r.Errors.Select(e => e.Key).OrderBy(k => k));
    }

    [Fact]
    public void TheModelHashIsPartOfTheSegmentTaskKeyAndThePathIsNot()
    {
        var manifest = Load("{ method: rf, model: models/forest.sspc }").Manifest!;
        string SegmentKey(StudyManifest m, string modelHash) =>
            new StudyPlan(m, path => path.EndsWith(".sspc", StringComparison.Ordinal) ? modelHash : "input-hash").Start().Single(t => t.Stage == Stages.Segment).Key;
        var key = SegmentKey(manifest, "model-a");
        Assert.NotEqual(key, SegmentKey(manifest, "model-b"));
        var moved = manifest with { Segmentation = manifest.Segmentation with { ModelPath = Path.Combine(_dir.Root, "elsewhere", "forest.sspc") } };
        Assert.Equal(key, SegmentKey(moved, "model-a"));
        var classical = Load("{ method: otsu }").Manifest!;
        Assert.DoesNotContain("Learned", new StudyPlan(classical, _ => "input-hash").Start().Single(t => t.Stage == Stages.Segment).PayloadJson);
    }
}
