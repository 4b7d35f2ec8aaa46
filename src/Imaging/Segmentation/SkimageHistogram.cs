namespace ShapeStudy.Imaging;

/// <summary>
/// skimage.exposure.histogram(image, nbins, source_range='image'): integer samples get one bin per integer from
/// min to max (centres = the integers); float samples get <c>nbins</c> equal bins over [min, max] as numpy.histogram
/// builds them (edges = linspace(min, max, nbins + 1) in float64, last bin closed, centres halfway between edges).
/// </summary>
internal static class SkimageHistogram
{
    /// <summary>Counts and bin centres; <paramref name="range"/> is the samples' (min, max) when already known.</summary>
    public static (long[] Counts, double[] Centres) Compute(float[] values, bool integerSamples, int nbins = 256, (float Min, float Max)? range = null)
    {
        if (values.Length == 0) throw new ArgumentException("cannot histogram an empty image");
        var (min, max) = range ?? Range(values);
        if (float.IsInfinity(min) || float.IsInfinity(max)) throw new ArgumentException($"image range [{min}, {max}] is not finite");
        if (integerSamples)
        {
            long lo = (long)Math.Floor((double)min), hi = (long)Math.Floor((double)max);
            if (hi - lo + 1 > 1 << 26) throw new ArgumentException($"integer range [{lo}, {hi}] is too wide for an integer histogram");
            int n = (int)(hi - lo + 1);
            bool nonInteger = false;
            var counts = Count(values, n, (chunk, local) =>
            {
                foreach (float v in chunk)
                {
                    if (v != MathF.Floor(v)) { nonInteger = true; return; }
                    local[(long)v - lo]++;
                }
            });
            if (nonInteger) throw new ArgumentException("integerSamples is true but the image holds non-integer values");
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
            var counts = Count(values, nbins, (chunk, local) =>
            {
                foreach (float fv in chunk) local[Bin(fv, first, norm, edges)]++;
            });
            var centres = new double[nbins];
            for (int i = 0; i < nbins; i++) centres[i] = (edges[i] + edges[i + 1]) / 2.0;
            return (counts, centres);
        }
    }

    /// <summary>
    /// numpy.histogram's bin of <paramref name="v"/> for <c>edges.Length − 1</c> equal bins starting at <paramref name="first"/>
    /// with <paramref name="norm"/> = bins / (last − first): an estimate corrected against the float64 edges; the last bin is closed.
    /// </summary>
    public static int Bin(double v, double first, double norm, double[] edges)
    {
        int nbins = edges.Length - 1;
        int idx = (int)((v - first) * norm);
        if (idx >= nbins) idx = nbins - 1;
        if (idx < 0) idx = 0;
        if (v < edges[idx]) idx--;
        else if (idx != nbins - 1 && v >= edges[idx + 1]) idx++;
        return idx;
    }

    private const int ChunkSize = 1 << 16;

    private delegate void ChunkCounter(ReadOnlySpan<float> chunk, long[] local);

    /// <summary>Histogram counts summed over per-thread partial histograms of 64 Ki-sample chunks.</summary>
    private static long[] Count(float[] values, int bins, ChunkCounter count)
    {
        var total = new long[bins];
        int chunks = (values.Length + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, () => new long[bins], (c, _, local) =>
        {
            int start = c * ChunkSize;
            count(values.AsSpan(start, Math.Min(ChunkSize, values.Length - start)), local);
            return local;
        }, local => { lock (total) for (int i = 0; i < bins; i++) total[i] += local[i]; });
        return total;
    }

    /// <summary>Minimum and maximum; throws on NaN.</summary>
    public static (float Min, float Max) Range(float[] values)
    {
        int chunks = (values.Length + ChunkSize - 1) / ChunkSize;
        var mins = new float[chunks];
        var maxs = new float[chunks];
        bool nan = false;
        Parallel.For(0, chunks, c =>
        {
            int start = c * ChunkSize, end = Math.Min(values.Length, start + ChunkSize);
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            for (int i = start; i < end; i++)
            {
                float v = values[i];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
                if (float.IsNaN(v)) nan = true;
            }
            mins[c] = lo; maxs[c] = hi;
        });
        if (nan) throw new ArgumentException("image contains NaN; a histogram threshold is undefined");
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int c = 0; c < chunks; c++) { min = Math.Min(min, mins[c]); max = Math.Max(max, maxs[c]); }
        return (min, max);
    }
}
