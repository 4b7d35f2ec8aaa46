using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Study.Tests.Manifest;

/// <summary><c>segmentation.train</c>: the rf model trained as a study stage, its validation and its place in the plan.</summary>
public sealed class TrainSegmenterManifestTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ManifestLoadResult Load(string segmentation)
    {
        _dir.WriteSampleData();
        _dir.Write("models/forest.sspc", "x");
        var path = _dir.Write("study.yaml", $$"""
            schema_version: 1
            study: { id: trained, seed: 5 }
            inputs:
              - volume: data/ovule/raw.tiff
            segmentation: {{segmentation}}
            outputs: { dir: out }
            """);
        return ManifestLoader.Load(path);
    }

    [Fact]
    public void TrainSettingsResolveRelativeToTheManifest()
    {
        var r = Load("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, trees: 8, max_samples: 5000, slices: [10, 25], spacing_um: [0.01, 0.01, 0.01] } }");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var t = r.Manifest!.Segmentation.Train!;
        Assert.Equal(Path.Combine(_dir.Root, "data", "gala", "train_raw.tif"), t.RawPath);
        Assert.Equal(Path.Combine(_dir.Root, "data", "gala", "train_labels.tif"), t.LabelsPath);
        Assert.Equal((8, 5000), (t.Trees, t.MaxSamples));
        Assert.Equal(new[] { 10, 25 }, t.Slices);
        Assert.Null(r.Manifest.Segmentation.ModelPath);
    }

    [Theory]
    [InlineData("{ method: rf, model: models/forest.sspc, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }", "segmentation.model", "exactly one")]
    [InlineData("{ method: rf, train: { raw: data/gala/missing.tif, labels: data/gala/train_labels.tif } }", "segmentation.train.raw", "file not found")]
    [InlineData("{ method: rf, train: { labels: data/gala/train_labels.tif } }", "segmentation.train.raw", "needs raw")]
    [InlineData("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, slices: [3, -1] } }", "segmentation.train.slices[1]", "z-slice")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }", "segmentation.train", "only method rf")]
    public void BadTrainingSettingsAreErrorsNamingTheKey(string segmentation, string key, string expected)
    {
        var r = Load(segmentation);
        var error = Assert.Single(r.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ThePlanTrainsFirstAndKeysTheTrainingByContentNotPath()
    {
        var manifest = Load("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, trees: 8 } }").Manifest!;
        var start = new StudyPlan(manifest, path => path.EndsWith("train_labels.tif", StringComparison.Ordinal) ? "labels-hash" : "raw-hash").Start();
        var train = Assert.Single(start);
        Assert.Equal(Stages.TrainSegmenter, train.Stage);
        var moved = manifest with { Segmentation = manifest.Segmentation with { Train = manifest.Segmentation.Train! with { RawPath = "/elsewhere/raw.tif" } } };
        Assert.Equal(train.Key, new StudyPlan(moved, path => path.EndsWith("train_labels.tif", StringComparison.Ordinal) ? "labels-hash" : "raw-hash").Start().Single().Key);
        Assert.NotEqual(train.Key, new StudyPlan(manifest, path => path.EndsWith("train_labels.tif", StringComparison.Ordinal) ? "other-labels" : "raw-hash").Start().Single().Key);

        // the segment task appears once the model is committed, and its key follows the model's hash
        string SegmentKey(string modelHash)
        {
            var plan = new StudyPlan(manifest, _ => "raw-hash");
            var t = plan.Start().Single();
            var result = StageJson.Write(new TrainSegmenterResult(new Core.ArtifactRef(new string('a', 64), "rf_model", 10), modelHash, 30, 100, 1000));
            var segment = Assert.Single(plan.OnCommitted(t.Key, result));
            Assert.Equal(Stages.Segment, segment.Stage);
            Assert.Contains(modelHash, segment.PayloadJson);
            return segment.Key;
        }
        Assert.NotEqual(SegmentKey("model-a"), SegmentKey("model-b"));
    }

    [Fact]
    public void AFailedTrainingFailsEveryVolumeInputAndEndsThePlan()
    {
        var manifest = Load("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }").Manifest!;
        var plan = new StudyPlan(manifest, _ => "hash");
        var train = plan.Start().Single();
        Assert.Empty(plan.OnFailed(train.Key, "annotate at least two classes"));
        Assert.True(plan.IsComplete);
        var error = Assert.Single(plan.InputErrors);
        Assert.Contains("train_segmenter: annotate at least two classes", error.Value);
    }
}
