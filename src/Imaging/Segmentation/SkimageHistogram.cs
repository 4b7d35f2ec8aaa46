namespace ShapeStudy.Imaging;

/// <summary>
/// skimage.exposure.histogram(image, nbins, source_range='image'): integer samples get one bin per integer from
/// min to max (centres = the integers); float samples get <c>nbins</c> equal bins over [min, max] as numpy.histogram
/// builds them (edges = linspace(min, max, nbins + 1) in float64, last bin closed, centres halfway between edges).
/// </summary>
internal static class SkimageHistogram
{
    public static (long[] Counts, double[] Centres) Compute(float[] values, bool integerSamples, int nbins = 256)
    {
        if (values.Length == 0) throw new ArgumentException("cannot histogram an empty image");
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (float.IsNaN(v)) throw new ArgumentException("image contains NaN");
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (float.IsInfinity(min) || float.IsInfinity(max)) throw new ArgumentException($"image range [{min}, {max}] is not finite");
        if (integerSamples)
        {
            long lo = (long)Math.Floor((double)min), hi = (long)Math.Floor((double)max);
            if (hi - lo + 1 > 1 << 26) throw new ArgumentException($"integer range [{lo}, {hi}] is too wide for an integer histogram");
            int n = (int)(hi - lo + 1);
            var counts = new long[n];
            foreach (float v in values)
            {
                if (v != MathF.Floor(v)) throw new ArgumentException($"integerSamples is true but the image holds the non-integer value {v}");
                counts[(long)v - lo]++;
            }
            var centres = new double[n];
            for (int i = 0; i < n; i++) centres[i] = lo + i;
            return (counts, centres);
        }
        else
        {
            if (nbins < 1) throw new ArgumentOutOfRangeException(nameof(nbins), nbins, "nbins must be ≥ 1");
            double first = min, last = max;
            if (first == last) { first -= 0.5; last += 0.5; }   // numpy widens a degenerate range by ±0.5
            var edges = new double[nbins + 1];
            double step = (last - first) / nbins;
            for (int i = 0; i < nbins; i++) edges[i] = i * step + first;
            edges[nbins] = last;
            double norm = nbins / (last - first);
            var counts = new long[nbins];
            foreach (float fv in values)
            {
                double v = fv;
                int idx = (int)((v - first) * norm);
                if (idx >= nbins) idx = nbins - 1;
                if (idx < 0) idx = 0;
                if (v < edges[idx]) idx--;
                else if (idx != nbins - 1 && v >= edges[idx + 1]) idx++;
                counts[idx]++;
            }
            var centres = new double[nbins];
            for (int i = 0; i < nbins; i++) centres[i] = (edges[i] + edges[i + 1]) / 2.0;
            return (counts, centres);
        }
    }
}
