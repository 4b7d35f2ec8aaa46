namespace ShapeStudy.Statistics;

/// <summary>Result of a posterior predictive check.</summary>
/// <param name="PValue">Posterior predictive p-value P(T(y_rep, θ) ≥ T(y, θ) | y); values near 0 or 1 flag misfit.</param>
/// <param name="Observed">T(y, θ_s) per draw.</param>
/// <param name="Replicated">T(y_rep,s, θ_s) per draw.</param>
public sealed record PosteriorPredictiveCheck(double PValue, double[] Observed, double[] Replicated);

/// <summary>Posterior predictive checks (Gelman, Meng &amp; Stern 1996).</summary>
public static class PosteriorPredictive
{
    /// <summary>
    /// For each posterior draw θ_s (rows of <paramref name="draws"/>), simulates replicated data y_rep,s =
    /// <paramref name="simulate"/>(θ_s, rng) and compares the discrepancy <paramref name="statistic"/>(y_rep,s, θ_s) with
    /// <paramref name="statistic"/>(<paramref name="observed"/>, θ_s). Draw s uses the stream <c>ppc/s</c> of
    /// <paramref name="seed"/>; draws run in parallel (simulate and statistic must be thread-safe).
    /// </summary>
    public static PosteriorPredictiveCheck Check(double[][] draws, double[] observed, Func<double[], Random, double[]> simulate,
        Func<double[], double[], double> statistic, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(draws);
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(simulate);
        ArgumentNullException.ThrowIfNull(statistic);
        if (draws.Length == 0) throw new ArgumentException("need at least one posterior draw");
        var obs = new double[draws.Length];
        var rep = new double[draws.Length];
        Parallel.For(0, draws.Length, s =>
        {
            var rng = ResumableRandom.ForStream(seed, FormattableString.Invariant($"ppc/{s}"));
            obs[s] = statistic(observed, draws[s]);
            rep[s] = statistic(simulate(draws[s], rng), draws[s]);
        });
        int exceed = 0;
        for (int s = 0; s < draws.Length; s++) if (rep[s] >= obs[s]) exceed++;
        return new PosteriorPredictiveCheck((double)exceed / draws.Length, obs, rep);
    }
}
