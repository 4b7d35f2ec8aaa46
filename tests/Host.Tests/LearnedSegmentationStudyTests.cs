using System.Globalization;
using DuckDB.NET.Data;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// A saved random-forest model as the study's segmentation: trained here from three annotated slices of the gala FIB-SEM
/// train crop, used by a manifest on a 24 × 60 × 80 corner of the test crop; the study's adapted Rand error against the
/// ground truth is far below the classical chain's on the same volume, and the model's SHA-256 is the tables' provenance.
/// </summary>
public sealed class LearnedSegmentationStudyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-learned-study-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Spacing Voxel = GalaCropStudy.Voxel;

    /// <summary>Trains a small forest on z-slices <paramref name="slices"/> of the train crop (every other voxel unlabelled) and saves it.</summary>
    private string TrainForest(string name, ulong seed, params int[] slices)
    {
        var raw = VolumeFiles.Read(RepoPaths.Data("gala", "train_raw.tif"), Voxel).Voxels;
        var truth = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(RepoPaths.Data("gala", "train_labels.tif"), Voxel).Voxels);
        var dense = BoundaryTargets.AsAnnotation(BoundaryTargets.FromLabels(truth, ZeroLabel.Boundary));
        var sparse = dense.WithData(new int[dense.Length]);
        foreach (int z in slices)
            for (int y = 0; y < dense.NY; y++)
                for (int x = 0; x < dense.NX; x++)
                    sparse[z, y, x] = dense[z, y, x];
        var (model, _) = PixelClassifier.Train(raw, sparse, FeatureBankOptions.ForSpacing(Voxel), new RandomForestOptions(Trees: 8, Seed: seed), 20_000);
        var path = Path.Combine(_dir, name);
        model.Save(path);
        return path;
    }

    [Fact]
    public async Task SavedForestSegmentsTheStudyFarBetterThanTheClassicalChainAndIsRecordedInProvenance()
    {
        var model = TrainForest("forest.sspc", 1, 10, 25, 40);
        var manifest = GalaCropStudy.WriteManifest(_dir, "learned", 3, "{ method: rf, model: forest.sspc, interior_threshold: 0.5 }");
        var first = await GalaCropStudy.Run(manifest);
        Assert.True(first.Code == 0, first.Out + first.Err);

        var quality = Path.Combine(_dir, "out", "segmentation_quality.parquet");
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT method, adapted_rand_error, objects, merge_threshold FROM '{quality}'";
        double learnedError;
        using (var r = cmd.ExecuteReader())
        {
            Assert.True(r.Read());
            Assert.Equal("rf", r.GetString(0));
            learnedError = r.GetDouble(1);
            Assert.True(r.GetInt32(2) >= 10, $"{r.GetInt32(2)} objects; the ground truth crop has 23");
            Assert.Equal(LearnedSegmentation.DefaultMergeThreshold, r.GetDouble(3));   // no merge_threshold: a forest's default
        }

        // the classical chain (Otsu threshold → distance-transform watershed) on the same volume, scored the same way
        var image = VolumeFiles.Read(Path.Combine(_dir, "raw.npy"), Voxel);
        var truth = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(Path.Combine(_dir, "labels.npy"), Voxel).Voxels);
        var classical = WatershedSegmentation.Run(image, new WatershedSegmentationOptions(0.01, ForegroundPolarity.Bright, null, 26, 0, 0));
        double classicalError = SegmentationMetrics.Compute(truth, classical.Labels).AdaptedRandError;
        Assert.True(learnedError < 0.3 && learnedError < 0.5 * classicalError,
            $"adapted Rand error: random forest {learnedError}, classical watershed {classicalError}");

        Assert.Equal(ContentHash.OfFile(model), db.Provenance(quality, "shapestudy.segmentation_model_sha256"));
        Assert.Equal(ContentHash.OfFile(model), db.Provenance(Path.Combine(_dir, "out", "cells.parquet"), "shapestudy.segmentation_model_sha256"));
    }
}
