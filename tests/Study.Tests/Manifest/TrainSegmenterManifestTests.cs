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
        return _dir.LoadVolumeStudy("trained", "data/ovule/raw.tiff", segmentation, seed: 5);
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
    [InlineData("{ method: otsu, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }", "segmentation.train", "only methods rf and unet")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, trees: 8 } }", "segmentation.train.trees", "setting of method rf")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, max_samples: 500 } }", "segmentation.train.max_samples", "setting of method rf")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, slices: [1] } }", "segmentation.train.slices", "setting of method rf")]
    [InlineData("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, epochs: 3 } }", "segmentation.train.epochs", "setting of method unet")]
    [InlineData("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, patch: [8, 8, 8] } }", "segmentation.train.patch", "setting of method unet")]
    [InlineData("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, zero_label: membrane } }", "segmentation.train.zero_label", "boundary, background")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, epochs: 0 } }", "segmentation.train.epochs", "from 1 to")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, steps_per_epoch: 2.5 } }", "segmentation.train.steps_per_epoch", "an integer")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, batch: 0 } }", "segmentation.train.batch", "from 1 to")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, levels: 7 } }", "segmentation.train.levels", "from 2 to 6")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, base_channels: 0 } }", "segmentation.train.base_channels", "from 1 to 256")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, learning_rate: 0 } }", "segmentation.train.learning_rate", "positive number")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, patience: -1 } }", "segmentation.train.patience", "from 1 to")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, threads: 0 } }", "segmentation.train.threads", "from 1 to 256")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, patch: [16, 32] } }", "segmentation.train.patch", "three patch sizes")]
    [InlineData("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, levels: 4, patch: [4, 32, 32] } }", "segmentation.train.patch[0]", "2^(levels - 1) = 8")]
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
    public void UNetTrainSettingsTakeTheVerbDefaultsAndEveryKey()
    {
        var r = Load("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        var t = r.Manifest!.Segmentation.Train!;
        Assert.Equal(new UNetTrainingSettings(40, 25, 2, 32, 64, 64, 3, 12, 2e-3, 8, 2), t.UNet);
        Assert.Equal(ZeroLabelMeaning.Boundary, t.ZeroLabel);

        r = Load("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif, zero_label: background, epochs: 3, "
            + "steps_per_epoch: 4, batch: 1, patch: [16, 32, 48], levels: 2, base_channels: 4, learning_rate: 0.001, patience: 2, threads: 1 } }");
        Assert.True(r.IsValid, string.Join("\n", r.Errors));
        t = r.Manifest!.Segmentation.Train!;
        Assert.Equal(new UNetTrainingSettings(3, 4, 1, 16, 32, 48, 2, 4, 0.001, 2, 1), t.UNet);
        Assert.Equal(ZeroLabelMeaning.Background, t.ZeroLabel);
        Assert.Null(Load("{ method: rf, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }").Manifest!.Segmentation.Train!.UNet);
    }

    [Fact]
    public void EveryUNetSettingTheSeedAndTheZeroLabelAreInTheTrainingKeyButThePathsAreNot()
    {
        var manifest = Load("{ method: unet, train: { raw: data/gala/train_raw.tif, labels: data/gala/train_labels.tif } }").Manifest!;
        string Key(StudyManifest m)
        {
            var task = new StudyPlan(m, path => path.EndsWith("train_labels.tif", StringComparison.Ordinal) ? "labels-hash" : "raw-hash").Start().Single();
            Assert.Equal(Stages.TrainSegmenter, task.Stage);
            return task.Key;
        }
        var train = manifest.Segmentation.Train!;
        var u = train.UNet!;
        StudyManifest With(UNetTrainingSettings changed) => manifest with { Segmentation = manifest.Segmentation with { Train = train with { UNet = changed } } };
        var variants = new[]
        {
            With(u with { Epochs = 41 }), With(u with { StepsPerEpoch = 26 }), With(u with { Batch = 3 }), With(u with { PatchZ = 16 }),
            With(u with { PatchY = 32 }), With(u with { PatchX = 32 }), With(u with { Levels = 2 }), With(u with { BaseChannels = 8 }),
            With(u with { LearningRate = 1e-3 }), With(u with { Patience = 9 }), With(u with { Threads = 1 }),
            manifest with { Segmentation = manifest.Segmentation with { Train = train with { ZeroLabel = ZeroLabelMeaning.Background } } },
            manifest with { Study = manifest.Study with { Seed = 6 } },
        };
        var keys = variants.Select(Key).Prepend(Key(manifest)).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        var moved = manifest with { Segmentation = manifest.Segmentation with { Train = train with { RawPath = "/elsewhere/raw.tif", LabelsPath = "/elsewhere/train_labels.tif" } } };
        Assert.Equal(Key(manifest), Key(moved));
        var payload = StageJson.Read<TrainSegmenterPayload>(new StudyPlan(manifest, _ => "h").Start().Single().PayloadJson);
        Assert.Equal(("unet", u, 5UL), (payload.Method, payload.UNet, payload.Seed));
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
