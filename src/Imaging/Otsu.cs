using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Which side of the threshold is foreground.</summary>
public enum ForegroundPolarity
{
    /// <summary>Foreground = intensity &gt; threshold.</summary>
    Bright,
    /// <summary>Foreground = intensity ≤ threshold.</summary>
    Dark,
}

/// <summary>
/// Otsu's threshold with the semantics of scikit-image's <c>threshold_otsu</c> (0.19): integer images are
/// histogrammed with one bin per integer between min and max (bin centres = the integers); float images with 256
/// equal bins over [min, max] built like numpy.histogram (edges = linspace(min, max, 257) in float64, last bin closed)
/// and centres halfway between edges. The threshold is the bin centre maximising the between-class variance (first
/// maximum); a constant image returns its value. Foreground is value &gt; threshold (bright) or ≤ threshold (dark).
/// </summary>
public static class Otsu
{
    /// <summary>Threshold of an image read from disk; integer sample types use the integer histogram.</summary>
    public static double Threshold(ImageVolume image) => Threshold(image.Voxels, image.IsIntegerType);

    /// <summary>
    /// Threshold of <paramref name="volume"/> (intensity units). When <paramref name="integerSamples"/> is true every
    /// voxel must hold an integer value (as uint8/uint16 data read as float do).
    /// </summary>
    public static double Threshold(Volume<float> volume, bool integerSamples) => Threshold(volume.Data, integerSamples);

    /// <summary>Threshold of a flat array of samples; see <see cref="Threshold(Volume{float}, bool)"/>.</summary>
    public static double Threshold(ReadOnlySpan<float> values, bool integerSamples) => Threshold(values.ToArray(), integerSamples);

    /// <summary>Threshold of a flat array of samples; see <see cref="Threshold(Volume{float}, bool)"/>.</summary>
    public static double Threshold(float[] values, bool integerSamples)
    {
        if (values.Length == 0) throw new ArgumentException("cannot threshold an empty image");
        var (min, max, hasNaN) = Range(values);
        if (hasNaN) throw new ArgumentException("image contains NaN; Otsu's threshold is undefined");
        if (float.IsInfinity(min) || float.IsInfinity(max)) throw new ArgumentException($"image range [{min}, {max}] is not finite");
        if (min == max) return min;

        long[] counts;
        double[] centres;
        if (integerSamples)
        {
            long lo = (long)Math.Floor((double)min), hi = (long)Math.Floor((double)max);
            if (hi - lo + 1 > 1 << 26) throw new ArgumentException($"integer range [{lo}, {hi}] is too wide for an integer histogram");
            int n = (int)(hi - lo + 1);
            centres = new double[n];
            for (int i = 0; i < n; i++) centres[i] = lo + i;
            bool nonInteger = false;
            float bad = 0;
            counts = Histogram(values, n, (chunk, local) =>
            {
                foreach (var v in chunk)
                {
                    if (v != MathF.Floor(v)) { nonInteger = true; bad = v; return; }
                    local[(long)v - lo]++;
                }
            });
            if (nonInteger) throw new ArgumentException($"integerSamples is true but the image holds the non-integer value {bad}");
        }
        else
        {
            // numpy.histogram(values, bins=256): edges = linspace(min, max, 257) (i·step + min, last = max); a value's
            // bin is estimated from (v − min)·norm and corrected against the edges; the last bin is closed.
            const int nbins = 256;
            double first = min, last = max;
            var edges = new double[nbins + 1];
            double step = (last - first) / nbins;
            for (int i = 0; i < nbins; i++) edges[i] = i * step + first;
            edges[nbins] = last;
            double norm = nbins / (last - first);
            counts = Histogram(values, nbins, (chunk, local) =>
            {
                foreach (var fv in chunk)
                {
                    double v = fv;
                    int idx = (int)((v - first) * norm);
                    if (idx >= nbins) idx = nbins - 1;
                    if (idx < 0) idx = 0;
                    if (v < edges[idx]) idx--;
                    else if (idx != nbins - 1 && v >= edges[idx + 1]) idx++;
                    local[idx]++;
                }
            });
            centres = new double[nbins];
            for (int i = 0; i < nbins; i++) centres[i] = (edges[i] + edges[i + 1]) / 2.0;
        }
        return FromHistogram(counts, centres);
    }

    private delegate void ChunkCounter(ReadOnlySpan<float> chunk, long[] localCounts);

    private const int ChunkSize = 1 << 16;

    private static long[] Histogram(float[] values, int bins, ChunkCounter count)
    {
        var total = new long[bins];
        int chunks = (values.Length + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, () => new long[bins], (c, _, local) =>
        {
            int start = c * ChunkSize;
            count(values.AsSpan(start, Math.Min(ChunkSize, values.Length - start)), local);
            return local;
        }, local =>
        {
            lock (total) for (int i = 0; i < bins; i++) total[i] += local[i];
        });
        return total;
    }

    private static (float Min, float Max, bool HasNaN) Range(float[] values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        bool nan = false;
        object gate = new();
        int chunks = (values.Length + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, () => (float.PositiveInfinity, float.NegativeInfinity, false), (c, _, acc) =>
        {
            var (lo, hi, n) = acc;
            int start = c * ChunkSize, end = Math.Min(values.Length, start + ChunkSize);
            for (int i = start; i < end; i++)
            {
                float v = values[i];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
                if (float.IsNaN(v)) n = true;
            }
            return (lo, hi, n);
        }, acc =>
        {
            lock (gate)
            {
                if (acc.Item1 < min) min = acc.Item1;
                if (acc.Item2 > max) max = acc.Item2;
                nan |= acc.Item3;
            }
        });
        return (min, max, nan);
    }

    /// <summary>Otsu's threshold of a histogram (counts per bin and bin centres), as skimage computes it.</summary>
    public static double FromHistogram(ReadOnlySpan<long> counts, ReadOnlySpan<double> centres)
    {
        int n = counts.Length;
        if (n != centres.Length || n < 2) throw new ArgumentException("histogram needs ≥ 2 bins and one centre per bin");
        var weight1 = new long[n];
        var mean1 = new double[n];
        long w = 0; double m = 0;
        for (int i = 0; i < n; i++)
        {
            w += counts[i]; m += counts[i] * centres[i];
            weight1[i] = w; mean1[i] = m / w;
        }
        var weight2 = new long[n];
        var mean2 = new double[n];
        w = 0; m = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            w += counts[i]; m += counts[i] * centres[i];
            weight2[i] = w; mean2[i] = m / w;
        }
        int best = 0;
        double bestVar = double.NegativeInfinity;
        for (int i = 0; i < n - 1; i++)
        {
            double d = mean1[i] - mean2[i + 1];
            double variance = (double)(weight1[i] * weight2[i + 1]) * (d * d);
            if (variance > bestVar) { bestVar = variance; best = i; }
        }
        return centres[best];
    }
}
