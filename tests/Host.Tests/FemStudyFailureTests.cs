using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// Finite-element studies on the real mushroom spine with its PSD that cannot run as asked: a sweep whose second parameter
/// set cannot be integrated (an influx so large that its square overflows: every step is rejected at every size) is
/// retried with dt_ms halved three times, then recorded as failed with the reason while the other simulation, the cell and
/// the study complete; a PSD region the spine's regions file does not have fails the shape with a message naming
/// <c>meshing.psd_region</c>.
/// </summary>
public sealed class FemStudyFailureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-fem-failure-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteManifest(string meshing, string parameters)
    {
        var manifest = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(manifest, $$"""
            schema_version: 1
            study: { id: fem-failure, seed: 5 }
            inputs:
              - meshes: {{RepoPaths.Data("rangamani-spine", "real_Mushroom_dendrite.obj")}}
                name: spine
            shape_space: { variants_per_cell: 0 }
            meshing: { surface: marching_cubes, volume: tetrahedral, lattice_um: 0.08{{meshing}} }
            simulation:
              model: calcium_spine
              duration_ms: 2
              dt_ms: 0.5
              parameters: {{parameters}}
            execution: { max_retries: 1, on_failure: continue }
            outputs: { dir: out }
            """);
        return manifest;
    }

    [Fact]
    public async Task ADivergingSimulationIsRecordedAsFailedWithItsReasonAndTheStudyCompletes()
    {
        var manifest = WriteManifest("", "{ influx_peak_um_um_per_ms: { grid: [0.35, 1.0e300] } }");
        var (code, stdout, stderr) = await CliCapture.Run("run", manifest, "--plain", "--no-dashboard");
        Assert.True(code == 0, stdout + stderr);
        Assert.True(stdout.Contains("FAILED simulate", StringComparison.Ordinal), stdout);

        using var db = Duck.Open();
        string sims = Path.Combine(_dir, "out", "simulations.parquet"), cells = Path.Combine(_dir, "out", "cells.parquet");
        Assert.Equal("done", db.Scalar($"SELECT status FROM '{sims}' WHERE parameter_set = 0"));
        Assert.True(db.Count($"SELECT count(*) FROM '{sims}' WHERE parameter_set = 0 AND spine_peak_ions > 0") == 1);
        Assert.Equal("failed", db.Scalar($"SELECT status FROM '{sims}' WHERE parameter_set = 1"));
        var error = (string)db.Scalar($"SELECT error FROM '{sims}' WHERE parameter_set = 1")!;
        Assert.Contains("3 halvings", error);                 // retried with dt 0.25, 0.125, 0.0625 ms
        Assert.Contains("dt 0.0625 ms", error);
        Assert.Contains("fell below the minimum", error);
        Assert.Equal("done", db.Scalar($"SELECT status FROM '{cells}'"));   // one failed simulation does not fail its cell
        Assert.Equal(0L, db.Count($"SELECT count(*) FROM '{Path.Combine(_dir, "out", "timeseries.parquet")}' t JOIN '{sims}' s USING (sim_id) WHERE s.status = 'failed'"));
    }

    [Fact]
    public async Task APsdRegionTheRegionsFileLacksFailsTheShapeNamingTheKeyAndTheRegionsItHas()
    {
        var (code, stdout, stderr) = await CliCapture.Run("run", WriteManifest(", psd_region: synapse", "{}"), "--plain", "--no-dashboard");
        Assert.True(code == 0, stdout + stderr);      // on_failure: continue
        using var db = Duck.Open();
        string cells = Path.Combine(_dir, "out", "cells.parquet");
        Assert.Equal("failed", db.Scalar($"SELECT status FROM '{cells}'"));
        var error = (string)db.Scalar($"SELECT error FROM '{cells}'")!;
        Assert.Contains("no region \"synapse\" for the PSD (meshing.psd_region)", error);
        Assert.Contains("\"PSD\"", error);         // the regions the file has
        Assert.Contains("real_Mushroom_dendrite_regions.json", error);
    }
}
