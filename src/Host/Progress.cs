using System.Diagnostics;
using ShapeStudy.Actors;
using ShapeStudy.Study.Manifest;
using Spectre.Console;

namespace ShapeStudy.Host;

/// <summary>Plain progress lines (for logs and redirected output): one line per stage change, at most one per second.</summary>
public sealed class PlainProgress(TextWriter output) : IStudyObserver
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, int> _lastFinished = new();
    private TimeSpan _lastPrint = TimeSpan.FromSeconds(-10);

    public void OnProgress(IReadOnlyList<StageProgress> stages)
    {
        var changed = stages.Where(s => _lastFinished.GetValueOrDefault(s.Stage, -1) != s.Done + s.Cached + s.Failed).ToList();
        bool anyStageCompleted = changed.Any(s => s.Done + s.Cached + s.Failed == s.Total);
        if (changed.Count == 0 || (!anyStageCompleted && _clock.Elapsed - _lastPrint < TimeSpan.FromSeconds(1))) return;
        _lastPrint = _clock.Elapsed;
        foreach (var s in changed)
        {
            _lastFinished[s.Stage] = s.Done + s.Cached + s.Failed;
            output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] {s.Stage,-13} {s.Done + s.Cached + s.Failed,5}/{s.Total,-5} done {s.Done}, cached {s.Cached}, failed {s.Failed}, running {s.Running}");
        }
    }

    public void OnTaskFailed(string stage, string subject, string error) =>
        output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] FAILED {stage} {subject}: {error}");

    /// <summary>A running task's progress line (e.g. a U-Net training epoch), as the worker forwarded it (at most one per second per task).</summary>
    public void OnTaskProgress(Actors.Monitoring.TaskProgressEvent e) =>
        output.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] {e.Stage,-13} {e.Subject}: {e.Text}");

    public void OnFinished(StudySummary summary) { }
}

/// <summary>Live Spectre.Console progress bars, one per stage.</summary>
public static class LiveProgress
{
    public static async Task<StudySummary> RunAsync(StudyManifest manifest, CancellationToken ct, Actors.Monitoring.StudyMonitor? monitor = null)
    {
        StudySummary? summary = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx => summary = await StudyRunner.RunAsync(manifest, new Bars(ctx), ct, monitor));
        return summary!;
    }

    /// <summary>
    /// A stage bar's label (Spectre markup): "stage done/total", cached and failed counts, and while the stage has running
    /// tasks the latest progress line of one of them (e.g. a U-Net epoch or a simulation's simulated time), cut so that the
    /// label's visible text stays within <paramref name="maxWidth"/> characters (left out when fewer than 16 would remain).
    /// </summary>
    public static string StageLabel(StageProgress s, string? latestLine, int maxWidth)
    {
        string label = $"{s.Stage,-13} {s.Done + s.Cached + s.Failed,5}/{s.Total,-5}" + (s.Cached > 0 ? $" [grey](cached {s.Cached})[/]" : "")
            + (s.Failed > 0 ? $" [red](failed {s.Failed})[/]" : "");
        int room = maxWidth - Markup.Remove(label).Length - 1;
        if (s.Running == 0 || string.IsNullOrEmpty(latestLine) || room < 16) return label;
        return label + $" [grey]{Markup.Escape(latestLine.Length > room ? latestLine[..(room - 1)] + "…" : latestLine)}[/]";
    }

    /// <summary>Columns of a progress row besides the label: bar (40), percentage, remaining time, spinner and gaps.</summary>
    private const int ColumnsBesideLabel = 62;

    private sealed class Bars(ProgressContext ctx) : IStudyObserver
    {
        private readonly Dictionary<string, ProgressTask> _bars = new();
        private readonly Dictionary<string, StageProgress> _last = new();
        private readonly Dictionary<string, string> _line = new();   // stage → latest progress line of a running task

        private static int LabelWidth => AnsiConsole.Profile.Width - ColumnsBesideLabel;

        public void OnProgress(IReadOnlyList<StageProgress> stages)
        {
            lock (_bars)
                foreach (var s in stages)
                {
                    if (!_bars.TryGetValue(s.Stage, out var bar)) _bars[s.Stage] = bar = ctx.AddTask(s.Stage);
                    bar.MaxValue = Math.Max(1, s.Total);
                    bar.Value = s.Done + s.Cached + s.Failed;
                    if (s.Running == 0) _line.Remove(s.Stage);
                    _last[s.Stage] = s;
                    bar.Description = StageLabel(s, _line.GetValueOrDefault(s.Stage), LabelWidth);
                }
        }

        public void OnTaskProgress(Actors.Monitoring.TaskProgressEvent e)
        {
            lock (_bars)
            {
                _line[e.Stage] = $"{e.Subject}: {e.Text}";
                if (_bars.TryGetValue(e.Stage, out var bar) && _last.TryGetValue(e.Stage, out var s))
                    bar.Description = StageLabel(s, _line[e.Stage], LabelWidth);
            }
        }

        public void OnTaskFailed(string stage, string subject, string error) =>
            AnsiConsole.MarkupLine($"[red]FAILED[/] {Markup.Escape(stage)} {Markup.Escape(subject)}: {Markup.Escape(error)}");

        public void OnFinished(StudySummary summary) { }
    }
}
