using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;
using ShapeStudy.Study.Tables;

namespace ShapeStudy.Actors;

/// <summary>
/// The study coordinator (a cluster singleton with role <c>coordinator</c>): owns the plan and the LiteDB state,
/// leases ready tasks to workers that ask for work, commits results, retries transient failures with backoff, and
/// writes the Parquet tables when the plan completes. Results of already committed task keys are reused (resume).
/// </summary>
public sealed class StudyCoordinator : ReceiveActor, IWithTimers
{
    private readonly StudyManifest _manifest;
    private readonly StudyStore _store;
    private readonly ArtifactStore _artifacts;
    private readonly IStudyObserver _observer;
    private readonly StudyPlan _plan;
    private readonly Queue<PlannedTask> _ready = new();
    private readonly Queue<(IActorRef Worker, string Node)> _idle = new();
    private readonly Dictionary<string, (PlannedTask Task, IActorRef Worker)> _leased = new();
    private readonly Dictionary<string, string> _outcome = new();   // key → done | cached | failed
    private readonly List<string> _errors = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _finishing, _stopRequested, _reported;

    public ITimerScheduler Timers { get; set; } = null!;

    public StudyCoordinator(StudyManifest manifest, StudyStore store, ArtifactStore artifacts, IStudyObserver observer)
    {
        _manifest = manifest;
        _store = store;
        _artifacts = artifacts;
        _observer = observer;
        var hashes = new Dictionary<string, string>();
        _plan = new StudyPlan(manifest, path => hashes.TryGetValue(path, out var h) ? h : hashes[path] = ContentHash.OfFile(path));

        Receive<RequestWork>(r =>
        {
            Context.Watch(r.Worker);
            _idle.Enqueue((r.Worker, r.Node));
            Dispatch();
        });
        Receive<WorkCompleted>(OnCompleted);
        Receive<WorkFailed>(OnFailed);
        Receive<Requeue>(r => { _ready.Enqueue(r.Task); Dispatch(); });
        Receive<Terminated>(t => RequeueLeasesOf(t.ActorRef));
        Receive<TablesWritten>(OnTablesWritten);
    }

    /// <summary>A coordinator that stops before its study completed reports that as the study's outcome.</summary>
    protected override void PostStop()
    {
        if (_reported) return;
        _reported = true;
        _observer.OnFinished(new StudySummary(_manifest.Study.Id, _manifest.Outputs.Dir, _plan.Tasks.Count, 0, 0, 0,
            Array.Empty<(string, int)>(), _errors.Append("the coordinator stopped before the study completed; completed tasks are kept and a re-run resumes from them").ToList(),
            _clock.Elapsed));
    }

    /// <summary>On a restart the new instance re-plans and resumes from the committed tasks, so nothing is reported here.</summary>
    protected override void PreRestart(Exception reason, object message) =>
        _log.Error(reason, "coordinator restarting after a failure while handling {0}; resuming from committed tasks", message);

    protected override void PreStart()
    {
        Accept(_plan.Start());
        Dispatch();
        MaybeFinish();
    }

    /// <summary>Reuses committed results (resume) and queues the rest; repeats while reuse makes new tasks ready.</summary>
    private void Accept(IReadOnlyList<PlannedTask> tasks)
    {
        var pending = new Queue<PlannedTask>(tasks);
        while (pending.Count > 0)
        {
            var task = pending.Dequeue();
            if (_outcome.ContainsKey(task.Key) || _leased.ContainsKey(task.Key)) continue;
            var committed = _store.FindCommitted(task.Key);
            if (committed?.ResultJson is not null && ArtifactsPresent(committed.ResultJson))
            {
                _outcome[task.Key] = "cached";
                foreach (var next in _plan.OnCommitted(task.Key, committed.ResultJson)) pending.Enqueue(next);
            }
            else if (_stopRequested) continue;
            else _ready.Enqueue(task);
        }
        ReportProgress();
    }

    private void Dispatch()
    {
        while (_ready.Count > 0 && _idle.Count > 0 && !_stopRequested)
        {
            var (worker, node) = _idle.Dequeue();
            if (worker.IsNobody()) continue;
            var task = _ready.Dequeue();
            var record = _store.MarkStarted(task.Key, task.Stage, task.Subject, node, DateTime.UtcNow);
            _leased[task.Key] = (task, worker);
            worker.Tell(new WorkItem(task, record.Attempts));
        }
        ReportProgress();
    }

    private void OnCompleted(WorkCompleted m)
    {
        _idle.Enqueue((m.Worker, m.Node));
        if (!_leased.Remove(m.Key)) { Dispatch(); return; }        // a duplicate or late result: ignored
        _store.Commit(m.Key, m.ResultJson, DateTime.UtcNow);
        _outcome[m.Key] = "done";
        Accept(_plan.OnCommitted(m.Key, m.ResultJson));
        Dispatch();
        MaybeFinish();
    }

    private void OnFailed(WorkFailed m)
    {
        _idle.Enqueue((m.Worker, m.Node));
        if (!_leased.Remove(m.Key, out var lease)) { Dispatch(); return; }
        var record = _store.Find(m.Key);
        int attempts = record?.Attempts ?? 1;
        if (!m.Deterministic && attempts <= _manifest.Execution.MaxRetries)
        {
            var backoff = TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempts - 1));
            _log.Warning("task {0} {1} failed (attempt {2}), retrying in {3} ms: {4}", lease.Task.Stage, lease.Task.Subject, attempts, backoff.TotalMilliseconds, m.Error);
            Timers.StartSingleTimer("retry:" + m.Key, new Requeue(lease.Task), backoff);
            Dispatch();
            return;
        }
        _store.MarkFailed(m.Key, m.Error, DateTime.UtcNow);
        _outcome[m.Key] = "failed";
        _observer.OnTaskFailed(lease.Task.Stage, lease.Task.Subject, m.Error);
        if (_manifest.Execution.OnFailure == FailurePolicy.Stop)
        {
            _stopRequested = true;
            _errors.Add($"stopped after {lease.Task.Stage} {lease.Task.Subject} failed: {m.Error} (execution.on_failure = stop)");
            _ready.Clear();
        }
        Accept(_plan.OnFailed(m.Key, m.Error));
        Dispatch();
        MaybeFinish();
    }

    private void RequeueLeasesOf(IActorRef worker)
    {
        foreach (var (key, lease) in _leased.Where(l => l.Value.Worker.Equals(worker)).ToList())
        {
            _leased.Remove(key);
            _ready.Enqueue(lease.Task);
        }
        Dispatch();
    }

    private void MaybeFinish()
    {
        if (_finishing || _leased.Count > 0) return;
        if (!_plan.IsComplete && !(_stopRequested)) return;
        if (!_plan.IsComplete && _ready.Count > 0) return;
        _finishing = true;
        if (_plan.GlobalError is { } g) _errors.Add(g);
        var records = _store.All().ToDictionary(r => r.Key);
        var outDir = _manifest.Outputs.Dir;
        var metadata = Provenance();
        var artifacts = _artifacts;
        var tables = StudyTables.Build(_manifest, _plan, records, r => ReadTimeseries(artifacts, r), r => ReadDraws(artifacts, r));
        var self = Self;
        Task.Run(async () =>
        {
            var written = new List<(string, int)>();
            foreach (var t in tables)
            {
                await ParquetTableWriter.WriteAsync(t, outDir, metadata);
                written.Add((t.Name, t.RowCount));
            }
            return new TablesWritten(written, null);
        }).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result
            : new TablesWritten(Array.Empty<(string, int)>(), $"writing tables to {outDir} failed: {t.Exception?.GetBaseException().Message}"))
          .PipeTo(self);
    }

    private void OnTablesWritten(TablesWritten m)
    {
        if (m.Error is not null) _errors.Add(m.Error);
        _reported = true;
        int cached = _outcome.Values.Count(v => v == "cached"), done = _outcome.Values.Count(v => v == "done"), failed = _outcome.Values.Count(v => v == "failed");
        _observer.OnFinished(new StudySummary(_manifest.Study.Id, _manifest.Outputs.Dir, _plan.Tasks.Count, done, cached, failed,
            m.Tables, _errors, _clock.Elapsed));
    }

    /// <summary>Provenance key-value metadata; "created_utc" is the newest finish time of the study's tasks, so identical results give identical files.</summary>
    private Dictionary<string, string> Provenance()
    {
        var finished = _plan.Tasks.Select(t => _store.Find(t.Key)?.FinishedUtc).Where(f => f is not null).Select(f => f!.Value).DefaultIfEmpty(DateTime.UnixEpoch).Max();
        return new Dictionary<string, string>
        {
            ["shapestudy.study_id"] = _manifest.Study.Id,
            ["shapestudy.manifest_sha256"] = _manifest.ManifestHash,
            ["shapestudy.seed"] = _manifest.Study.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["shapestudy.code_version"] = CodeVersion.Value,
            ["shapestudy.created_utc"] = finished.ToString("O"),
            ["shapestudy.manifest"] = _manifest.ManifestText,
        };
    }

    private bool ArtifactsPresent(string resultJson)
    {
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(resultJson, "\"Sha256\":\"([0-9a-f]{64})\""))
            if (!_artifacts.Contains(new ArtifactRef(match.Groups[1].Value, "", 0))) return false;
        return true;
    }

    private static (double[], IReadOnlyDictionary<string, double[]>) ReadTimeseries(ArtifactStore store, ArtifactRef r)
    {
        var ts = System.Text.Json.JsonSerializer.Deserialize<TimeseriesArtifact>(store.Get(r))!;
        return (ts.TimesMs, ts.Means);
    }

    private static double[][] ReadDraws(ArtifactStore store, ArtifactRef r) =>
        System.Text.Json.JsonSerializer.Deserialize<double[][]>(store.Get(r))!;

    private void ReportProgress()
    {
        var byStage = new Dictionary<string, (int Total, int Done, int Cached, int Failed, int Running)>();
        foreach (var t in _plan.Tasks)
        {
            var s = byStage.GetValueOrDefault(t.Stage);
            s.Total++;
            if (_outcome.TryGetValue(t.Key, out var o))
            {
                if (o == "done") s.Done++; else if (o == "cached") s.Cached++; else s.Failed++;
            }
            else if (_leased.ContainsKey(t.Key)) s.Running++;
            byStage[t.Stage] = s;
        }
        _observer.OnProgress(byStage.Select(kv => new StageProgress(kv.Key, kv.Value.Total, kv.Value.Done, kv.Value.Cached, kv.Value.Failed, kv.Value.Running)).ToList());
    }
}

/// <summary>The code version recorded in provenance: the assembly's informational version.</summary>
public static class CodeVersion
{
    public static string Value { get; } = typeof(CodeVersion).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";
}
