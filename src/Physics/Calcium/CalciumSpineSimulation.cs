using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Calcium;

/// <summary>Run settings of <see cref="CalciumSpineSimulation.Run"/> (ms).</summary>
public sealed record CalciumRunOptions
{
    /// <summary>Simulated time (ms, &gt; 0).</summary>
    public double DurationMs { get; init; } = 35;
    /// <summary>Interval between recorded samples (ms, &gt; 0).</summary>
    public double OutputIntervalMs { get; init; } = 0.25;
    /// <summary>Time integration (default: adaptive BDF2 from 0.01 ms, relative tolerance 1e-3, lumped mass so the immobile
    /// species and flux counters stay local and non-negative; inexact Newton: each linear solve to 1e-4 of the current Newton
    /// residual, Newton itself to 1e-8 of its initial residual).</summary>
    public TimeIntegrationOptions Integration { get; init; } = new()
    {
        Scheme = TimeScheme.Bdf2, DtMs = 0.01, Adaptive = true, RelativeTolerance = 1e-3, AbsoluteToleranceUM = 1e-4,
        MaxDtMs = 1.0, LinearRelativeTolerance = 1e-4, LumpedMass = true,
    };
    /// <summary>Add flux counters (see <see cref="CalciumSpineModel.Build"/>) for an exact mass balance.</summary>
    public bool TrackFluxes { get; init; }
    /// <summary>Keep the full fields at the output times (e.g. for VTU export).</summary>
    public bool RecordFields { get; init; }
}

/// <summary>Transient phenotypes of one compartment's mean free Ca²⁺ (µM, ms; decay time from the peak to peak/e above rest).</summary>
public sealed record CalciumPhenotypes(double PeakUM, double TimeToPeakMs, double DecayTimeMs, double AucUMms, double RestUM);

/// <summary>
/// Result of a <c>calcium_spine</c> run: per compartment (<see cref="SpineCompartments.Names"/>) the mean free Ca²⁺ (µM) at
/// each time, its cytosolic volume (µm³) and phenotypes; totals (µM·µm³) of Ca²⁺ (free, buffered, in the spine apparatus);
/// the integrated fluxes when tracked; solver statistics and mesh size.
/// </summary>
public sealed record CalciumSpineResult(
    double[] TimesMs,
    IReadOnlyDictionary<string, double[]> MeanCaUM,
    IReadOnlyDictionary<string, double> CompartmentVolumeUm3,
    IReadOnlyDictionary<string, CalciumPhenotypes> Phenotypes,
    double[] FreeCaAmount,
    double[] BufferedCaAmount,
    double[] SpineApparatusCaAmount,
    double[] MobileBufferTotalAmount,
    double[] ImmobileBufferTotalAmount,
    double[]? InfluxAmount,
    double[]? ExtrusionAmount,
    double[]? UptakeAmount,
    SolverStatistics Statistics,
    int Unknowns,
    int Vertices,
    int Tetrahedra,
    ReactionDiffusionResult Raw)
{
    /// <summary>Ions per µM·µm³ (Avogadro × 10⁻²¹).</summary>
    public const double IonsPerUMUm3 = 602.214;

    /// <summary>Total Ca²⁺ (µM·µm³) at each time: free + bound to both buffers + the spine apparatus's total (free/ξ).</summary>
    public double[] TotalCaAmount()
    {
        var t = new double[TimesMs.Length];
        for (int i = 0; i < t.Length; i++) t[i] = FreeCaAmount[i] + BufferedCaAmount[i] + SpineApparatusCaAmount[i];
        return t;
    }

    /// <summary>Free Ca²⁺ ions at each time in the named compartments (mean × volume × 602.214); a compartment the mesh
    /// does not have (zero volume, mean NaN) adds nothing.</summary>
    public double[] FreeIons(params string[] compartments)
    {
        var n = new double[TimesMs.Length];
        foreach (var c in compartments)
        {
            var m = MeanCaUM[c]; double v = CompartmentVolumeUm3[c];
            if (!(v > 0)) continue;
            for (int i = 0; i < n.Length; i++) n[i] += m[i] * v * IonsPerUMUm3;
        }
        return n;
    }

    /// <summary>Head-minus-base peak difference of mean free Ca²⁺ (µM).</summary>
    public double HeadToBaseGradientUM => Phenotypes["head"].PeakUM - Phenotypes["base"].PeakUM;
}

/// <summary>Runs the <c>calcium_spine</c> model (<see cref="CalciumSpineModel"/>) on a tetrahedral spine mesh.</summary>
public static class CalciumSpineSimulation
{
    /// <summary>
    /// Simulates <paramref name="p"/> on <paramref name="mesh"/> (µm; PSD faces marked <see cref="BoundaryRegion.Psd"/>; with the
    /// spine apparatus when the mesh has tet region 1 and <see cref="BoundaryRegion.Organelle"/> faces) and summarises per
    /// compartment (<paramref name="tetCompartments"/>: <see cref="SpineCompartments"/> ids per tetrahedron).
    /// </summary>
    /// <exception cref="SimulationFailedException">The integrator could not proceed (carries the reason and statistics).</exception>
    public static CalciumSpineResult Run(TetMesh mesh, int[] tetCompartments, CalciumSpineParameters p, CalciumRunOptions options)
    {
        if (!(options.DurationMs > 0) || !double.IsFinite(options.DurationMs)) throw new ArgumentOutOfRangeException("duration_ms", options.DurationMs, "duration_ms must be > 0 ms");
        if (!(options.OutputIntervalMs > 0)) throw new ArgumentOutOfRangeException("output_interval_ms", options.OutputIntervalMs, "output interval must be > 0 ms");
        if (tetCompartments.Length != mesh.TetCount) throw new ArgumentException($"one compartment per tetrahedron is required ({mesh.TetCount}, got {tetCompartments.Length})", nameof(tetCompartments));
        bool hasSa = Array.IndexOf(mesh.TetRegions, CalciumSpineModel.SpineApparatusRegion) >= 0 && Array.IndexOf(mesh.FaceMarkers, BoundaryRegion.Organelle) >= 0;
        bool hasPsd = Array.IndexOf(mesh.FaceMarkers, BoundaryRegion.Psd) >= 0;
        if (!hasPsd) throw new ArgumentException("the mesh has no PSD faces (BoundaryRegion.Psd): calcium_spine needs an influx region", nameof(mesh));
        var model = CalciumSpineModel.Build(p, hasSa, options.TrackFluxes, hasPsd);
        var integration = options.Integration with
        {
            RecordFields = options.RecordFields,
            BreakpointsMs = p.InfluxOnsetMs > 0 ? [p.InfluxOnsetMs] : options.Integration.BreakpointsMs,
        };
        var system = new ReactionDiffusionSystem(mesh, model, integration.LumpedMass, integration.Reorder);
        int nOut = (int)Math.Ceiling(options.DurationMs / options.OutputIntervalMs - 1e-9);
        var times = new double[nOut + 1];
        for (int i = 0; i <= nOut; i++) times[i] = Math.Min(i * options.OutputIntervalMs, options.DurationMs);
        var r = ReactionDiffusionSolver.Run(system, integration, times, tetCompartments);

        var means = new Dictionary<string, double[]>();
        var volumes = new Dictionary<string, double>();
        var phen = new Dictionary<string, CalciumPhenotypes>();
        for (int c = 0; c < SpineCompartments.Names.Count; c++)
        {
            string name = SpineCompartments.Names[c];
            double v = 0;
            for (int t = 0; t < mesh.TetCount; t++)
                if (tetCompartments[t] == c && mesh.TetRegions[t] == CalciumSpineModel.CytosolRegion) v += mesh.TetVolume(t);
            volumes[name] = v;
            var m = Array.IndexOf(r.Compartments, c) >= 0 ? r.Mean(CalciumSpineModel.Ca, c) : Enumerable.Repeat(double.NaN, times.Length).ToArray();
            means[name] = m;
            phen[name] = Summarise(r.TimesMs, m, p.CaRestUM);
        }
        double[] Sum(params string[] species)
        {
            var s = new double[r.TimesMs.Length];
            foreach (var sp in species) { var a = r.Amount(sp); for (int i = 0; i < s.Length; i++) s[i] += a[i]; }
            return s;
        }
        var sa = hasSa ? r.Amount(CalciumSpineModel.CaSa).Select(x => x / p.SaFreeFraction).ToArray() : new double[r.TimesMs.Length];
        return new CalciumSpineResult(r.TimesMs, means, volumes, phen,
            r.Amount(CalciumSpineModel.Ca), Sum(CalciumSpineModel.CaMobileBuffer, CalciumSpineModel.CaImmobileBuffer), sa,
            Sum(CalciumSpineModel.MobileBuffer, CalciumSpineModel.CaMobileBuffer), Sum(CalciumSpineModel.ImmobileBuffer, CalciumSpineModel.CaImmobileBuffer),
            options.TrackFluxes ? r.Amount(CalciumSpineModel.InfluxCounter) : null,
            options.TrackFluxes ? r.Amount(CalciumSpineModel.ExtrusionCounter) : null,
            options.TrackFluxes && hasSa ? r.Amount(CalciumSpineModel.UptakeCounter) : null,
            r.Statistics, system.UnknownCount, mesh.VertexCount, mesh.TetCount, r);
    }

    /// <summary>
    /// Phenotypes of a mean-Ca²⁺ curve: peak (µM), time to peak (ms), decay time from the peak until the excess over
    /// <paramref name="restUM"/> first falls to 1/e of its peak value (ms; NaN when not within the record), and the area under
    /// the curve (µM·ms, trapezoidal, absolute concentration).
    /// </summary>
    public static CalciumPhenotypes Summarise(double[] tMs, double[] c, double restUM)
    {
        if (c.Any(double.IsNaN)) return new(double.NaN, double.NaN, double.NaN, double.NaN, restUM);
        var excess = c.Select(x => x - restUM).ToArray();
        var e = ShapeStudy.Physics.Phenotypes.FromCurve(tMs, excess);
        var whole = ShapeStudy.Physics.Phenotypes.FromCurve(tMs, c);
        return new(whole.Peak, e.TimeToPeakMs, e.DecayTimeMs, whole.AucUMms, restUM);
    }
}
