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
    /// <summary>
    /// Spearman association of every requested descriptor with every requested phenotype in every compartment, over the
    /// shapes that have both values; percentile-bootstrap CI when <c>bootstrap</c> &gt; 0; Benjamini–Hochberg q over all
    /// rows. A (near) constant variable gives a NaN row instead of ranking round-off.
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
                        foreach (var o in p.Observations)
                            if (o.Descriptors.TryGetValue(descriptor, out var dx) && double.IsFinite(dx)
                                && o.PhenotypesByCompartment.TryGetValue(compartment, out var ph) && ph.TryGetValue(phenotype, out var py) && double.IsFinite(py))
                            {
                                x.Add(dx);
                                y.Add(py);
                            }
                        if (x.Count < 3 || NearlyConstant(x) || NearlyConstant(y))
                        {
                            rows.Add(new AssociationRow(descriptor, phenotype, compartment, "spearman", x.Count, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN));
                            continue;
                        }
                        double rho, lo = double.NaN, hi = double.NaN, pValue;
                        if (p.Bootstrap > 0)
                        {
                            var est = Spearman.WithBootstrap(x.ToArray(), y.ToArray(), p.Bootstrap, Seeds.Rng(Seeds.Child(p.Seed, $"{descriptor}~{phenotype}@{compartment}")));
                            (rho, lo, hi, pValue) = (est.Rho, est.CiLow, est.CiHigh, est.PValue);
                        }
                        else
                        {
                            rho = Spearman.Correlate(x.ToArray(), y.ToArray());
                            pValue = Spearman.PValue(rho, x.Count);
                        }
                        rows.Add(new AssociationRow(descriptor, phenotype, compartment, "spearman", x.Count, rho, lo, hi, pValue, double.NaN));
                    }
        var q = MultipleTesting.BenjaminiHochberg(rows.Select(r => r.P).ToArray());
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
