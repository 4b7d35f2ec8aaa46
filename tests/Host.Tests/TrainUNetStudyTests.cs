using System.Globalization;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using ShapeStudy.Core;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// The 3D U-Net trained as a study stage (<c>segmentation: { method: unet, train: … }</c>): a tiny network trained on the
/// 24 × 60 × 80 gala crop; the study completes with one committed train_segmenter task, its model's SHA-256 (the tables'
/// provenance) is the one <c>train-segmenter --method unet</c> prints for the same crop, options and seed (the stage and the
/// verb produce bit-identical models), and the segmentation row exists, agglomerated at the model's calibrated merge threshold.
/// </summary>
public sealed class TrainUNetStudyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-unet-study-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task TheStudyTrainsTheSameUNetAsTheVerbAndSegmentsWithIt()
    {
        var manifest = GalaCropStudy.WriteManifest(_dir, "unet-trained", 3,
            "{ method: unet, interior_threshold: 0.5, train: { raw: raw.npy, labels: labels.npy, spacing_um: [0.01, 0.01, 0.01], "
            + "levels: 2, base_channels: 4, epochs: 2, steps_per_epoch: 2, batch: 1, patch: [16, 32, 32], threads: 1 } }");
        var study = await GalaCropStudy.Run(manifest);
        Assert.True(study.Code == 0, study.Out + study.Err);
        // The running task's progress reached the console: the first epoch line (epoch 0, the untrained network) always goes out.
        Assert.Matches(@"train_segmenter +\S+: epoch 0/2: validation boundary F1 [01]\.\d{3}", study.Out);

        var modelPath = Path.Combine(_dir, "verb.ssun");
        var verb = await CliCapture.Run("train-segmenter", "--raw", Path.Combine(_dir, "raw.npy"), "--labels", Path.Combine(_dir, "labels.npy"),
            "--method", "unet", "--out", modelPath, "--seed", "3", "--spacing-um", "0.01,0.01,0.01", "--levels", "2", "--base-channels", "4",
            "--epochs", "2", "--steps-per-epoch", "2", "--batch", "1", "--patch", "16,32,32", "--threads", "1");
        Assert.True(verb.Code == 0, verb.Out + verb.Err);
        string printed = Regex.Match(verb.Out, "sha256 ([0-9a-f]{64})").Groups[1].Value;
        Assert.Equal(ContentHash.OfFile(modelPath), printed);

        string outDir = Path.Combine(_dir, "out");
        using var db = Duck.Open();
        string tasks = Path.Combine(outDir, "tasks.parquet"), quality = Path.Combine(outDir, "segmentation_quality.parquet");
        Assert.Equal(1L, Convert.ToInt64(db.Scalar($"SELECT count(*) FROM '{tasks}' WHERE stage = 'train_segmenter' AND status = 'committed'"), CultureInfo.InvariantCulture));
        Assert.Equal(0L, Convert.ToInt64(db.Scalar($"SELECT count(*) FROM '{tasks}' WHERE status <> 'committed'"), CultureInfo.InvariantCulture));
        Assert.Equal(printed, db.Provenance(quality, "shapestudy.segmentation_model_sha256"));
        Assert.Equal("unet", db.Scalar($"SELECT method FROM '{quality}' WHERE input = 'gala-test'"));
        Assert.True(Convert.ToInt64(db.Scalar($"SELECT objects FROM '{quality}' WHERE input = 'gala-test'"), CultureInfo.InvariantCulture) >= 1);
        // without segmentation.merge_threshold the segment task uses the threshold the trained model calibrated
        using var model = UNetSegmenter.Load(modelPath);
        Assert.NotNull(model.Training!.MergeThreshold);
        Assert.Equal(model.RecommendedMergeThreshold,
            Convert.ToDouble(db.Scalar($"SELECT merge_threshold FROM '{quality}' WHERE input = 'gala-test'"), CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TheManifestsUNetDefaultsAreTheLearningLibrarys()
    {
        var manifest = new UNetTrainingSettings();
        var library = new UNetTrainingOptions();
        Assert.Equal((library.Epochs, library.StepsPerEpoch, library.BatchSize, library.PatchZ, library.PatchY, library.PatchX, library.Levels,
                library.BaseChannels, library.LearningRate, library.Patience, library.Threads),
            (manifest.Epochs, manifest.StepsPerEpoch, manifest.Batch, manifest.PatchZ, manifest.PatchY, manifest.PatchX, manifest.Levels,
                manifest.BaseChannels, manifest.LearningRate, manifest.Patience, manifest.Threads));
    }
}
