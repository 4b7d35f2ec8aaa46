using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="SurrogatePosterior.Sample"/>.</summary>
/// <param name="Walkers">Walkers per ensemble (even, ≥ 2·parameters).</param>
/// <param name="Steps">Stretch-move steps per ensemble.</param>
/// <param name="Burn">Steps discarded at the start of each ensemble.</param>
/// <param name="Ensembles">Independent ensembles (run in parallel; their walkers are the chains of R̂).</param>
/// <param name="Seed">Root seed (initial prior draws and the ensembles' streams).</param>
/// <param name="IncludeSurrogateVariance">Add the surrogate's predictive variance to the noise variance in the likelihood (the posterior then widens where the surrogate is unsure).</param>
/// <param name="StartNearBest">
/// Start every walker in a tiny ball (10⁻³ prior scale) around the best of <paramref name="SearchDraws"/> prior draws (and the
/// surrogate's design points) instead of at independent prior draws. Recommended with surrogate variance: where the design
/// is sparse the inflated predictive variance creates shallow spurious modes in which an isolated walker can stay stuck.
/// The ensembles then no longer start overdispersed, so R̂ across them does not detect separated modes.
/// </param>
/// <param name="SearchDraws">Prior draws scored when <paramref name="StartNearBest"/> is set.</param>
public sealed record SurrogatePosteriorOptions(int Walkers = 32, int Steps = 2000, int Burn = 500, int Ensembles = 2, ulong Seed = 1,
    bool IncludeSurrogateVariance = true, bool StartNearBest = true, int SearchDraws = 2000);

/// <summary>Posterior draws of an MCMC fit with summaries.</summary>
/// <param name="Draws">Pooled post-burn draws, [draw][parameter] (physical units).</param>
/// <param name="Summaries">Per-parameter summary with R̂ and ESS (walkers of all ensembles as chains).</param>
/// <param name="PosteriorMean">Posterior mean per parameter.</param>
/// <param name="Interval95">Central 95 % credible interval per parameter, [parameter] = (2.5 %, 97.5 %).</param>
/// <param name="MeanAcceptance">Mean acceptance fraction over all walkers.</param>
public sealed record PosteriorFit(double[][] Draws, ParameterSummary[] Summaries, double[] PosteriorMean, (double Low, double High)[] Interval95,
    double MeanAcceptance)
{
    /// <summary>Pools the post-burn draws of several ensembles and summarizes them.</summary>
    public static PosteriorFit FromEnsembles(IReadOnlyList<EnsembleResult> ensembles, int burn)
    {
        ArgumentNullException.ThrowIfNull(ensembles);
        if (ensembles.Count == 0) throw new ArgumentException("need at least one ensemble");
        int d = ensembles[0].Dimension;
        var summaries = new ParameterSummary[d];
        var means = new double[d];
        var intervals = new (double, double)[d];
        var columns = new double[d][];
        for (int j = 0; j < d; j++)
        {
            var chains = ParallelEnsembles.Parameter(ensembles, j, burn);
            summaries[j] = Diagnostics.Summary(chains);
            means[j] = summaries[j].Mean;
            var pooled = chains.SelectMany(c => c).ToArray();
            columns[j] = (double[])pooled.Clone();
            Array.Sort(pooled);
            intervals[j] = (Quantiles.Sorted(pooled, 0.025), Quantiles.Sorted(pooled, 0.975));
        }
        var draws = new double[columns[0].Length][];
        for (int s = 0; s < draws.Length; s++)
        {
            draws[s] = new double[d];
            for (int j = 0; j < d; j++) draws[s][j] = columns[j][s];
        }
        double acc = ensembles.SelectMany(e => e.AcceptanceFraction).Average();
        return new PosteriorFit(draws, summaries, means, intervals, acc);
    }

    /// <summary>True when the central 95 % interval of parameter <paramref name="index"/> contains <paramref name="value"/>.</summary>
    public bool Covers(int index, double value) => value >= Interval95[index].Low && value <= Interval95[index].High;
}

/// <summary>MCMC on a <see cref="TimeCourseSurrogate"/> in place of an expensive simulator.</summary>
public static class SurrogatePosterior
{
    /// <summary>
    /// Samples p(θ | y) ∝ Π_j prior_j(θ_j) · Π_t N(y_t; m_t(θ), σ² + v_t(θ)) with m, v the surrogate's predictive mean and
    /// variance (v omitted unless <see cref="SurrogatePosteriorOptions.IncludeSurrogateVariance"/>), <paramref name="observed"/>
    /// y (length T, output units) and Gaussian noise sd <paramref name="noiseSd"/> (output units). Uses independent
    /// <see cref="EnsembleSampler"/> ensembles started at prior draws.
    /// </summary>
    public static PosteriorFit Sample(TimeCourseSurrogate surrogate, IReadOnlyList<Prior> priors, double[] observed, double noiseSd,
        SurrogatePosteriorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(observed);
        if (priors.Count != surrogate.Dimension) throw new ArgumentException($"{priors.Count} priors for a surrogate with {surrogate.Dimension} inputs");
        if (observed.Length != surrogate.Outputs) throw new ArgumentException($"{observed.Length} observations for a surrogate with {surrogate.Outputs} outputs");
        if (!(noiseSd > 0)) throw new ArgumentOutOfRangeException(nameof(noiseSd), "noise sd must be positive");
        var o = options ?? new SurrogatePosteriorOptions();
        double s2 = noiseSd * noiseSd;
        int t = surrogate.Outputs;
        bool withVariance = o.IncludeSurrogateVariance;
        double LogLikelihood(double[] theta)
        {
            Span<double> mean = t <= 256 ? stackalloc double[t] : new double[t];
            Span<double> variance = t <= 256 ? stackalloc double[t] : new double[t];
            if (withVariance) surrogate.Predict(theta, mean, variance);
            else { surrogate.PredictMean(theta, mean); variance.Clear(); }
            double ll = 0;
            for (int k = 0; k < t; k++)
            {
                double v = s2 + variance[k], r = observed[k] - mean[k];
                ll -= 0.5 * (r * r / v + Math.Log(v));
            }
            return ll;
        }
        return SampleEnsembles(priors, LogLikelihood, o, surrogate.DesignInputs);
    }

    /// <summary>
    /// Samples p(θ | y) ∝ exp(<paramref name="logLikelihood"/>(θ)) Π_j prior_j(θ_j) with the ensemble settings of
    /// <paramref name="options"/> (the likelihood must be thread-safe).
    /// </summary>
    public static PosteriorFit SampleEnsembles(IReadOnlyList<Prior> priors, Func<double[], double> logLikelihood, SurrogatePosteriorOptions options)
        => SampleEnsembles(priors, logLikelihood, options, null);

    private static PosteriorFit SampleEnsembles(IReadOnlyList<Prior> priors, Func<double[], double> logLikelihood, SurrogatePosteriorOptions options,
        double[][]? extraCandidates)
    {
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(logLikelihood);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Ensembles < 1 || options.Steps <= options.Burn || options.Burn < 0 || options.SearchDraws < 1) throw new ArgumentOutOfRangeException(nameof(options));
        var logPosterior = LogPosterior.Of(priors, logLikelihood);
        var rng = ResumableRandom.ForStream(options.Seed, "surrogate/initial");
        var init = new double[options.Ensembles][][];
        if (!options.StartNearBest)
        {
            for (int e = 0; e < init.Length; e++) init[e] = LogPosterior.DrawInitial(priors, options.Walkers, rng);
        }
        else
        {
            var candidates = LogPosterior.DrawInitial(priors, options.SearchDraws, rng).Concat(extraCandidates ?? []).ToArray();
            var scores = new double[candidates.Length];
            Parallel.For(0, candidates.Length, i => scores[i] = logPosterior((double[])candidates[i].Clone()));
            int best = 0;
            for (int i = 1; i < scores.Length; i++) if (scores[i] > scores[best]) best = i;
            var center = candidates[best];
            for (int e = 0; e < init.Length; e++)
            {
                init[e] = new double[options.Walkers][];
                for (int w = 0; w < options.Walkers; w++)
                {
                    var x = new double[priors.Count];
                    for (int j = 0; j < x.Length; j++)
                    {
                        double v = center[j] + 1e-3 * priors[j].Scale * rng.StandardNormal();
                        x[j] = v >= priors[j].Lower && v <= priors[j].Upper ? v : center[j];
                    }
                    init[e][w] = x;
                }
            }
        }
        var results = ParallelEnsembles.Run(logPosterior, init, options.Steps, new EnsembleOptions(Seed: options.Seed));
        return PosteriorFit.FromEnsembles(results, options.Burn);
    }
}

/// <summary>Options of <see cref="SurrogateFit.Run(IReadOnlyList{Prior}, Func{double[], double[]}, double[], double, SurrogateFitOptions?)"/>.</summary>
/// <param name="DesignPoints">Simulator runs in the Latin hypercube design.</param>
/// <param name="Seed">Root seed of the design (child <c>design</c>), the GP restarts (child <c>gp</c>) and the sampler (child <c>mcmc</c>).</param>
/// <param name="Design">Latin hypercube options.</param>
/// <param name="Surrogate">Surrogate options.</param>
/// <param name="Posterior">Sampler options (its seed is replaced by the child seed).</param>
/// <param name="MaxDegreeOfParallelism">Simulator runs in flight at once when the design is run locally (−1 = automatic).</param>
public sealed record SurrogateFitOptions(int DesignPoints = 60, ulong Seed = 1, LatinHypercubeOptions? Design = null, SurrogateOptions? Surrogate = null,
    SurrogatePosteriorOptions? Posterior = null, int MaxDegreeOfParallelism = -1);

/// <summary>The true simulator run at the posterior mean.</summary>
/// <param name="Parameters">Posterior mean θ̄ (physical units).</param>
/// <param name="Simulated">Simulator output at θ̄.</param>
/// <param name="SurrogatePrediction">Surrogate mean at θ̄.</param>
/// <param name="RmseToObserved">RMS of observed − simulated, output units (≈ noise sd for an adequate fit).</param>
/// <param name="RmseSurrogateVsSimulator">RMS of surrogate − simulated at θ̄, output units.</param>
/// <param name="NormalizedRmse">RmseToObserved / noise sd.</param>
public sealed record SimulatorCheck(double[] Parameters, double[] Simulated, double[] SurrogatePrediction, double RmseToObserved,
    double RmseSurrogateVsSimulator, double NormalizedRmse);

/// <summary>Everything produced by a surrogate-based fit.</summary>
/// <param name="Design">Design points, [point][parameter] (physical units).</param>
/// <param name="DesignOutputs">Simulator outputs at the design, [point][output].</param>
/// <param name="Surrogate">Fitted surrogate.</param>
/// <param name="Validation">Leave-one-out validation of the surrogate.</param>
/// <param name="Posterior">MCMC on the surrogate.</param>
/// <param name="Check">True simulator at the posterior mean.</param>
public sealed record SurrogateFitResult(double[][] Design, double[][] DesignOutputs, TimeCourseSurrogate Surrogate, SurrogateValidation Validation,
    PosteriorFit Posterior, SimulatorCheck Check);

/// <summary>
/// Bayesian calibration of an expensive simulator through a surrogate: Latin hypercube design over the priors
/// (<see cref="LatinHypercube"/>), simulator runs (independent: a cluster may run them as separate tasks and pass the
/// results to the precomputed-design overload), GP surrogate (<see cref="TimeCourseSurrogate"/>) with leave-one-out
/// validation, MCMC on the surrogate (<see cref="SurrogatePosterior"/>), and one final run of the true simulator at the
/// posterior mean.
/// </summary>
public static class SurrogateFit
{
    /// <summary>The design the fit with these options would run (so a scheduler can run its points as separate tasks).</summary>
    public static double[][] DesignFor(IReadOnlyList<Prior> priors, SurrogateFitOptions? options = null)
    {
        var o = options ?? new SurrogateFitOptions();
        return LatinHypercube.Design(priors, o.DesignPoints, Core.Seeds.Child(o.Seed, "design"), o.Design);
    }

    /// <summary>
    /// Runs the whole fit locally: <paramref name="simulator"/> maps θ (physical units) to an output vector (e.g. µM at fixed
    /// times) and must be thread-safe; <paramref name="observed"/> has the same length with Gaussian noise sd
    /// <paramref name="noiseSd"/>.
    /// </summary>
    public static SurrogateFitResult Run(IReadOnlyList<Prior> priors, Func<double[], double[]> simulator, double[] observed, double noiseSd,
        SurrogateFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        var o = options ?? new SurrogateFitOptions();
        var design = DesignFor(priors, o);
        var outputs = new double[design.Length][];
        Parallel.For(0, design.Length, new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism },
            i => outputs[i] = simulator((double[])design[i].Clone()));
        return Run(priors, design, outputs, observed, noiseSd, simulator, o);
    }

    /// <summary>
    /// Continues from simulator runs done elsewhere: <paramref name="design"/> [point][parameter] and
    /// <paramref name="designOutputs"/> [point][output]; <paramref name="simulator"/> is called once, at the posterior mean.
    /// </summary>
    public static SurrogateFitResult Run(IReadOnlyList<Prior> priors, double[][] design, double[][] designOutputs, double[] observed, double noiseSd,
        Func<double[], double[]> simulator, SurrogateFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(observed);
        var o = options ?? new SurrogateFitOptions();
        var so = o.Surrogate ?? new SurrogateOptions();
        var gp = (so.Gp ?? new GaussianProcessOptions()) with { Seed = Core.Seeds.Child(o.Seed, "gp") };
        var surrogate = TimeCourseSurrogate.Fit(design, designOutputs, so with { Gp = gp });
        var validation = surrogate.LeaveOneOut();
        var po = (o.Posterior ?? new SurrogatePosteriorOptions()) with { Seed = Core.Seeds.Child(o.Seed, "mcmc") };
        var posterior = SurrogatePosterior.Sample(surrogate, priors, observed, noiseSd, po);
        return new SurrogateFitResult(design, designOutputs, surrogate, validation, posterior, Check(surrogate, simulator, posterior.PosteriorMean, observed, noiseSd));
    }

    /// <summary>Runs the true simulator at <paramref name="theta"/> and compares it with the observations and the surrogate.</summary>
    public static SimulatorCheck Check(TimeCourseSurrogate surrogate, Func<double[], double[]> simulator, double[] theta, double[] observed, double noiseSd)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        ArgumentNullException.ThrowIfNull(simulator);
        var sim = simulator((double[])theta.Clone());
        if (sim.Length != observed.Length) throw new ArgumentException($"simulator returned {sim.Length} values, observed has {observed.Length}");
        var pred = surrogate.PredictMean(theta);
        double a = 0, b = 0;
        for (int k = 0; k < sim.Length; k++)
        {
            a += (observed[k] - sim[k]) * (observed[k] - sim[k]);
            b += (pred[k] - sim[k]) * (pred[k] - sim[k]);
        }
        double rmse = Math.Sqrt(a / sim.Length);
        return new SimulatorCheck((double[])theta.Clone(), sim, pred, rmse, Math.Sqrt(b / sim.Length), rmse / noiseSd);
    }
}
