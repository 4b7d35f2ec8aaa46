using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="AdaptiveMetropolis"/>.</summary>
/// <param name="Chains">Number of independent chains (≥ 2, needed for R̂).</param>
/// <param name="Warmup">Iterations per chain during which the proposal adapts; discarded.</param>
/// <param name="Draws">Kept iterations per chain after warmup (proposal frozen).</param>
/// <param name="Seed">Root seed; chain c uses <c>Seeds.Child(Seed, "chain/c")</c>, so results do not depend on thread scheduling.</param>
/// <param name="Epsilon">Regularization ε added (times s_d) to the adapted covariance diagonal, in squared parameter units.</param>
/// <param name="InitialProposalSd">Per-parameter standard deviations of the initial (pre-adaptation) Gaussian proposal; null = derived from bounds/priors/starting points.</param>
public sealed record AdaptiveMetropolisOptions(
    int Chains = 4,
    int Warmup = 1000,
    int Draws = 1000,
    ulong Seed = 1,
    double Epsilon = 1e-10,
    double[]? InitialProposalSd = null);

/// <summary>Output of a multi-chain MCMC run.</summary>
/// <param name="Draws">Post-warmup draws, indexed [chain][draw][parameter].</param>
/// <param name="AcceptanceRates">Post-warmup acceptance rate per chain.</param>
/// <param name="ProposalCovariances">Frozen proposal covariance per chain, row-major d × d.</param>
public sealed record McmcResult(double[][][] Draws, double[] AcceptanceRates, double[][] ProposalCovariances)
{
    /// <summary>Number of parameters.</summary>
    public int Dimension => Draws[0][0].Length;

    /// <summary>Draws of one parameter, indexed [chain][draw], for <see cref="Diagnostics"/>.</summary>
    public double[][] Parameter(int index)
    {
        var result = new double[Draws.Length][];
        for (int c = 0; c < Draws.Length; c++)
        {
            var chain = Draws[c];
            var col = new double[chain.Length];
            for (int i = 0; i < chain.Length; i++) col[i] = chain[i][index];
            result[c] = col;
        }
        return result;
    }
}

/// <summary>
/// Adaptive Metropolis sampler (Haario, Saksman &amp; Tamminen 2001, Bernoulli 7:223). Each chain proposes
/// x' ~ N(x, C) with C = s_d·(Σ̂ + ε I), s_d = 2.38²/d, where Σ̂ is the running covariance of the chain's own warmup
/// history. Adaptation runs only during warmup: Σ̂ is restarted halfway through warmup (so the far-off start does not
/// inflate it) and frozen at the end of warmup, so the kept draws form a time-homogeneous Metropolis chain that
/// leaves the target invariant. Chains run in parallel; each has its own RNG derived from the seed.
/// </summary>
public static class AdaptiveMetropolis
{
    /// <summary>
    /// Samples the unnormalized log-density <paramref name="logDensity"/> over d parameters.
    /// <paramref name="initial"/> holds one starting point per chain (length d each; choose them overdispersed).
    /// Optional <paramref name="lower"/>/<paramref name="upper"/> bounds (length d) reject proposals outside them.
    /// The log-density must be thread-safe (chains call it concurrently); return −∞ for impossible points.
    /// </summary>
    public static McmcResult Sample(Func<double[], double> logDensity, double[][] initial, AdaptiveMetropolisOptions options,
        double[]? lower = null, double[]? upper = null)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Chains < 2) throw new ArgumentOutOfRangeException(nameof(options), "need at least 2 chains");
        if (options.Warmup < 0 || options.Draws < 1) throw new ArgumentOutOfRangeException(nameof(options), "warmup must be ≥ 0 and draws ≥ 1");
        if (initial.Length != options.Chains) throw new ArgumentException($"need {options.Chains} initial positions, got {initial.Length}");
        int d = initial[0].Length;
        if (d < 1) throw new ArgumentException("need at least one parameter");
        foreach (var x in initial) if (x.Length != d) throw new ArgumentException("initial positions must all have the same dimension");
        var lo = lower ?? Enumerable.Repeat(double.NegativeInfinity, d).ToArray();
        var hi = upper ?? Enumerable.Repeat(double.PositiveInfinity, d).ToArray();
        if (lo.Length != d || hi.Length != d) throw new ArgumentException("bounds must have one entry per parameter");
        var sd0 = options.InitialProposalSd ?? DefaultProposalSd(initial, lo, hi);
        if (sd0.Length != d) throw new ArgumentException("InitialProposalSd must have one entry per parameter");

        var draws = new double[options.Chains][][];
        var acceptance = new double[options.Chains];
        var covariances = new double[options.Chains][];
        Parallel.For(0, options.Chains, c =>
        {
            var rng = Seeds.Rng(Seeds.Child(options.Seed, FormattableString.Invariant($"chain/{c}")));
            (draws[c], acceptance[c], covariances[c]) = RunChain(logDensity, initial[c], options, lo, hi, sd0, rng);
        });
        return new McmcResult(draws, acceptance, covariances);
    }

    /// <summary>
    /// Samples the posterior ∝ exp(<paramref name="logLikelihood"/>(θ)) · Π_i prior_i(θ_i) with parameters in physical
    /// units. Chains start at independent prior draws (overdispersed relative to a concentrated posterior), and the
    /// prior supports bound the proposals.
    /// </summary>
    public static McmcResult Sample(Func<double[], double> logLikelihood, IReadOnlyList<Prior> priors, AdaptiveMetropolisOptions options)
    {
        ArgumentNullException.ThrowIfNull(logLikelihood);
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(options);
        int d = priors.Count;
        if (d < 1) throw new ArgumentException("need at least one prior");
        var init = new double[options.Chains][];
        var rng = Seeds.Rng(Seeds.Child(options.Seed, "initial"));
        for (int c = 0; c < init.Length; c++)
        {
            init[c] = new double[d];
            for (int j = 0; j < d; j++) init[c][j] = priors[j].Sample(rng);
        }
        double LogPosterior(double[] theta)
        {
            double lp = 0;
            for (int j = 0; j < d; j++)
            {
                lp += priors[j].LogPdf(theta[j]);
                if (double.IsNegativeInfinity(lp)) return lp;
            }
            return lp + logLikelihood(theta);
        }
        var sd0 = options.InitialProposalSd ?? priors.Select(p => 0.1 * p.Scale).ToArray();
        return Sample(LogPosterior, init, options with { InitialProposalSd = sd0 },
            priors.Select(p => p.Lower).ToArray(), priors.Select(p => p.Upper).ToArray());
    }

    private static double[] DefaultProposalSd(double[][] initial, double[] lo, double[] hi)
    {
        int d = lo.Length;
        var sd = new double[d];
        for (int j = 0; j < d; j++)
        {
            if (double.IsFinite(lo[j]) && double.IsFinite(hi[j])) { sd[j] = (hi[j] - lo[j]) / 20; continue; }
            double mn = double.MaxValue, mx = double.MinValue, mag = 0;
            foreach (var x in initial) { mn = Math.Min(mn, x[j]); mx = Math.Max(mx, x[j]); mag = Math.Max(mag, Math.Abs(x[j])); }
            sd[j] = Math.Max(0.1 * (mx - mn), 0.1 * Math.Max(mag, 1e-3));
        }
        return sd;
    }

    private static (double[][] Draws, double Acceptance, double[] Covariance) RunChain(Func<double[], double> logDensity,
        double[] start, AdaptiveMetropolisOptions o, double[] lo, double[] hi, double[] sd0, Random rng)
    {
        int d = start.Length;
        double sdScale = 2.38 * 2.38 / d;
        var x = (double[])start.Clone();
        double lp = InBounds(x, lo, hi) ? logDensity(x) : double.NegativeInfinity;
        if (double.IsNaN(lp)) lp = double.NegativeInfinity;
        var proposalCov = new double[d * d];
        for (int j = 0; j < d; j++) proposalCov[j * d + j] = sd0[j] * sd0[j];
        var chol = Cholesky(proposalCov, d);
        // Running mean and scatter (Welford) of the adaptation window.
        var mean = new double[d];
        var scatter = new double[d * d];
        long count = 0;
        int restartAt = o.Warmup / 2;
        int minHistory = Math.Max(2 * d, 20);
        var y = new double[d];
        var z = new double[d];
        var delta = new double[d];
        var kept = new double[o.Draws][];
        int accepted = 0;
        int total = o.Warmup + o.Draws;
        for (int it = 0; it < total; it++)
        {
            for (int j = 0; j < d; j++) z[j] = rng.StandardNormal();
            for (int i = 0; i < d; i++)
            {
                double s = 0;
                for (int k = 0; k <= i; k++) s += chol[i * d + k] * z[k];
                y[i] = x[i] + s;
            }
            double lpy = InBounds(y, lo, hi) ? logDensity(y) : double.NegativeInfinity;
            if (double.IsNaN(lpy)) lpy = double.NegativeInfinity;
            bool accept = lpy > double.NegativeInfinity
                && (lpy >= lp || Math.Log(rng.NextDouble()) < lpy - lp || double.IsNegativeInfinity(lp));
            if (accept)
            {
                Array.Copy(y, x, d);
                lp = lpy;
            }
            if (it < o.Warmup)
            {
                if (it == restartAt) { Array.Clear(mean); Array.Clear(scatter); count = 0; }
                count++;
                for (int j = 0; j < d; j++) { delta[j] = x[j] - mean[j]; mean[j] += delta[j] / count; }
                for (int i = 0; i < d; i++)
                    for (int k = 0; k < d; k++)
                        scatter[i * d + k] += delta[i] * (x[k] - mean[k]);
                if (count >= minHistory)
                {
                    for (int i = 0; i < d * d; i++) proposalCov[i] = sdScale * scatter[i] / (count - 1);
                    for (int j = 0; j < d; j++) proposalCov[j * d + j] += sdScale * o.Epsilon;
                    var c = TryCholesky(proposalCov, d);
                    if (c != null) chol = c;
                }
            }
            else
            {
                if (accept) accepted++;
                kept[it - o.Warmup] = (double[])x.Clone();
            }
        }
        // Record the covariance actually used after warmup (LLᵀ of the frozen factor).
        var frozen = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double s = 0;
                for (int m = 0; m <= Math.Min(i, k); m++) s += chol[i * d + m] * chol[k * d + m];
                frozen[i * d + k] = s;
            }
        return (kept, (double)accepted / o.Draws, frozen);
    }

    private static bool InBounds(double[] x, double[] lo, double[] hi)
    {
        for (int j = 0; j < x.Length; j++) if (!(x[j] >= lo[j] && x[j] <= hi[j])) return false;
        return true;
    }

    private static double[] Cholesky(double[] a, int d) =>
        TryCholesky(a, d) ?? throw new ArgumentException("initial proposal covariance is not positive definite; give positive InitialProposalSd");

    /// <summary>Lower-triangular L (row-major) with L·Lᵀ = a, or null when a is not positive definite.</summary>
    private static double[]? TryCholesky(double[] a, int d)
    {
        var l = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * d + j];
                for (int k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
                if (i == j)
                {
                    if (!(s > 0) || !double.IsFinite(s)) return null;
                    l[i * d + i] = Math.Sqrt(s);
                }
                else l[i * d + j] = s / l[j * d + j];
            }
        return l;
    }
}
