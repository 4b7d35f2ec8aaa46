namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="AdaptiveMetropolis"/>.</summary>
/// <param name="Chains">Number of independent chains (≥ 2, needed for R̂).</param>
/// <param name="Warmup">Iterations per chain during which the proposal adapts; discarded.</param>
/// <param name="Draws">Kept iterations per chain after warmup (proposal frozen).</param>
/// <param name="Seed">Root seed; chain c draws from stream <c>am/chain/c</c> (<see cref="ResumableRandom"/>), so results do not depend on thread scheduling.</param>
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
    public double[][] Parameter(int index) => MultiChain.Parameter(Draws, index);
}

/// <summary>
/// Adaptive Metropolis (Haario, Saksman &amp; Tamminen 2001) in one call: runs an <see cref="AdaptiveMetropolisSampler"/>
/// (see there for the algorithm) through warmup and draws and returns its result.
/// </summary>
public static class AdaptiveMetropolis
{
    /// <summary>
    /// Samples the unnormalized log-density <paramref name="logDensity"/> over d parameters.
    /// <paramref name="initial"/> holds one starting point per chain (length d each; choose them overdispersed; at least 2
    /// chains, for R̂). Optional <paramref name="lower"/>/<paramref name="upper"/> bounds (length d) reject proposals outside
    /// them. The log-density must be thread-safe (chains call it concurrently); return −∞ for impossible points.
    /// </summary>
    public static McmcResult Sample(Func<double[], double> logDensity, double[][] initial, AdaptiveMetropolisOptions options,
        double[]? lower = null, double[]? upper = null)
    {
        RequireTwoChains(options);
        var sampler = new AdaptiveMetropolisSampler(logDensity, initial, options, lower, upper);
        return sampler.Run(options.Warmup + options.Draws);
    }

    /// <summary>
    /// Samples the posterior ∝ exp(<paramref name="logLikelihood"/>(θ)) · Π_i prior_i(θ_i) with parameters in physical
    /// units. Chains start at independent prior draws (stream <c>am/initial</c>; overdispersed relative to a concentrated
    /// posterior), the initial proposal sd is 0.1 × each prior's scale unless given, and the prior supports bound the proposals.
    /// </summary>
    public static McmcResult Sample(Func<double[], double> logLikelihood, IReadOnlyList<Prior> priors, AdaptiveMetropolisOptions options) =>
        CreateSampler(logLikelihood, priors, options).Run(options.Warmup + options.Draws);

    /// <summary>
    /// The sampler that <see cref="Sample(Func{double[], double}, IReadOnlyList{Prior}, AdaptiveMetropolisOptions)"/> runs, not yet
    /// advanced: run it in steps with checkpoints (<see cref="AdaptiveMetropolisSampler.Run"/>) to make a long fit resumable.
    /// </summary>
    public static AdaptiveMetropolisSampler CreateSampler(Func<double[], double> logLikelihood, IReadOnlyList<Prior> priors, AdaptiveMetropolisOptions options)
    {
        ArgumentNullException.ThrowIfNull(logLikelihood);
        ArgumentNullException.ThrowIfNull(priors);
        RequireTwoChains(options);
        int d = priors.Count;
        if (d < 1) throw new ArgumentException("need at least one prior");
        var init = LogPosterior.DrawInitial(priors, options.Chains, ResumableRandom.ForStream(options.Seed, "am/initial"));
        var lower = new double[d];
        var upper = new double[d];
        var sd0 = new double[d];
        for (int j = 0; j < d; j++) (lower[j], upper[j], sd0[j]) = (priors[j].Lower, priors[j].Upper, 0.1 * priors[j].Scale);
        return new AdaptiveMetropolisSampler(LogPosterior.Of(priors, logLikelihood), init,
            options with { InitialProposalSd = options.InitialProposalSd ?? sd0 }, lower, upper);
    }

    /// <summary>Resumes a sampler made by <see cref="CreateSampler"/> from its checkpoint; later draws equal the uninterrupted run's.</summary>
    public static AdaptiveMetropolisSampler ResumeSampler(Func<double[], double> logLikelihood, IReadOnlyList<Prior> priors, AdaptiveMetropolisState state) =>
        AdaptiveMetropolisSampler.Resume(LogPosterior.Of(priors, logLikelihood), state);

    private static void RequireTwoChains(AdaptiveMetropolisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Chains < 2) throw new ArgumentOutOfRangeException(nameof(options), "need at least 2 chains");
    }
}
