using System.Globalization;
using DuckDB.NET.Data;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// The rf model trained as a study stage (<c>segmentation.train</c>): an 8-tree forest from three annotated slices of
/// the gala FIB-SEM train crop segments a 24 × 60 × 80 corner of the test crop with an adapted Rand error below 0.3;
/// the tasks table holds one committed train_segmenter task, the model hash is the tables' provenance, and a re-run
/// reuses every task (training included).
/// </summary>
public sealed class TrainSegmenterStudyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-train-study-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);


    private string WriteManifest() => GalaCropStudy.WriteManifest(_dir, "trained", 1,
        "{ method: rf, merge_threshold: 0.5, interior_threshold: 0.5, train: { "
        + $"raw: {RepoPaths.Data("gala", "train_raw.tif")}, labels: {RepoPaths.Data("gala", "train_labels.tif")}, "
        + "spacing_um: [0.01, 0.01, 0.01], trees: 8, max_samples: 20000, slices: [10, 25, 40] } }");

    [Fact]
    public async Task TheStudyTrainsItsForestOnceSegmentsWellAndReusesEverythingOnARerun()
    {
        var manifest = WriteManifest();
        var first = await GalaCropStudy.Run(manifest);
        Assert.True(first.Code == 0, first.Out + first.Err);
        string outDir = Path.Combine(_dir, "out");
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            string tasks = Path.Combine(outDir, "tasks.parquet"), quality = Path.Combine(outDir, "segmentation_quality.parquet");
            Assert.Equal(1L, Convert.ToInt64(db.Scalar($"SELECT count(*) FROM '{tasks}' WHERE stage = 'train_segmenter' AND status = 'committed'"), CultureInfo.InvariantCulture));
            Assert.Equal(0L, Convert.ToInt64(db.Scalar($"SELECT count(*) FROM '{tasks}' WHERE status <> 'committed'"), CultureInfo.InvariantCulture));
            Assert.Equal("rf", db.Scalar($"SELECT method FROM '{quality}'"));
            double error = Convert.ToDouble(db.Scalar($"SELECT adapted_rand_error FROM '{quality}'"), CultureInfo.InvariantCulture);
            Assert.True(error < 0.3, $"adapted Rand error of the study-trained forest: {error}");
            var hash = db.Provenance(quality, "shapestudy.segmentation_model_sha256");
            Assert.Matches("^[0-9a-f]{64}$", hash);
            Assert.Equal(hash, db.Provenance(Path.Combine(outDir, "cells.parquet"), "shapestudy.segmentation_model_sha256"));
        }
        int count = int.Parse(System.Text.RegularExpressions.Regex.Match(first.Out, @"(\d+) tasks").Groups[1].Value, CultureInfo.InvariantCulture);

        var second = await GalaCropStudy.Run(manifest);
        Assert.True(second.Code == 0, second.Out + second.Err);
        Assert.Contains($"{count} tasks, 0 executed, {count} cached, 0 failed", second.Out);
    }
}
