namespace ShapeStudy.Physics;

/// <summary>
/// Summary features of a concentration transient: <paramref name="Peak"/> (µM), <paramref name="TimeToPeakMs"/> (ms),
/// <paramref name="DecayTimeMs"/> (ms from the peak until the curve first falls to Peak/e; NaN when it does not within the
/// record or the peak is not positive) and <paramref name="AucUMms"/> (trapezoidal area under the curve, µM·ms).
/// </summary>
public sealed record TransientPhenotypes(double Peak, double TimeToPeakMs, double DecayTimeMs, double AucUMms);

/// <summary>Phenotype extraction from sampled time courses.</summary>
public static class Phenotypes
{
    /// <summary>
    /// Phenotypes of the curve <paramref name="c"/> (µM) sampled at increasing times <paramref name="tMs"/> (ms).
    /// The peak is the first maximum sample; the decay crossing of Peak/e is located by linear interpolation between the
    /// bracketing samples.
    /// </summary>
    /// <exception cref="ArgumentException">Arrays of different or zero length, non-increasing times, or non-finite values.</exception>
    public static TransientPhenotypes FromCurve(double[] tMs, double[] c)
    {
        ArgumentNullException.ThrowIfNull(tMs);
        ArgumentNullException.ThrowIfNull(c);
        if (tMs.Length != c.Length) throw new ArgumentException($"time ({tMs.Length}) and value ({c.Length}) arrays differ in length");
        if (c.Length == 0) throw new ArgumentException("empty curve");
        int peakIndex = 0;
        for (int i = 0; i < c.Length; i++)
        {
            if (!double.IsFinite(c[i]) || !double.IsFinite(tMs[i])) throw new ArgumentException($"non-finite sample at index {i}");
            if (i > 0 && !(tMs[i] > tMs[i - 1])) throw new ArgumentException($"times must increase strictly (index {i})");
            if (c[i] > c[peakIndex]) peakIndex = i;
        }
        double peak = c[peakIndex];
        double decay = double.NaN;
        if (peak > 0)
        {
            double level = peak / Math.E;
            for (int i = peakIndex + 1; i < c.Length; i++)
            {
                if (c[i] <= level)
                {
                    double frac = (c[i - 1] - level) / (c[i - 1] - c[i]);
                    decay = tMs[i - 1] + frac * (tMs[i] - tMs[i - 1]) - tMs[peakIndex];
                    break;
                }
            }
        }
        double auc = 0;
        for (int i = 1; i < c.Length; i++) auc += 0.5 * (c[i] + c[i - 1]) * (tMs[i] - tMs[i - 1]);
        return new TransientPhenotypes(peak, tMs[peakIndex], decay, auc);
    }
}
