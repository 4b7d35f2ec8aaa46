using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Study.Tests.Manifest;

public sealed class FemSimulationManifestTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public FemSimulationManifestTests() => _dir.WriteSampleData();

    public void Dispose() => _dir.Dispose();

    private ManifestLoadResult Load(string meshing, string simulation) => ManifestLoader.Load(_dir.Write("study.yaml", $"""
        schema_version: 1
        study: {"{"} id: fem {"}"}
        inputs:
          - meshes: data/microns-spines/spine_*.obj
        meshing: {meshing}
        simulation: {simulation}
        outputs: {"{"} dir: out {"}"}
        """));

    [Fact]
    public void Calcium_spine_parameters_are_swept_in_key_order_and_enter_the_canonical_text()
    {
        var r = Load("{ volume: tetrahedral, lattice_um: 0.1 }",
            "{ model: calcium_spine, duration_ms: 5, dt_ms: 0.05, parameters: { pmca_vmax_um_um_per_ms: { grid: [0.001, 0.01] }, influx_peak_um_um_per_ms: 0.5 } }");
        Assert.Empty(r.Errors);
        var sim = r.Manifest!.Simulation;
        Assert.Equal(SimulationModel.CalciumSpine, sim.Model);
        var sets = sim.ExpandSweep(1);
        Assert.Equal(2, sets.Count);
        Assert.Equal(0.001, sets[0].Model["pmca_vmax_um_um_per_ms"]);
        Assert.Equal(0.01, sets[1].Model["pmca_vmax_um_um_per_ms"]);
        Assert.EndsWith(";influx_peak_um_um_per_ms=0.5;pmca_vmax_um_um_per_ms=0.01", sets[1].Canonical);
    }

    [Fact]
    public void Fem_model_without_tetrahedral_meshing_is_an_error_naming_the_keys()
    {
        var r = Load("{ volume: surface }", "{ model: diffusion_decay_fem }");
        var e = Assert.Single(r.Errors);
        Assert.Equal("simulation.model", e.Key);
        Assert.Contains("meshing.volume: tetrahedral", e.Message);
    }

    [Fact]
    public void The_psd_region_defaults_to_PSD_and_an_empty_name_is_an_error_naming_the_key()
    {
        var fem = "{ model: calcium_spine }";
        Assert.Equal("PSD", Load("{ volume: tetrahedral }", fem).Manifest!.Meshing.PsdRegion);
        Assert.Equal("synapse", Load("{ volume: tetrahedral, psd_region: synapse }", fem).Manifest!.Meshing.PsdRegion);
        var e = Assert.Single(Load("{ volume: tetrahedral, psd_region: '' }", fem).Errors);
        Assert.Equal("meshing.psd_region", e.Key);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Impossible_and_unknown_calcium_parameters_name_their_keys()
    {
        var r = Load("{ volume: tetrahedral }", "{ model: calcium_spine, dt_ms: 0, parameters: { d_ca_um2_per_ms: -0.2, pmca_speed: 3 } }");
        var keys = r.Errors.Select(e => e.Key).ToArray();
        Assert.Contains("simulation.dt_ms", keys);
        Assert.Contains("simulation.parameters.d_ca_um2_per_ms", keys);
        Assert.Contains(r.Errors, e => e.Message.Contains("pmca_speed"));
        // calcium keys are not accepted by the voxel model
        var v = Load("{ volume: surface }", "{ model: diffusion_decay, parameters: { pmca_k_um: 0.4 } }");
        Assert.Contains(v.Errors, e => e.Message.Contains("pmca_k_um"));
    }

    [Fact]
    public void Spine_apparatus_surface_is_resolved_and_a_missing_or_non_obj_file_names_the_key()
    {
        ManifestLoadResult With(string sa) => ManifestLoader.Load(_dir.Write("study.yaml", $"""
            schema_version: 1
            study: {"{"} id: fem {"}"}
            inputs:
              - meshes: data/microns-spines/spine_*.obj
                spine_apparatus: {sa}
            meshing: {"{"} volume: tetrahedral {"}"}
            simulation: {"{"} model: calcium_spine {"}"}
            outputs: {"{"} dir: out {"}"}
            """));
        var ok = With("data/microns-spines/spine_00.obj");
        Assert.Empty(ok.Errors);
        var input = Assert.IsType<MeshInput>(Assert.Single(ok.Manifest!.Inputs));
        Assert.Equal(Path.GetFullPath(Path.Combine(_dir.Root, "data", "microns-spines", "spine_00.obj")), input.SpineApparatusPath);
        var missing = Assert.Single(With("data/microns-spines/no_such_sa.obj").Errors);
        Assert.Equal("inputs[0].spine_apparatus", missing.Key);
        Assert.Contains("file not found", missing.Message);
        Assert.Equal("inputs[0].spine_apparatus", Assert.Single(With("data/microns-spines/sa.stl").Errors).Key);
    }
}
