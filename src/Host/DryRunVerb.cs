using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using Spectre.Console;

namespace ShapeStudy.Host;

/// <summary>Tasks of one stage in a dry-run plan: reused from the study state (cached) or to be run (new).</summary>
/// <param name="Stage">Stage name as in the <c>tasks</c> table.</param>
/// <param name="Cached">Tasks whose key is committed in the state with all their artifacts present.</param>
/// <param name="New">Tasks that would run; includes <paramref name="RetriedFailures"/>.</param>
/// <param name="RetriedFailures">New tasks whose key failed (or was quarantined) in an earlier run; a new run tries them again.</param>
public sealed record StagePlan(string Stage, int Cached, int New, int RetriedFailures);

/// <summary>
/// What <c>run</c> would do, computed without running anything: the study plan replayed against the study state
/// exactly as the coordinator replays it on start. Tasks whose key is committed (artifacts present) are cached and
/// unfold the tasks that follow from their results; every other ready task is new. Tasks that depend on the results
/// of new tasks cannot be counted before those run; <see cref="LaterStages"/> names their stages.
/// </summary>
public sealed record DryRunPlan(string StudyId, string OutputDir, bool StateExists, IReadOnlyList<StagePlan> Stages, IReadOnlyList<string> LaterStages)
{
    /// <summary>Known tasks (cached + new).</summary>
    public int Total => Cached + New;
    public int Cached => Stages.Sum(s => s.Cached);
    public int New => Stages.Sum(s => s.New);
}

/// <summary><c>run &lt;manifest&gt; --dry-run</c>: the plan with cached versus new tasks per stage.</summary>
public static class DryRunVerb
{
    /// <summary>Stages in pipeline order.</summary>
    public static readonly IReadOnlyList<string> StageOrder =
        [Stages.TrainSegmenter, Stages.Segment, Stages.LoadMesh, Stages.Surface, Stages.Describe, Stages.ShapeModel, Stages.Variant, Stages.TetMesh,
         Stages.Simulate, Stages.Associate, Stages.FitDesign, Stages.Fit];

    /// <summary>Stages whose tasks a stage's results can make ready (StudyPlan's dependency graph).</summary>
    private static readonly Dictionary<string, string[]> Unlocks = new()
    {
        [Stages.TrainSegmenter] = [Stages.Segment, Stages.Surface, Stages.Describe, Stages.ShapeModel, Stages.Variant, Stages.TetMesh, Stages.Simulate, Stages.Associate, Stages.FitDesign, Stages.Fit],
        [Stages.Segment] = [Stages.Surface, Stages.Describe, Stages.ShapeModel, Stages.Variant, Stages.TetMesh, Stages.Simulate, Stages.Associate, Stages.FitDesign, Stages.Fit],
        [Stages.LoadMesh] = [Stages.Describe, Stages.ShapeModel, Stages.Variant, Stages.Surface, Stages.TetMesh, Stages.Simulate, Stages.Associate, Stages.FitDesign, Stages.Fit],
        [Stages.Surface] = [Stages.Describe, Stages.ShapeModel, Stages.Variant, Stages.TetMesh, Stages.Simulate, Stages.Associate],
        [Stages.Describe] = [Stages.ShapeModel, Stages.Variant, Stages.Surface, Stages.TetMesh, Stages.Simulate, Stages.Associate],
        [Stages.ShapeModel] = [Stages.Variant, Stages.Surface, Stages.Describe, Stages.TetMesh, Stages.Simulate, Stages.Associate],
        [Stages.Variant] = [Stages.Surface, Stages.Describe, Stages.TetMesh, Stages.Simulate, Stages.Associate],
        [Stages.TetMesh] = [Stages.Simulate, Stages.Associate],
        [Stages.Simulate] = [Stages.Associate],
        [Stages.Associate] = [],
        [Stages.FitDesign] = [Stages.Fit],
        [Stages.Fit] = [],
    };

    /// <summary>Replays the plan of <paramref name="manifest"/> against the state in its output folder (read only).</summary>
    public static DryRunPlan Compute(StudyManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var state = StudyState.Open(manifest.Outputs.Dir);
        var hashes = new Dictionary<string, string>();
        var plan = new StudyPlan(manifest, path => hashes.TryGetValue(path, out var h) ? h : hashes[path] = ContentHash.OfFile(path));
        var cached = new Dictionary<string, int>();
        var fresh = new Dictionary<string, int>();
        var retried = new Dictionary<string, int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<PlannedTask>(plan.Start());
        while (pending.Count > 0)
        {
            var task = pending.Dequeue();
            if (!seen.Add(task.Key)) continue;
            var committed = state.FindCommitted(task.Key);
            if (committed?.ResultJson is { } json && state.ArtifactsPresent(json))
            {
                cached[task.Stage] = cached.GetValueOrDefault(task.Stage) + 1;
                foreach (var next in plan.OnCommitted(task.Key, json)) pending.Enqueue(next);
            }
            else
            {
                fresh[task.Stage] = fresh.GetValueOrDefault(task.Stage) + 1;
                if (state.Records.TryGetValue(task.Key, out var r) && r.Status is Study.Storage.TaskStatus.Failed or Study.Storage.TaskStatus.Quarantined)
                    retried[task.Stage] = retried.GetValueOrDefault(task.Stage) + 1;
            }
        }
        var stages = StageOrder.Where(s => cached.ContainsKey(s) || fresh.ContainsKey(s))
            .Select(s => new StagePlan(s, cached.GetValueOrDefault(s), fresh.GetValueOrDefault(s), retried.GetValueOrDefault(s)))
            .ToList();
        var enabled = EnabledStages(manifest);
        var later = fresh.Keys.SelectMany(s => Unlocks[s]).Where(enabled.Contains).ToHashSet();
        return new DryRunPlan(manifest.Study.Id, manifest.Outputs.Dir, state.Exists, stages, StageOrder.Where(later.Contains).ToList());
    }

    /// <summary>Stages this manifest can produce at all.</summary>
    private static HashSet<string> EnabledStages(StudyManifest m)
    {
        var set = new HashSet<string> { Stages.Surface, Stages.Describe, Stages.Simulate };
        if (m.Segmentation.Train is not null) set.Add(Stages.Segment);
        if (m.ShapeSpace.VariantsPerCell > 0) { set.Add(Stages.ShapeModel); set.Add(Stages.Variant); }
        if (m.Simulation.Model != SimulationModel.DiffusionDecay) set.Add(Stages.TetMesh);
        if (m.Statistics.Associations.Count > 0) set.Add(Stages.Associate);
        if (m.Fit is not null) set.Add(Stages.Fit);
        if (m.Fit is { Method: FitMethod.Surrogate }) set.Add(Stages.FitDesign);
        return set;
    }

    /// <summary>Prints the plan: a table in a terminal, aligned plain lines otherwise.</summary>
    public static int Run(StudyManifest manifest, bool rich, TextWriter output, TextWriter errors)
    {
        DryRunPlan plan;
        try
        {
            plan = Compute(manifest);
        }
        catch (IOException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return 1;
        }
        Print(plan, rich, output);
        return 0;
    }

    private static void Print(DryRunPlan plan, bool rich, TextWriter output)
    {
        var where = plan.StateExists ? "resuming from its state" : "no state yet: a fresh study";
        if (rich)
        {
            AnsiConsole.MarkupLine($"[bold]dry run[/] of study '{Markup.Escape(plan.StudyId)}' → {Markup.Escape(plan.OutputDir)} ({where}); nothing is run");
            var table = new Table().AddColumn("stage").AddColumn(new TableColumn("tasks").RightAligned())
                .AddColumn(new TableColumn("cached").RightAligned()).AddColumn(new TableColumn("new").RightAligned()).AddColumn("note");
            foreach (var s in plan.Stages)
                table.AddRow(s.Stage, $"{s.Cached + s.New}", $"[green]{s.Cached}[/]", s.New > 0 ? $"[yellow]{s.New}[/]" : "0",
                    s.RetriedFailures > 0 ? $"{s.RetriedFailures} failed before; tried again" : "");
            table.AddRow("[bold]total[/]", $"[bold]{plan.Total}[/]", $"[bold green]{plan.Cached}[/]", $"[bold]{plan.New}[/]", "");
            AnsiConsole.Write(table);
        }
        else
        {
            output.WriteLine($"dry run of study '{plan.StudyId}' → {plan.OutputDir} ({where}); nothing is run");
            output.WriteLine($"  {"stage",-13} {"tasks",6} {"cached",7} {"new",6}");
            foreach (var s in plan.Stages)
                output.WriteLine($"  {s.Stage,-13} {s.Cached + s.New,6} {s.Cached,7} {s.New,6}"
                    + (s.RetriedFailures > 0 ? $"  ({s.RetriedFailures} failed before; tried again)" : ""));
            output.WriteLine($"  {"total",-13} {plan.Total,6} {plan.Cached,7} {plan.New,6}");
        }
        var tail = plan.New == 0
            ? "every task is cached: a run recomputes nothing and rewrites the tables"
            : plan.LaterStages.Count > 0
                ? $"{plan.New} task(s) would run now; more {string.Join(", ", plan.LaterStages)} tasks follow from their results (how many depends on those results)"
                : $"{plan.New} task(s) would run";
        if (rich) AnsiConsole.MarkupLine(Markup.Escape(tail));
        else output.WriteLine(tail);
    }
}
