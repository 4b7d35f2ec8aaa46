using System.Globalization;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics;
using ShapeStudy.Statistics;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;
using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Actors.Pipeline;

public sealed partial class StageRunner
{
    /// <summary>Descriptor that partial correlations control for.</summary>
    private const string PartialControl = "volume_um3";

    /// <summary>
    /// Associations of every requested descriptor with every requested phenotype in every compartment, over the shapes that
    /// have both values: Spearman ρ (percentile-bootstrap CI when <c>bootstrap</c> &gt; 0) and Pearson r (bootstrap CI, Fisher-z when <c>bootstrap</c> = 0), the
    /// OLS slope of the phenotype on the descriptor (t CI), the Huber robust slope (sandwich CI), and the partial Pearson correlation controlling for volume (shapes that
    /// also have a finite volume; not for volume itself). Benjamini–Hochberg q within each method. A (near) constant variable
    /// gives NaN rows instead of round-off statistics.
    /// </summary>
    private static AssociateResult Associate(AssociatePayload p)
    {
        var compartments = p.Observations.SelectMany(o => o.PhenotypesByCompartment.Keys).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        var rows = new List<AssociationRow>();
        foreach (var spec in p.Specs)
            foreach (var descriptor in spec.Descriptors)
                foreach (var phenotype in spec.Phenotypes)
                    foreach (var compartment in compartments)
                    {
                        if (rows.Any(r => r.Descriptor == descriptor && r.Phenotype == phenotype && r.Compartment == compartment)) continue;
                        var x = new List<double>();
                        var y = new List<double>();
                        var xc = new List<double>();
                        var yc = new List<double>();
                        var control = new List<double>();
                        foreach (var o in p.Observations)
                            if (o.Descriptors.TryGetValue(descriptor, out var dx) && double.IsFinite(dx)
                                && o.PhenotypesByCompartment.TryGetValue(compartment, out var ph) && ph.TryGetValue(phenotype, out var py) && double.IsFinite(py))
                            {
                                x.Add(dx);
                                y.Add(py);
                                if (o.Descriptors.TryGetValue(PartialControl, out var v) && double.IsFinite(v)) { xc.Add(dx); yc.Add(py); control.Add(v); }
                            }
                        bool partial = descriptor != PartialControl;
                        string partialMethod = $"partial_pearson|{PartialControl}";
                        AssociationRow Row(string method, int n, double estimate, double lo, double hi, double pValue) =>
                            new(descriptor, phenotype, compartment, method, n, estimate, lo, hi, pValue, double.NaN);
                        if (x.Count < 3 || NearlyConstant(x) || NearlyConstant(y))
                        {
                            foreach (var method in new[] { "spearman", "pearson", "ols_slope", "huber_slope" }) rows.Add(Row(method, x.Count, double.NaN, double.NaN, double.NaN, double.NaN));
                            if (partial) rows.Add(Row(partialMethod, xc.Count, double.NaN, double.NaN, double.NaN, double.NaN));
                            continue;
                        }
                        var xa = x.ToArray();
                        var ya = y.ToArray();
                        if (p.Bootstrap > 0)
                        {
                            var est = Spearman.WithBootstrap(xa, ya, p.Bootstrap, Seeds.Rng(Seeds.Child(p.Seed, $"{descriptor}~{phenotype}@{compartment}")));
                            rows.Add(Row("spearman", x.Count, est.Rho, est.CiLow, est.CiHigh, est.PValue));
                        }
                        else
                        {
                            double rho = Spearman.Correlate(xa, ya);
                            rows.Add(Row("spearman", x.Count, rho, double.NaN, double.NaN, Spearman.PValue(rho, x.Count)));
                        }
                        var pearson = p.Bootstrap > 0
                            ? Correlation.PearsonBootstrap(xa, ya, p.Bootstrap, Seeds.Rng(Seeds.Child(p.Seed, $"pearson:{descriptor}~{phenotype}@{compartment}")))
                            : Correlation.Pearson(xa, ya);
                        rows.Add(Row("pearson", x.Count, pearson.Rho, pearson.CiLow, pearson.CiHigh, pearson.PValue));
                        var slope = LinearRegression.Ols([xa], ya, [descriptor]).Coefficients[1];
                        rows.Add(Row("ols_slope", x.Count, slope.Estimate, slope.CiLow, slope.CiHigh, slope.PValue));
                        var robust = RobustRegression.Huber([xa], ya, [descriptor]).Coefficients[1];
                        rows.Add(Row("huber_slope", x.Count, robust.Estimate, robust.CiLow, robust.CiHigh, robust.PValue));
                        if (!partial) continue;
                        if (xc.Count < 5 || NearlyConstant(xc) || NearlyConstant(yc) || NearlyConstant(control))
                        {
                            rows.Add(Row(partialMethod, xc.Count, double.NaN, double.NaN, double.NaN, double.NaN));
                            continue;
                        }
                        AssociationEstimate pc;
                        try { pc = Correlation.Partial(xc.ToArray(), yc.ToArray(), [control.ToArray()]); }
                        catch (ArgumentException) { pc = new AssociationEstimate(double.NaN, double.NaN, double.NaN, double.NaN, xc.Count); } // descriptor collinear with volume
                        rows.Add(Row(partialMethod, xc.Count, pc.Rho, pc.CiLow, pc.CiHigh, pc.PValue));
                    }
        var q = new double[rows.Count];
        foreach (var family in rows.Select((r, k) => (r.Method, k)).GroupBy(t => t.Method))
        {
            var index = family.Select(t => t.k).ToArray();
            var qf = MultipleTesting.BenjaminiHochberg(index.Select(k => rows[k].P).ToArray());
            for (int m = 0; m < index.Length; m++) q[index[m]] = qf[m];
        }
        return new AssociateResult(rows.Select((r, k) => r with { Q = q[k] }).ToList());
    }

    /// <summary>True when the values' spread is below 1e-9 of their magnitude (a constant up to round-off).</summary>
    private static bool NearlyConstant(List<double> v)
    {
        double min = v.Min(), max = v.Max();
        return max - min <= 1e-9 * Math.Max(Math.Abs(max), Math.Abs(min));
    }

    /// <summary>
    /// Fits D on one cell's (coarsened) domain to the mean concentration of its far compartment: a simulated trace at
    /// the known D plus Gaussian noise (known-parameter recovery), or an observed CSV trace (columns t_ms, mean_um).
    /// Gaussian likelihood with the given noise sd, the manifest's prior on D. Direct fits run adaptive Metropolis with the
    /// simulator in the loop; surrogate fits (payload with a design) fit a Gaussian-process surrogate of the observed time
    /// points to the design runs, validate it by leave-one-out, run affine-invariant ensembles on it, and check the true
    /// simulator at the posterior mean.
    /// </summary>
    /// <remarks>
    /// A direct fit is resumable: every <see cref="FitCheckpointEvery"/> iterations the sampler's whole state (positions,
    /// adaptation, RNG streams, draws so far) and the simulator-call count are saved as the checkpoint of
    /// <paramref name="taskKey"/>; a later attempt of the same task (after a crash, a kill or a lost node) continues from
    /// it and produces exactly the draws of an uninterrupted run. An unreadable checkpoint is reported and ignored.
    /// </remarks>
    private FitResult Fit(FitPayload p, string taskKey, Action<string>? progress = null)
    {
        var domain = FitDomain(p.Mask, p.MaxVoxels);
        var grid = new TimeGrid(p.DurationMs, p.DtMs);
        double[] Far(double d) => domain.Run(WithD(p.Base, d), grid).CompartmentMeansUM["far"];

        var times = domain.Run(WithD(p.Base, p.Base.DUm2PerMs), grid).TimesMs;
        var (obsIndex, observed, observedLabel) = p.ObservedCsvPath is null
            ? SimulatedObservation(Far(p.TrueValue!.Value), times, p.NoiseSdUm, Seeds.Child(p.Seed, "observation"), p.TrueValue.Value)
            : CsvObservation(p.ObservedCsvPath, times);
        if (p.Design is { } design) return SurrogateFitOf(p, design, Far, obsIndex, observed, observedLabel);
        var prior = p.PriorLogNormal ? (Prior)new LogNormalPrior(p.PriorLow, p.PriorHigh) : new UniformPrior(p.PriorLow, p.PriorHigh);

        int calls = 0;
        double LogLikelihood(double[] theta)
        {
            Interlocked.Increment(ref calls);
            var sim = Far(theta[0]);
            double ss = 0;
            for (int i = 0; i < obsIndex.Length; i++)
            {
                double r = (observed[i] - sim[obsIndex[i]]) / p.NoiseSdUm;
                ss += r * r;
            }
            return -0.5 * ss;
        }

        var priors = new[] { prior };
        var options = new AdaptiveMetropolisOptions(p.Chains, p.Warmup, p.Draws, p.Seed);
        int total = p.Warmup + p.Draws;
        var sampler = ResumedFit(taskKey, options, priors, LogLikelihood, progress, ref calls)
            ?? AdaptiveMetropolis.CreateSampler(LogLikelihood, priors, options);
        var run = sampler.Run(total, FitCheckpointEvery, state =>
        {
            store.WriteCheckpoint(taskKey, System.Text.Encoding.UTF8.GetBytes(CheckpointJson.Serialize(new FitCheckpoint(state, calls))));
            long it = state.Chains[0].Iteration;
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"iteration {it}/{total} ({(it <= p.Warmup ? "warm-up" : "draws")}), {calls} simulations, checkpointed"));
        });
        var chains = run.Draws.Select(chain => chain.Select(x => x[0]).ToArray()).ToArray();
        var drawsRef = store.Put(JsonSerializer.SerializeToUtf8Bytes(chains), "posterior_draws");
        store.DeleteCheckpoint(taskKey);
        return new FitResult(p.CellId, observedLabel, p.TrueValue, SummaryOf(Diagnostics.Summary(chains)), p.Chains, p.Draws,
            run.AcceptanceRates.Average(), calls, drawsRef);
    }

    /// <summary>Iterations (per chain) between checkpoints of a direct fit.</summary>
    public const int FitCheckpointEvery = 50;

    /// <summary>A direct fit's checkpoint: the sampler's state and the simulator calls made so far.</summary>
    private sealed record FitCheckpoint(AdaptiveMetropolisState Sampler, int SimulatorCalls);

    /// <summary>The sampler resumed from <paramref name="taskKey"/>'s checkpoint, or null when there is none or it does not fit these options.</summary>
    private AdaptiveMetropolisSampler? ResumedFit(string taskKey, AdaptiveMetropolisOptions options, Prior[] priors,
        Func<double[], double> logLikelihood, Action<string>? progress, ref int calls)
    {
        if (store.ReadCheckpoint(taskKey) is not { } bytes) return null;
        try
        {
            var c = CheckpointJson.Deserialize<FitCheckpoint>(System.Text.Encoding.UTF8.GetString(bytes));
            if (c.Sampler?.Options is null || c.Sampler.Chains is not { Length: > 0 }) throw new InvalidDataException("it holds no sampler state");
            var o = c.Sampler.Options;
            if ((o.Chains, o.Warmup, o.Draws, o.Seed) != (options.Chains, options.Warmup, options.Draws, options.Seed) || c.Sampler.Dimension != priors.Length)
                throw new InvalidDataException("it was written with other sampler options");
            var sampler = AdaptiveMetropolis.ResumeSampler(logLikelihood, priors, c.Sampler);
            calls = c.SimulatorCalls;
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"resumed from its checkpoint at iteration {sampler.Iteration}/{options.Warmup + options.Draws}"));
            return sampler;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
        {
            progress?.Invoke($"checkpoint not usable ({e.Message}); starting afresh");
            return null;
        }
    }

    /// <summary>Walkers per ensemble of a surrogate fit (one parameter: 8 walkers explore it well).</summary>
    private const int SurrogateWalkers = 8;

    /// <summary>
    /// A surrogate fit works in u = ln D, where the trace is smooth across the decades a prior on D spans: the design is a
    /// Latin hypercube that is uniform in u over a uniform prior's support (so small D, where the trace changes fastest, is
    /// covered as densely as large D) or follows a log-normal prior's quantiles; the posterior is sampled in u under the
    /// prior's change of variables (<see cref="LogTransformedPrior"/>) and reported as D = eᵘ.
    /// </summary>
    private static (Prior Design, Prior Posterior) SurrogateSpace(double low, double high, bool logNormal) => logNormal
        ? (new NormalPrior(low, high), new LogTransformedPrior(new LogNormalPrior(low, high)))
        : (new UniformPrior(Math.Log(low), Math.Log(high)), new LogTransformedPrior(new UniformPrior(low, high)));

    private FitResult SurrogateFitOf(FitPayload p, double[] design, Func<double, double[]> far, int[] obsIndex, double[] observed,
        string observedLabel)
    {
        if (p.DesignTraces is not { } traces || traces.Length != design.Length)
            throw new InvalidDataException($"surrogate fit of {p.CellId}: {design.Length} design points but {p.DesignTraces?.Length ?? 0} traces");
        var inputs = design.Select(v => new[] { Math.Log(v) }).ToArray();
        var outputs = traces.Select(trace => obsIndex.Select(i => trace[i]).ToArray()).ToArray();
        int checks = 0;
        double[] Simulator(double[] u)
        {
            Interlocked.Increment(ref checks);
            var trace = far(Math.Exp(u[0]));
            return obsIndex.Select(i => trace[i]).ToArray();
        }
        var options = new SurrogateFitOptions(design.Length, p.Seed,
            Posterior: new SurrogatePosteriorOptions(SurrogateWalkers, p.Warmup + p.Draws, p.Warmup, p.Chains));
        var prior = SurrogateSpace(p.PriorLow, p.PriorHigh, p.PriorLogNormal).Posterior;
        var fit = SurrogateFit.Run([prior], inputs, outputs, observed, p.NoiseSdUm, Simulator, options);
        // pooled draws are chain-major: every walker of every ensemble is one chain of p.Draws draws (of u = ln D)
        int chainCount = p.Chains * SurrogateWalkers;
        var chains = new double[chainCount][];
        for (int c = 0; c < chainCount; c++) chains[c] = Enumerable.Range(0, p.Draws).Select(i => Math.Exp(fit.Posterior.Draws[c * p.Draws + i][0])).ToArray();
        var drawsRef = store.Put(JsonSerializer.SerializeToUtf8Bytes(chains), "posterior_draws");
        return new FitResult(p.CellId, observedLabel, p.TrueValue, SummaryOf(Diagnostics.Summary(chains)), chainCount, p.Draws,
            fit.Posterior.MeanAcceptance, design.Length + checks, drawsRef)
        {
            Method = "surrogate",
            DesignPoints = design.Length,
            SurrogateRelativeRmse = fit.Validation.RelativeRmse,
            SurrogateCoverage95 = fit.Validation.Coverage95,
            CheckRmseUm = fit.Check.RmseToObserved,
            CheckSurrogateErrorUm = fit.Check.RmseSurrogateVsSimulator,
        };
    }

    /// <summary>One design run of a surrogate fit: the design value of D and the far-compartment trace there.</summary>
    private FitDesignResult FitDesign(FitDesignPayload p)
    {
        var space = SurrogateSpace(p.PriorLow, p.PriorHigh, p.PriorLogNormal).Design;
        double value = Math.Exp(SurrogateFit.DesignFor([space], new SurrogateFitOptions(p.Points, p.Seed))[p.Index][0]);
        var trace = FitDomain(p.Mask, p.MaxVoxels).Run(WithD(p.Base, value), new TimeGrid(p.DurationMs, p.DtMs)).CompartmentMeansUM["far"];
        return new FitDesignResult(value, trace);
    }

    private DiffusionDecayDomain FitDomain(ArtifactRef mask, int maxVoxels) =>
        DiffusionDecaySimulator.Prepare(MaskResampling.CoarsenToMaxVoxels(ArtifactCodecs.DecodeMask(store.Get(mask)), maxVoxels));

    private static DiffusionDecayParameters WithD(ParameterSet b, double d) => new(d, b.DecayPerMs, b.InfluxUmUmPerMs, b.PulseMs);

    private static Study.Pipeline.ParameterSummary SummaryOf(Statistics.ParameterSummary s) =>
        new("d_um2_per_ms", s.Mean, s.Sd, s.Q5, s.Q50, s.Q95, s.HdiLow, s.HdiHigh, s.RHat, s.EssBulk, s.EssTail);

    /// <summary>Every 4th time point of the noiseless trace plus seeded Gaussian noise (sd in µM).</summary>
    private static (int[] Index, double[] Values, string Label) SimulatedObservation(double[] truth, double[] times, double sd, ulong seed, double trueD)
    {
        var rng = Seeds.Rng(seed);
        var index = Enumerable.Range(1, times.Length - 1).Where(i => i % 4 == 0).ToArray();
        var values = index.Select(i => truth[i] + sd * rng.StandardNormal()).ToArray();
        return (index, values, string.Create(CultureInfo.InvariantCulture, $"simulated: far compartment, d_um2_per_ms={trueD}, noise_sd_um={sd}"));
    }

    /// <summary>Reads an observed trace (CSV with header; columns t_ms and mean_um) and maps it to the nearest time steps.</summary>
    private static (int[] Index, double[] Values, string Label) CsvObservation(string path, double[] times)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length < 2) throw new InvalidDataException($"{path}: needs a header and at least one row");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        int ti = header.IndexOf("t_ms"), ci = header.IndexOf("mean_um");
        if (ti < 0 || ci < 0) throw new InvalidDataException($"{path}: header must contain t_ms and mean_um, got '{lines[0]}'");
        var index = new List<int>();
        var values = new List<double>();
        for (int l = 1; l < lines.Length; l++)
        {
            if (string.IsNullOrWhiteSpace(lines[l])) continue;
            var f = lines[l].Split(',');
            if (!double.TryParse(f[ti], NumberStyles.Float, CultureInfo.InvariantCulture, out var t)
                || !double.TryParse(f[ci], NumberStyles.Float, CultureInfo.InvariantCulture, out var c))
                throw new InvalidDataException($"{path}:{l + 1}: expected numbers in t_ms and mean_um");
            int k = (int)Math.Round(t / (times[1] - times[0]));
            if (k < 0 || k >= times.Length) continue;
            index.Add(k);
            values.Add(c);
        }
        if (index.Count == 0) throw new InvalidDataException($"{path}: no observation falls inside the simulated time span");
        return (index.ToArray(), values.ToArray(), "observed: " + Path.GetFileName(path));
    }
}
