namespace ShapeStudy.Statistics;

/// <summary>Independent ensembles run side by side (for R̂ across ensembles), and ensembles started from priors.</summary>
public static class ParallelEnsembles
{
    /// <summary>
    /// Runs one independent <see cref="EnsembleSampler"/> per entry of <paramref name="initial"/> ([ensemble][walker][parameter])
    /// for <paramref name="steps"/> steps, ensembles in parallel (each evaluates its walkers serially). Ensemble e uses
    /// seed <c>Seeds.Child(options.Seed, "ensemble/e")</c>, so results do not depend on scheduling.
    /// </summary>
    public static EnsembleResult[] Run(Func<double[], double> logDensity, double[][][] initial, int steps, EnsembleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        ArgumentNullException.ThrowIfNull(initial);
        var o = options ?? new EnsembleOptions();
        var results = new EnsembleResult[initial.Length];
        Parallel.For(0, initial.Length, e =>
        {
            var oe = o with { Seed = Core.Seeds.Child(o.Seed, FormattableString.Invariant($"ensemble/{e}")), MaxDegreeOfParallelism = 1 };
            results[e] = new EnsembleSampler(logDensity, initial[e], oe).Run(steps);
        });
        return results;
    }

    /// <summary>
    /// Draws of parameter <paramref name="index"/> from several ensembles as chains for <see cref="Diagnostics.RHat"/>: each
    /// ensemble's walker-average would hide mixing problems, so each walker of each ensemble is one chain ([ensemble·walker][step]),
    /// dropping the first <paramref name="discard"/> kept steps.
    /// </summary>
    public static double[][] Parameter(IReadOnlyList<EnsembleResult> results, int index, int discard = 0)
    {
        ArgumentNullException.ThrowIfNull(results);
        var chains = new List<double[]>();
        foreach (var r in results) chains.AddRange(r.Parameter(index, discard));
        return chains.ToArray();
    }

    /// <summary>
    /// An ensemble sampler of the posterior ∝ exp(<paramref name="logLikelihood"/>(θ))·Π prior_j(θ_j) (physical units) with
    /// <paramref name="walkers"/> walkers started at independent prior draws (stream <c>initial</c> of the options' seed).
    /// </summary>
    public static EnsembleSampler ForPosterior(IReadOnlyList<Prior> priors, Func<double[], double> logLikelihood, int walkers, EnsembleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(priors);
        var o = options ?? new EnsembleOptions();
        var init = LogPosterior.DrawInitial(priors, walkers, ResumableRandom.ForStream(o.Seed, "initial"));
        return new EnsembleSampler(LogPosterior.Of(priors, logLikelihood), init, o);
    }
}
