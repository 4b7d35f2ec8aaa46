using System.CommandLine;
using ShapeStudy.Actors;
using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Host;

/// <summary>The <c>shapestudy</c> command line: <c>run</c> and <c>validate</c> a study manifest.</summary>
public static class Cli
{
    /// <summary>Exit code for a manifest that failed validation (nothing ran).</summary>
    public const int InvalidManifest = 2;
    /// <summary>Exit code for a study that ran but had a study-level failure.</summary>
    public const int StudyFailed = 1;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var errors = stderr ?? Console.Error;
        var root = new RootCommand("ShapeStudy: segment real 3D cell geometries, learn their shape distribution, mesh and simulate "
            + "every real and synthetic shape, and aggregate structure–phenotype statistics into Parquet.");

        var runManifest = new Argument<string>("manifest") { Description = "Study manifest (YAML)." };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of live bars (also when output is redirected or NO_COLOR is set)." };
        var clusterContacts = new Option<string?>("--cluster") { Description = "Submit to a running cluster through HOST:PORT (comma-separated for several contact nodes) instead of running in this process." };
        var runSets = ManifestOverrideOption.Create();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (tasks per stage, cached versus new) without running anything." };
        var run = new Command("run", "Run a study manifest: on a single-node cluster in this process, or submitted to a running cluster with --cluster.") { runManifest, plain, clusterContacts, runSets, dryRun };
        var dashboard = new Dashboard.DashboardSettings.Options();
        dashboard.AddTo(run);
        run.SetAction((parse, ct) => Run(parse.GetValue(runManifest)!, parse.GetValue(plain), parse.GetValue(clusterContacts), parse.GetValue(dryRun),
            parse.GetValue(runSets), dashboard.Read(parse), output, errors, ct));

        var validateManifest = new Argument<string>("manifest") { Description = "Study manifest (YAML)." };
        var validateSets = ManifestOverrideOption.Create();
        var validate = new Command("validate", "Check a manifest (keys, types, ranges, files) without running anything.") { validateManifest, validateSets };
        validate.SetAction(parse => ManifestOverrideOption.Parse(parse.GetValue(validateSets), errors) is { } sets
            ? Validate(parse.GetValue(validateManifest)!, output, errors, sets) : InvalidManifest);

        root.Subcommands.Add(run);
        root.Subcommands.Add(validate);
        root.Subcommands.Add(NodeCommand.Create(output, errors));
        root.Subcommands.Add(StatusCommand.Create(output, errors));
        root.Subcommands.Add(ImagingVerbs.Segment(output, errors));
        root.Subcommands.Add(ImagingVerbs.Evaluate(output, errors));
        root.Subcommands.Add(MeshVerbs.Mesh(output, errors));
        root.Subcommands.Add(InspectVerb.Create(output, errors));
        root.Subcommands.Add(ReportVerb.Create(output, errors));
        root.Subcommands.Add(LearnedSegmentationVerbs.TrainSegmenter(output, errors));
        // SIGINT/SIGTERM cancel the running verb's token (a study stops taking tasks, keeps what it committed and exits
        // with 130); a verb that has not finished 30 s later is abandoned with the signal's exit code.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    private static StudyManifest? Load(string path, TextWriter errors, IReadOnlyList<ManifestOverride>? overrides = null)
    {
        var result = ManifestLoader.Load(path, overrides ?? []);
        if (result.Errors.Count == 0 && result.Manifest is not null) return result.Manifest;
        foreach (var e in result.Errors) errors.WriteLine(e.ToString());
        errors.WriteLine($"{result.Errors.Count} error(s) in {path}; nothing was run.");
        return null;
    }

    /// <summary>The <c>run</c> verb: parses <c>--set</c>, then prints the plan (<c>--dry-run</c>), runs here, or submits to a cluster.</summary>
    private static Task<int> Run(string path, bool plain, string? contacts, bool dryRun, string[]? setTexts, Dashboard.DashboardSettings dashboard,
        TextWriter output, TextWriter errors, CancellationToken ct)
    {
        if (ManifestOverrideOption.Parse(setTexts, errors) is not { } sets) return Task.FromResult(InvalidManifest);
        if (dryRun)
            return Task.FromResult(Load(path, errors, sets) is { } m ? DryRunVerb.Run(m, Terminal.Rich(output, plain), output, errors) : InvalidManifest);
        if (contacts is null) return RunStudy(path, plain, output, errors, ct, dashboard, sets);
        return sets.Count > 0 ? Task.FromResult(ManifestOverrideOption.RefuseWithCluster(errors)) : SubmitStudy(path, contacts, output, errors, ct);
    }

    private static int Validate(string path, TextWriter output, TextWriter errors, IReadOnlyList<ManifestOverride>? overrides = null)
    {
        var m = Load(path, errors, overrides);
        if (m is null) return InvalidManifest;
        int files = m.VolumeInputs.Count() + m.MeshInputs.Sum(i => i.Files.Count);
        output.WriteLine($"{path}: valid. study '{m.Study.Id}', {m.Inputs.Count} inputs ({files} files), "
            + $"{m.Simulation.Parameters.Count} parameter set(s), {m.ShapeSpace.VariantsPerCell} variants per cell, outputs → {m.Outputs.Dir}");
        return 0;
    }

    private static async Task<int> RunStudy(string path, bool plain, TextWriter output, TextWriter errors, CancellationToken ct,
        Dashboard.DashboardSettings dashboardSettings, IReadOnlyList<ManifestOverride>? overrides = null)
    {
        var m = Load(path, errors, overrides);
        if (m is null) return InvalidManifest;
        var monitor = new Actors.Monitoring.StudyMonitor();
        await using var dashboard = await Dashboard.DashboardCli.StartAsync(monitor, dashboardSettings, output, errors, ct);
        if (dashboard is { Failed: true }) return InvalidManifest;
        bool live = Terminal.Rich(output, plain);
        output.WriteLine($"study '{m.Study.Id}' → {m.Outputs.Dir} ({m.Execution.EffectiveWorkers} worker slots)");
        StudySummary summary;
        try
        {
            summary = live ? await LiveProgress.RunAsync(m, ct, monitor) : await StudyRunner.RunAsync(m, new PlainProgress(output), ct, monitor);
        }
        catch (OperationCanceledException)
        {
            errors.WriteLine("cancelled; completed tasks are kept and a re-run resumes from them.");
            return 130;
        }
        PrintSummary(summary, output);
        foreach (var e in summary.Errors) errors.WriteLine($"error: {e}");
        return summary.Succeeded ? 0 : StudyFailed;
    }

    private static async Task<int> SubmitStudy(string path, string contacts, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        if (Load(path, errors) is not { } m) return InvalidManifest;
        var points = contacts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        output.WriteLine($"study '{m.Study.Id}' → {m.Outputs.Dir}, submitted to the cluster at {string.Join(", ", points)}");
        StudySummary summary;
        try
        {
            summary = await Actors.Nodes.StudyClient.RunAsync(points, path, new PlainProgress(output),
                Environment.GetEnvironmentVariable("SHAPESTUDY_CLIENT_HOSTNAME") ?? "127.0.0.1", ct);
        }
        catch (Actors.Nodes.StudyRejectedException e)
        {
            foreach (var line in e.Errors) errors.WriteLine(line);
            errors.WriteLine($"the cluster rejected {path}; nothing was run.");
            return InvalidManifest;
        }
        catch (OperationCanceledException)
        {
            errors.WriteLine("stopped following the study; it keeps running on the cluster (run the same command again to follow it).");
            return 130;
        }
        PrintSummary(summary, output);
        foreach (var e in summary.Errors) errors.WriteLine($"error: {e}");
        return summary.Succeeded ? 0 : StudyFailed;
    }

    private static void PrintSummary(StudySummary s, TextWriter output)
    {
        output.WriteLine($"done in {s.Elapsed.TotalSeconds:F1} s: {s.Tasks} tasks, {s.Executed} executed, {s.Cached} cached, {s.Failed} failed");
        foreach (var (table, rows) in s.Tables)
            output.WriteLine($"  {Path.Combine(s.OutputDir, table + ".parquet")}  {rows} rows");
    }
}
