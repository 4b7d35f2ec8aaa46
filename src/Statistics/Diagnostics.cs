using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics;

/// <summary>Posterior summary of one parameter pooled over chains.</summary>
/// <param name="Mean">Posterior mean.</param>
/// <param name="Sd">Posterior standard deviation (n − 1 denominator).</param>
/// <param name="Q5">5 % quantile.</param>
/// <param name="Q50">Median.</param>
/// <param name="Q95">95 % quantile.</param>
/// <param name="HdiLow">Lower bound of the narrowest interval holding 94 % of the draws.</param>
/// <param name="HdiHigh">Upper bound of that interval.</param>
/// <param name="RHat">Rank-normalized split R̂ (max of bulk and folded).</param>
/// <param name="EssBulk">Bulk effective sample size.</param>
/// <param name="EssTail">Tail effective sample size (min over the 5 % and 95 % quantile indicators).</param>
public sealed record ParameterSummary(double Mean, double Sd, double Q5, double Q50, double Q95, double HdiLow, double HdiHigh,
    double RHat, double EssBulk, double EssTail);

/// <summary>
/// MCMC convergence diagnostics after Vehtari, Gelman, Simpson, Carpenter &amp; Bürkner (2021), Bayesian Analysis 16:667:
/// rank-normalized split-R̂ and bulk/tail effective sample sizes (Geyer's initial monotone sequence estimator).
/// All methods take draws of one parameter indexed [chain][draw] (chains of equal length).
/// </summary>
public static partial class Diagnostics
{
    /// <summary>Rank-normalized split-R̂: max of the bulk R̂ (rank-normalized split chains) and the tail R̂ (folded draws).</summary>
    public static double RHat(double[][] chains)
    {
        var split = Split(chains);
        double bulk = BasicRHat(RankNormalize(split));
        double tail = BasicRHat(RankNormalize(Fold(split)));
        return Math.Max(bulk, tail);
    }

    /// <summary>Bulk effective sample size: ESS of the rank-normalized split chains.</summary>
    public static double EssBulk(double[][] chains) => Ess(RankNormalize(Split(chains)));

    /// <summary>Tail effective sample size: min of the ESS of the indicators I(θ ≤ q05) and I(θ ≤ q95) on split chains.</summary>
    public static double EssTail(double[][] chains)
    {
        var split = Split(chains);
        var pooled = Pool(split);
        Array.Sort(pooled);
        double q05 = Quantiles.Sorted(pooled, 0.05), q95 = Quantiles.Sorted(pooled, 0.95);
        return Math.Min(Ess(Indicator(split, q05)), Ess(Indicator(split, q95)));
    }

    /// <summary>
    /// Effective sample size of the given chains as they are (no splitting or rank normalization): multi-chain
    /// autocorrelation combined through the within/between variance, truncated by Geyer's initial positive sequence
    /// and made monotone.
    /// </summary>
    public static double Ess(double[][] chains)
    {
        Validate(chains);
        int m = chains.Length, n = chains[0].Length;
        if (n < 4) return double.NaN;
        var means = new double[m];
        var acov0 = new double[m];
        for (int c = 0; c < m; c++)
        {
            double s = 0;
            foreach (var v in chains[c]) s += v;
            means[c] = s / n;
            acov0[c] = Autocovariance(chains[c], means[c], 0);
        }
        double meanVar = acov0.Average() * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (m > 1)
        {
            double gm = means.Average(), b = 0;
            foreach (var mu in means) b += (mu - gm) * (mu - gm);
            varPlus += b / (m - 1);
        }
        if (!(varPlus > 0)) return double.NaN;
        double Rho(int lag)
        {
            double a = 0;
            for (int c = 0; c < m; c++) a += Autocovariance(chains[c], means[c], lag);
            return 1.0 - (meanVar - a / m) / varPlus;
        }
        var rho = new double[n];
        rho[0] = 1.0;
        double even = 1.0, odd = Rho(1);
        rho[1] = odd;
        int t = 1;
        while (t < n - 3 && even + odd > 0)
        {
            even = Rho(t + 1);
            odd = Rho(t + 2);
            if (even + odd >= 0) { rho[t + 1] = even; rho[t + 2] = odd; }
            t += 2;
        }
        int maxT = t - 2;
        if (even > 0) rho[maxT + 1] = even;
        // Initial monotone sequence: pair sums must not increase.
        for (int k = 1; k <= maxT - 2; k += 2)
        {
            if (rho[k + 1] + rho[k + 2] > rho[k - 1] + rho[k])
            {
                rho[k + 1] = (rho[k - 1] + rho[k]) / 2;
                rho[k + 2] = rho[k + 1];
            }
        }
        double total = (double)m * n;
        double sum = 0;
        for (int k = 0; k <= maxT; k++) sum += rho[k];
        double tau = -1 + 2 * sum + rho[maxT + 1];
        tau = Math.Max(tau, 1 / Math.Log10(total));
        return total / tau;
    }

    /// <summary>Pooled summary of one parameter with convergence diagnostics; <paramref name="hdiProb"/> defaults to 94 %.</summary>
    public static ParameterSummary Summary(double[][] chains, double hdiProb = 0.94)
    {
        Validate(chains);
        var pooled = Pool(chains);
        int n = pooled.Length;
        double mean = pooled.Average();
        double ss = 0;
        foreach (var v in pooled) ss += (v - mean) * (v - mean);
        double sd = n > 1 ? Math.Sqrt(ss / (n - 1)) : double.NaN;
        Array.Sort(pooled);
        var (hdiLo, hdiHi) = Hdi(pooled, hdiProb);
        bool enough = chains[0].Length >= 4;
        return new ParameterSummary(mean, sd, Quantiles.Sorted(pooled, 0.05), Quantiles.Sorted(pooled, 0.5), Quantiles.Sorted(pooled, 0.95),
            hdiLo, hdiHi, enough ? RHat(chains) : double.NaN, enough ? EssBulk(chains) : double.NaN, enough ? EssTail(chains) : double.NaN);
    }

    /// <summary>Narrowest interval containing floor(prob · n) + 1 of the ascending-sorted draws.</summary>
    public static (double Low, double High) Hdi(double[] sorted, double prob = 0.94)
    {
        int n = sorted.Length;
        if (n == 0) return (double.NaN, double.NaN);
        int inc = (int)Math.Floor(prob * n);
        int intervals = n - inc;
        if (inc <= 0 || intervals <= 0) return (sorted[0], sorted[n - 1]);
        int best = 0;
        double width = double.PositiveInfinity;
        for (int i = 0; i < intervals; i++)
        {
            double w = sorted[i + inc] - sorted[i];
            if (w < width) { width = w; best = i; }
        }
        return (sorted[best], sorted[best + inc]);
    }

    /// <summary>Classic R̂ of the given chains: sqrt(((n − 1)/n · W + B/n) / W).</summary>
    public static double BasicRHat(double[][] chains)
    {
        Validate(chains);
        int m = chains.Length, n = chains[0].Length;
        if (m < 2 || n < 2) return double.NaN;
        var means = new double[m];
        double w = 0;
        for (int c = 0; c < m; c++)
        {
            double s = 0;
            foreach (var v in chains[c]) s += v;
            means[c] = s / n;
            double ss = 0;
            foreach (var v in chains[c]) ss += (v - means[c]) * (v - means[c]);
            w += ss / (n - 1);
        }
        w /= m;
        double gm = means.Average(), b = 0;
        foreach (var mu in means) b += (mu - gm) * (mu - gm);
        b = b * n / (m - 1);
        if (!(w > 0)) return double.NaN;
        return Math.Sqrt(((n - 1.0) / n * w + b / n) / w);
    }

    /// <summary>Normal scores of the pooled average ranks: Φ⁻¹((r − 3/8) / (S + 1/4)), S = total draws.</summary>
    public static double[][] RankNormalize(double[][] chains)
    {
        Validate(chains);
        var pooled = Pool(chains);
        var ranks = Ranks.Average(pooled);
        double s = pooled.Length;
        var result = new double[chains.Length][];
        int k = 0;
        for (int c = 0; c < chains.Length; c++)
        {
            result[c] = new double[chains[c].Length];
            for (int i = 0; i < chains[c].Length; i++, k++)
                result[c][i] = Normal.InvCDF(0, 1, (ranks[k] - 0.375) / (s + 0.25));
        }
        return result;
    }

    /// <summary>Each chain cut into its first and second half (odd length: the middle draw is dropped).</summary>
    public static double[][] Split(double[][] chains)
    {
        Validate(chains);
        int n = chains[0].Length, half = n / 2;
        var result = new double[2 * chains.Length][];
        for (int c = 0; c < chains.Length; c++)
        {
            result[2 * c] = chains[c][..half];
            result[2 * c + 1] = chains[c][(n - half)..];
        }
        return result;
    }

    private static double[][] Fold(double[][] chains)
    {
        var pooled = Pool(chains);
        Array.Sort(pooled);
        double median = Quantiles.Sorted(pooled, 0.5);
        return chains.Select(ch => ch.Select(v => Math.Abs(v - median)).ToArray()).ToArray();
    }

    private static double[][] Indicator(double[][] chains, double threshold) =>
        chains.Select(ch => ch.Select(v => v <= threshold ? 1.0 : 0.0).ToArray()).ToArray();

    private static double[] Pool(double[][] chains)
    {
        int total = 0;
        foreach (var c in chains) total += c.Length;
        var pooled = new double[total];
        int k = 0;
        foreach (var c in chains) { c.CopyTo(pooled, k); k += c.Length; }
        return pooled;
    }

    /// <summary>Biased (1/n) autocovariance of one chain at <paramref name="lag"/>.</summary>
    private static double Autocovariance(double[] x, double mean, int lag)
    {
        int n = x.Length;
        double s = 0;
        for (int i = 0; i + lag < n; i++) s += (x[i] - mean) * (x[i + lag] - mean);
        return s / n;
    }

    private static void Validate(double[][] chains)
    {
        ArgumentNullException.ThrowIfNull(chains);
        if (chains.Length == 0) throw new ArgumentException("need at least one chain");
        int n = chains[0].Length;
        foreach (var c in chains)
            if (c.Length != n) throw new ArgumentException("all chains must have the same number of draws");
    }
}
