using System.Diagnostics;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Physics;
using ShapeStudy.Physics.Calcium;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>The stored form of a tetrahedral mesh artifact: the <see cref="Core.TetMesh"/> arrays plus one head/neck/base
/// compartment id per tetrahedron (<see cref="SpineCompartments"/>).</summary>
public sealed record TetMeshArtifact(double[] Vertices, int[] Tetrahedra, int[] TetRegions, int[] BoundaryFaces, int[] FaceMarkers, int[] Compartments)
{
    /// <summary>The mesh.</summary>
    public TetMesh ToMesh() => new(Vertices, Tetrahedra, TetRegions, BoundaryFaces, FaceMarkers);
}

public sealed partial class StageRunner
{
    /// <summary>Halvings of the step tried after a failed FEM run before the run is recorded as failed.</summary>
    public const int MaxDtHalvings = 3;

    private TetMeshResult TetMesh(TetMeshPayload p)
    {
        var surface = ArtifactCodecs.DecodeMesh(store.Get(p.Mesh));
        int[] markers;
        int[]? faceCompartments = null;
        string psdSource;
        if (p.RegionsPath is not null && p.SourcePath is not null)
        {
            var source = ObjFormat.Read(p.SourcePath);
            var regions = SpineRegions.Read(p.RegionsPath, source.TriangleCount);
            string psd = p.PsdRegion ?? Study.Manifest.MeshingSettings.DefaultPsdRegion;
            if (!regions.ContainsKey(psd))
                throw new InvalidDataException($"{p.RegionsPath}: no region \"{psd}\" for the PSD (meshing.psd_region); the file has "
                    + $"{string.Join(", ", regions.Keys.Select(k => $"\"{k}\""))}: set meshing.psd_region to one of them, or remove the file to use the geometric PSD selector");
            markers = SpineRegions.Transfer(source, SpineRegions.FaceMarkers(regions, source.TriangleCount, psd), surface);
            var comps = SpineRegions.FaceCompartments(regions, source.TriangleCount, psd);
            if (comps is not null) faceCompartments = SpineRegions.Transfer(source, comps, surface);
            psdSource = "regions";
        }
        else
        {
            markers = SpineRegions.GeometricPsd(surface, p.PsdTopFraction);
            psdSource = "geometric";
        }
        var stuffing = new StuffingOptions { LatticeSpacingUm = p.LatticeUm };
        if (p.SpineApparatusPath is not null) stuffing = stuffing with { Organelle = ObjFormat.Read(p.SpineApparatusPath) };
        var mesh = IsosurfaceStuffing.Mesh(surface, markers, stuffing);
        if (p.SpineApparatusPath is not null && Array.IndexOf(mesh.TetRegions, CalciumSpineModel.SpineApparatusRegion) < 0)
            throw new InvalidDataException($"{p.ShapeId}: no tetrahedron lies inside the spine apparatus {p.SpineApparatusPath} (outside the shape, or thinner than the lattice); check inputs[].spine_apparatus or use a finer meshing.lattice_um");
        if (Array.IndexOf(mesh.FaceMarkers, BoundaryRegion.Psd) < 0)
            throw new InvalidDataException($"{p.ShapeId}: no boundary face of the tetrahedral mesh lies on the PSD; use a finer meshing.lattice_um");
        int pieces = SpineCompartments.ConnectedComponents(mesh);
        if (pieces > 1)
            throw new InvalidDataException($"{p.ShapeId}: the tetrahedral mesh falls apart into {pieces} pieces at lattice {p.LatticeUm?.ToString("G3") ?? "auto"} µm (a neck thinner than the lattice); set a finer meshing.lattice_um");
        int[] compartments = faceCompartments is not null ? SpineCompartments.FromSurfaceLabels(mesh, surface, faceCompartments) : SpineCompartments.FromAxis(mesh);
        var q = TetMeshQuality.Measure(mesh);
        var space = P1Space.Create(mesh);
        var artifact = new TetMeshArtifact(mesh.Vertices, mesh.Tetrahedra, mesh.TetRegions, mesh.BoundaryFaces, mesh.FaceMarkers, compartments);
        var reference = store.Put(JsonSerializer.SerializeToUtf8Bytes(artifact), "tetmesh");
        return new TetMeshResult(reference, mesh.VertexCount, mesh.TetCount, mesh.BoundaryFaceCount, q.VolumeUm3, q.MinDihedralDeg, q.MaxDihedralDeg,
            mesh.FaceMarkers.Count(m => m == BoundaryRegion.Psd), space.BoundaryArea(BoundaryRegion.Psd), psdSource,
            faceCompartments is not null ? "regions" : "axis");
    }

    /// <summary>
    /// Runs a FEM model on the shape's tetrahedral mesh. The manifest's dt_ms is the output interval and the largest step (steps
    /// adapt below it); a run that fails (<see cref="SimulationFailedException"/>) is retried with dt halved up to
    /// <see cref="MaxDtHalvings"/> times, then reported as an <see cref="InvalidOperationException"/> carrying the last reason (a
    /// deterministic failure: the simulation row is recorded as failed, the study continues).
    /// </summary>
    private SimulateResult SimulateFem(SimulatePayload p, Action<string>? progress = null)
    {
        if (p.TetMesh is null) throw new ArgumentException($"{p.SimId}: model {p.Model} needs a tetrahedral mesh (meshing.volume: tetrahedral)");
        var artifact = JsonSerializer.Deserialize<TetMeshArtifact>(store.Get(p.TetMesh)) ?? throw new InvalidDataException("empty tet mesh artifact");
        var mesh = artifact.ToMesh();
        var clock = Stopwatch.StartNew();
        string? lastReason = null;
        for (int attempt = 0; attempt <= MaxDtHalvings; attempt++)
        {
            double dt = p.DtMs / Math.Pow(2, attempt);
            var report = progress is null ? null : ProgressLine(progress, attempt, dt);
            try
            {
                var r = p.Model switch
                {
                    "calcium_spine" => RunCalcium(mesh, artifact.Compartments, p, dt, report),
                    "diffusion_decay_fem" => RunDiffusionDecayFem(mesh, artifact.Compartments, p, dt, report),
                    _ => throw new ArgumentException($"unknown simulation model '{p.Model}'"),
                };
                return r with
                {
                    SolveSeconds = clock.Elapsed.TotalSeconds,
                    Fem = r.Fem! with { Attempts = attempt + 1 },
                };
            }
            catch (SimulationFailedException e)
            {
                lastReason = $"dt {dt:G3} ms: {e.Message}";
            }
        }
        throw new InvalidOperationException($"{p.SimId}: the {p.Model} run failed with dt_ms = {p.DtMs:G3} and {MaxDtHalvings} halvings; last: {lastReason}");
    }

    /// <summary>One progress line per output time, e.g. "t 12.50/35.00 ms, 418 steps (3 rejected), retry 1 with dt 0.125 ms".</summary>
    private static Action<IntegrationProgress> ProgressLine(Action<string> progress, int attempt, double dt) => s =>
        progress(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"t {s.TimeMs:F2}/{s.EndMs:F2} ms, {s.Steps} steps{(s.RejectedSteps > 0 ? $" ({s.RejectedSteps} rejected)" : "")}{(attempt > 0 ? $", retry {attempt} with dt {dt:G3} ms" : "")}"));

    private SimulateResult RunCalcium(TetMesh mesh, int[] compartments, SimulatePayload p, double dt, Action<IntegrationProgress>? progress)
    {
        CalciumSpineParameters parameters;
        try { parameters = CalciumSpineParameters.FromValues(p.Parameters.Model); }
        catch (ArgumentException e) { throw new ArgumentException($"simulation.parameters: {e.Message}", e); }
        var options = new CalciumRunOptions
        {
            DurationMs = p.DurationMs,
            OutputIntervalMs = p.DtMs,
            Integration = new CalciumRunOptions().Integration with { DtMs = Math.Min(dt, 0.01), MaxDtMs = dt, Progress = progress },
        };
        var r = CalciumSpineSimulation.Run(mesh, compartments, parameters, options);
        // compartments the mesh does not have (zero volume: all-NaN means) are left out, as in the other models
        var means = r.MeanCaUM.Where(kv => r.CompartmentVolumeUm3[kv.Key] > 0).ToDictionary(kv => kv.Key, kv => kv.Value);
        double vTotal = r.CompartmentVolumeUm3.Values.Sum();
        var whole = new double[r.TimesMs.Length];
        foreach (var (name, m) in means)
        {
            double w = r.CompartmentVolumeUm3[name] / vTotal;
            for (int i = 0; i < whole.Length; i++) whole[i] += w * m[i];
        }
        means["whole"] = whole;
        var phen = means.ToDictionary(kv => kv.Key, kv =>
        {
            var c = CalciumSpineSimulation.Summarise(r.TimesMs, kv.Value, parameters.CaRestUM);
            return new TransientValues(c.PeakUM, c.TimeToPeakMs, c.DecayTimeMs, c.AucUMms);
        });
        var ions = r.FreeIons("head", "neck");
        double peakIons = ions.Max(), aucIons = 0;
        for (int i = 1; i < ions.Length; i++) aucIons += 0.5 * (ions[i] + ions[i - 1]) * (r.TimesMs[i] - r.TimesMs[i - 1]) * 1e-3;
        var outputs = new Dictionary<string, double>
        {
            ["head_to_base_gradient_um"] = r.HeadToBaseGradientUM,
            ["spine_peak_ions"] = peakIons,
            ["spine_auc_ions_s"] = aucIons,
            ["spine_volume_um3"] = r.CompartmentVolumeUm3["head"] + r.CompartmentVolumeUm3["neck"],
        };
        var series = store.Put(JsonSerializer.SerializeToUtf8Bytes(new TimeseriesArtifact(r.TimesMs, means)), "timeseries");
        var s = r.Statistics;
        return new SimulateResult(phen, s.Steps, s.LinearIterations, double.NaN, 0, mesh.Volume(), P1Space.Create(mesh).BoundaryArea(BoundaryRegion.Psd), 0, series)
        {
            Fem = new FemSolverStats(s.Steps, s.RejectedSteps, s.NewtonIterations, s.LinearIterations, r.Unknowns, mesh.TetCount, 1, Math.Min(dt, 0.01)),
            Outputs = outputs,
        };
    }

    private SimulateResult RunDiffusionDecayFem(TetMesh mesh, int[] compartments, SimulatePayload p, double dt, Action<IntegrationProgress>? progress)
    {
        var q = p.Parameters;
        var model = new ReactionDiffusionModel(
            [new Species("c", q.DUm2PerMs, 0)],
            q.DecayPerMs > 0 ? [new VolumeReaction("decay", Rates.FirstOrder("c", q.DecayPerMs), new Dictionary<string, double> { ["c"] = -1 })] : [],
            [new BoundaryFlux("influx", BoundaryRegion.Psd, Rates.Pulse(q.InfluxUmUmPerMs, 0, q.PulseMs), new Dictionary<string, double> { ["c"] = 1 })]);
        var options = new TimeIntegrationOptions
        {
            Scheme = TimeScheme.Bdf2, DtMs = dt, Adaptive = false, BreakpointsMs = [q.PulseMs], Progress = progress,
        };
        int n = (int)Math.Ceiling(p.DurationMs / p.DtMs - 1e-9);
        var times = Enumerable.Range(0, n + 1).Select(i => Math.Min(i * p.DtMs, p.DurationMs)).ToArray();
        var system = new ReactionDiffusionSystem(mesh, model, false, true);
        var r = ReactionDiffusionSolver.Run(system, options, times, compartments);
        var means = new Dictionary<string, double[]>();
        var whole = new double[r.TimesMs.Length];
        double vTotal = mesh.Volume();
        for (int c = 0; c < SpineCompartments.Names.Count; c++)
        {
            if (Array.IndexOf(r.Compartments, c) < 0) continue;
            var m = r.Mean("c", c);
            means[SpineCompartments.Names[c]] = m;
            double v = 0;
            for (int t = 0; t < mesh.TetCount; t++) if (compartments[t] == c) v += mesh.TetVolume(t);
            for (int i = 0; i < whole.Length; i++) whole[i] += v / vTotal * m[i];
        }
        means["whole"] = whole;
        var phen = means.ToDictionary(kv => kv.Key, kv =>
        {
            var ph = Phenotypes.FromCurve(r.TimesMs, kv.Value);
            return new TransientValues(ph.Peak, ph.TimeToPeakMs, ph.DecayTimeMs, ph.AucUMms);
        });
        var series = store.Put(JsonSerializer.SerializeToUtf8Bytes(new TimeseriesArtifact(r.TimesMs, means)), "timeseries");
        var s = r.Statistics;
        return new SimulateResult(phen, s.Steps, s.LinearIterations, double.NaN, 0, mesh.Volume(), system.Space.BoundaryArea(BoundaryRegion.Psd), 0, series)
        {
            Fem = new FemSolverStats(s.Steps, s.RejectedSteps, s.NewtonIterations, s.LinearIterations, system.UnknownCount, mesh.TetCount, 1, dt),
        };
    }
}
