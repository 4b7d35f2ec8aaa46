using System.Security.Cryptography;
using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Testing;

namespace ShapeStudy.Study.Tests.Manifest;

public sealed class ManifestLoaderTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string FullManifest = """
        schema_version: 1
        study: { id: quickstart, seed: 20261125 }
        inputs:
          - volume: data/gala/train_raw.tif
            spacing_um: [0.01, 0.02, 0.03]
            labels: data/gala/train_labels.tif
            name: gala-train
          - meshes: data/microns-spines/spine_*.obj
            name: microns-spines
          - volume: data/ovule/raw.tiff
        segmentation:
          method: otsu
          sigma_um: 0.01
          foreground: dark
          connectivity: 18
          min_volume_um3: 0.0005
        shape_space:
          representation: descriptors
          model: pca
          modes: 4
          variants_per_cell: 5
          sampling: { kind: gaussian }
        meshing:
          surface: marching_cubes
          smoothing: feature
          smoothing_iterations: 6
          target_edge_um: 0.05
          improve_angles: false
          volume: tetrahedral
          lattice_um: 0.04
        simulation:
          model: diffusion_decay
          duration_ms: 30
          dt_ms: 0.5
          max_voxels: 50000
          parameters:
            d_um2_per_ms: { grid: [0.1, 0.2] }
            decay_per_ms: 0.05
            influx_um_um_per_ms: { loguniform: [1.0, 10.0], samples: 3 }
            pulse_ms: 1.5
        fit:
          parameter: d_um2_per_ms
          observed: simulated
          true_value: 0.2
          noise_sd_um: 0.03
          cell: 1
          prior: { uniform: [0.02, 2.0] }
          sampler: adaptive_metropolis
          chains: 3
          warmup: 300
          draws: 700
        statistics:
          associations:
            - { descriptors: [volume_um3, major_axis_um], phenotypes: [peak_um, time_to_peak_ms, decay_time_ms] }
          bootstrap: 2000
        execution: { max_retries: 3, on_failure: stop, workers: 2 }
        outputs: { dir: results/quickstart }
        """;

    private const string MinimalManifest = """
        schema_version: 1
        study: { id: minimal }
        inputs:
          - volume: data/gala/train_raw.tif
        outputs: { dir: out }
        """;

    private string Abs(string relative) => Path.GetFullPath(Path.Combine(_dir.Root, relative));

    private ManifestLoadResult LoadText(string yaml, string name = "study.yaml") => ManifestLoader.Load(_dir.Write(name, yaml));

    private static string Describe(ManifestLoadResult r) => string.Join("\n", r.Errors);

    [Fact]
    public void FullManifest_ParsesEveryValue_AndResolvesPathsAgainstManifestDirectory()
    {
        _dir.WriteSampleData();
        var path = _dir.Write("study.yaml", FullManifest);
        var result = ManifestLoader.Load(path);

        Assert.True(result.IsValid, Describe(result));
        Assert.Empty(result.Errors);
        var m = result.Manifest!;
        Assert.Equal(1, m.SchemaVersion);
        Assert.Equal(new StudyInfo("quickstart", 20261125UL), m.Study);
        Assert.Equal(path, m.ManifestPath);
        Assert.Equal(_dir.Root, m.ManifestDirectory);

        Assert.Equal(3, m.Inputs.Count);
        var gala = Assert.IsType<VolumeInput>(m.Inputs[0]);
        Assert.Equal("gala-train", gala.Name);
        Assert.Equal(Abs("data/gala/train_raw.tif"), gala.Path);
        Assert.Equal(Abs("data/gala/train_labels.tif"), gala.LabelsPath);
        Assert.Equal(new Spacing(0.01, 0.02, 0.03), gala.SpacingUm);

        var spines = Assert.IsType<MeshInput>(m.Inputs[1]);
        Assert.Equal("microns-spines", spines.Name);
        Assert.Equal(Abs("data/microns-spines/spine_*.obj"), spines.Pattern);
        // sorted, only .obj matches of the glob (not spines_table.csv, not notes_spine.obj.txt)
        Assert.Equal(new[] { 0, 1, 2 }.Select(i => Abs($"data/microns-spines/spine_{i:00}.obj")), spines.Files);

        var ovule = Assert.IsType<VolumeInput>(m.Inputs[2]);
        Assert.Equal("raw", ovule.Name); // default: file stem
        Assert.Null(ovule.SpacingUm);
        Assert.Null(ovule.LabelsPath);
        Assert.Equal(new[] { gala, ovule }, m.VolumeInputs);
        Assert.Equal(new[] { spines }, m.MeshInputs);

        Assert.Equal(new SegmentationSettings(SegmentationMethod.Otsu, 0.01, Foreground.Dark, 18, 0.0005), m.Segmentation);
        Assert.Equal(new ShapeSpaceSettings(ShapeRepresentation.Descriptors, ShapeModelKind.Pca, 4, 5, SamplingKind.Gaussian), m.ShapeSpace);
        Assert.Equal(new MeshingSettings(SurfaceMethod.MarchingCubes, SmoothingMethod.Feature, 6, 0.05, false, MeshVolume.Tetrahedral, 0.04), m.Meshing);
        Assert.Equal(SurfaceMethod.MarchingCubes, m.Meshing.Surface);

        var sim = m.Simulation;
        Assert.Equal(SimulationModel.DiffusionDecay, sim.Model);
        Assert.Equal(30.0, sim.DurationMs);
        Assert.Equal(0.5, sim.DtMs);
        Assert.Equal(50000, sim.MaxVoxels);
        Assert.Equal(new[] { 0.1, 0.2 }, Assert.IsType<ParameterSpec.Grid>(sim.Parameters.DUm2PerMs).Values);
        Assert.Equal(new ParameterSpec.Fixed(0.05), sim.Parameters.DecayPerMs);
        Assert.Equal(new ParameterSpec.LogUniform(1.0, 10.0, 3), sim.Parameters.InfluxUmUmPerMs);
        Assert.Equal(new ParameterSpec.Fixed(1.5), sim.Parameters.PulseMs);
        Assert.Equal(6, sim.Parameters.Count);

        var fit = m.Fit!;
        Assert.Equal("d_um2_per_ms", fit.Parameter);
        Assert.True(fit.UsesSimulatedObservation);
        Assert.Null(fit.ObservedCsvPath);
        Assert.Equal(0.2, fit.TrueValue);
        Assert.Equal(0.03, fit.NoiseSdUm);
        Assert.Equal(1, fit.Cell);
        Assert.Equal(new PriorSpec.Uniform(0.02, 2.0), fit.Prior);
        Assert.Equal(FitSampler.AdaptiveMetropolis, fit.Sampler);
        Assert.Equal((3, 300, 700), (fit.Chains, fit.Warmup, fit.Draws));

        var association = Assert.Single(m.Statistics.Associations);
        Assert.Equal(new[] { "volume_um3", "major_axis_um" }, association.Descriptors);
        Assert.Equal(new[] { "peak_um", "time_to_peak_ms", "decay_time_ms" }, association.Phenotypes);
        Assert.Equal(2000, m.Statistics.Bootstrap);
        Assert.Equal(new ExecutionSettings(3, FailurePolicy.Stop, 2), m.Execution);
        Assert.Equal(2, m.Execution.EffectiveWorkers);
        Assert.Equal(Abs("results/quickstart"), m.Outputs.Dir);

        // provenance: exact text and SHA-256 of the file bytes
        Assert.Equal(File.ReadAllText(path), m.ManifestText);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), m.ManifestHash);
    }

    [Fact]
    public void MinimalManifest_FillsEveryDefault()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest);

        Assert.True(result.IsValid, Describe(result));
        var m = result.Manifest!;
        Assert.Equal(0UL, m.Study.Seed);
        Assert.Equal("train_raw", Assert.IsType<VolumeInput>(Assert.Single(m.Inputs)).Name);
        Assert.Equal(new SegmentationSettings(SegmentationMethod.Otsu, 0.0, Foreground.Bright, 26, 0.0), m.Segmentation);
        Assert.Equal(new ShapeSpaceSettings(ShapeRepresentation.Descriptors, ShapeModelKind.Pca, 3, 2, SamplingKind.Gaussian), m.ShapeSpace);
        Assert.Equal(new MeshingSettings(SurfaceMethod.MarchingCubes, SmoothingMethod.Taubin, 10, null, true, MeshVolume.Surface, null), m.Meshing);
        Assert.Equal(SimulationModel.DiffusionDecay, m.Simulation.Model);
        Assert.Equal((20.0, 0.25, 20000), (m.Simulation.DurationMs, m.Simulation.DtMs, m.Simulation.MaxVoxels));
        Assert.Equal(new ParameterSpec.Fixed(0.22), m.Simulation.Parameters.DUm2PerMs);
        Assert.Equal(new ParameterSpec.Fixed(0.1), m.Simulation.Parameters.DecayPerMs);
        Assert.Equal(new ParameterSpec.Fixed(5.0), m.Simulation.Parameters.InfluxUmUmPerMs);
        Assert.Equal(new ParameterSpec.Fixed(2.0), m.Simulation.Parameters.PulseMs);
        Assert.Null(m.Fit);
        Assert.Empty(m.Statistics.Associations);
        Assert.Equal(1000, m.Statistics.Bootstrap);
        Assert.Equal(new ExecutionSettings(2, FailurePolicy.Continue, 0), m.Execution);
        Assert.Equal(Environment.ProcessorCount, m.Execution.EffectiveWorkers);
        Assert.Equal(Abs("out"), m.Outputs.Dir);
    }

    [Fact]
    public void FitDefaults_AndCsvObservation()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + "\nfit: { observed: data/traces/observed.csv }\n");

        Assert.True(result.IsValid, Describe(result));
        var fit = result.Manifest!.Fit!;
        Assert.False(fit.UsesSimulatedObservation);
        Assert.Equal(Abs("data/traces/observed.csv"), fit.ObservedCsvPath);
        Assert.Null(fit.TrueValue);
        Assert.Equal("d_um2_per_ms", fit.Parameter);
        Assert.Equal(0.02, fit.NoiseSdUm);
        Assert.Equal(0, fit.Cell);
        Assert.Equal(new PriorSpec.Uniform(0.01, 1.0), fit.Prior);
        Assert.Equal((4, 500, 1000), (fit.Chains, fit.Warmup, fit.Draws));
    }

    [Fact]
    public void LogNormalPrior_IsRead()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + "\nfit: { observed: simulated, true_value: 0.3, prior: { lognormal: [-1.5, 0.75] } }\n");

        Assert.True(result.IsValid, Describe(result));
        Assert.Equal(new PriorSpec.LogNormal(-1.5, 0.75), result.Manifest!.Fit!.Prior);
    }

    [Fact]
    public void UnknownKey_WrongType_MissingFile_YieldExactlyThoseThreeErrors()
    {
        _dir.WriteSampleData();
        var path = _dir.Write("study.yaml", """
            schema_version: 1
            study: { id: three-errors }
            inputs:
              - volume: data/gala/missing.tif
            segmentation:
              sigma: 0.01
            shape_space:
              modes: abc
            outputs: { dir: out }
            """);
        var result = ManifestLoader.Load(path);

        Assert.Null(result.Manifest);
        Assert.Equal(3, result.Errors.Count);

        var missing = result.Errors[0];
        Assert.Equal((path, 4, 13, "inputs[0].volume"), (missing.File, missing.Line, missing.Column, missing.Key));
        Assert.Equal($"file not found: {Abs("data/gala/missing.tif")}", missing.Message);

        var unknown = result.Errors[1];
        Assert.Equal((6, 3, "segmentation.sigma"), (unknown.Line, unknown.Column, unknown.Key));
        Assert.Equal("unknown key 'sigma'; expected one of: method, sigma_um, foreground, connectivity, min_volume_um3, h_um, compactness, model, merge_threshold, interior_threshold, train (did you mean 'sigma_um'?)",
            unknown.Message);

        var wrongType = result.Errors[2];
        Assert.Equal((8, 10, "shape_space.modes"), (wrongType.Line, wrongType.Column, wrongType.Key));
        Assert.Equal("expected an integer from 1 to 16, got 'abc'", wrongType.Message);
        Assert.Equal($"{path}:8:10: shape_space.modes: expected an integer from 1 to 16, got 'abc'", wrongType.ToString());
    }

    [Fact]
    public void MeshingOptions_OutOfRange_AreReportedByKey()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 1
            study: { id: m }
            inputs:
              - volume: data/gala/train_raw.tif
            meshing: { smoothing: laplace, smoothing_iterations: 501, target_edge_um: -1, improve_angles: yes, volume: hex, lattice_um: 0 }
            outputs: { dir: out }
            """);
        Assert.False(result.IsValid);
        var keys = result.Errors.Select(e => e.Key).ToArray();
        Assert.Equal(new[] { "meshing.smoothing", "meshing.smoothing_iterations", "meshing.target_edge_um", "meshing.improve_angles", "meshing.volume", "meshing.lattice_um" }, keys);
        Assert.Contains(result.Errors, e => e.Key == "meshing.smoothing" && e.Message.Contains("none, taubin, feature"));
        Assert.Contains(result.Errors, e => e.Key == "meshing.target_edge_um" && e.Message.Contains("positive number (µm)"));
        Assert.All(result.Errors, e => Assert.Equal(5, e.Line));
    }

    [Fact]
    public void OutOfRangeValues_AreEachReported_WithTheExpectedRange()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 2
            study: { id: Bad_Id, seed: -1 }
            inputs:
              - volume: data/gala/train_raw.tif
                spacing_um: [0.01, 0, 0.01]
            segmentation: { sigma_um: -0.5, connectivity: 8 }
            shape_space: { modes: 17, variants_per_cell: 1001 }
            simulation:
              duration_ms: 10
              dt_ms: 12
              max_voxels: 99
              parameters:
                d_um2_per_ms: { loguniform: [0.5, 0.1] }
                decay_per_ms: { grid: [0.1, -0.2] }
                pulse_ms: 0
            fit: { observed: simulated, true_value: 5, prior: { uniform: [0.02, 2.0] }, chains: 1, draws: 9 }
            statistics: { bootstrap: 100001 }
            execution: { max_retries: 11, on_failure: retry, workers: -1 }
            outputs: { dir: out }
            """);

        var expected = new (int Line, int Column, string Key, string Message)[]
        {
            (1, 17, "schema_version", "expected the schema version 1 (the only version this program reads), got 2"),
            (2, 14, "study.id", "expected a study id matching [a-z0-9][a-z0-9_-]* (lowercase letters, digits, '_' and '-', starting with a letter or digit), got 'Bad_Id'"),
            (2, 28, "study.seed", "expected a non-negative integer (at most 18446744073709551615), got -1"),
            (5, 24, "inputs[0].spacing_um[1]", "expected a positive number (µm), got 0"),
            (6, 27, "segmentation.sigma_um", "expected a number >= 0 (µm), got -0.5"),
            (6, 47, "segmentation.connectivity", "expected one of: 6, 18, 26; got '8'"),
            (7, 23, "shape_space.modes", "expected an integer from 1 to 16, got 17"),
            (7, 46, "shape_space.variants_per_cell", "expected an integer from 0 to 1000, got 1001"),
            (10, 10, "simulation.dt_ms", "expected a positive number (ms) <= duration_ms (10), got 12"),
            (11, 15, "simulation.max_voxels", "expected an integer from 100 to 2000000, got 99"),
            (13, 33, "simulation.parameters.d_um2_per_ms.loguniform", "expected a list [low, high] with 0 < low < high, got low 0.5 >= high 0.1"),
            (14, 33, "simulation.parameters.decay_per_ms.grid[1]", "expected a number >= 0 (1/ms), got -0.2"),
            (15, 15, "simulation.parameters.pulse_ms", "expected a positive number (ms), got 0"),
            (16, 41, "fit.true_value", "expected a value inside the prior's support [0.02, 2], got 5"),
            (16, 85, "fit.chains", "expected an integer from 2 to 16, got 1"),
            (16, 95, "fit.draws", "expected an integer from 10 to 1000000, got 9"),
            (17, 26, "statistics.bootstrap", "expected an integer from 0 to 100000, got 100001"),
            (18, 27, "execution.max_retries", "expected an integer from 0 to 10, got 11"),
            (18, 43, "execution.on_failure", "expected one of: continue, stop; got 'retry'"),
            (18, 59, "execution.workers", "expected an integer from 0 to 1024, got -1"),
        };
        Assert.Null(result.Manifest);
        Assert.Equal(expected, result.Errors.Select(e => (e.Line, e.Column, e.Key, e.Message)).ToArray());
    }

    [Fact]
    public void GridSweep_ExpandsToTheCartesianProduct_InDeclaredOrder()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + """

            simulation:
              parameters:
                d_um2_per_ms: { grid: [0.1, 0.2, 0.3] }
                decay_per_ms: { grid: [0, 0.5] }
                influx_um_um_per_ms: 4
            """);
        Assert.True(result.IsValid, Describe(result));

        var sets = result.Manifest!.Simulation.ExpandSweep(seed: 7);
        Assert.Equal(6, sets.Count);
        var expected = new List<(double, double)>();
        foreach (var d in new[] { 0.1, 0.2, 0.3 })
            foreach (var k in new[] { 0.0, 0.5 })
                expected.Add((d, k));
        Assert.Equal(expected, sets.Select(s => (s.DUm2PerMs, s.DecayPerMs)));
        Assert.Equal(Enumerable.Range(0, 6), sets.Select(s => s.Index));
        Assert.All(sets, s => Assert.Equal((4.0, 2.0), (s.InfluxUmUmPerMs, s.PulseMs)));
        Assert.Equal(6, sets.Select(s => s.Canonical).Distinct().Count());
        Assert.Equal("d_um2_per_ms=0.1;decay_per_ms=0;influx_um_um_per_ms=4;pulse_ms=2", sets[0].Canonical);
    }

    [Fact]
    public void LogUniformSweep_IsSeededWithinBounds_AndIndependentOfOtherAxes()
    {
        var logD = new ParameterSpec.LogUniform(0.01, 1.0, 200);
        var one = new SimulationParameters(logD, new ParameterSpec.Fixed(0.1), new ParameterSpec.Fixed(5), new ParameterSpec.Fixed(2));
        var withGrid = one with { PulseMs = new ParameterSpec.Grid(new[] { 1.0, 2.0 }) };

        var a = one.Expand(42).Select(s => s.DUm2PerMs).ToArray();
        var again = one.Expand(42).Select(s => s.DUm2PerMs).ToArray();
        var otherSeed = one.Expand(43).Select(s => s.DUm2PerMs).ToArray();
        var gridded = withGrid.Expand(42);

        Assert.Equal(a, again);
        Assert.NotEqual(a, otherSeed);
        Assert.All(a, v => Assert.InRange(v, 0.01, 1.0));
        // log-uniform: log10 values spread evenly over [-2, 0]; about half fall below 0.1 (binomial sd ≈ 7 of 200)
        int below = a.Count(v => v < 0.1);
        Assert.InRange(below, 70, 130);
        Assert.Equal(400, gridded.Count);
        Assert.Equal(a, gridded.Where(s => s.PulseMs == 1.0).Select(s => s.DUm2PerMs));
    }

    [Fact]
    public void YamlSyntaxError_IsReportedWithItsPosition()
    {
        var path = _dir.Write("study.yaml", """
            schema_version: 1
            study: { id: broken
            inputs: []
            """);
        var result = ManifestLoader.Load(path);

        Assert.Null(result.Manifest);
        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.File);
        Assert.Equal("", error.Key);
        Assert.StartsWith("YAML syntax error: ", error.Message);
        Assert.Equal((2, 8), (error.Line, error.Column));
        Assert.Equal("YAML syntax error: the '{' opened here is not closed by a matching '}'", error.Message);
    }

    [Fact]
    public void BadIndentation_IsASyntaxErrorOnTheOffendingLine()
    {
        var result = LoadText("schema_version: 1\nstudy:\n  id: x\n seed: 3\n");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("YAML syntax error: ", error.Message);
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public void MissingManifestFile_IsAnErrorNamingThePath()
    {
        var path = Path.Combine(_dir.Root, "nope", "study.yaml");
        var result = ManifestLoader.Load(path);

        var error = Assert.Single(result.Errors);
        Assert.Null(result.Manifest);
        Assert.Equal($"manifest file not found: {path}", error.Message);
        Assert.Equal($"{path}: manifest file not found: {path}", error.ToString());
    }

    [Fact]
    public void MissingRequiredKeys_AreReportedAtTheEnclosingMapping()
    {
        var result = LoadText("study: {}\nsegmentation: {}\n");

        var expected = new (int, int, string, string)[]
        {
            (1, 1, "schema_version", "missing required key 'schema_version' (the schema version, 1)"),
            (1, 1, "inputs", "missing required key 'inputs' (a non-empty list of inputs)"),
            (1, 1, "outputs", "missing required key 'outputs' (a mapping with keys: dir)"),
            (1, 8, "study.id", "missing required key 'id' (a study id)"),
        };
        Assert.Equal(expected, result.Errors.Select(e => (e.Line, e.Column, e.Key, e.Message)).ToArray());
    }

    [Fact]
    public void EmptyFile_IsAnError()
    {
        var result = LoadText("# nothing here\n");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("the manifest is empty", error.Message);
    }

    [Fact]
    public void DuplicateKeys_AreErrors()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + "\nexecution:\n  workers: 1\n  workers: 2\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((8, 3, "execution.workers"), (error.Line, error.Column, error.Key));
        Assert.Equal("duplicate key 'workers' (first defined at line 7, column 3)", error.Message);
    }

    [Fact]
    public void InputProblems_FormatsGlobsAndNames_AreAllReportedInOnePass()
    {
        _dir.WriteSampleData();
        _dir.Write("data/em.png", "png");
        var result = LoadText("""
            schema_version: 1
            study: { id: inputs }
            inputs:
              - volume: data/em.png
              - meshes: data/*/spine_00.obj
              - meshes: data/microns-spines/*.stl
              - meshes: data/microns-spines/cell_*.obj
              - meshes: data/nowhere/*.obj
              - volume: data/gala/train_raw.tif
                meshes: data/microns-spines/*.obj
              - name: lonely
              - volume: data/gala/train_raw.tif
                labels: data/gala
              - volume: data/gala/train_raw.tif
                spacing_um: [0.1, 0.1]
              - 42
            outputs: { dir: out }
            """);

        var expected = new (int, int, string, string)[]
        {
            (4, 13, "inputs[0].volume", "unsupported volume format '.png'; supported formats: .tif, .tiff, .mrc, .map, .rec, .st, .ali, .npy"),
            (5, 13, "inputs[1].meshes", "wildcards '*' and '?' are allowed only in the file-name part, got 'data/*/spine_00.obj'"),
            (6, 13, "inputs[2].meshes", "unsupported mesh format '.stl'; supported formats: .obj"),
            (7, 13, "inputs[3].meshes", $"no files match {Abs("data/microns-spines/cell_*.obj")}"),
            (8, 13, "inputs[4].meshes", $"directory not found: {Abs("data/nowhere")}"),
            (9, 5, "inputs[5]", "an input has exactly one of 'volume' or 'meshes', got both; split it into two inputs"),
            (11, 5, "inputs[6]", "expected an input with a 'volume' key (an image volume) or a 'meshes' key (a glob of .obj files), got neither"),
            (13, 13, "inputs[7].labels", $"expected a file, found a directory: {Abs("data/gala")}"),
            (14, 5, "inputs[8].name", "duplicate input name 'train_raw' (also used by inputs[7]); set a distinct 'name'"),
            (15, 17, "inputs[8].spacing_um", "expected a list of 3 positive numbers (z, y, x) in µm, got a list of 2"),
            (16, 5, "inputs[9]", "expected an input mapping with 'volume' or 'meshes', got '42'"),
        };
        Assert.Equal(expected, result.Errors.Select(e => (e.Line, e.Column, e.Key, e.Message)).ToArray());
    }

    [Fact]
    public void TypeErrors_InSectionsParametersAndStatistics()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + """

            segmentation:
            simulation:
              duration_ms: "20"
              parameters:
                d_um2_per_ms: fast
                decay_per_ms: { range: [0, 1] }
                influx_um_um_per_ms: { grid: [] }
            statistics:
              associations:
                - { descriptors: [volume, sphericity, sphericity], phenotypes: [] }
            fit: { observed: data/traces/missing.csv, cell: 1.5 }
            """);

        var expected = new (int, int, string, string)[]
        {
            (6, 14, "segmentation", "expected a mapping with keys: method, sigma_um, foreground, connectivity, min_volume_um3, h_um, compactness, model, merge_threshold, interior_threshold, train; got an empty value (write {} to use all defaults)"),
            (8, 16, "simulation.duration_ms", "expected a positive number (ms), got '20' (a quoted string)"),
            (10, 19, "simulation.parameters.d_um2_per_ms", "expected a positive number (µm²/ms), { grid: [values] } or { loguniform: [low, high], samples: n }, got 'fast'"),
            (11, 19, "simulation.parameters.decay_per_ms", "expected a number >= 0 (1/ms), { grid: [values] } or { loguniform: [low, high], samples: n }, got a mapping with keys: range"),
            (12, 34, "simulation.parameters.influx_um_um_per_ms.grid", "expected a non-empty list of numbers >= 0 (µM·µm/ms), got an empty list"),
            (15, 23, "statistics.associations[0].descriptors[0]", "unknown descriptor 'volume'; expected one of: volume_um3, surface_area_um2, sphericity, equivalent_diameter_um, major_axis_um, mid_axis_um, minor_axis_um, elongation, flatness (did you mean 'volume_um3'?)"),
            (15, 43, "statistics.associations[0].descriptors[2]", "duplicate descriptor 'sphericity'"),
            (15, 68, "statistics.associations[0].phenotypes", "expected a non-empty list of phenotype names (peak_um, time_to_peak_ms, decay_time_ms, auc_um_ms), got an empty list"),
            (16, 18, "fit.observed", $"file not found: {Abs("data/traces/missing.csv")}"),
            (16, 49, "fit.cell", "expected an integer >= 0, got '1.5'"),
        };
        Assert.Equal(expected, result.Errors.Select(e => (e.Line, e.Column, e.Key, e.Message)).ToArray());
    }

    [Fact]
    public void SimulatedFit_WithoutTrueValue_IsAnError()
    {
        _dir.WriteSampleData();
        var result = LoadText(MinimalManifest + "\nfit:\n  observed: simulated\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal((7, 3, "fit.true_value"), (error.Line, error.Column, error.Key));
        Assert.Contains("required when observed is 'simulated'", error.Message);
    }

    [Fact]
    public void OversizedSweep_IsRejected()
    {
        _dir.WriteSampleData();
        var grid = "[" + string.Join(", ", Enumerable.Range(1, 101).Select(i => i.ToString())) + "]";
        var result = LoadText(MinimalManifest + $"\nsimulation:\n  parameters:\n    pulse_ms: {{ grid: {grid} }}\n    influx_um_um_per_ms: {{ grid: {grid} }}\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal("simulation.parameters", error.Key);
        Assert.Equal("the sweep expands to 10201 parameter sets; at most 10000 are allowed", error.Message);
    }

    [Fact]
    public void AbsolutePaths_ToTheBundledRealData_AreAccepted()
    {
        var data = RepoPaths.Data();
        var result = LoadText($"""
            schema_version: 1
            study: {"{"} id: real-data {"}"}
            inputs:
              - volume: {Path.Combine(data, "gala", "train_raw.tif")}
                labels: {Path.Combine(data, "gala", "train_labels.tif")}
              - meshes: {Path.Combine(data, "microns-spines", "spine_??.obj")}
            outputs: {"{"} dir: results {"}"}
            """);

        Assert.True(result.IsValid, Describe(result));
        var spines = Assert.IsType<MeshInput>(result.Manifest!.Inputs[1]);
        Assert.Equal("microns-spines", spines.Name); // default: the glob's directory name
        Assert.Equal(24, spines.Files.Count);
        Assert.Equal(Path.Combine(data, "microns-spines", "spine_00.obj"), spines.Files[0]);
        Assert.Equal(Path.Combine(data, "microns-spines", "spine_23.obj"), spines.Files[^1]);
    }
}
