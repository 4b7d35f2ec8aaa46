using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Study.Pipeline;

/// <summary>Lifecycle of a cell, shape or simulation in the plan.</summary>
public enum EntityStatus { Pending, Done, Failed }

/// <summary>A real cell: a segmented object of a volume input, or one input surface mesh.</summary>
public sealed class CellState
{
    public required string CellId { get; init; }
    public required string Input { get; init; }
    public required string SourceFile { get; init; }
    /// <summary>Label in the segmentation (volume inputs) or -1 (mesh inputs).</summary>
    public int Label { get; init; } = -1;
    public required string Kind { get; init; }
    public long Voxels { get; set; }
    public EntityStatus Status { get; set; } = EntityStatus.Pending;
    public string? Error { get; set; }
}

/// <summary>A real or synthetic shape and what the pipeline knows of it so far.</summary>
public sealed class ShapeState
{
    public required string ShapeId { get; init; }
    public required string CellId { get; init; }
    public required bool Synthetic { get; init; }
    public VariantPlan? Variant { get; init; }
    public ArtifactRef? Mask { get; set; }
    public ArtifactRef? Mesh { get; set; }
    public MeshQuality? Quality { get; set; }
    /// <summary>The tetrahedral mesh (FEM simulation models), once made.</summary>
    public TetMeshResult? TetMesh { get; set; }
    public DescriptorSet? Descriptors { get; set; }
    public EntityStatus Status { get; set; } = EntityStatus.Pending;
    public string? Error { get; set; }
}

/// <summary>One simulation run of a shape with one parameter set.</summary>
public sealed class SimulationState
{
    public required string SimId { get; init; }
    public required string ShapeId { get; init; }
    public required ParameterSet Parameters { get; init; }
    public SimulateResult? Result { get; set; }
    public EntityStatus Status { get; set; } = EntityStatus.Pending;
    public string? Error { get; set; }
}

/// <summary>
/// The study as a dependency graph that unfolds as results arrive: a pure state machine with no I/O. The
/// coordinator feeds it committed (or cached) results and failures; it answers with the tasks that became ready.
/// Segment/load → surface → describe → shape model → variants → surface → describe; every shape → simulate;
/// all shapes done → associations; the chosen cell's domain → fit (surrogate fits: design runs → fit).
/// </summary>
public sealed class StudyPlan
{
    private readonly StudyManifest _m;
    private readonly Func<string, string> _fileHash;
    private readonly IReadOnlyList<ParameterSet> _sweep;
    private readonly Dictionary<string, PlannedTask> _tasks = new();
    private readonly HashSet<string> _outstanding = new();
    private readonly Dictionary<string, string> _spineApparatus = new(); // cell id → spine-apparatus surface of its input
    // Incremental counts so that each result is applied in O(1) (a study may have 10,000s of simulations).
    private readonly Dictionary<string, int> _outstandingByStage = new();
    private readonly Dictionary<string, int> _pendingSimulations = new();   // by shape id
    private int _inputsPending;
    private bool _shapeModelResolved, _associationsEmitted, _fitEmitted;
    private FitPayload? _fitPayload;
    private FitDesignResult?[]? _fitDesign;   // surrogate fits: design results by point index

    public StudyPlan(StudyManifest manifest, Func<string, string> fileHash)
    {
        _m = manifest;
        _fileHash = fileHash;
        _sweep = manifest.Simulation.ExpandSweep(Seeds.Child(manifest.Study.Seed, "simulation"));
        _fem = manifest.Simulation.Model != SimulationModel.DiffusionDecay;
    }

    private readonly bool _fem;

    /// <summary>Fraction of a surface's extent along its major axis taken as PSD when a mesh has no regions file.</summary>
    public const double GeometricPsdTopFraction = 0.1;

    /// <summary>The manifest's model name as written (diffusion_decay, diffusion_decay_fem, calcium_spine).</summary>
    public static string ModelName(SimulationModel m) => m switch
    {
        SimulationModel.DiffusionDecayFem => "diffusion_decay_fem",
        SimulationModel.CalciumSpine => "calcium_spine",
        _ => "diffusion_decay",
    };

    public Dictionary<string, CellState> Cells { get; } = new();
    public Dictionary<string, ShapeState> Shapes { get; } = new();
    public Dictionary<string, SimulationState> Simulations { get; } = new();
    public Dictionary<string, SegmentResult> Segmentations { get; } = new();
    public Dictionary<string, string> InputErrors { get; } = new();
    public ShapeModelResult? ShapeModel { get; private set; }
    public AssociateResult? Associations { get; private set; }
    public FitResult? Fit { get; private set; }
    public string? GlobalError { get; private set; }

    /// <summary>Every task the plan has emitted, by key, in emission order.</summary>
    public IReadOnlyCollection<PlannedTask> Tasks => _tasks.Values;

    /// <summary>True when no task is outstanding and nothing more can become ready.</summary>
    public bool IsComplete => _outstanding.Count == 0;

    public IReadOnlyList<ParameterSet> Sweep => _sweep;

    /// <summary>The initial tasks: one segmentation per volume input, one load per mesh file.</summary>
    public IReadOnlyList<PlannedTask> Start()
    {
        var ready = new List<PlannedTask>();
        foreach (var input in _m.Inputs)
        {
            switch (input)
            {
                case VolumeInput v:
                    _inputsPending++;
                    var s = _m.Segmentation;
                    if (s.Train is { } train)
                    {
                        // the segment tasks wait for the trained model (OnTrainedSegmenter)
                        if (!ready.Any(t => t.Stage == Stages.TrainSegmenter))
                            ready.Add(Emit(Stages.TrainSegmenter, "segmentation", new TrainSegmenterPayload(train.RawPath, _fileHash(train.RawPath),
                                train.LabelsPath, _fileHash(train.LabelsPath), train.SpacingUm is { } ts ? new[] { ts.Z, ts.Y, ts.X } : null,
                                train.Slices?.ToArray(), train.Trees, train.MaxSamples, _m.Study.Seed)
                            {
                                Method = s.Method.ToString().ToLowerInvariant(),
                                ZeroIsBackground = train.ZeroLabel == ZeroLabelMeaning.Background,
                                UNet = train.UNet,
                            }, p => p with { RawPath = null, LabelsPath = null }));
                        break;
                    }
                    ready.Add(EmitSegment(v, s.ModelPath is { } model ? new LearnedModel(model, _fileHash(model), s.InteriorThreshold, s.MergeThreshold) : null));
                    break;
                case MeshInput mi:
                    foreach (var file in mi.Files)
                    {
                        _inputsPending++;
                        var cellId = $"{mi.Name}/{Path.GetFileNameWithoutExtension(file)}";
                        Cells[cellId] = new CellState { CellId = cellId, Input = mi.Name, SourceFile = file, Kind = "surface_mesh" };
                        if (mi.SpineApparatusPath is not null) _spineApparatus[cellId] = mi.SpineApparatusPath;
                        Shapes[RealShapeId(cellId)] = new ShapeState { ShapeId = RealShapeId(cellId), CellId = cellId, Synthetic = false };
                        ready.Add(Emit(Stages.LoadMesh, cellId, new LoadMeshPayload(cellId, file, _fileHash(file), _m.Simulation.MaxVoxels, MeshConditioning.From(_m.Meshing)),
                            p => p with { Path = "" }));
                    }
                    break;
            }
        }
        ready.AddRange(Advance());
        return ready;
    }

    private PlannedTask EmitSegment(VolumeInput v, LearnedModel? learned)
    {
        var s = _m.Segmentation;
        return Emit(Stages.Segment, v.Name, new SegmentPayload(v.Name, v.Path, _fileHash(v.Path),
            v.SpacingUm is { } sp ? new[] { sp.Z, sp.Y, sp.X } : null, v.LabelsPath,
            v.LabelsPath is null ? null : _fileHash(v.LabelsPath), s.Method.ToString().ToLowerInvariant(), s.SigmaUm,
            s.Foreground == Foreground.Bright, s.Connectivity, s.MinVolumeUm3, s.HUm, s.Compactness) { Learned = learned },
            p => p with { Path = "", LabelsPath = null, Learned = p.Learned is null ? null : p.Learned with { Path = null } });
    }

    /// <summary>The study's rf or unet model is trained: one segment task per volume input, with the model artifact and its hash.</summary>
    private IEnumerable<PlannedTask> OnTrainedSegmenter(TrainSegmenterResult r)
    {
        var s = _m.Segmentation;
        foreach (var v in _m.VolumeInputs)
            yield return EmitSegment(v, new LearnedModel(null, r.ModelSha256, s.InteriorThreshold, s.MergeThreshold) { Artifact = r.Model });
    }

    /// <summary>Applies a committed (or cached) result and returns the tasks that became ready.</summary>
    public IReadOnlyList<PlannedTask> OnCommitted(string key, string resultJson)
    {
        if (!_outstanding.Remove(key)) return Array.Empty<PlannedTask>();
        var task = _tasks[key];
        _outstandingByStage[task.Stage]--;
        var ready = new List<PlannedTask>();
        switch (task.Stage)
        {
            case Stages.Segment: ready.AddRange(OnSegment(task, StageJson.Read<SegmentResult>(resultJson))); break;
            case Stages.TrainSegmenter: ready.AddRange(OnTrainedSegmenter(StageJson.Read<TrainSegmenterResult>(resultJson))); break;
            case Stages.LoadMesh: ready.AddRange(OnLoadMesh(task, StageJson.Read<LoadMeshResult>(resultJson))); break;
            case Stages.Surface:
            {
                var r = StageJson.Read<SurfaceResult>(resultJson);
                var shape = Shapes[task.Subject];
                shape.Mesh = r.Mesh; shape.Quality = r.Quality;
                ready.Add(Emit(Stages.Describe, shape.ShapeId, new DescribePayload(shape.ShapeId, shape.Mask!, r.Mesh, false)));
                if (_fem) ready.AddRange(EmitSimulations(shape));
                break;
            }
            case Stages.Describe:
                Shapes[task.Subject].Descriptors = StageJson.Read<DescriptorSet>(resultJson);
                UpdateShapeStatus(Shapes[task.Subject]);
                break;
            case Stages.ShapeModel: ready.AddRange(OnShapeModel(StageJson.Read<ShapeModelResult>(resultJson))); break;
            case Stages.Variant:
            {
                var shape = Shapes[task.Subject];
                shape.Mask = StageJson.Read<VariantResult>(resultJson).Mask;
                ready.Add(Emit(Stages.Surface, shape.ShapeId, new SurfacePayload(shape.ShapeId, shape.Mask, MeshConditioning.From(_m.Meshing))));
                ready.AddRange(EmitSimulations(shape));
                break;
            }
            case Stages.TetMesh:
            {
                var shape = Shapes[task.Subject];
                shape.TetMesh = StageJson.Read<TetMeshResult>(resultJson);
                ready.AddRange(EmitSimulations(shape));
                UpdateShapeStatus(shape);
                break;
            }
            case Stages.Simulate:
            {
                var sim = Simulations[task.Subject];
                sim.Result = StageJson.Read<SimulateResult>(resultJson);
                if (sim.Status == EntityStatus.Pending) _pendingSimulations[sim.ShapeId]--;
                sim.Status = EntityStatus.Done;
                UpdateShapeStatus(Shapes[sim.ShapeId]);
                break;
            }
            case Stages.Associate: Associations = StageJson.Read<AssociateResult>(resultJson); break;
            case Stages.Fit: Fit = StageJson.Read<FitResult>(resultJson); break;
            case Stages.FitDesign:
                ready.AddRange(OnFitDesign(StageJson.Read<FitDesignPayload>(task.PayloadJson), StageJson.Read<FitDesignResult>(resultJson)));
                break;
        }
        ready.AddRange(Advance());
        return ready;
    }

    /// <summary>Applies a task's final failure (after retries) and returns the tasks that became ready.</summary>
    public IReadOnlyList<PlannedTask> OnFailed(string key, string error)
    {
        if (!_outstanding.Remove(key)) return Array.Empty<PlannedTask>();
        var task = _tasks[key];
        _outstandingByStage[task.Stage]--;
        switch (task.Stage)
        {
            case Stages.Segment:
                InputErrors[task.Subject] = error;
                _inputsPending--;
                break;
            case Stages.TrainSegmenter:
                foreach (var v in _m.VolumeInputs)
                {
                    InputErrors[v.Name] = $"{Stages.TrainSegmenter}: {error}";
                    _inputsPending--;
                }
                break;
            case Stages.LoadMesh:
                _inputsPending--;
                FailShape(Shapes[RealShapeId(task.Subject)], error);
                break;
            case Stages.Surface or Stages.Describe or Stages.Variant or Stages.TetMesh:
                FailShape(Shapes[task.Subject], error);
                break;
            case Stages.Simulate:
                var sim = Simulations[task.Subject];
                if (sim.Status == EntityStatus.Pending) _pendingSimulations[sim.ShapeId]--;
                sim.Status = EntityStatus.Failed;
                sim.Error = error;
                UpdateShapeStatus(Shapes[sim.ShapeId]);
                break;
            case Stages.ShapeModel or Stages.Associate or Stages.Fit or Stages.FitDesign:
                GlobalError ??= $"{task.Stage}: {error}";
                break;
        }
        return Advance();
    }

    private IEnumerable<PlannedTask> OnSegment(PlannedTask task, SegmentResult r)
    {
        _inputsPending--;
        Segmentations[task.Subject] = r;
        var input = _m.VolumeInputs.First(v => v.Name == task.Subject);
        foreach (var o in r.Objects)
        {
            var cellId = $"{task.Subject}/{o.Label:D4}";
            Cells[cellId] = new CellState { CellId = cellId, Input = task.Subject, SourceFile = input.Path, Label = o.Label, Kind = "volume_object", Voxels = o.Voxels };
            var shape = new ShapeState { ShapeId = RealShapeId(cellId), CellId = cellId, Synthetic = false, Mask = o.Mask };
            Shapes[shape.ShapeId] = shape;
            yield return Emit(Stages.Surface, shape.ShapeId, new SurfacePayload(shape.ShapeId, o.Mask, MeshConditioning.From(_m.Meshing)));
            foreach (var t in EmitSimulations(shape)) yield return t;
        }
    }

    private IEnumerable<PlannedTask> OnLoadMesh(PlannedTask task, LoadMeshResult r)
    {
        _inputsPending--;
        var shape = Shapes[RealShapeId(task.Subject)];
        shape.Mask = r.Mask; shape.Mesh = r.Mesh; shape.Quality = r.Quality;
        Cells[task.Subject].Voxels = r.Voxels;
        yield return Emit(Stages.Describe, shape.ShapeId, new DescribePayload(shape.ShapeId, r.Mask, r.Mesh, true));
        foreach (var t in EmitSimulations(shape)) yield return t;
    }

    private IEnumerable<PlannedTask> OnShapeModel(ShapeModelResult r)
    {
        ShapeModel = r;
        foreach (var v in r.Variants)
        {
            var parent = Shapes[RealShapeId(v.CellId)];
            if (parent.Status == EntityStatus.Failed || parent.Descriptors is null) continue;
            var id = $"{v.CellId}/v{v.Index:D3}";
            if (v.Rejection is not null)
            {
                // A rejected sample is recorded with its reason and goes no further.
                Shapes[id] = new ShapeState { ShapeId = id, CellId = v.CellId, Synthetic = true, Variant = v, Status = EntityStatus.Failed,
                    Error = "rejected sample: " + v.Rejection };
                continue;
            }
            var shape = new ShapeState { ShapeId = id, CellId = v.CellId, Synthetic = true, Variant = v };
            Shapes[id] = shape;
            yield return Emit(Stages.Variant, id, new VariantPayload(id, parent.Mask!, parent.Descriptors, v));
        }
    }

    private IEnumerable<PlannedTask> EmitSimulations(ShapeState shape)
    {
        var s = _m.Simulation;
        if (_fem)
        {
            // FEM models simulate on the tetrahedral mesh: make it first (once the surface exists), then the runs
            if (shape.Mesh is null) yield break;
            if (shape.TetMesh is null)
            {
                string? source = null, regions = null;
                if (!shape.Synthetic && Cells.TryGetValue(shape.CellId, out var cell) && cell.Kind == "surface_mesh")
                {
                    var candidate = Path.Combine(Path.GetDirectoryName(cell.SourceFile)!, Path.GetFileNameWithoutExtension(cell.SourceFile) + "_regions.json");
                    if (File.Exists(candidate)) { source = cell.SourceFile; regions = candidate; }
                }
                string? sa = shape.Synthetic ? null : _spineApparatus.GetValueOrDefault(shape.CellId);
                yield return Emit(Stages.TetMesh, shape.ShapeId, new TetMeshPayload(shape.ShapeId, shape.Mesh, _m.Meshing.LatticeUm,
                    source, source is null ? null : _fileHash(source), regions, regions is null ? null : _fileHash(regions), GeometricPsdTopFraction)
                    {
                        SpineApparatusPath = sa, SpineApparatusSha256 = sa is null ? null : _fileHash(sa),
                        PsdRegion = _m.Meshing.PsdRegion == MeshingSettings.DefaultPsdRegion ? null : _m.Meshing.PsdRegion,
                    },
                    p => p with { SourcePath = null, RegionsPath = null, SpineApparatusPath = null });
                yield break;
            }
            foreach (var p in _sweep)
            {
                var simId = $"{shape.ShapeId}/p{p.Index:D2}";
                if (!Simulations.TryGetValue(simId, out var earlier) || earlier.Status != EntityStatus.Pending)
                    _pendingSimulations[shape.ShapeId] = _pendingSimulations.GetValueOrDefault(shape.ShapeId) + 1;
                Simulations[simId] = new SimulationState { SimId = simId, ShapeId = shape.ShapeId, Parameters = p };
                yield return Emit(Stages.Simulate, simId, new SimulatePayload(simId, shape.Mask ?? shape.Mesh, p, s.DurationMs, s.DtMs, s.MaxVoxels)
                    { Model = ModelName(s.Model), TetMesh = shape.TetMesh.TetMesh });
            }
            yield break;
        }
        foreach (var p in _sweep)
        {
            var simId = $"{shape.ShapeId}/p{p.Index:D2}";
            if (!Simulations.TryGetValue(simId, out var previous) || previous.Status != EntityStatus.Pending)
                _pendingSimulations[shape.ShapeId] = _pendingSimulations.GetValueOrDefault(shape.ShapeId) + 1;
            Simulations[simId] = new SimulationState { SimId = simId, ShapeId = shape.ShapeId, Parameters = p };
            yield return Emit(Stages.Simulate, simId, new SimulatePayload(simId, shape.Mask!, p, s.DurationMs, s.DtMs, s.MaxVoxels));
        }
    }

    /// <summary>Emits the global tasks whose inputs are complete.</summary>
    private List<PlannedTask> Advance()
    {
        var ready = new List<PlannedTask>();
        if (_inputsPending > 0) return ready;
        List<ShapeState>? realShapes = null;
        List<ShapeState> Real() => realShapes ??= Shapes.Values.Where(s => !s.Synthetic).OrderBy(s => s.ShapeId, StringComparer.Ordinal).ToList();

        if (!_fitEmitted && _m.Fit is { } fit)
        {
            _fitEmitted = true;
            var candidates = Real().Where(s => s.Mask is not null).ToList();
            if (fit.Cell < candidates.Count)
            {
                var target = candidates[fit.Cell];
                var (lo, hi, logNormal) = fit.Prior switch
                {
                    PriorSpec.Uniform u => (u.Low, u.High, false),
                    PriorSpec.LogNormal l => (l.Mu, l.Sigma, true),
                    _ => throw new InvalidOperationException("unknown prior"),
                };
                _fitPayload = new FitPayload(target.CellId, target.Mask!, _sweep[0], _m.Simulation.DurationMs,
                    _m.Simulation.DtMs, Math.Min(_m.Simulation.MaxVoxels, FitMaxVoxels), fit.ObservedCsvPath,
                    fit.ObservedCsvPath is null ? null : _fileHash(fit.ObservedCsvPath), fit.TrueValue, fit.NoiseSdUm, lo, hi, logNormal,
                    fit.Chains, fit.Warmup, fit.Draws, Seeds.Child(_m.Study.Seed, "fit"));
                if (fit.Method == FitMethod.Surrogate)
                {
                    // the design's simulator runs are separate tasks (spread over the workers or the cluster); the fit follows them
                    var f = _fitPayload;
                    _fitDesign = new FitDesignResult?[fit.DesignPoints];
                    for (int i = 0; i < fit.DesignPoints; i++)
                        ready.Add(Emit(Stages.FitDesign, $"{target.CellId}/d{i:D3}", new FitDesignPayload(f.CellId, f.Mask, f.Base, f.DurationMs, f.DtMs,
                            f.MaxVoxels, lo, hi, logNormal, i, fit.DesignPoints, f.Seed)));
                }
                else
                {
                    ready.Add(EmitFit(_fitPayload));
                }
            }
            else
            {
                GlobalError = $"fit: fit.cell = {fit.Cell} but the study has only {candidates.Count} real shapes";
            }
        }

        if (!_shapeModelResolved && Real().All(s => s.Status == EntityStatus.Failed || s.Descriptors is not null))
        {
            _shapeModelResolved = true;
            var described = Real().Where(s => s.Status != EntityStatus.Failed && s.Descriptors is not null).ToList();
            if (_m.ShapeSpace.VariantsPerCell > 0 && described.Count >= 2)
            {
                var payload = new ShapeModelPayload(described.Select(s => s.CellId).ToList(),
                    described.Select(s => s.Descriptors!).ToList(), _m.ShapeSpace.Modes, _m.ShapeSpace.VariantsPerCell,
                    Seeds.Child(_m.Study.Seed, "shape_model"));
                if (_m.ShapeSpace.Representation == ShapeRepresentation.SphericalHarmonics)
                    payload = payload with { Meshes = described.Select(s => s.Mesh!).ToList(), Harmonics = HarmonicShapeSpace.From(_m.ShapeSpace) };
                ready.Add(Emit(Stages.ShapeModel, "study", payload));
            }
        }

        if (!_associationsEmitted && _m.Statistics.Associations.Count > 0 && _shapeModelResolved
            && _outstandingByStage.GetValueOrDefault(Stages.ShapeModel) == 0 && Shapes.Values.All(s => s.Status != EntityStatus.Pending))
        {
            _associationsEmitted = true;
            var observations = new List<AssociationObservation>();
            foreach (var shape in Shapes.Values.Where(s => s.Status == EntityStatus.Done).OrderBy(s => s.ShapeId, StringComparer.Ordinal))
            {
                var sim = Simulations.Values.FirstOrDefault(x => x.ShapeId == shape.ShapeId && x.Parameters.Index == 0 && x.Result is not null);
                if (sim?.Result is null || shape.Descriptors is null) continue;
                observations.Add(new AssociationObservation(shape.ShapeId, shape.Descriptors.Values, PhenotypeValues(sim.Result)));
            }
            if (observations.Count >= 3)
                ready.Add(Emit(Stages.Associate, "study", new AssociatePayload(observations, _m.Statistics.Associations,
                    _m.Statistics.Bootstrap, Seeds.Child(_m.Study.Seed, "associations"))));
            else
                GlobalError ??= $"associate: only {observations.Count} shapes completed; at least 3 are needed";
        }
        return ready;
    }

    private PlannedTask EmitFit(FitPayload payload) => Emit(Stages.Fit, payload.CellId, payload, p => p with { ObservedCsvPath = null });

    /// <summary>Records one design run of a surrogate fit; when the design is complete, emits the fit with its traces.</summary>
    private IEnumerable<PlannedTask> OnFitDesign(FitDesignPayload p, FitDesignResult r)
    {
        _fitDesign![p.Index] = r;
        if (_fitDesign.Any(d => d is null)) yield break;
        yield return EmitFit(_fitPayload! with
        {
            Design = _fitDesign.Select(d => d!.Value).ToArray(),
            DesignTraces = _fitDesign.Select(d => d!.FarTraceUm).ToArray(),
        });
    }

    /// <summary>Largest simulation domain for the fit's many simulator calls (voxels).</summary>
    public const int FitMaxVoxels = 3000;

    /// <summary>The phenotype values of a simulation by compartment, named as in the manifest (peak_um, …).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PhenotypeValues(SimulateResult r) =>
        r.Phenotypes.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["peak_um"] = kv.Value.PeakUM, ["time_to_peak_ms"] = kv.Value.TimeToPeakMs, ["decay_time_ms"] = kv.Value.DecayTimeMs,
            ["auc_um_ms"] = kv.Value.AucUMms,
        });

    public static string RealShapeId(string cellId) => cellId + "/real";

    private void FailShape(ShapeState shape, string error)
    {
        shape.Status = EntityStatus.Failed;
        shape.Error = error;
        if (!shape.Synthetic && Cells.TryGetValue(shape.CellId, out var cell))
        {
            cell.Status = EntityStatus.Failed;
            cell.Error = error;
        }
    }

    private void UpdateShapeStatus(ShapeState shape)
    {
        if (shape.Status == EntityStatus.Failed || shape.Descriptors is null) return;
        if (_fem && shape.TetMesh is null) return;
        if (_pendingSimulations.GetValueOrDefault(shape.ShapeId) > 0) return;
        shape.Status = EntityStatus.Done;
        if (!shape.Synthetic && Cells.TryGetValue(shape.CellId, out var cell) && cell.Status == EntityStatus.Pending)
            cell.Status = EntityStatus.Done;
    }

    private PlannedTask Emit<T>(string stage, string subject, T payload, Func<T, T>? keyView = null)
    {
        var json = StageJson.Write(payload);
        var keyJson = keyView is null ? json : StageJson.Write(keyView(payload));
        var key = TaskKeys.Compute(stage, Stages.VersionOf(stage), keyJson, Array.Empty<string>(), _m.Study.Seed);
        var task = new PlannedTask(key, stage, subject, json);
        if (_tasks.TryAdd(key, task))
        {
            _outstanding.Add(key);
            _outstandingByStage[stage] = _outstandingByStage.GetValueOrDefault(stage) + 1;
        }
        else task = _tasks[key];
        return task;
    }
}
