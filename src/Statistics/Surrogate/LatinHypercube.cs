using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="LatinHypercube"/>.</summary>
/// <param name="Candidates">Random Latin hypercubes generated; the one with the best maximin criterion seeds the exchange search (1 = plain stratified design).</param>
/// <param name="ExchangeIterations">Column-wise pair swaps tried on the best candidate, each kept only if it improves φ_p (0 = no search).</param>
/// <param name="Centered">Place each point at the centre of its stratum instead of uniformly inside it.</param>
/// <param name="PhiP">Exponent p of the Morris–Mitchell criterion φ_p = (Σ_{i&lt;j} d_ij^−p)^{1/p}; large p approaches the maximin distance.</param>
public sealed record LatinHypercubeOptions(int Candidates = 16, int ExchangeIterations = 4000, bool Centered = false, double PhiP = 15);

/// <summary>
/// Latin hypercube designs (McKay, Beckman &amp; Conover 1979): with n points each coordinate's unit interval is cut into n
/// equal strata and every stratum holds exactly one point. Space filling is improved by a maximin search (Morris &amp;
/// Mitchell 1995): the best of several random hypercubes under φ_p, then pair swaps within a column (which keep the Latin
/// property) accepted when φ_p decreases. The unit design is mapped to physical units through each prior's quantile
/// function, so the design is stratified in prior probability. Everything is seeded (stream <c>lhs</c>), so a cluster can
/// recompute the same design and run its points as independent tasks.
/// </summary>
public static class LatinHypercube
{
    /// <summary>
    /// An n × d design in the open unit cube, [point][dimension], seeded by <paramref name="seed"/>. Every column holds
    /// exactly one point in each stratum [i/n, (i+1)/n).
    /// </summary>
    public static double[][] UnitDesign(int points, int dimensions, ulong seed, LatinHypercubeOptions? options = null)
    {
        var o = options ?? new LatinHypercubeOptions();
        if (points < 1) throw new ArgumentOutOfRangeException(nameof(points), "need at least one point");
        if (dimensions < 1) throw new ArgumentOutOfRangeException(nameof(dimensions), "need at least one dimension");
        if (o.Candidates < 1 || o.ExchangeIterations < 0 || !(o.PhiP > 0)) throw new ArgumentOutOfRangeException(nameof(options));
        var rng = ResumableRandom.ForStream(seed, "lhs");
        int[][]? best = null;
        double bestPhi = double.PositiveInfinity;
        for (int c = 0; c < o.Candidates; c++)
        {
            var strata = RandomStrata(points, dimensions, rng);
            double phi = PhiSum(strata, points, dimensions, o.PhiP);
            if (phi < bestPhi) { bestPhi = phi; best = strata; }
        }
        if (points > 2) Exchange(best!, points, dimensions, o, rng);
        var design = new double[points][];
        for (int i = 0; i < points; i++)
        {
            design[i] = new double[dimensions];
            for (int j = 0; j < dimensions; j++)
            {
                double offset = o.Centered ? 0.5 : rng.NextDouble();
                // Keep strictly inside (0, 1) so quantile functions stay finite.
                design[i][j] = Math.Clamp((best![j][i] + offset) / points, 1e-12, 1 - 1e-12);
            }
        }
        return design;
    }

    /// <summary>
    /// An n-point design over the parameters of <paramref name="priors"/> in their physical units, [point][parameter]: a
    /// <see cref="UnitDesign"/> mapped through each prior's quantile function (<see cref="PriorQuantile"/>).
    /// </summary>
    public static double[][] Design(IReadOnlyList<Prior> priors, int points, ulong seed, LatinHypercubeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(priors);
        var unit = UnitDesign(points, priors.Count, seed, options);
        var quantiles = new Func<double, double>[priors.Count];
        for (int j = 0; j < priors.Count; j++) quantiles[j] = QuantileFunction(priors[j], seed);
        var design = new double[points][];
        for (int i = 0; i < points; i++)
        {
            design[i] = new double[priors.Count];
            for (int j = 0; j < priors.Count; j++) design[i][j] = quantiles[j](unit[i][j]);
        }
        return design;
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile (q in (0, 1)) of <paramref name="prior"/> in its physical units: exact for uniform,
    /// normal, log-normal, half-normal and truncations of them; otherwise the empirical quantile of 20,001 seeded prior draws.
    /// </summary>
    public static double PriorQuantile(Prior prior, double q) => QuantileFunction(prior, 1)(q);

    /// <summary>Smallest pairwise Euclidean distance between the rows of <paramref name="design"/>.</summary>
    public static double MinimumDistance(double[][] design)
    {
        ArgumentNullException.ThrowIfNull(design);
        double best = double.PositiveInfinity;
        for (int i = 0; i < design.Length; i++)
            for (int k = i + 1; k < design.Length; k++)
            {
                double s = 0;
                for (int j = 0; j < design[i].Length; j++) { double d = design[i][j] - design[k][j]; s += d * d; }
                best = Math.Min(best, s);
            }
        return Math.Sqrt(best);
    }

    private static Func<double, double> QuantileFunction(Prior prior, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(prior);
        if (Exact(prior) is { } exact) return exact;
        if (prior is TruncatedPrior t && Cdf(t.Inner) is { } innerCdf && Exact(t.Inner) is { } innerQ)
        {
            double a = innerCdf(t.Low), b = innerCdf(t.High);
            return q => Math.Clamp(innerQ(a + q * (b - a)), t.Low, t.High);
        }
        var rng = ResumableRandom.ForStream(seed, "lhs/quantile");
        var draws = new double[20_001];
        for (int i = 0; i < draws.Length; i++) draws[i] = prior.Sample(rng);
        Array.Sort(draws);
        return q => Quantiles.Sorted(draws, q);
    }

    private static Func<double, double>? Exact(Prior p) => p switch
    {
        UniformPrior u => q => u.Low + q * (u.High - u.Low),
        NormalPrior n => q => Normal.InvCDF(n.Mean, n.Sd, q),
        LogNormalPrior l => q => Math.Exp(Normal.InvCDF(l.Mu, l.Sigma, q)),
        HalfNormalPrior h => q => Normal.InvCDF(0, h.Sd, 0.5 * (q + 1)),
        _ => null,
    };

    private static Func<double, double>? Cdf(Prior p) => p switch
    {
        UniformPrior u => x => Math.Clamp((x - u.Low) / (u.High - u.Low), 0, 1),
        NormalPrior n => x => Normal.CDF(n.Mean, n.Sd, x),
        LogNormalPrior l => x => x <= 0 ? 0 : Normal.CDF(l.Mu, l.Sigma, Math.Log(x)),
        HalfNormalPrior h => x => x <= 0 ? 0 : 2 * Normal.CDF(0, h.Sd, x) - 1,
        _ => null,
    };

    /// <summary>Stratum index of every point, [dimension][point]: an independent random permutation per column.</summary>
    private static int[][] RandomStrata(int n, int d, ResumableRandom rng)
    {
        var strata = new int[d][];
        for (int j = 0; j < d; j++)
        {
            var perm = new int[n];
            for (int i = 0; i < n; i++) perm[i] = i;
            for (int i = n - 1; i > 0; i--)
            {
                int k = (int)rng.NextBounded((ulong)(i + 1));
                (perm[i], perm[k]) = (perm[k], perm[i]);
            }
            strata[j] = perm;
        }
        return strata;
    }

    /// <summary>Σ_{i&lt;k} d_ik^−p over stratum-centre coordinates (distances in units of 1/n).</summary>
    private static double PhiSum(int[][] strata, int n, int d, double p)
    {
        double s = 0;
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++) s += Math.Pow(Dist2(strata, d, i, k), -0.5 * p);
        return s;
    }

    private static double Dist2(int[][] strata, int d, int i, int k)
    {
        double s = 0;
        for (int j = 0; j < d; j++) { double t = strata[j][i] - strata[j][k]; s += t * t; }
        return s;
    }

    /// <summary>Random column-wise pair swaps, kept when Σ d^−p decreases (only the two rows' distances change).</summary>
    private static void Exchange(int[][] strata, int n, int d, LatinHypercubeOptions o, ResumableRandom rng)
    {
        double halfP = 0.5 * o.PhiP;
        for (int it = 0; it < o.ExchangeIterations; it++)
        {
            int col = (int)rng.NextBounded((ulong)d);
            int a = (int)rng.NextBounded((ulong)n);
            int b = (int)rng.NextBounded((ulong)(n - 1));
            if (b >= a) b++;
            double before = 0;
            for (int k = 0; k < n; k++)
            {
                if (k == a || k == b) continue;
                before += Math.Pow(Dist2(strata, d, a, k), -halfP) + Math.Pow(Dist2(strata, d, b, k), -halfP);
            }
            var c = strata[col];
            (c[a], c[b]) = (c[b], c[a]);
            double after = 0;
            for (int k = 0; k < n; k++)
            {
                if (k == a || k == b) continue;
                after += Math.Pow(Dist2(strata, d, a, k), -halfP) + Math.Pow(Dist2(strata, d, b, k), -halfP);
            }
            if (!(after < before)) (c[a], c[b]) = (c[b], c[a]);
        }
    }
}
