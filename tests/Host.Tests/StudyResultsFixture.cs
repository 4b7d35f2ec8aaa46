using System.Globalization;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// One real study run through the CLI, shared by the inspect, dry-run, report and notebook tests: a crop of the bundled
/// FIB-SEM test volume (with its ground truth) segmented into a few objects, five real MICrONS spines, one synthetic
/// variant per cell, simulations, associations and a small posterior fit — every table of docs/tables.md is written.
/// </summary>
public sealed class StudyResultsFixture : IAsyncLifetime
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "shapestudy-results-" + Guid.NewGuid().ToString("N"));

    /// <summary>The manifest the study ran.</summary>
    public string Manifest => Path.Combine(Dir, "study.yaml");

    /// <summary>The study's outputs.dir.</summary>
    public string OutDir => Path.Combine(Dir, "out");

    /// <summary>What <c>run</c> printed.</summary>
    public string RunOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        // a 24 × 60 × 80 crop of the test volume and its ground truth (the same voxels), as NumPy files
        var raw = VolumeFiles.Read(RepoPaths.Data("gala", "test_raw.tif")).Voxels;
        var truth = VolumeFiles.Read(RepoPaths.Data("gala", "test_labels.tif")).Voxels;
        NpyFormat.Write(Path.Combine(Dir, "raw.npy"), Crop(raw, 24, 60, 80));
        NpyFormat.Write(Path.Combine(Dir, "labels.npy"), Crop(truth, 24, 60, 80));
        var spines = Path.Combine(Dir, "spines");
        Directory.CreateDirectory(spines);
        foreach (var i in Enumerable.Range(0, 5))
            File.Copy(RepoPaths.Data("microns-spines", $"spine_0{i}.obj"), Path.Combine(spines, $"spine_0{i}.obj"));
        File.WriteAllText(Manifest, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: report-e2e, seed: 5 }
            inputs:
              - volume: raw.npy
                spacing_um: [0.01, 0.01, 0.01]
                labels: labels.npy
                name: gala-crop
              - meshes: spines/*.obj
                name: spines
            segmentation: { sigma_um: 0.01, foreground: bright, connectivity: 26, min_volume_um3: 0.002 }
            shape_space: { modes: 2, variants_per_cell: 1 }
            simulation:
              duration_ms: 6
              dt_ms: 0.5
              max_voxels: 400
              parameters: { d_um2_per_ms: 0.22, decay_per_ms: 0.1, influx_um_um_per_ms: 5.0, pulse_ms: 1.0 }
            fit: { observed: simulated, true_value: 0.22, noise_sd_um: 0.05, prior: { uniform: [0.02, 2.0] }, chains: 2, warmup: 40, draws: 60 }
            statistics:
              associations: [ { descriptors: [volume_um3, sphericity], phenotypes: [peak_um, auc_um_ms] } ]
              bootstrap: 50
            execution: { workers: 2 }
            outputs: { dir: out }
            """));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Cli.RunAsync(["run", Manifest, "--plain"], stdout, stderr);
        RunOutput = stdout.ToString();
        if (code != 0) throw new InvalidOperationException($"the fixture study failed ({code}):\n{stdout}\n{stderr}");
    }

    private static Volume<float> Crop(Volume<float> v, int nz, int ny, int nx)
    {
        var c = new Volume<float>(nz, ny, nx, v.Spacing);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    c[z, y, x] = v[z, y, x];
        return c;
    }

    public Task DisposeAsync()
    {
        for (int attempt = 0; attempt < 5 && Directory.Exists(Dir); attempt++)
        {
            try { Directory.Delete(Dir, recursive: true); }
            catch (IOException) { Thread.Sleep(200); }
        }
        return Task.CompletedTask;
    }
}

/// <summary>The test classes that read the one fixture study.</summary>
[CollectionDefinition(Name)]
public sealed class StudyResultsCollection : ICollectionFixture<StudyResultsFixture>
{
    public const string Name = "study results";
}

/// <summary>Runs the CLI in-process and captures its output.</summary>
internal static class CliRunner
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await Cli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
