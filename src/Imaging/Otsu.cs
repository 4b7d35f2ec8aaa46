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
        var (min, max) = SkimageHistogram.Range(values);
        if (float.IsInfinity(min) || float.IsInfinity(max)) throw new ArgumentException($"image range [{min}, {max}] is not finite");
        if (min == max) return min;
        var (counts, centres) = SkimageHistogram.Compute(values, integerSamples, range: (min, max));
        return FromHistogram(counts, centres);
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
