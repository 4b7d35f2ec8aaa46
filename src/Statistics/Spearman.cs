using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics;

/// <summary>A correlation estimate with a confidence interval and a two-sided p-value.</summary>
/// <param name="Rho">Point estimate on the full sample.</param>
/// <param name="CiLow">Lower confidence bound.</param>
/// <param name="CiHigh">Upper confidence bound.</param>
/// <param name="PValue">Two-sided p-value for ρ = 0.</param>
/// <param name="N">Number of (x, y) pairs.</param>
public sealed record AssociationEstimate(double Rho, double CiLow, double CiHigh, double PValue, int N);

/// <summary>Spearman rank correlation.</summary>
public static class Spearman
{
    /// <summary>
    /// Spearman's ρ: the Pearson correlation of the average ranks (ties share their mean rank), as
    /// scipy.stats.spearmanr. NaN when either variable is constant or fewer than 2 pairs are given.
    /// </summary>
    public static double Correlate(double[] x, double[] y)
    {
        Check(x, y);
        if (x.Length < 2) return double.NaN;
        return Correlation.PearsonR(Ranks.Average(x), Ranks.Average(y));
    }

    /// <summary>
    /// ρ with a percentile bootstrap confidence interval (pairs resampled with replacement, <paramref name="resamples"/>
    /// times; resamples with a constant variable are skipped) and the two-sided p-value of the t approximation
    /// t = ρ·sqrt((n − 2)/(1 − ρ²)) with n − 2 degrees of freedom (as scipy.stats.spearmanr).
    /// </summary>
    public static AssociationEstimate WithBootstrap(double[] x, double[] y, int resamples, Random rng, double ciLevel = 0.95)
    {
        Check(x, y);
        ArgumentNullException.ThrowIfNull(rng);
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), "need at least one bootstrap resample");
        if (!(ciLevel > 0 && ciLevel < 1)) throw new ArgumentOutOfRangeException(nameof(ciLevel), "confidence level must lie in (0, 1)");
        int n = x.Length;
        double rho = Correlate(x, y);
        double p = PValue(rho, n);
        var boot = new List<double>(resamples);
        var bx = new double[n];
        var by = new double[n];
        for (int b = 0; b < resamples && n >= 2; b++)
        {
            for (int i = 0; i < n; i++)
            {
                int k = rng.Next(n);
                bx[i] = x[k]; by[i] = y[k];
            }
            double r = Correlation.PearsonR(Ranks.Average(bx), Ranks.Average(by));
            if (!double.IsNaN(r)) boot.Add(r);
        }
        if (boot.Count == 0) return new AssociationEstimate(rho, double.NaN, double.NaN, p, n);
        var sorted = boot.ToArray();
        Array.Sort(sorted);
        double alpha = (1 - ciLevel) / 2;
        return new AssociationEstimate(rho, Quantiles.Sorted(sorted, alpha), Quantiles.Sorted(sorted, 1 - alpha), p, n);
    }

    /// <summary>Two-sided p-value of the t approximation for a correlation <paramref name="r"/> from <paramref name="n"/> pairs.</summary>
    public static double PValue(double r, int n)
    {
        if (double.IsNaN(r) || n < 3) return double.NaN;
        if (Math.Abs(r) >= 1) return 0.0;
        int dof = n - 2;
        double t = r * Math.Sqrt(dof / ((1 - r) * (1 + r)));
        return 2 * StudentT.CDF(0, 1, dof, -Math.Abs(t));
    }


    private static void Check(double[] x, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length) throw new ArgumentException($"x and y must have the same length, got {x.Length} and {y.Length}");
        for (int i = 0; i < x.Length; i++)
            if (double.IsNaN(x[i]) || double.IsNaN(y[i])) throw new ArgumentException($"NaN at pair {i}; drop missing pairs before correlating");
    }
}

/// <summary>Multiple-testing corrections.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Benjamini–Hochberg adjusted p-values (q-values): q_(i) = min_{j ≥ i} p_(j)·m/j over the sorted p, capped at 1,
    /// returned in the input order. NaN p-values stay NaN and do not count towards m.
    /// </summary>
    public static double[] BenjaminiHochberg(double[] p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var idx = new List<int>();
        for (int i = 0; i < p.Length; i++)
        {
            if (double.IsNaN(p[i])) continue;
            if (p[i] < 0 || p[i] > 1) throw new ArgumentException($"p-value {p[i]} at index {i} is outside [0, 1]");
            idx.Add(i);
        }
        var q = new double[p.Length];
        Array.Fill(q, double.NaN);
        int m = idx.Count;
        var order = idx.ToArray();
        Array.Sort(order, (a, b) => p[a].CompareTo(p[b]));
        double running = 1.0;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            running = Math.Min(running, p[i] * m / rank);
            q[i] = running;
        }
        return q;
    }
}
