using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ShapeStudy.Actors.Monitoring;
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
    private readonly IArtifactStore _artifacts;
    private readonly IStudyObserver _observer;
    private readonly CoordinatorOptions _options;
    private readonly StudyPlan _plan;
    private readonly TaskBoard<IActorRef> _board;
    private readonly Dictionary<IActorRef, string> _nodes = new();
    private readonly List<string> _errors = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _finishing, _stopRequested, _reported, _progressDirty;

    public ITimerScheduler Timers { get; set; } = null!;

    public StudyCoordinator(StudyManifest manifest, StudyStore store, IArtifactStore artifacts, IStudyObserver observer,
        CoordinatorOptions? options = null)
    {
        _manifest = manifest;
        _store = store;
        _artifacts = artifacts;
        _observer = observer;
        _options = options ?? new CoordinatorOptions();
        _board = new TaskBoard<IActorRef>(manifest.Execution.MaxRetries, _options.FirstBackoff);
        var hashes = new Dictionary<string, string>();
        _plan = new StudyPlan(manifest, path => hashes.TryGetValue(path, out var h) ? h : hashes[path] = ContentHash.OfFile(path));

        Receive<RequestWork>(r =>
        {
            if (_nodes.TryAdd(r.Worker, r.Node)) Context.Watch(r.Worker);
            _board.WorkerIdle(r.Worker);
            Dispatch();
        });
        Receive<WorkCompleted>(OnCompleted);
        Receive<WorkFailed>(OnFailed);
        Receive<TaskProgress>(m =>
        {
            // Only from the slot that holds the lease (a late line from an earlier attempt's slot is dropped); it renews the lease.
            if (_board.Heard(m.Key, m.Worker, DateTime.UtcNow) is { } task)
                _observer.OnTaskProgress(new TaskProgressEvent(task.Key, task.Stage, task.Subject, CellOf(task), m.Text));
        });
        Receive<Requeue>(r => { _board.Requeue(r.Task); Dispatch(); });
        Receive<Terminated>(t =>
        {
            _nodes.Remove(t.ActorRef, out var node);
            Reclaimed(_board.WorkerLost(t.ActorRef, AttemptsOf), $"its worker {t.ActorRef.Path} on {node} stopped");
        });
        Receive<NodeLost>(OnNodeLost);
        Receive<Tick>(_ => OnTick());
        Receive<TablesWritten>(OnTablesWritten);
    }

    /// <summary>A coordinator that stops before its study completed reports that as the study's outcome.</summary>
    protected override void PostStop()
    {
        _store.Flush();
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
        Timers.StartPeriodicTimer("tick", Tick.Instance, _options.ProgressInterval);
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
            if (_board.IsKnown(task.Key)) continue;
            var committed = _store.FindCommitted(task.Key);
            if (committed?.ResultJson is not null && ArtifactsPresent(committed.ResultJson))
            {
                _board.MarkCached(task.Key);
                Report(TaskEventKind.Cached, task, committed.Attempts, resultJson: committed.ResultJson);
                foreach (var next in _plan.OnCommitted(task.Key, committed.ResultJson)) pending.Enqueue(next);
            }
            else if (_options.KeepRecordedFailures && _store.Find(task.Key) is { Status: Study.Storage.TaskStatus.Failed or Study.Storage.TaskStatus.Quarantined } failed)
            {
                // Resuming after a coordinator crash: a final failure of this run stays final (not attempted again).
                _board.MarkFailed(task.Key);
                Report(failed.Status == Study.Storage.TaskStatus.Quarantined ? TaskEventKind.Quarantined : TaskEventKind.Failed, task, failed.Attempts, failed.Error);
                _observer.OnTaskFailed(task.Stage, task.Subject, failed.Error ?? "failed");
                foreach (var next in _plan.OnFailed(task.Key, failed.Error ?? "failed")) pending.Enqueue(next);
            }
            else if (!_stopRequested) _board.AddReady(task);
        }
    }

    private void Dispatch()
    {
        if (!_stopRequested)
            foreach (var (worker, task) in _board.Dispatch(DateTime.UtcNow))
            {
                var record = _store.MarkStarted(task.Key, task.Stage, task.Subject, _nodes.GetValueOrDefault(worker, ""), DateTime.UtcNow);
                Report(TaskEventKind.Started, task, record.Attempts);
                worker.Tell(task.PayloadJson.Length > WireLimits.InlineJsonBytes
                    ? new WorkItem(task with { PayloadJson = "" }, record.Attempts, _artifacts.Location,
                        _artifacts.Put(System.Text.Encoding.UTF8.GetBytes(task.PayloadJson), "payload"))
                    : new WorkItem(task, record.Attempts, _artifacts.Location));
            }
        _progressDirty = true;
        if (_store.Pending >= 2000) _store.Flush();
    }

    private int AttemptsOf(string key) => _store.Find(key)?.Attempts ?? 0;

    private void OnTick()
    {
        _store.Flush();
        var expired = _board.ExpireLeases(DateTime.UtcNow, _options.LeaseTimeout, AttemptsOf);
        if (expired.Count > 0) Reclaimed(expired, $"its lease expired after {_options.LeaseTimeout}");
        if (_progressDirty) PublishProgress();
    }

    private void PublishProgress()
    {
        _progressDirty = false;
        _observer.OnProgress(_board.Progress(_plan.Tasks));
        var busy = _board.Leases.GroupBy(l => _nodes.GetValueOrDefault(l.Worker, "")).ToDictionary(g => g.Key, g => g.Count());
        _observer.OnSlots(_nodes.Values.GroupBy(n => n).Select(g => new NodeSlots(g.Key, g.Count(), busy.GetValueOrDefault(g.Key))).ToList());
    }

    /// <summary>A cluster member was removed: every lease held by a slot on it goes back to the queue (or is quarantined).</summary>
    private void OnNodeLost(NodeLost m)
    {
        var lost = _nodes.Keys.Where(w => w.Path.Address.Equals(m.Address)).ToList();
        var verdicts = new List<FailureVerdict>();
        foreach (var w in lost)
        {
            _nodes.Remove(w);
            Context.Unwatch(w);
            verdicts.AddRange(_board.WorkerLost(w, AttemptsOf));
        }
        _log.Warning("node {0} removed: {1} worker slot(s) dropped, {2} lease(s) reclaimed", m.Address, lost.Count, verdicts.Count);
        Reclaimed(verdicts, $"its node {m.Address} was removed from the cluster");
    }

    /// <summary>Leases taken back from lost slots: re-queued, or quarantined when the task already used max_retries + 1 attempts.</summary>
    private void Reclaimed(IReadOnlyList<FailureVerdict> verdicts, string why)
    {
        foreach (var v in verdicts)
            switch (v)
            {
                case FailureVerdict.Retry r:
                    Report(TaskEventKind.Requeued, r.Task, AttemptsOf(r.Task.Key), why);
                    _log.Warning("task {0} {1} re-queued: {2}", r.Task.Stage, r.Task.Subject, why);
                    break;
                case FailureVerdict.GiveUp g:
                    int attempts = AttemptsOf(g.Task.Key);
                    GiveUp(g.Task, $"quarantined after {attempts} attempt(s) (execution.max_retries = {_board.MaxRetries}): every attempt lost its worker; last: {why}", true);
                    break;
            }
        Dispatch();
        MaybeFinish();
    }

    private void OnCompleted(WorkCompleted m)
    {
        if (_board.Complete(m.Key, m.Worker))
        {
            var json = m.ResultRef is { } r ? System.Text.Encoding.UTF8.GetString(_artifacts.Get(r)) : m.ResultJson;
            _store.Commit(m.Key, json, DateTime.UtcNow);
            if (_store.Find(m.Key) is { } record)
                Report(TaskEventKind.Committed, TaskOf(m.Key, record), record.Attempts, resultJson: json,
                    duration: record.FinishedUtc is { } f ? (f - record.StartedUtc).TotalSeconds : null);
            Accept(_plan.OnCommitted(m.Key, json));
        }
        Dispatch();
        MaybeFinish();
    }

    private void OnFailed(WorkFailed m)
    {
        int attempts = AttemptsOf(m.Key);
        switch (_board.Fail(m.Key, m.Worker, attempts, m.Deterministic))
        {
            case FailureVerdict.Retry retry:
                Report(TaskEventKind.Retrying, retry.Task, attempts, m.Error);
                _log.Warning("task {0} {1} failed (attempt {2}), retrying in {3} ms: {4}", retry.Task.Stage, retry.Task.Subject, attempts,
                    retry.Backoff.TotalMilliseconds, m.Error);
                Timers.StartSingleTimer("retry:" + m.Key, new Requeue(retry.Task), retry.Backoff);
                break;
            case FailureVerdict.GiveUp giveUp:
                GiveUp(giveUp.Task, giveUp.Quarantined
                    ? $"quarantined after {attempts} attempt(s) (execution.max_retries = {_board.MaxRetries}): {m.Error}"
                    : m.Error, giveUp.Quarantined);
                break;
        }
        Dispatch();
        MaybeFinish();
    }

    private void GiveUp(PlannedTask task, string reason, bool quarantined)
    {
        _store.MarkFailed(task.Key, reason, DateTime.UtcNow, quarantined);
        Report(quarantined ? TaskEventKind.Quarantined : TaskEventKind.Failed, task, AttemptsOf(task.Key), reason);
        _observer.OnTaskFailed(task.Stage, task.Subject, reason);
        if (_manifest.Execution.OnFailure == FailurePolicy.Stop)
        {
            _stopRequested = true;
            _errors.Add($"stopped after {task.Stage} {task.Subject} failed: {reason} (execution.on_failure = stop)");
            _board.ClearReady();
        }
        Accept(_plan.OnFailed(task.Key, reason));
    }

    /// <summary>When nothing is leased and the plan is complete (or stopped), writes the tables off the actor thread.</summary>
    private void MaybeFinish()
    {
        if (_finishing || _board.LeaseCount > 0) return;
        if (!_plan.IsComplete && !(_stopRequested && _board.ReadyCount == 0)) return;
        _finishing = true;
        _store.Flush();
        PublishProgress();
        int swept = _artifacts.RemoveAbandonedWrites();
        if (swept > 0) _log.Warning("removed {0} abandoned temporary artifact file(s) of interrupted writes", swept);
        if (_plan.GlobalError is { } g) _errors.Add(g);
        var records = _store.All().ToDictionary(r => r.Key);
        var outDir = _manifest.Outputs.Dir;
        var metadata = Provenance();
        var artifacts = _artifacts;
        var tables = StudyTables.Build(_manifest, _plan, records, r => ReadTimeseries(artifacts, r), r => ReadDraws(artifacts, r));
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
          .PipeTo(Self);
    }

    private void OnTablesWritten(TablesWritten m)
    {
        if (m.Error is not null) _errors.Add(m.Error);
        _reported = true;
        _observer.OnFinished(new StudySummary(_manifest.Study.Id, _manifest.Outputs.Dir, _plan.Tasks.Count,
            _board.Count(TaskBoard<IActorRef>.Outcome.Done), _board.Count(TaskBoard<IActorRef>.Outcome.Cached),
            _board.Count(TaskBoard<IActorRef>.Outcome.Failed), m.Tables, _errors, _clock.Elapsed));
    }

    /// <summary>Provenance key-value metadata; "created_utc" is the newest finish time of the study's tasks, so identical results give identical files.</summary>
    private Dictionary<string, string> Provenance()
    {
        var finished = _plan.Tasks.Select(t => _store.Find(t.Key)?.FinishedUtc).Where(f => f is not null).Select(f => f!.Value).DefaultIfEmpty(DateTime.UnixEpoch).Max();
        var provenance = new Dictionary<string, string>
        {
            ["shapestudy.study_id"] = _manifest.Study.Id,
            ["shapestudy.manifest_sha256"] = _manifest.ManifestHash,
            ["shapestudy.seed"] = _manifest.Study.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["shapestudy.code_version"] = CodeVersion.Value,
            ["shapestudy.created_utc"] = finished.ToString("O"),
            ["shapestudy.manifest"] = _manifest.ManifestText,
            ["shapestudy.manifest_path"] = _manifest.ManifestPath,
        };
        var segment = _plan.Tasks.FirstOrDefault(t => t.Stage == Stages.Segment);
        if (segment is not null && StageJson.Read<SegmentPayload>(segment.PayloadJson).Learned is { } model)
            provenance["shapestudy.segmentation_model_sha256"] = model.Sha256;
        return provenance;
    }

    /// <summary>Tells the observer (the dashboard) what happened to a task, with the real cell it belongs to.</summary>
    private void Report(TaskEventKind kind, PlannedTask task, int attempt, string? error = null, string? resultJson = null, double? duration = null) =>
        _observer.OnTask(new TaskEvent(kind, task.Key, task.Stage, task.Subject, CellOf(task), _store.Find(task.Key)?.Node ?? "", attempt,
            error, resultJson, duration));

    private static PlannedTask TaskOf(string key, Study.Storage.TaskRecord record) => new(key, record.Stage, record.Subject, "");

    /// <summary>The real cell a task works for: a cell, a shape's cell, a simulation's shape's cell, or the segmented input.</summary>
    private string? CellOf(PlannedTask task)
    {
        var subject = task.Subject;
        if (_plan.Cells.ContainsKey(subject)) return subject;
        if (_plan.Shapes.TryGetValue(subject, out var shape)) return shape.CellId;
        if (_plan.Simulations.TryGetValue(subject, out var sim)) return _plan.Shapes.TryGetValue(sim.ShapeId, out var s) ? s.CellId : null;
        return task.Stage == Stages.Segment ? subject : null;
    }

    private bool ArtifactsPresent(string resultJson)
    {
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(resultJson, "\"Sha256\":\"([0-9a-f]{64})\""))
            if (!_artifacts.Contains(new ArtifactRef(match.Groups[1].Value, "", 0))) return false;
        return true;
    }

    private static (double[], IReadOnlyDictionary<string, double[]>) ReadTimeseries(IArtifactStore store, ArtifactRef r)
    {
        var ts = System.Text.Json.JsonSerializer.Deserialize<TimeseriesArtifact>(store.Get(r))!;
        return (ts.TimesMs, ts.Means);
    }

    private static double[][] ReadDraws(IArtifactStore store, ArtifactRef r) =>
        System.Text.Json.JsonSerializer.Deserialize<double[][]>(store.Get(r))!;
}

/// <summary>Timing of the coordinator's leases, retries and progress reports.</summary>
/// <param name="LeaseTimeout">A lease with neither a result nor a progress line for this long is taken back (a hung worker); node
/// loss is detected much sooner by the cluster.</param>
/// <param name="FirstBackoff">Backoff before the first retry of a transiently failed task; doubles per attempt.</param>
/// <param name="ProgressInterval">Progress is published (and expired leases swept) at most this often.</param>
/// <param name="KeepRecordedFailures">Resume of an interrupted run: tasks that already failed for good in this run are not
/// attempted again. False for a new submission, which retries earlier failures.</param>
public sealed record CoordinatorOptions(TimeSpan LeaseTimeout, TimeSpan FirstBackoff, TimeSpan ProgressInterval, bool KeepRecordedFailures = false)
{
    public CoordinatorOptions() : this(TimeSpan.FromHours(2), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(250)) { }
}

/// <summary>The code version recorded in provenance: the assembly's informational version.</summary>
public static class CodeVersion
{
    public static string Value { get; } = typeof(CodeVersion).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0";
}
