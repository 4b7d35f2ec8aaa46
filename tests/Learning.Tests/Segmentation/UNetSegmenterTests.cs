using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Learning.Tests.Segmentation;

/// <summary>The boundary U-Net: learning on the gala FIB-SEM crops, determinism, tiling invariance, PyTorch interchange.</summary>
public sealed class UNetSegmenterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Spacing Voxel = Spacing.Isotropic(0.01);
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-unet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Volume<float> Gala(string name) => VolumeFiles.Read(RepoPaths.Data("gala", name), Voxel).Voxels;

    private static Volume<T> Crop<T>(Volume<T> v, int nz, int ny, int nx, int z0 = 0, int y0 = 0, int x0 = 0) where T : unmanaged
    {
        var c = new Volume<T>(nz, ny, nx, v.Spacing);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++) c[z, y, x] = v[z0 + z, y0 + y, x0 + x];
        return c;
    }

    private static double BoundaryF1(Volume<float> p, Volume<byte> truth)
    {
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < p.Length; i++)
        {
            bool predicted = p.Data[i] > 0.5f, actual = truth.Data[i] == 1;
            if (predicted && actual) tp++; else if (predicted) fp++; else if (actual) fn++;
        }
        return 2.0 * tp / (2.0 * tp + fp + fn);
    }

    [Fact]
    public void ASmallTrainingBeatsTheUntrainedNetworkOnAHeldOutCrop()
    {
        var raw = Crop(Gala("train_raw.tif"), 24, 100, 200);
        var labels = Crop(SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(RepoPaths.Data("gala", "train_labels.tif"), Voxel).Voxels), 24, 100, 200);
        var options = new UNetTrainingOptions(Levels: 2, BaseChannels: 6, Epochs: 6, StepsPerEpoch: 8, BatchSize: 2, PatchZ: 16, PatchY: 48, PatchX: 48,
            LearningRate: 5e-3, Patience: 6, Seed: 3, Threads: 1);
        using var model = UNetSegmenter.Train(raw, labels, options);
        using var untrained = UNetSegmenter.CreateUntrained(model.Architecture, ZeroLabel.Boundary, 3);

        var testRaw = Crop(Gala("test_raw.tif"), 24, 100, 100, 20, 0, 60);
        var testTruth = BoundaryTargets.FromLabels(Crop(SegmentationMetrics.LabelsFromSamples(Gala("test_labels.tif")), 24, 100, 100, 20, 0, 60), ZeroLabel.Boundary).Boundary;
        double trained = BoundaryF1(model.Predict(testRaw)[0], testTruth), before = BoundaryF1(untrained.Predict(testRaw)[0], testTruth);
        var t = model.Training!;
        output.WriteLine($"held-out boundary F1: untrained {before:F3}, trained {trained:F3}; validation F1 by epoch {string.Join(", ", t.History.Select(e => e.ValidationF1.ToString("F3")))}");
        Assert.Equal(0, t.History[0].Epoch);
        Assert.True(t.BestEpoch > 0, "training never improved the validation loss");
        Assert.True(t.History[t.BestEpoch].ValidationLoss < t.History[0].ValidationLoss);
        Assert.True(trained > 0.5 && trained > before + 0.2, $"held-out boundary F1 trained {trained}, untrained {before}");
        // The merge threshold was calibrated on the validation slab: the recorded choice is the sweep's best.
        Assert.Equal(UNetSegmenter.CalibrationThresholds.Count, t.Calibration!.Length);
        Assert.Equal(UNetSegmenter.ChooseMergeThreshold(t.Calibration), new MergeThresholdCalibration(t.MergeThreshold!.Value, t.ValidationAdaptedRandError!.Value,
            t.Calibration.Single(c => c.MergeThreshold == t.MergeThreshold).Objects));
        Assert.True(t.ValidationAdaptedRandError <= t.Calibration.Min(c => c.AdaptedRandError) + 1e-3);
        Assert.Equal(t.MergeThreshold, model.RecommendedMergeThreshold);
    }

    /// <summary>
    /// Two cells separated by a strong membrane (p = 0.95), one of them crossed by a weaker false boundary (p = 0.7):
    /// low merge thresholds keep the false split, and calibration must pick a higher one that reproduces the truth exactly.
    /// </summary>
    [Fact]
    public void MergeThresholdCalibrationFindsTheThresholdThatReproducesTheTruth()
    {
        const int nz = 8, ny = 16, nx = 40;
        var p = new Volume<float>(nz, ny, nx, Voxel);
        var truth = new Volume<int>(nz, ny, nx, Voxel);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    bool membrane = x is 19 or 20, weak = x == 9;
                    p[z, y, x] = membrane ? 0.95f : weak ? 0.7f : 0.05f;
                    truth[z, y, x] = membrane ? 0 : x < 19 ? 1 : 2;
                }
        var sweep = UNetSegmenter.CalibrateMergeThreshold((p, null), truth);
        output.WriteLine(string.Join("; ", sweep.Select(c => $"{c.MergeThreshold:0.00}: ARAND {c.AdaptedRandError:F3}, {c.Objects} objects")));
        var best = UNetSegmenter.ChooseMergeThreshold(sweep);
        Assert.Equal(0, best.AdaptedRandError, 12);
        // the middle of the exact plateau, not its lower edge
        var plateau = sweep.Where(c => c.AdaptedRandError < 1e-3).Select(c => c.MergeThreshold).ToList();
        Assert.Equal(plateau[(plateau.Count - 1) / 2], best.MergeThreshold);
        Assert.True(plateau.Count >= 3 && best.MergeThreshold > plateau[0]);
        Assert.Equal(2, best.Objects);
        // A face between two supervoxels scores the mean of its two voxels: the false boundary (0.7 | 0.05) scores 0.375.
        Assert.True(best.MergeThreshold > 0.375, $"chosen {best.MergeThreshold} keeps the false split");
        Assert.True(sweep[0].AdaptedRandError > 0.1 && sweep[0].Objects == 3, "the weak boundary should split a cell at merge threshold 0.05");
    }

    [Fact]
    public void SameSeedAndDataGiveIdenticalWeightsAndPredictions()
    {
        var raw = Crop(Gala("train_raw.tif"), 16, 48, 80);
        var labels = Crop(SegmentationMetrics.LabelsFromSamples(Gala("train_labels.tif")), 16, 48, 80);
        var options = new UNetTrainingOptions(Levels: 2, BaseChannels: 4, Epochs: 2, StepsPerEpoch: 2, PatchZ: 16, PatchY: 32, PatchX: 32, Seed: 11, Threads: 2);
        using var a = UNetSegmenter.Train(raw, labels, options);
        using var b = UNetSegmenter.Train(raw, labels, options);
        using var c = UNetSegmenter.Train(raw, labels, options with { Seed = 12, Epochs = 1 });
        Assert.True(a.Training!.TrainedReproducibly);
        Assert.Equal(a.ToBytes(), b.ToBytes());
        Assert.Equal(a.ContentHash, b.ContentHash);
        Assert.NotEqual(a.ContentHash, c.ContentHash);
        var pa = a.Predict(raw)[0];
        Assert.Equal(pa.Data, b.Predict(raw)[0].Data);
        var la = BoundaryAgglomeration.Run(pa, new BoundaryAgglomerationOptions()).Labels;
        Assert.Equal(la.Data, BoundaryAgglomeration.Run(b.Predict(raw)[0], new BoundaryAgglomerationOptions()).Labels.Data);

        string path = Path.Combine(_dir, "a.ssun");
        Assert.Equal(a.ContentHash, a.Save(path));
        Assert.Equal(a.ContentHash, ContentHash.OfFile(path));
        using var loaded = UNetSegmenter.Load(path);
        Assert.Equal(a.ContentHash, loaded.ContentHash);
        Assert.Equal(pa.Data, loaded.Predict(raw)[0].Data);
        var bytes = File.ReadAllBytes(path);
        string truncated = Path.Combine(_dir, "truncated.ssun");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        Assert.StartsWith(truncated, Assert.Throws<InvalidDataException>(() => UNetSegmenter.Load(truncated)).Message);
    }

    [Fact]
    public void TiledInferenceEqualsWholeVolumeInference()
    {
        // The production depth (3 levels): receptive margin 24 voxels. 72-voxel tiles with the minimum overlap 48 advance by
        // 24 and cut the 24×72×96 volume into 1 × 1 × 2 tiles; the default overlap 56 with 64-voxel tiles into 1 × 2 × 5.
        // Every voxel must come out as if the network had seen the whole volume at once.
        var arch = new UNetArchitecture(3, 4, 2);
        Assert.Equal(24, arch.ReceptiveMargin);
        using var net = UNetSegmenter.CreateUntrained(arch, ZeroLabel.Background, 5);
        var raw = Crop(Gala("test_raw.tif"), 24, 72, 96, 3, 5, 7);
        var whole = net.Predict(raw, new TilingOptions(64, 1000, 1000));
        var tiled = net.Predict(raw, new TilingOptions(64, 72, 72, Overlap: 48));
        var otherOverlap = net.Predict(raw, new TilingOptions(64, 64, 64));
        for (int c = 0; c < 2; c++)
        {
            double max = 0, max2 = 0, spread = 0;
            for (int i = 0; i < raw.Length; i++)
            {
                max = Math.Max(max, Math.Abs(whole[c].Data[i] - tiled[c].Data[i]));
                max2 = Math.Max(max2, Math.Abs(whole[c].Data[i] - otherOverlap[c].Data[i]));
                spread = Math.Max(spread, Math.Abs(whole[c].Data[i] - whole[c].Data[0]));
            }
            output.WriteLine($"channel {c}: max |tiled − whole| {max:E2}, other tiling {max2:E2}, spread of the output {spread:F3}");
            Assert.True(spread > 1e-3, "the untrained network's output is constant; the comparison would be empty");
            Assert.True(max < 2e-5 && max2 < 2e-5, $"tiled inference differs from whole-volume inference by {max} / {max2}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Predict(raw, new TilingOptions(64, 72, 72, Overlap: 40)));
    }

    [Fact]
    public void PyTorchStateDictLoadsThroughPyBridgeAndReproducesPyTorchsOutput()
    {
        // Fixture written by `bench/unet_peer.py fixture tests/Learning.Tests/fixtures` (PyTorch 1.13, Debian python3-torch).
        string fixtures = Path.Combine(RepoPaths.Root, "tests", "Learning.Tests", "fixtures");
        var arch = new UNetArchitecture(2, 2, 2);
        using var net = UNetSegmenter.FromPyTorch(Path.Combine(fixtures, "unet_l2_b2.pt"), arch, ZeroLabel.Background);
        var input = new float[8 * 8 * 8];
        for (int z = 0, k = 0; z < 8; z++)
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++, k++) input[k] = (float)(Math.Sin(0.7 * z) + Math.Cos(0.4 * y) * Math.Sin(0.3 * x + 0.2 * z));
        var ours = net.Forward(input, (8, 8, 8));
        var expected = VolumeFiles.Read(Path.Combine(fixtures, "unet_l2_b2_output.npy")).Voxels.Data;
        Assert.Equal(expected.Length, ours.Length);
        double max = 0;
        for (int i = 0; i < ours.Length; i++) max = Math.Max(max, Math.Abs(ours[i] - expected[i]));
        output.WriteLine($"max |TorchSharp − PyTorch| = {max:E2}");
        Assert.True(max < 1e-5, $"max difference {max}");
        // Batch-norm running statistics came across too (PyTorch's defaults are 0 and 1).
        var runningMean = net.Weights().Single(w => w.Name == "down.0.1.running_mean").Values;
        Assert.Contains(runningMean, v => Math.Abs(v) > 1e-3);

        // Export and re-import: identical weights.
        string exported = Path.Combine(_dir, "exported.pt");
        net.ExportPyTorch(exported);
        using var back = UNetSegmenter.FromPyTorch(exported, arch, ZeroLabel.Background);
        Assert.Equal(net.ContentHash, back.ContentHash);

        // A state dict of another architecture is refused with the file named.
        var e = Assert.Throws<InvalidDataException>(() => UNetSegmenter.FromPyTorch(Path.Combine(fixtures, "unet_l2_b2.pt"), new UNetArchitecture(2, 3, 2), ZeroLabel.Background));
        Assert.Contains("unet_l2_b2.pt", e.Message);
    }

    [Fact]
    public void BoundaryTargetsMarkInterfacesAndMembraneLabels()
    {
        var labels = new Volume<int>(1, 1, 6, Voxel, [1, 1, 2, 2, 0, 3]);
        var asMembrane = BoundaryTargets.FromLabels(labels, ZeroLabel.Boundary);
        Assert.Equal(new byte[] { 0, 1, 1, 1, 1, 1 }, asMembrane.Boundary.Data);
        Assert.Null(asMembrane.Foreground);
        var asBackground = BoundaryTargets.FromLabels(new Volume<int>(1, 1, 7, Voxel, [1, 1, 1, 2, 0, 0, 0]), ZeroLabel.Background);
        Assert.Equal(new byte[] { 0, 0, 1, 1, 1, 0, 0 }, asBackground.Boundary.Data);
        Assert.Equal(new byte[] { 1, 1, 1, 1, 0, 0, 0 }, asBackground.Foreground!.Data);
        Assert.Equal(new[] { 2, 2, 1, 1, 1, 3, 3 }, BoundaryTargets.AsAnnotation(asBackground).Data);
    }
}
