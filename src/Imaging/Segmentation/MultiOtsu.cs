using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Multi-level Otsu thresholds with the semantics of skimage.filters.threshold_multiotsu (0.19): the histogram of
/// <see cref="SkimageHistogram"/> (one bin per integer for integer samples, 256 bins for float samples) is normalised
/// to probabilities in float32, and the classes − 1 thresholds maximise the between-class variance (Liao, Chen &amp;
/// Chung 2001) by exhaustive search in the same order and float32 arithmetic as skimage's lookup-table code, so the
/// same bin wins ties. Thresholds are bin centres; a voxel belongs to class k when thresholds[k−1] &lt; value ≤
/// thresholds[k] (numpy.digitize). Cost is O(bins^(classes−1)).
/// </summary>
public static class MultiOtsu
{
    /// <summary>Thresholds (intensity units, ascending) of an image read from disk.</summary>
    public static double[] Thresholds(ImageVolume image, int classes = 3) => Thresholds(image.Voxels, image.IsIntegerType, classes);

    /// <summary>
    /// Thresholds of <paramref name="volume"/>; <paramref name="integerSamples"/> selects the integer histogram
    /// (every voxel must hold an integer value), otherwise <paramref name="nbins"/> equal bins.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer distinct histogram bins are occupied than classes.</exception>
    public static double[] Thresholds(Volume<float> volume, bool integerSamples, int classes = 3, int nbins = 256)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "classes must be ≥ 2");
        var (counts, centres) = SkimageHistogram.Compute(volume.Data, integerSamples, nbins);
        return FromHistogram(counts, centres, classes);
    }

    /// <summary>Thresholds from a histogram (counts per bin and bin centres).</summary>
    public static double[] FromHistogram(ReadOnlySpan<long> counts, ReadOnlySpan<double> centres, int classes = 3)
    {
        int n = counts.Length;
        if (n != centres.Length) throw new ArgumentException("one centre per bin is required");
        long total = 0;
        int occupied = 0;
        foreach (long c in counts) { total += c; if (c > 0) occupied++; }
        if (occupied < classes)
            throw new ArgumentException($"the image has only {occupied} different values; it cannot be thresholded in {classes} classes");
        var prob = new float[n];
        for (int i = 0; i < n; i++) prob[i] = (float)((double)counts[i] / total);
        var result = new double[classes - 1];
        if (occupied == classes)
        {
            int k = 0;
            for (int i = 0; i < n && k < classes - 1; i++) if (prob[i] > 0) result[k++] = centres[i];
            return result;
        }
        var indices = Search(prob, classes - 1);
        for (int k = 0; k < classes - 1; k++) result[k] = centres[indices[k]];
        return result;
    }

    private static int[] Search(float[] prob, int thresholdCount)
    {
        int nbins = prob.Length;
        var zeroth = new float[nbins];
        var first = new float[nbins];
        zeroth[0] = prob[0];
        first[0] = prob[0];
        for (int i = 1; i < nbins; i++)
        {
            zeroth[i] = zeroth[i - 1] + prob[i];
            first[i] = first[i - 1] + (float)i * prob[i];
        }
        // Between-class term of bins [i, j], as skimage's lookup table holds it (entry (0, 0) stays 0 there).
        float Variance(int i, int j)
        {
            if (i == 0)
            {
                if (j == 0) return 0f;
                float w0 = zeroth[j];
                if (w0 > 0) { float m0 = first[j]; return m0 * m0 / w0; }
                return 0f;
            }
            float w = zeroth[j] - zeroth[i - 1];
            if (w > 0) { float m = first[j] - first[i - 1]; return m * m / w; }
            return 0f;
        }

        var current = new int[thresholdCount];
        var best = new int[thresholdCount];
        float sigmaMax = 0f;
        void Recurse(int histIndex, int thresholdIndex)
        {
            if (thresholdIndex < thresholdCount)
            {
                for (int idx = histIndex; idx < nbins - thresholdCount + thresholdIndex; idx++)
                {
                    current[thresholdIndex] = idx;
                    Recurse(idx + 1, thresholdIndex + 1);
                }
                return;
            }
            float sigma = Variance(0, current[0]) + Variance(current[thresholdCount - 1] + 1, nbins - 1);
            for (int k = 0; k < thresholdCount - 1; k++) sigma += Variance(current[k] + 1, current[k + 1]);
            if (sigma > sigmaMax) { sigmaMax = sigma; Array.Copy(current, best, thresholdCount); }
        }
        Recurse(0, 0);
        return best;
    }
}
