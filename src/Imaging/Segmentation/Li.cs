using System.Runtime.CompilerServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Li's iterative minimum cross-entropy threshold with the semantics of skimage.filters.threshold_li (0.19): the
/// image is shifted so its minimum is 0, the iteration t ← (μ_b − μ_f) / (ln μ_b − ln μ_f) (μ_f = mean of values
/// &gt; t, μ_b = mean of the rest) starts from the mean (or <c>initialGuess</c>) and stops when t changes by no more
/// than the tolerance (default 0.5 for integer samples, else half the smallest gap between distinct values).
/// </summary>
/// <remarks>
/// Integer samples are handled through their integer histogram exactly as skimage does (exact sums, so the result
/// agrees to the last bits of the logarithm). Float samples are averaged in float64 here, whereas numpy averages
/// float32 images in float32; thresholds then agree to about 1e−6 relative.
/// </remarks>
public static class Li
{
    /// <summary>Threshold (intensity units) of an image read from disk; foreground is value &gt; threshold.</summary>
    public static double Threshold(ImageVolume image, double? tolerance = null, double? initialGuess = null)
        => Threshold(image.Voxels, image.IsIntegerType, tolerance, initialGuess);

    /// <summary>Threshold of <paramref name="volume"/>; NaN voxels are ignored, a constant image returns its value.</summary>
    public static double Threshold(Volume<float> volume, bool integerSamples, double? tolerance = null, double? initialGuess = null)
    {
        var all = volume.Data;
        int finiteCount = 0, nanCount = 0;
        float firstValue = float.NaN;
        bool constant = true;
        foreach (float v in all)
        {
            if (float.IsNaN(v)) { nanCount++; continue; }
            if (float.IsNaN(firstValue)) firstValue = v;
            else if (v != firstValue) constant = false;
            if (float.IsFinite(v)) finiteCount++;
        }
        if (nanCount == all.Length) return double.NaN;
        if (constant) return firstValue;
        if (finiteCount == 0) return 0.0;
        var values = new float[finiteCount];
        int k = 0;
        float min = float.PositiveInfinity;
        foreach (float v in all) if (float.IsFinite(v)) { values[k++] = v; if (v < min) min = v; }

        if (integerSamples) return IntegerThreshold(values, min, tolerance, initialGuess);
        return FloatThreshold(values, min, tolerance, initialGuess);
    }

    private static double Start(double? initialGuess, double mean, double min, double maxShifted)
    {
        if (initialGuess is null) return mean;
        double t = initialGuess.Value - min;
        if (!(t > 0 && t < maxShifted))
            throw new ArgumentOutOfRangeException(nameof(initialGuess), initialGuess, $"the initial guess must lie inside the image range ({min}, {min + maxShifted})");
        return t;
    }

    private static double IntegerThreshold(float[] values, float min, double? tolerance, double? initialGuess)
    {
        var (counts, centres) = SkimageHistogram.Compute(values, integerSamples: true);
        // Shift so that the minimum is 0 (bin centres 0, 1, 2, …).
        int n = counts.Length;
        double sum = 0, total = 0;
        for (int i = 0; i < n; i++) { sum += (double)counts[i] * i; total += counts[i]; }
        double tol = tolerance is > 0 ? tolerance.Value : 0.5;
        double tNext = Start(initialGuess, sum / total, min, n - 1);
        double tCurr = -2 * tol;
        while (Math.Abs(tNext - tCurr) > tol)
        {
            tCurr = tNext;
            double foreW = 0, foreS = 0, backW = 0, backS = 0;
            for (int i = 0; i < n; i++)
            {
                double c = counts[i];
                if (i > tCurr) { foreW += c; foreS += c * i; }
                else { backW += c; backS += c * i; }
            }
            double meanFore = foreS / foreW, meanBack = backS / backW;
            tNext = (meanBack - meanFore) / (Math.Log(meanBack) - Math.Log(meanFore));
        }
        return tNext + min;
    }

    private const int Chunk = 1 << 16;

    private static double FloatThreshold(float[] values, float min, double? tolerance, double? initialGuess)
    {
        var shifted = new float[values.Length];
        int chunks = (values.Length + Chunk - 1) / Chunk;
        var partial = new double[chunks];
        var partialMax = new float[chunks];
        Parallel.For(0, chunks, c =>
        {
            int start = c * Chunk, end = Math.Min(values.Length, start + Chunk);
            double sum = 0; float max = 0;
            for (int i = start; i < end; i++) { float v = values[i] - min; shifted[i] = v; sum += v; if (v > max) max = v; }
            partial[c] = sum; partialMax[c] = max;
        });
        double total = 0; float maxShifted = 0;
        for (int c = 0; c < chunks; c++) { total += partial[c]; maxShifted = Math.Max(maxShifted, partialMax[c]); }
        double tol = tolerance is > 0 ? tolerance.Value : SmallestGap(shifted) / 2f;
        double tNext = Start(initialGuess, total / shifted.Length, min, maxShifted);
        double tCurr = -2 * tol;
        var foreSums = new double[chunks]; var backSums = new double[chunks];
        var foreCounts = new long[chunks];
        while (Math.Abs(tNext - tCurr) > tol)
        {
            tCurr = tNext;
            double t = tCurr;
            Parallel.For(0, chunks, c =>
            {
                int start = c * Chunk, end = Math.Min(shifted.Length, start + Chunk);
                double fs = 0, bs = 0; long fn = 0;
                for (int i = start; i < end; i++)
                {
                    float v = shifted[i];
                    if (v > t) { fs += v; fn++; } else bs += v;
                }
                foreSums[c] = fs; backSums[c] = bs; foreCounts[c] = fn;
            });
            double foreS = 0, backS = 0; long foreN = 0;
            for (int c = 0; c < chunks; c++) { foreS += foreSums[c]; backS += backSums[c]; foreN += foreCounts[c]; }
            long backN = shifted.Length - foreN;
            double meanFore = foreS / foreN, meanBack = backS / backN;
            tNext = (meanBack - meanFore) / (Math.Log(meanBack) - Math.Log(meanFore));
        }
        return tNext + min;
    }

    /// <summary>
    /// Smallest positive difference (float32) between distinct values ≥ 0, found with a two-pass 16-bit radix sort of
    /// the float bit patterns (which order like the values for non-negative floats).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float SmallestGap(float[] nonNegative)
    {
        int n = nonNegative.Length;
        var keys = new uint[n];
        for (int i = 0; i < n; i++) keys[i] = BitConverter.SingleToUInt32Bits(nonNegative[i]);
        var temp = new uint[n];
        var counts = new int[1 << 16];
        for (int shift = 0; shift < 32; shift += 16)
        {
            Array.Clear(counts);
            foreach (uint k in keys) counts[(k >> shift) & 0xFFFF]++;
            int running = 0;
            for (int b = 0; b < counts.Length; b++) { int c = counts[b]; counts[b] = running; running += c; }
            foreach (uint k in keys) temp[counts[(k >> shift) & 0xFFFF]++] = k;
            (keys, temp) = (temp, keys);
        }
        float gap = float.PositiveInfinity;
        for (int i = 1; i < n; i++)
        {
            if (keys[i] == keys[i - 1]) continue;
            float d = BitConverter.UInt32BitsToSingle(keys[i]) - BitConverter.UInt32BitsToSingle(keys[i - 1]);
            if (d > 0 && d < gap) gap = d;
        }
        return gap;
    }
}
