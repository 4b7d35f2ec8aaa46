using System.Globalization;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics;
using ShapeStudy.Statistics;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Pipeline;

public sealed partial class StageRunner
{
    private static AssociateResult Associate(AssociatePayload p)
    {
        var rows = new List<(string Descriptor, string Phenotype, int N, double Rho, double Lo, double Hi, double P)>();
        foreach (var spec in p.Specs)
            foreach (var descriptor in spec.Descriptors)
                foreach (var phenotype in spec.Phenotypes)
                {
                    if (rows.Any(r => r.Descriptor == descriptor && r.Phenotype == phenotype)) continue;
                    var pairs = p.Observations
                        .Where(o => o.Descriptors.TryGetValue(descriptor, out var x) && double.IsFinite(x)
                                    && o.Phenotypes.TryGetValue(phenotype, out var y) && double.IsFinite(y))
                        .Select(o => (X: o.Descriptors[descriptor], Y: o.Phenotypes[phenotype])).ToArray();
                    if (pairs.Length < 3) continue;
                    var rng = Seeds.Rng(Seeds.Child(p.Seed, descriptor + "~" + phenotype));
                    var est = Spearman.WithBootstrap(pairs.Select(q => q.X).ToArray(), pairs.Select(q => q.Y).ToArray(), p.Bootstrap, rng);
                    rows.Add((descriptor, phenotype, est.N, est.Rho, est.CiLow, est.CiHigh, est.PValue));
                }
        var q = MultipleTesting.BenjaminiHochberg(rows.Select(r => r.P).ToArray());
        return new AssociateResult(rows.Select((r, i) => new AssociationRow(r.Descriptor, r.Phenotype, "spearman", r.N, r.Rho, r.Lo, r.Hi, r.P, q[i])).ToList());
    }

    /// <summary>
    /// Fits D on one cell's (coarsened) domain to the mean concentration of its far compartment: a simulated trace at
    /// the known D plus Gaussian noise (known-parameter recovery), or an observed CSV trace (columns t_ms, mean_um).
    /// Gaussian likelihood with the given noise sd; adaptive Metropolis over D with the manifest's prior.
    /// </summary>
    private FitResult Fit(FitPayload p)
    {
        var domain = DiffusionDecaySimulator.Prepare(MaskResampling.CoarsenToMaxVoxels(ArtifactCodecs.DecodeMask(store.Get(p.Mask)), p.MaxVoxels));
        var grid = new TimeGrid(p.DurationMs, p.DtMs);
        double[] Far(double d) => domain.Run(new DiffusionDecayParameters(d, p.Base.DecayPerMs, p.Base.InfluxUmUmPerMs, p.Base.PulseMs), grid).CompartmentMeansUM["far"];

        var times = domain.Run(new DiffusionDecayParameters(p.Base.DUm2PerMs, p.Base.DecayPerMs, p.Base.InfluxUmUmPerMs, p.Base.PulseMs), grid).TimesMs;
        var (obsIndex, observed, observedLabel) = p.ObservedCsvPath is null
            ? SimulatedObservation(Far(p.TrueValue!.Value), times, p.NoiseSdUm, Seeds.Child(p.Seed, "observation"), p.TrueValue.Value)
            : CsvObservation(p.ObservedCsvPath, times);

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

        Prior prior = p.PriorLogNormal ? new LogNormalPrior(p.PriorLow, p.PriorHigh) : new UniformPrior(p.PriorLow, p.PriorHigh);
        var run = AdaptiveMetropolis.Sample(LogLikelihood, new[] { prior }, new AdaptiveMetropolisOptions(p.Chains, p.Warmup, p.Draws, p.Seed));
        var chains = run.Draws.Select(chain => chain.Select(x => x[0]).ToArray()).ToArray();
        var s = Diagnostics.Summary(chains);
        var summary = new Study.Pipeline.ParameterSummary("d_um2_per_ms", s.Mean, s.Sd, s.Q5, s.Q50, s.Q95, s.HdiLow, s.HdiHigh, s.RHat, s.EssBulk, s.EssTail);
        var drawsRef = store.Put(JsonSerializer.SerializeToUtf8Bytes(chains), "posterior_draws");
        return new FitResult(p.CellId, observedLabel, p.TrueValue, summary, p.Chains, p.Draws, run.AcceptanceRates.Average(), calls, drawsRef);
    }

    /// <summary>Every 4th time point of the noiseless trace plus seeded Gaussian noise (sd in µM).</summary>
    private static (int[] Index, double[] Values, string Label) SimulatedObservation(double[] truth, double[] times, double sd, ulong seed, double trueD)
    {
        var rng = Seeds.Rng(seed);
        var index = Enumerable.Range(1, times.Length - 1).Where(i => i % 4 == 0).ToArray();
        var values = index.Select(i => truth[i] + sd * StandardNormal(rng)).ToArray();
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

    private static double StandardNormal(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
