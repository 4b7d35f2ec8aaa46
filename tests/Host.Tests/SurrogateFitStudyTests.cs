using System.Globalization;
using DuckDB.NET.Data;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// A surrogate-based fit as a study: the Latin hypercube design runs as separate <c>fit_design</c> tasks, a Gaussian-process
/// surrogate of the far-compartment trace is validated by leave-one-out, MCMC on it recovers the known diffusion
/// coefficient, and the true simulator at the posterior mean reproduces the observation to the noise level.
/// </summary>
public sealed class SurrogateFitStudyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-surrogate-" + Guid.NewGuid().ToString("N"));

    public SurrogateFitStudyTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task SurrogateFitRecoversTheKnownDiffusionCoefficientFromDesignTasks()
    {
        const int designPoints = 12;
        const double trueD = 0.22, noise = 0.02;
        var manifest = WriteManifest("surrogate", designPoints, trueD, noise);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Cli.RunAsync(["run", manifest, "--plain"], stdout, stderr);
        Assert.True(code == 0, stdout.ToString() + stderr);
        var outDir = Path.Combine(_dir, "surrogate");
        string T(string table) => $"'{Path.Combine(outDir, table + ".parquet")}'";
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM {T("tasks")} WHERE stage = 'fit_design' AND status = 'committed'";
        Assert.Equal(designPoints, Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture));

        cmd.CommandText = $"SELECT method, design_points, mean, sd, q05, q95, r_hat, surrogate_rel_rmse, check_rmse_um, check_surrogate_error_um, "
            + $"simulator_calls, chains, draws FROM {T("fits")}";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal("surrogate", r.GetString(0));
        Assert.Equal(designPoints, r.GetInt32(1));
        double mean = r.GetDouble(2), sd = r.GetDouble(3), q05 = r.GetDouble(4), q95 = r.GetDouble(5), rhat = r.GetDouble(6);
        Assert.True(q05 < trueD && trueD < q95, $"true D {trueD} outside the 90 % interval [{q05}, {q95}] (mean {mean} ± {sd})");
        Assert.True(rhat < 1.05, $"R̂ {rhat}");
        // the GP reproduces left-out design traces to a few per cent of their spread
        Assert.True(r.GetDouble(7) < 0.05, $"surrogate leave-one-out relative RMSE {r.GetDouble(7)}");
        // at the posterior mean the true simulator misses the observation by about the noise sd, and the surrogate agrees with it
        Assert.InRange(r.GetDouble(8), 0.5 * noise, 1.5 * noise);
        Assert.True(r.GetDouble(9) < 0.25 * noise, $"surrogate vs simulator at the posterior mean: {r.GetDouble(9)} µM");
        Assert.Equal(designPoints + 1, r.GetInt32(10));
        Assert.Equal(r.GetInt32(11) * r.GetInt32(12), Convert.ToInt32(db.Scalar($"SELECT count(*) FROM {T("posterior_draws")}"), CultureInfo.InvariantCulture));

        // the same fit with the simulator in the loop (adaptive Metropolis, ~2,500 simulator runs instead of 13): same posterior
        code = await Cli.RunAsync(["run", WriteManifest("direct", designPoints, trueD, noise), "--plain"], stdout, stderr);
        Assert.True(code == 0, stdout.ToString() + stderr);
        cmd.CommandText = $"SELECT mean, sd FROM '{Path.Combine(_dir, "direct", "fits.parquet")}'";
        using var d = cmd.ExecuteReader();
        Assert.True(d.Read());
        double directMean = d.GetDouble(0), directSd = d.GetDouble(1);
        Assert.True(Math.Abs(mean - directMean) < 0.5 * directSd, $"surrogate posterior mean {mean} vs direct {directMean} ± {directSd}");
        Assert.InRange(sd / directSd, 0.8, 1.25);
    }

    private string WriteManifest(string method, int designPoints, double trueD, double noise)
    {
        var manifest = Path.Combine(_dir, method + ".yaml");
        File.WriteAllText(manifest, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: surrogate, seed: 1 }
            inputs:
              - meshes: {{RepoPaths.Data("microns-spines", "spine_00.obj")}}
                name: spines
            shape_space: { variants_per_cell: 0 }
            simulation:
              duration_ms: 12
              dt_ms: 0.25
              max_voxels: 1500
              parameters: { d_um2_per_ms: 0.22, decay_per_ms: 0.1, influx_um_um_per_ms: 5.0, pulse_ms: 1.0 }
            fit: { method: {{method}}, design_points: {{designPoints}}, observed: simulated, true_value: {{trueD}}, noise_sd_um: {{noise}},
                   prior: { uniform: [0.02, 2.0] }, chains: 2, warmup: 500, draws: 2000 }
            execution: { workers: 2 }
            outputs: { dir: {{method}} }
            """));
        return manifest;
    }
}
