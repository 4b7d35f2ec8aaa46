using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class SegmentationMetricsTests
{
    private static void AssertRel(double expected, double actual, double rel = 1e-9)
        => Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(Math.Abs(expected), 1e-300),
            $"expected {expected:R}, got {actual:R}");

    /// <summary>Truth with three merges and three splits, exactly as the reference script builds it.</summary>
    private static Volume<int> EditedTruth(Volume<int> truth)
    {
        var t = truth.Data;
        var pred = (int[])t.Clone();
        var unique = t.Where(l => l > 0).Distinct().OrderBy(l => l).ToArray();
        foreach (var (a, b) in new[] { (10, 11), (20, 21), (30, 31) })
            for (int i = 0; i < t.Length; i++)
                if (t[i] == unique[b]) pred[i] = unique[a];
        var sizes = LabelOps.VoxelCounts(truth);
        sizes[0] = 0;
        var largest = Enumerable.Range(0, sizes.Length).OrderBy(l => -sizes[l]).ThenBy(l => l).Take(3).ToArray();
        int next = t.Max() + 1;
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < t.Length; i++)
                if (t[i] == largest[k] && i % truth.NX >= 100) pred[i] = next + k;
        return truth.WithData(pred);
    }

    private static Volume<int> OtsuComponents()
    {
        var raw = FiltersMetricsReference.GalaRaw;
        var r = ClassicalSegmentation.Run(raw, new ClassicalSegmentationOptions(Connectivity: 26));
        Assert.Equal(FiltersMetricsReference.Metrics.GetProperty("otsu_threshold").GetDouble(), r.Threshold);
        return r.Labels;
    }

    [Theory]
    [InlineData("otsu_cc26")]
    [InlineData("edited_truth")]
    public void MatchesSkimageOnGalaTestCrop(string name)
    {
        var truth = FiltersMetricsReference.GalaTruth;
        var pred = name == "otsu_cc26" ? OtsuComponents() : EditedTruth(truth);
        var reference = FiltersMetricsReference.Metrics.GetProperty(name);
        FiltersMetricsReference.AssertDigest(reference.GetProperty("digest"), pred.Data);

        var table = ContingencyTable.Build(truth, pred);
        foreach (var (key, ignore) in new[] { ("ignore_background", true), ("all_voxels", false) })
        {
            var r = reference.GetProperty(key);
            var q = SegmentationMetrics.Compute(table, ignore);
            AssertRel(r.GetProperty("adapted_rand_error").GetDouble(), q.AdaptedRandError);
            // skimage 0.19 divides by the truth's pairs for "precision" and the prediction's for "recall".
            AssertRel(r.GetProperty("skimage_precision").GetDouble(), q.RandRecall);
            AssertRel(r.GetProperty("skimage_recall").GetDouble(), q.RandPrecision);
            AssertRel(r.GetProperty("voi_split").GetDouble(), q.VoiSplit);
            AssertRel(r.GetProperty("voi_merge").GetDouble(), q.VoiMerge);
        }

        var o = reference.GetProperty("objects");
        var m = SegmentationMetrics.Compute(truth, pred);
        AssertRel(o.GetProperty("foreground_dice").GetDouble(), m.ForegroundDice);
        AssertRel(o.GetProperty("foreground_iou").GetDouble(), m.ForegroundIoU);
        AssertRel(o.GetProperty("mean_matched_iou").GetDouble(), m.MeanMatchedIoU);
        AssertRel(o.GetProperty("mean_matched_dice").GetDouble(), m.MeanMatchedDice);
        Assert.Equal(o.GetProperty("matched_at_iou_0_5").GetInt32(), m.MatchedAtIoU05);
        Assert.Equal(o.GetProperty("truth_objects").GetInt32(), m.TruthObjects);
        Assert.Equal(o.GetProperty("pred_objects").GetInt32(), m.PredictedObjects);
        Assert.Equal(Math.Abs(m.PredictedObjects - m.TruthObjects), m.ObjectCountError);
    }

    [Fact]
    public void SplitsRaiseSplitAndMergesRaiseMerge()
    {
        // Truth: two halves (labels 1, 2). Over-segmented prediction: four quarters. Under-segmented: one object.
        var s = Spacing.Isotropic(1);
        var truth = new Volume<int>(1, 4, 4, s);
        var over = new Volume<int>(1, 4, 4, s);
        var under = new Volume<int>(1, 4, 4, s);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                truth[0, y, x] = x < 2 ? 1 : 2;
                over[0, y, x] = (x < 2 ? 1 : 2) + (y < 2 ? 0 : 2);
                under[0, y, x] = 5;
            }
        var o = SegmentationMetrics.Compute(truth, over);
        Assert.Equal(1.0, o.VoiSplit, 12);    // each truth half splits into two equal parts: 1 bit
        Assert.Equal(0.0, o.VoiMerge, 12);
        // Over-segmentation: every predicted pair lies in one truth object (precision 1); ordered pairs joined in
        // both = 4·(4·3) = 48 of the truth's 2·(8·7) = 112.
        Assert.Equal(1.0, o.RandPrecision, 12);
        Assert.Equal(48.0 / 112.0, o.RandRecall, 12);
        var u = SegmentationMetrics.Compute(truth, under);
        Assert.Equal(0.0, u.VoiSplit, 12);
        Assert.Equal(1.0, u.VoiMerge, 12);
        Assert.Equal(1.0, u.RandRecall, 12);
        // Under-segmentation: joined pairs in both = 2·(8·7) = 112 ordered, prediction joins 16·15 = 240.
        Assert.Equal(112.0 / 240.0, u.RandPrecision, 12);
        Assert.Equal(2, o.ObjectCountError);
        Assert.Equal(1.0, o.RelativeObjectCountError, 12);
        Assert.Equal(1.0, o.ForegroundDice, 12);
        Assert.Equal(0, o.MatchedAtIoU05);          // each quarter has IoU 0.5 with its half: not > 0.5
        Assert.Equal(0.5, o.MeanMatchedIoU, 12);
    }

    [Fact]
    public void IdenticalSegmentationsArePerfectUpToPermutation()
    {
        var truth = FiltersMetricsReference.GalaTruth;
        // Permute labels: l → (l * 37) mod 1009 + 1 is injective on 0..132.
        var pred = truth.WithData(truth.Data.Select(l => l == 0 ? 0 : l * 37 % 1009 + 1).ToArray());
        var q = SegmentationMetrics.Compute(truth, pred);
        Assert.Equal(0.0, q.AdaptedRandError, 12);
        Assert.Equal(0.0, q.VoiSplit, 12);
        Assert.Equal(0.0, q.VoiMerge, 12);
        Assert.Equal(1.0, q.MeanMatchedIoU, 12);
        Assert.Equal(q.TruthObjects, q.MatchedAtIoU05);
        Assert.Equal(0, q.ObjectCountError);
    }

    [Fact]
    public void ContingencyTableCountsEveryVoxelOnceSortedByPair()
    {
        var truth = FiltersMetricsReference.GalaTruth;
        var pred = OtsuComponents();
        var table = ContingencyTable.Build(truth, pred);
        Assert.Equal(truth.Length, table.Total);
        var brute = new Dictionary<(int, int), long>();
        for (int i = 0; i < truth.Length; i++)
            brute[(truth.Data[i], pred.Data[i])] = brute.GetValueOrDefault((truth.Data[i], pred.Data[i])) + 1;
        Assert.Equal(brute.Count, table.Entries);
        for (int k = 0; k < table.Entries; k++)
        {
            Assert.Equal(brute[(table.Truth[k], table.Pred[k])], table.Count[k]);
            if (k > 0) Assert.True((table.Truth[k - 1], table.Pred[k - 1]).CompareTo((table.Truth[k], table.Pred[k])) < 0);
        }
    }

    [Fact]
    public void NegativeLabelsSortAsSignedInts()
    {
        var s = Spacing.Isotropic(1);
        var truth = new Volume<int>(1, 1, 4, s, [-3, 2, 2, -3]);
        var pred = new Volume<int>(1, 1, 4, s, [int.MinValue, -1, 7, int.MinValue]);
        var t = ContingencyTable.Build(truth, pred);
        Assert.Equal(new[] { -3, 2, 2 }, t.Truth);
        Assert.Equal(new[] { int.MinValue, -1, 7 }, t.Pred);
        Assert.Equal(new long[] { 2, 1, 1 }, t.Count);
    }
}
