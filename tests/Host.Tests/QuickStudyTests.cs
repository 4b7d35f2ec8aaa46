using System.Globalization;
using DuckDB.NET.Data;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// End to end through the CLI, the actors and the kernels on real bundled data: a small study runs, writes Parquet
/// that DuckDB reads, a second identical run recomputes nothing and rewrites byte-identical tables, and a changed
/// simulation parameter recomputes only the simulations and what depends on them.
/// </summary>
public sealed class QuickStudyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-e2e-" + Guid.NewGuid().ToString("N"));

    public QuickStudyTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteManifest(double decay)
    {
        var raw = RepoPaths.Data("gala", "test_raw.tif");
        var labels = RepoPaths.Data("gala", "test_labels.tif");
        var spines = RepoPaths.Data("microns-spines", "spine_0?.obj");
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: e2e, seed: 7 }
            inputs:
              - volume: {{raw}}
                spacing_um: [0.01, 0.01, 0.01]
                labels: {{labels}}
                name: gala-test
              - meshes: {{spines}}
                name: spines
            segmentation: { sigma_um: 0.01, foreground: bright, connectivity: 26, min_volume_um3: 0.005 }
            shape_space: { modes: 2, variants_per_cell: 1 }
            simulation:
              duration_ms: 12
              dt_ms: 0.25
              max_voxels: 1500
              parameters: { d_um2_per_ms: 0.22, decay_per_ms: {{decay}}, influx_um_um_per_ms: 5.0, pulse_ms: 1.0 }
            fit: { observed: simulated, true_value: 0.22, noise_sd_um: 0.02, prior: { uniform: [0.02, 2.0] }, chains: 2, warmup: 200, draws: 300 }
            statistics:
              associations: [ { descriptors: [volume_um3, sphericity], phenotypes: [peak_um, decay_time_ms] } ]
              bootstrap: 200
            execution: { workers: 2 }
            outputs: { dir: out }
            """));
        return path;
    }

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliCapture.Run(args);


    [Fact]
    public async Task StudyRunsResumesAndRecomputesOnlyWhatAChangedParameterAffects()
    {
        var manifest = WriteManifest(decay: 0.1);
        var out1 = Path.Combine(_dir, "out");

        var first = await Cli("run", manifest);
        Assert.True(first.Code == 0, first.Out + first.Err);
        Assert.Contains(" 0 cached, 0 failed", first.Out);
        Assert.Matches(@"(?m)^dashboard: http://127\.0\.0\.1:\d+/$", first.Out);     // the live dashboard's URL, loopback by default

        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            string T(string table) => $"'{Path.Combine(out1, table + ".parquet")}'";
            long cells = db.Count($"SELECT count(*) FROM {T("cells")} WHERE volume_um3 > 0 AND status = 'done'");
            Assert.True(cells >= 8, $"cells: {cells}");
            Assert.Equal(10, db.Count($"SELECT count(*) FROM {T("cells")} WHERE kind = 'surface_mesh'"));
            Assert.True(db.Count($"SELECT count(*) FROM {T("shapes")} WHERE kind = 'real'") >= 8);
            Assert.True(db.Count($"SELECT count(*) FROM {T("shapes")} WHERE kind = 'synthetic'") >= 8);
            Assert.Equal(db.Count($"SELECT count(*) FROM {T("shapes")}"), db.Count($"SELECT count(*) FROM {T("simulations")} WHERE status = 'done'"));
            Assert.True(db.Count($"SELECT count(*) FROM {T("timeseries")}") > 0);
            // every mesh is watertight and encloses the shape's volume with the right sign
            Assert.Equal(0, db.Count($"SELECT count(*) FROM {T("meshes")} WHERE NOT watertight OR volume_um3 <= 0"));
            // the fit recovers the true D (within 4 posterior sd) and reports convergence diagnostics
            using (var cmd = db.CreateCommand())
            {
                cmd.CommandText = $"SELECT mean, hdi_low, hdi_high, r_hat, ess, sd FROM {T("fits")}";
                using var r = cmd.ExecuteReader();
                Assert.True(r.Read());
                double mean = r.GetDouble(0), lo = r.GetDouble(1), hi = r.GetDouble(2), rhat = r.GetDouble(3), ess = r.GetDouble(4), sd = r.GetDouble(5);
                Assert.True(lo < mean && mean < hi && sd > 0);
                Assert.True(Math.Abs(mean - 0.22) < 4 * sd, $"posterior mean {mean} ± {sd} is far from the true D = 0.22");
                Assert.True(rhat < 1.1, $"r_hat {rhat} (posterior mean {r.GetDouble(0)}, HDI {lo}..{hi})");
                Assert.True(ess > 10, $"ess {ess}");
            }
            Assert.Equal(db.Count($"SELECT count(*) FROM {T("tasks")}"), db.Count($"SELECT count(DISTINCT task_key) FROM {T("tasks")}"));
            Assert.Equal(0, db.Count($"SELECT count(*) FROM {T("tasks")} WHERE status <> 'committed'"));
            // 2 descriptors × 2 phenotypes × 3 compartments × (spearman, pearson, ols_slope, huber_slope) + partial correlation
            // for sphericity (not volume itself); q ≥ p; the far compartment's peak is geometry-dependent (defined)
            Assert.Equal(54, db.Count($"SELECT count(*) FROM {T("associations")}"));
            Assert.Equal(0, db.Count($"SELECT count(*) FROM {T("associations")} WHERE q < p OR q > 1"));
            Assert.Equal(9, db.Count($"SELECT count(*) FROM {T("associations")} WHERE compartment = 'far' AND phenotype = 'peak_um' AND NOT isnan(estimate)"));
            // the OLS slope and Pearson r of one pair have the same sign (slope = r · sd_y / sd_x)
            Assert.Equal(0, db.Count($"SELECT count(*) FROM {T("associations")} a JOIN {T("associations")} b USING (descriptor, phenotype, compartment) "
                + "WHERE a.method = 'pearson' AND b.method = 'ols_slope' AND NOT isnan(a.estimate) AND sign(a.estimate) <> sign(b.estimate)"));
            var seed = db.Scalar($"SELECT decode(value) FROM parquet_kv_metadata({T("cells")}) WHERE decode(key) = 'shapestudy.seed'");
            Assert.Equal("7", seed?.ToString());
        }
        Assert.Empty(Directory.GetFiles(out1, "*.partial"));
        var firstBytes = Directory.GetFiles(out1, "*.parquet").OrderBy(f => f).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        int tasks = int.Parse(System.Text.RegularExpressions.Regex.Match(first.Out, @"(\d+) tasks").Groups[1].Value, CultureInfo.InvariantCulture);

        var second = await Cli("run", manifest);
        Assert.True(second.Code == 0, second.Out + second.Err);
        Assert.Contains($"{tasks} tasks, 0 executed, {tasks} cached, 0 failed", second.Out);
        foreach (var (name, bytes) in firstBytes)
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(out1, name))), $"{name} changed on a cached re-run");

        // change one simulation parameter: only simulations, and the statistics and fit built on them, are recomputed
        WriteManifest(decay: 0.2);
        var third = await Cli("run", manifest);
        Assert.True(third.Code == 0, third.Out + third.Err);
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            var tasksTable = $"'{Path.Combine(out1, "tasks.parquet")}'";
            long recomputable = db.Count($"SELECT count(*) FROM {tasksTable} WHERE stage IN ('simulate', 'associate', 'fit')");
            long total = db.Count($"SELECT count(*) FROM {tasksTable}");
            Assert.Equal(tasks, total);
            Assert.Contains($"{total} tasks, {recomputable} executed, {total - recomputable} cached, 0 failed", third.Out);
            Assert.Equal(0.2, Convert.ToDouble(db.Scalar($"SELECT min(decay_per_ms) FROM '{Path.Combine(out1, "simulations.parquet")}'"), CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task BadManifestReportsEveryErrorWithPositionAndWritesNothing()
    {
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, """
            schema_version: 1
            study: { id: bad }
            inputs:
              - volume: no-such-file.tif
            segmentation: { sigma_um: abc, colour: red }
            outputs: { dir: out }
            """);
        foreach (var verb in new[] { "validate", "run" })
        {
            var r = await Cli(verb, path);
            Assert.Equal(2, r.Code);
            var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(path, StringComparison.Ordinal)).ToList();
            Assert.Equal(3, lines.Count);
            Assert.Contains(lines, l => l.StartsWith($"{path}:4:13: inputs[0].volume:", StringComparison.Ordinal) && l.Contains("not found"));
            Assert.Contains(lines, l => l.StartsWith($"{path}:5:27: segmentation.sigma_um:", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith($"{path}:5:32: segmentation.colour:", StringComparison.Ordinal) && l.Contains("unknown key"));
            Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
        }
    }
}
