using ShapeStudy.Core;
using Xunit.Abstractions;

namespace ShapeStudy.Imaging.Tests.Learned;

/// <summary>Random-forest pixel classification from sparse labels and boundary agglomeration on the bundled FIB-SEM crops.</summary>
public sealed class LearnedSegmentationTests(ITestOutputHelper output) : IDisposable
{
    private static readonly Spacing Voxel = Spacing.Isotropic(0.01);
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-rf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Volume<float> Raw(string name) => TiffReader.Read(Reference.RepoPath($"studies/data/gala/{name}"), Voxel).Voxels;

    private static Volume<int> Truth(string name) => SegmentationMetrics.LabelsFromSamples(TiffReader.Read(Reference.RepoPath($"studies/data/gala/{name}"), Voxel).Voxels);

    /// <summary>Sparse annotation from every <paramref name="every"/>-th z slice of the truth: 1 = membrane (truth 0), 2 = cell interior.</summary>
    private static Volume<int> SparseAnnotation(Volume<int> truth, int every)
    {
        var a = new Volume<int>(truth.NZ, truth.NY, truth.NX, truth.Spacing);
        int plane = truth.NY * truth.NX;
        for (int z = 0; z < truth.NZ; z += every)
            for (int i = z * plane; i < (z + 1) * plane; i++) a.Data[i] = truth.Data[i] == 0 ? 1 : 2;
        return a;
    }

    [Fact]
    public void RandomForestFromFiveAnnotatedSlicesBeatsTheClassicalChainOnTheTestCrop()
    {
        var annotation = SparseAnnotation(Truth("train_labels.tif"), 10);
        var (model, training) = PixelClassifier.Train(Raw("train_raw.tif"), annotation, FeatureBankOptions.ForSpacing(Voxel),
            new RandomForestOptions(Trees: 24, Seed: 7));
        Assert.Equal(51, training.Features);                 // raw + 5 scales × 10
        Assert.Equal(5 * 100 * 200, training.LabelledVoxelsPerClass.Sum());
        var test = Raw("test_raw.tif");
        var truth = Truth("test_labels.tif");
        var membrane = model.Predict(test)[0];
        var learned = BoundaryAgglomeration.Run(membrane, new BoundaryAgglomerationOptions());
        var rf = SegmentationMetrics.Compute(truth, learned.Labels);
        var classical = SegmentationMetrics.Compute(truth, WatershedSegmentation.Run(new ImageVolume(test, "uint8", false),
            new WatershedSegmentationOptions(0.01, ForegroundPolarity.Bright, 0.02, 26, 0, 0)).Labels);
        output.WriteLine($"random forest: ARAND {rf.AdaptedRandError:F3}, VOI split/merge {rf.VoiSplit:F2}/{rf.VoiMerge:F2}, matched {rf.MatchedAtIoU05}/{rf.TruthObjects}, objects {learned.Objects} from {learned.Supervoxels} supervoxels");
        output.WriteLine($"classical watershed: ARAND {classical.AdaptedRandError:F3}, VOI {classical.VoiSplit:F2}/{classical.VoiMerge:F2}, matched {classical.MatchedAtIoU05}");
        Assert.True(rf.AdaptedRandError < 0.15, $"ARAND {rf.AdaptedRandError}");
        Assert.True(rf.AdaptedRandError < 0.25 * classical.AdaptedRandError);
        Assert.True(rf.MatchedAtIoU05 >= 40 && rf.MatchedAtIoU05 > 3 * classical.MatchedAtIoU05, $"matched {rf.MatchedAtIoU05} vs {classical.MatchedAtIoU05}");
        // The membrane probability separates the truth's boundary voxels from the interior.
        double onMembrane = 0, inside = 0;
        int nm = 0, ni = 0;
        for (int i = 0; i < truth.Length; i++)
            if (truth.Data[i] == 0) { onMembrane += membrane.Data[i]; nm++; } else { inside += membrane.Data[i]; ni++; }
        output.WriteLine($"mean membrane probability on truth membrane {onMembrane / nm:F3}, inside cells {inside / ni:F3}");
        Assert.True(onMembrane / nm > 0.4 && inside / ni < 0.1, $"mean membrane p on truth membrane {onMembrane / nm}, inside {inside / ni}");
    }

    [Fact]
    public void TrainingIsDeterministicAndASavedModelPredictsIdentically()
    {
        var raw = Raw("train_raw.tif");
        var crop = new Volume<float>(10, 100, 200, Voxel, raw.Data.AsSpan(0, 10 * 100 * 200).ToArray());
        var annotation = SparseAnnotation(Truth("train_labels.tif"), 10);
        var cropAnnotation = new Volume<int>(10, 100, 200, Voxel, annotation.Data.AsSpan(0, 10 * 100 * 200).ToArray());
        var bank = new FeatureBankOptions([0.01, 0.02]);
        var options = new RandomForestOptions(Trees: 6, MaxDepth: 10, Seed: 3);
        var (a, _) = PixelClassifier.Train(crop, cropAnnotation, bank, options);
        var (b, _) = PixelClassifier.Train(crop, cropAnnotation, bank, options);
        string pa = Path.Combine(_dir, "a.sspc"), pb = Path.Combine(_dir, "b.sspc");
        a.Save(pa);
        b.Save(pb);
        Assert.Equal(File.ReadAllBytes(pa), File.ReadAllBytes(pb));
        var loaded = PixelClassifier.Load(pa);
        Assert.Equal(a.Predict(crop)[1].Data, loaded.Predict(crop)[1].Data);
        var (c, _) = PixelClassifier.Train(crop, cropAnnotation, bank, options with { Seed = 4 });
        string pc = Path.Combine(_dir, "c.sspc");
        c.Save(pc);
        Assert.NotEqual(File.ReadAllBytes(pa), File.ReadAllBytes(pc));

        var bytes = File.ReadAllBytes(pa);
        string truncated = Path.Combine(_dir, "truncated.sspc");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = Assert.Throws<InvalidDataException>(() => PixelClassifier.Load(truncated));
        Assert.StartsWith(truncated, e.Message);
        string garbage = Path.Combine(_dir, "garbage.sspc");
        File.WriteAllBytes(garbage, "not a model"u8.ToArray());
        Assert.StartsWith(garbage, Assert.Throws<InvalidDataException>(() => PixelClassifier.Load(garbage)).Message);
    }

    [Fact]
    public void ForestLearnsAnXorRuleItCannotSeeInAnySingleFeature()
    {
        var rng = Seeds.Rng(11);
        int n = 20000;
        var f = new float[4][];
        for (int k = 0; k < 4; k++) { f[k] = new float[n]; for (int i = 0; i < n; i++) f[k][i] = (float)rng.NextDouble(); }
        var label = new int[n];
        for (int i = 0; i < n; i++) label[i] = (f[0][i] > 0.3f) ^ (f[1][i] > 0.6f) ? 1 : 0;
        var train = Enumerable.Range(0, n / 2).ToArray();
        var forest = RandomForest.Train(f, train, train.Select(i => label[i]).ToArray(), 2, new RandomForestOptions(Trees: 20, FeaturesPerSplit: 2, Seed: 1));
        var p = forest.PredictProbabilities(f, n);
        int correct = 0;
        for (int i = n / 2; i < n; i++) if ((p[1][i] > 0.5f ? 1 : 0) == label[i]) correct++;
        Assert.True(correct > 0.97 * (n / 2), $"held-out accuracy {correct / (n / 2.0)}");
        for (int i = 0; i < n; i++) Assert.Equal(1f, p[0][i] + p[1][i], 5);
    }

    [Fact]
    public void ClosedFormEigenvaluesMatchTheJacobiSolver()
    {
        var rng = Seeds.Rng(5);
        for (int t = 0; t < 2000; t++)
        {
            double a = rng.NextDouble() * 4 - 2, b = rng.NextDouble() * 4 - 2, c = rng.NextDouble() * 4 - 2;
            double d = t % 7 == 0 ? 0 : rng.NextDouble() - 0.5, e = t % 5 == 0 ? 0 : rng.NextDouble() - 0.5, f = t % 3 == 0 ? 0 : rng.NextDouble() - 0.5;
            var (x0, x1, x2) = FeatureBank.SymmetricEigenvalues(a, b, c, d, e, f);
            var reference = SymmetricEigen3.Decompose([a, d, e, d, b, f, e, f, c]).Values;
            Assert.Equal(reference[0], x0, 9);
            Assert.Equal(reference[1], x1, 9);
            Assert.Equal(reference[2], x2, 9);
        }
    }

    [Fact]
    public void AgglomerationMergesExactlyTheBoundariesWeakerThanTheThreshold()
    {
        // Three 10-voxel-wide slabs along x separated by two membrane planes: a strong one (p = 0.9) and a weak one (p = 0.15).
        // A face between a membrane voxel and the interior (p = 0) weighs half the membrane's p: 0.45 and 0.075.
        var v = new Volume<float>(12, 12, 32, Voxel);
        for (int z = 0; z < 12; z++)
            for (int y = 0; y < 12; y++)
            {
                v[z, y, 10] = 0.9f;
                v[z, y, 21] = 0.15f;
            }
        var strict = BoundaryAgglomeration.Run(v, new BoundaryAgglomerationOptions(InteriorThreshold: 0.1, MergeThreshold: 0.05));
        var lenient = BoundaryAgglomeration.Run(v, new BoundaryAgglomerationOptions(InteriorThreshold: 0.1, MergeThreshold: 0.2));
        var all = BoundaryAgglomeration.Run(v, new BoundaryAgglomerationOptions(InteriorThreshold: 0.1, MergeThreshold: 1.0));
        Assert.Equal(3, strict.Objects);
        Assert.Equal(2, lenient.Objects);
        Assert.Equal(1, all.Objects);
        Assert.NotEqual(lenient.Labels[0, 0, 0], lenient.Labels[0, 0, 15]);
        Assert.Equal(lenient.Labels[0, 0, 15], lenient.Labels[0, 0, 30]);
        Assert.Throws<ArgumentOutOfRangeException>(() => BoundaryAgglomeration.Run(v, new BoundaryAgglomerationOptions(MergeThreshold: 2)));
    }
}
