using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Quality of a predicted label volume against ground truth (0 = background in both, other ints = objects).
/// </summary>
/// <param name="ForegroundDice">2|T∩P| / (|T| + |P|) of the foreground masks (label ≠ 0); 1 when both are empty.</param>
/// <param name="ForegroundIoU">|T∩P| / |T∪P| of the foreground masks; 1 when both are empty.</param>
/// <param name="MeanMatchedDice">Mean over truth objects of the Dice with the object's matched prediction (0 when unmatched).</param>
/// <param name="MeanMatchedIoU">Mean over truth objects of the IoU with the object's matched prediction (0 when unmatched).</param>
/// <param name="MatchedAtIoU05">Truth objects whose matched prediction has IoU &gt; 0.5.</param>
/// <param name="TruthObjects">Distinct non-zero truth labels.</param>
/// <param name="PredictedObjects">Distinct non-zero predicted labels.</param>
/// <param name="ObjectCountError">|PredictedObjects − TruthObjects|.</param>
/// <param name="RelativeObjectCountError">ObjectCountError / TruthObjects (0 when both are 0, +∞ when only truth is empty).</param>
/// <param name="AdaptedRandError">1 − F-score of the Rand pair precision and recall (SNEMI3D/CREMI).</param>
/// <param name="RandPrecision">Pairs joined in both / pairs joined in the prediction (skimage 0.19 reports this as "recall").</param>
/// <param name="RandRecall">Pairs joined in both / pairs joined in the truth (skimage 0.19 reports this as "precision").</param>
/// <param name="VoiSplit">H(pred | truth) in bits: false splits (over-segmentation), CREMI's voi_split.</param>
/// <param name="VoiMerge">H(truth | pred) in bits: false merges (under-segmentation), CREMI's voi_merge.</param>
/// <param name="IgnoredBackground">True when truth-background voxels were left out of the Rand and VOI scores.</param>
public sealed record SegmentationQuality(
    double ForegroundDice,
    double ForegroundIoU,
    double MeanMatchedDice,
    double MeanMatchedIoU,
    int MatchedAtIoU05,
    int TruthObjects,
    int PredictedObjects,
    int ObjectCountError,
    double RelativeObjectCountError,
    double AdaptedRandError,
    double RandPrecision,
    double RandRecall,
    double VoiSplit,
    double VoiMerge,
    bool IgnoredBackground);

/// <summary>
/// Segmentation metrics with the CREMI / scikit-image definitions, computed from one sparse contingency table.
/// </summary>
/// <remarks>
/// <para>Adapted Rand error as skimage.metrics.adapted_rand_error (0.19): with n_ij the contingency counts over the
/// scored voxels (N of them), a_i the truth and b_j the predicted sizes, S = Σn_ij² − N, A = Σa_i² − N,
/// B = Σb_j² − N; precision = S / B, recall = S / A, error = 1 − 2·precision·recall / (precision + recall).
/// A predicted label 0 is an ordinary segment there (CREMI instead treats it as singletons).</para>
/// <para>Variation of information as skimage.metrics.variation_of_information, whose result (H(pred|truth),
/// H(truth|pred)) for (image0 = truth, image1 = pred) is CREMI's (voi_split, voi_merge); logarithms base 2.</para>
/// <para>With ignoreBackground (the CREMI convention and skimage's adapted_rand_error default ignore_labels=(0,)),
/// voxels whose truth label is 0 are left out of the Rand and VOI scores. Dice, IoU and matching always use every
/// voxel.</para>
/// <para>Object matching is greedy one-to-one by decreasing IoU (ties by truth then predicted label) over the pairs
/// that overlap; a pair with IoU &gt; 0.5 is always matched, so <c>MatchedAtIoU05</c> needs no Hungarian step.</para>
/// </remarks>
public static class SegmentationMetrics
{
    /// <summary>All metrics of <paramref name="pred"/> against <paramref name="truth"/> (same shape (Z, Y, X)).</summary>
    public static SegmentationQuality Compute(Volume<int> truth, Volume<int> pred, bool ignoreBackground = true)
        => Compute(ContingencyTable.Build(truth, pred), ignoreBackground);

    /// <summary>All metrics from a contingency table built by <see cref="ContingencyTable.Build"/>.</summary>
    public static SegmentationQuality Compute(ContingencyTable table, bool ignoreBackground = true)
    {
        var (are, precision, recall) = AdaptedRandError(table, ignoreBackground);
        var (split, merge) = VariationOfInformation(table, ignoreBackground);
        var truthSizes = Marginal(table.Truth, table.Count, false, table);
        var predSizes = Marginal(table.Pred, table.Count, false, table);

        long truthFg = 0, predFg = 0, both = 0;
        for (int k = 0; k < table.Entries; k++)
        {
            long c = table.Count[k];
            if (table.Truth[k] != 0) truthFg += c;
            if (table.Pred[k] != 0) predFg += c;
            if (table.Truth[k] != 0 && table.Pred[k] != 0) both += c;
        }
        double dice = truthFg + predFg == 0 ? 1.0 : 2.0 * both / (truthFg + predFg);
        long union = truthFg + predFg - both;
        double iou = union == 0 ? 1.0 : (double)both / union;

        int truthObjects = truthSizes.Count - (truthSizes.ContainsKey(0) ? 1 : 0);
        int predObjects = predSizes.Count - (predSizes.ContainsKey(0) ? 1 : 0);
        var (meanIoU, meanDice, matched) = MatchObjects(table, truthSizes, predSizes, truthObjects);
        int countError = Math.Abs(predObjects - truthObjects);
        double relative = truthObjects > 0 ? (double)countError / truthObjects : countError == 0 ? 0.0 : double.PositiveInfinity;
        return new SegmentationQuality(dice, iou, meanDice, meanIoU, matched, truthObjects, predObjects, countError,
            relative, are, precision, recall, split, merge, ignoreBackground);
    }

    /// <summary>
    /// Adapted Rand error, precision and recall (see the class remarks; precision is relative to the prediction's
    /// joined pairs). NaN when a denominator is 0 (e.g. every scored voxel is its own segment).
    /// </summary>
    public static (double Error, double Precision, double Recall) AdaptedRandError(ContingencyTable table, bool ignoreBackground = true)
    {
        long n = 0, sumSq = 0;
        for (int k = 0; k < table.Entries; k++)
        {
            if (ignoreBackground && table.Truth[k] == 0) continue;
            long c = table.Count[k];
            n += c;
            sumSq += c * c;
        }
        long truthSq = SumOfSquares(Marginal(table.Truth, table.Count, ignoreBackground, table));
        long predSq = SumOfSquares(Marginal(table.Pred, table.Count, ignoreBackground, table));
        double joined = sumSq - n;
        double precision = joined / (predSq - n);
        double recall = joined / (truthSq - n);
        double f = 2.0 * precision * recall / (precision + recall);
        return (1.0 - f, precision, recall);
    }

    /// <inheritdoc cref="AdaptedRandError(ContingencyTable, bool)"/>
    public static (double Error, double Precision, double Recall) AdaptedRandError(Volume<int> truth, Volume<int> pred, bool ignoreBackground = true)
        => AdaptedRandError(ContingencyTable.Build(truth, pred), ignoreBackground);

    /// <summary>
    /// Variation of information split into (Split = H(pred | truth), Merge = H(truth | pred)) in bits over the scored
    /// voxels; VI = Split + Merge. Both are 0 when no voxel is scored.
    /// </summary>
    public static (double Split, double Merge) VariationOfInformation(ContingencyTable table, bool ignoreBackground = true)
    {
        var truthSizes = Marginal(table.Truth, table.Count, ignoreBackground, table);
        var predSizes = Marginal(table.Pred, table.Count, ignoreBackground, table);
        long n = 0;
        foreach (var v in truthSizes.Values) n += v;
        if (n == 0) return (0, 0);
        double total = n, split = 0, merge = 0;
        for (int k = 0; k < table.Entries; k++)
        {
            if (ignoreBackground && table.Truth[k] == 0) continue;
            double pij = table.Count[k] / total;
            double pi = truthSizes[table.Truth[k]] / total;
            double pj = predSizes[table.Pred[k]] / total;
            split -= pij * Math.Log2(pij / pi);
            merge -= pij * Math.Log2(pij / pj);
        }
        return (split, merge);
    }

    /// <inheritdoc cref="VariationOfInformation(ContingencyTable, bool)"/>
    public static (double Split, double Merge) VariationOfInformation(Volume<int> truth, Volume<int> pred, bool ignoreBackground = true)
        => VariationOfInformation(ContingencyTable.Build(truth, pred), ignoreBackground);

    /// <summary>
    /// Converts integer-valued samples (e.g. a uint8/uint16 label TIFF read as float32) to a label volume; throws
    /// when a sample is not an integer in [0, 2³¹).
    /// </summary>
    public static Volume<int> LabelsFromSamples(Volume<float> samples)
    {
        var src = samples.Data;
        var dst = new int[src.Length];
        float bad = float.NaN;
        bool ok = true;
        Parallel.For(0, samples.NZ, z =>
        {
            int plane = samples.NY * samples.NX;
            for (int i = z * plane, end = i + plane; i < end; i++)
            {
                float v = src[i];
                if (!(v >= 0 && v < 2147483648f) || v != MathF.Floor(v)) { ok = false; bad = v; return; }
                dst[i] = (int)v;
            }
        });
        if (!ok) throw new ArgumentException($"label volume holds the sample {bad}, which is not an integer label ≥ 0");
        return samples.WithData(dst);
    }

    private static Dictionary<int, long> Marginal(int[] labels, long[] counts, bool ignoreBackground, ContingencyTable table)
    {
        var sizes = new Dictionary<int, long>();
        for (int k = 0; k < counts.Length; k++)
        {
            if (ignoreBackground && table.Truth[k] == 0) continue;
            sizes[labels[k]] = sizes.GetValueOrDefault(labels[k]) + counts[k];
        }
        return sizes;
    }

    private static long SumOfSquares(Dictionary<int, long> sizes)
    {
        long s = 0;
        foreach (var v in sizes.Values) s += v * v;
        return s;
    }

    private static (double MeanIoU, double MeanDice, int Matched) MatchObjects(ContingencyTable table,
        Dictionary<int, long> truthSizes, Dictionary<int, long> predSizes, int truthObjects)
    {
        if (truthObjects == 0) return (double.NaN, double.NaN, 0);
        var candidates = new List<(double IoU, double Dice, int T, int P)>();
        for (int k = 0; k < table.Entries; k++)
        {
            int t = table.Truth[k], p = table.Pred[k];
            if (t == 0 || p == 0) continue;
            long c = table.Count[k], st = truthSizes[t], sp = predSizes[p];
            candidates.Add(((double)c / (st + sp - c), 2.0 * c / (st + sp), t, p));
        }
        candidates.Sort((a, b) =>
        {
            int byIoU = b.IoU.CompareTo(a.IoU);
            if (byIoU != 0) return byIoU;
            int byT = a.T.CompareTo(b.T);
            return byT != 0 ? byT : a.P.CompareTo(b.P);
        });
        var usedTruth = new HashSet<int>();
        var usedPred = new HashSet<int>();
        double sumIoU = 0, sumDice = 0;
        int matched = 0;
        foreach (var c in candidates)
        {
            if (usedTruth.Contains(c.T) || usedPred.Contains(c.P)) continue;
            usedTruth.Add(c.T); usedPred.Add(c.P);
            sumIoU += c.IoU; sumDice += c.Dice;
            if (c.IoU > 0.5) matched++;
        }
        return (sumIoU / truthObjects, sumDice / truthObjects, matched);
    }
}
