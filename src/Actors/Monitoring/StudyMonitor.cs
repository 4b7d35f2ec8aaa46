using ShapeStudy.Study.Pipeline;
using StoreStatus = ShapeStudy.Study.Storage.TaskStatus;

namespace ShapeStudy.Actors.Monitoring;

/// <summary>
/// The live state of the studies this process coordinates, fed by the coordinator through <see cref="ForStudy"/>
/// observers and read (thread-safely) by the dashboard, <c>/metrics</c> and <c>shapestudy status</c>. Task status
/// counts use the vocabulary of the <c>tasks</c> table (<c>started</c>, <c>committed</c>, <c>failed</c>,
/// <c>quarantined</c>, <c>not_run</c>), so at the end of a run they equal that table.
/// </summary>
public sealed class StudyMonitor
{
    /// <summary>Upper bounds (s) of the task-duration histogram buckets (a last +Inf bucket is implied).</summary>
    public static readonly double[] DurationBuckets = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };

    /// <summary>Bin edges of the linear iterations per time step histogram (last bin open).</summary>
    public static readonly double[] IterationsPerStepEdges = { 0, 1, 2, 5, 10, 20, 50, 100 };

    /// <summary>Width of the minimum-angle histogram bins (degrees), 0°–60° in 12 bins.</summary>
    public const double MinAngleBinDegrees = 5;

    private static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);
    private const int MaxFailuresKept = 500;
    private const int MaxCellsShown = 2000;

    private readonly object _gate = new();
    private readonly List<StudyFeed> _studies = new();
    private Func<IReadOnlyList<MemberView>>? _members;
    private Dictionary<string, long> _lastEnqueued = new();
    private DateTime _lastActorSample = DateTime.MinValue;
    private IReadOnlyList<ActorView> _lastActors = Array.Empty<ActorView>();

    /// <summary>Where the cluster membership comes from (set once the node's actor system is up).</summary>
    public void AttachCluster(Func<IReadOnlyList<MemberView>> members)
    {
        lock (_gate) _members = members;
    }

    /// <summary>An observer that records one study run; a re-run of the same study id replaces the earlier run's record.</summary>
    public IStudyObserver ForStudy(string studyId, string outputDir)
    {
        lock (_gate)
        {
            var feed = new StudyFeed(this, studyId, outputDir);
            int earlier = _studies.FindIndex(s => s.StudyId == studyId);
            if (earlier >= 0) _studies[earlier] = feed;
            else _studies.Add(feed);
            return feed;
        }
    }

    /// <summary>Per-study task counters for <c>/metrics</c>.</summary>
    public IReadOnlyList<StudyCounters> Counters()
    {
        lock (_gate) return _studies.Select(s => s.Counters()).ToList();
    }

    /// <summary>The current state of every study, the cluster and this process's actors.</summary>
    public DashboardSnapshot Snapshot()
    {
        IReadOnlyList<MemberView> members;
        List<StudyView> studies;
        Func<IReadOnlyList<MemberView>>? source;
        lock (_gate)
        {
            studies = _studies.Select(s => s.View()).ToList();
            source = _members;
        }
        try { members = source?.Invoke() ?? Array.Empty<MemberView>(); }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { members = Array.Empty<MemberView>(); }
        // The coordinator's slot counts, joined by node address.
        var slots = new Dictionary<string, NodeSlots>();
        lock (_gate)
            foreach (var s in _studies.Where(s => s.State == "running"))
                foreach (var n in s.Slots) slots[n.Node] = n;
        members = members.Select(m => slots.TryGetValue(m.Address, out var n) ? m with { Slots = n.Slots, Busy = n.Busy } : m).ToList();
        return new DashboardSnapshot(DateTime.UtcNow, studies, members, SampleActors());
    }

    /// <summary>
    /// Mailbox counters with rates over the time since the previous sample (at least 0.5 s apart); the first sample's
    /// rates are averages since the process started.
    /// </summary>
    private IReadOnlyList<ActorView> SampleActors()
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if ((now - _lastActorSample).TotalSeconds < 0.5) return _lastActors;
            bool first = _lastActorSample == DateTime.MinValue;
            double dt = first ? Math.Max(0.5, (DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalSeconds)
                : (now - _lastActorSample).TotalSeconds;
            var sample = MailboxMetrics.Sample();
            _lastActors = sample.Select(a => new ActorView(a.ActorType, a.Mailboxes, a.Depth,
                Math.Max(0, a.Enqueued - _lastEnqueued.GetValueOrDefault(a.ActorType)) / dt, a.Enqueued, a.Dequeued)).ToList();
            _lastEnqueued = sample.ToDictionary(a => a.ActorType, a => a.Enqueued);
            _lastActorSample = now;
            return _lastActors;
        }
    }

    /// <summary>Counters of one study for <c>/metrics</c>: task status counts per stage, attempt outcomes, durations.</summary>
    /// <param name="StudyId">The study's id.</param>
    /// <param name="State">running, finished or failed.</param>
    /// <param name="Tasks">(stage, status) → tasks, in the <c>tasks</c> table's status vocabulary.</param>
    /// <param name="Events">(stage, event) → count of task events (started, committed, cached, retrying, requeued, failed, quarantined).</param>
    /// <param name="Durations">stage → histogram of executed task durations (s) over <see cref="DurationBuckets"/>.</param>
    public sealed record StudyCounters(string StudyId, string State, IReadOnlyDictionary<(string Stage, string Status), int> Tasks,
        IReadOnlyDictionary<(string Stage, string Event), long> Events, IReadOnlyDictionary<string, DurationHistogram> Durations);

    /// <summary>Cumulative counts per bucket of <see cref="DurationBuckets"/> plus +Inf, the sum (s) and the count.</summary>
    public sealed record DurationHistogram(long[] Cumulative, double Sum, long Count);

    private sealed class CellState
    {
        public readonly Dictionary<string, HashSet<string>> KeysByStage = new();
        public readonly Dictionary<string, string> Status = new();       // key → started/finished/failed
        public readonly Dictionary<string, string> Errors = new();       // stage → first failure reason
    }

    private sealed class StageStats
    {
        public int Retries;
        public double DurationSum;
        public long DurationCount;
        public readonly long[] Buckets = new long[DurationBuckets.Length + 1];
        public readonly Queue<DateTime> RecentFinishes = new();
    }

    /// <summary>The observer of one study run; every call comes from the coordinator's thread, reads come from anywhere.</summary>
    private sealed class StudyFeed(StudyMonitor owner, string studyId, string outputDir) : IStudyObserver
    {
        private readonly object _gate = owner._gate;
        private readonly DateTime _started = DateTime.UtcNow;
        private DateTime? _finished;
        private IReadOnlyList<StageProgress> _progress = Array.Empty<StageProgress>();
        private readonly Dictionary<string, (string Stage, string Status)> _tasks = new();
        private readonly Dictionary<(string, string), long> _events = new();
        private readonly Dictionary<string, StageStats> _stages = new();
        private readonly Dictionary<string, CellState> _cells = new();
        private readonly List<string> _cellOrder = new();
        private readonly LinkedList<FailureView> _failures = new();
        private readonly Queue<DateTime> _recent = new();
        private readonly Dictionary<string, TaskProgressView> _running = new();   // key → latest progress of a running task
        private IReadOnlyList<string> _errors = Array.Empty<string>();
        // science
        private int _meshes, _watertight;
        private readonly int[] _minAngleHistogram = new int[12];
        private readonly long[] _angleHistogram = new long[18];
        private double? _worstAngle;
        private int _sims, _maxSteps, _maxIterations, _femRuns, _rejected, _halvings;
        private double _stepSum, _iterationSum, _solveSum, _maxSolve;
        private readonly int[] _iterationsPerStep = new int[IterationsPerStepEdges.Length];
        private readonly List<FitView> _fits = new();
        private readonly List<SegmentationView> _segmentation = new();

        public string StudyId => studyId;
        public string State { get; private set; } = "running";
        public IReadOnlyList<NodeSlots> Slots { get; private set; } = Array.Empty<NodeSlots>();

        public void OnProgress(IReadOnlyList<StageProgress> stages)
        {
            lock (_gate) _progress = stages;
        }

        public void OnSlots(IReadOnlyList<NodeSlots> nodes)
        {
            lock (_gate) Slots = nodes;
        }

        public void OnTaskFailed(string stage, string subject, string error) { }

        public void OnTaskProgress(TaskProgressEvent e)
        {
            lock (_gate)
                if (_tasks.TryGetValue(e.Key, out var t) && t.Status == StoreStatus.Started)
                    _running[e.Key] = new TaskProgressView(e.Key, e.Stage, e.Subject, e.Cell, e.Text, DateTime.UtcNow);
        }

        public void OnFinished(StudySummary summary)
        {
            lock (_gate)
            {
                _finished = DateTime.UtcNow;
                _errors = summary.Errors;
                State = summary.Succeeded ? "finished" : "failed";
            }
        }

        public void OnTask(TaskEvent e)
        {
            lock (_gate)
            {
                var eventName = e.Kind.ToString().ToLowerInvariant();
                _events[(e.Stage, eventName)] = _events.GetValueOrDefault((e.Stage, eventName)) + 1;
                if (!_stages.TryGetValue(e.Stage, out var stats)) _stages[e.Stage] = stats = new StageStats();
                var status = e.Kind switch
                {
                    TaskEventKind.Committed or TaskEventKind.Cached => StoreStatus.Committed,
                    TaskEventKind.Failed => StoreStatus.Failed,
                    TaskEventKind.Quarantined => StoreStatus.Quarantined,
                    _ => StoreStatus.Started,
                };
                _tasks[e.Key] = (e.Stage, status);
                _running.Remove(e.Key);          // any event ends the attempt that reported progress (or starts a new one)
                var now = DateTime.UtcNow;
                switch (e.Kind)
                {
                    case TaskEventKind.Committed:
                        if (e.DurationSeconds is { } d)
                        {
                            stats.DurationSum += d;
                            stats.DurationCount++;
                            int b = Array.FindIndex(DurationBuckets, edge => d <= edge);
                            stats.Buckets[b < 0 ? DurationBuckets.Length : b]++;
                        }
                        Finished(stats, now);
                        break;
                    case TaskEventKind.Cached:
                        Finished(stats, now);
                        break;
                    case TaskEventKind.Retrying:
                    case TaskEventKind.Requeued:
                        stats.Retries++;
                        AddFailure(new FailureView("retrying", e.Stage, e.Subject, e.Cell, e.Error ?? "", e.Attempt, now));
                        break;
                    case TaskEventKind.Failed:
                    case TaskEventKind.Quarantined:
                        Finished(stats, now);
                        AddFailure(new FailureView(status, e.Stage, e.Subject, e.Cell, e.Error ?? "failed", e.Attempt, now));
                        break;
                }
                if (e.Cell is { } cell) TrackCell(cell, e);
                if (e.ResultJson is { } json) Science(e.Stage, e.Subject, json);
            }
        }

        private void Finished(StageStats stats, DateTime now)
        {
            stats.RecentFinishes.Enqueue(now);
            _recent.Enqueue(now);
        }

        private void AddFailure(FailureView f)
        {
            _failures.AddFirst(f);
            // Keep every final failure; drop the oldest retry notices first when the list is long.
            while (_failures.Count > MaxFailuresKept)
            {
                var node = _failures.Last;
                while (node is not null && node.Value.Kind != "retrying") node = node.Previous;
                _failures.Remove(node ?? _failures.Last!);
            }
        }

        private void TrackCell(string cell, TaskEvent e)
        {
            if (!_cells.TryGetValue(cell, out var c)) { _cells[cell] = c = new CellState(); _cellOrder.Add(cell); }
            if (!c.KeysByStage.TryGetValue(e.Stage, out var keys)) c.KeysByStage[e.Stage] = keys = new HashSet<string>();
            keys.Add(e.Key);
            c.Status[e.Key] = e.Kind switch
            {
                TaskEventKind.Committed or TaskEventKind.Cached => "done",
                TaskEventKind.Failed or TaskEventKind.Quarantined => "failed",
                TaskEventKind.Started => "running",
                _ => "pending",
            };
            if (e.Kind is TaskEventKind.Failed or TaskEventKind.Quarantined && !c.Errors.ContainsKey(e.Stage))
                c.Errors[e.Stage] = e.Error ?? "failed";
        }

        /// <summary>Science panels from a stage result; a result that does not parse is skipped (the dashboard never fails a study).</summary>
        private void Science(string stage, string subject, string json)
        {
            try
            {
                switch (stage)
                {
                    case Stages.LoadMesh: Mesh(StageJson.Read<LoadMeshResult>(json).Quality); break;
                    case Stages.Surface: Mesh(StageJson.Read<SurfaceResult>(json).Quality); break;
                    case Stages.Simulate: Solver(StageJson.Read<SimulateResult>(json)); break;
                    case Stages.Fit:
                        var f = StageJson.Read<FitResult>(json);
                        var s = f.Summary;
                        _fits.Add(new FitView(f.CellId, s.Parameter, s.Mean, s.Sd, s.RHat, s.EssBulk, s.EssTail, f.Chains, f.Draws, f.AcceptanceRate, f.TrueValue));
                        break;
                    case Stages.Segment:
                        if (StageJson.Read<SegmentResult>(json).Quality is { } q)
                            _segmentation.Add(new SegmentationView(subject, q.Dice, q.Iou, q.AdaptedRandError, q.VoiSplit, q.VoiMerge, q.GroundTruthObjects, q.PredictedObjects));
                        break;
                }
            }
            catch (System.Text.Json.JsonException) { }
            catch (InvalidDataException) { }
        }

        private void Mesh(MeshQuality q)
        {
            _meshes++;
            if (q.Watertight) _watertight++;
            if (double.IsFinite(q.MinAngleDeg))
            {
                int bin = Math.Clamp((int)(q.MinAngleDeg / MinAngleBinDegrees), 0, _minAngleHistogram.Length - 1);
                _minAngleHistogram[bin]++;
                _worstAngle = _worstAngle is { } w ? Math.Min(w, q.MinAngleDeg) : q.MinAngleDeg;
            }
            for (int i = 0; i < Math.Min(q.AngleHistogram.Length, _angleHistogram.Length); i++) _angleHistogram[i] += q.AngleHistogram[i];
        }

        private void Solver(SimulateResult r)
        {
            _sims++;
            int steps = r.Fem?.Steps ?? r.Steps;
            int iterations = r.Fem?.LinearIterations ?? r.CgIterations;
            _stepSum += steps;
            _iterationSum += iterations;
            _solveSum += r.SolveSeconds;
            _maxSteps = Math.Max(_maxSteps, steps);
            _maxIterations = Math.Max(_maxIterations, iterations);
            _maxSolve = Math.Max(_maxSolve, r.SolveSeconds);
            double perStep = steps > 0 ? (double)iterations / steps : 0;
            int bin = Array.FindLastIndex(IterationsPerStepEdges, edge => perStep >= edge);
            _iterationsPerStep[Math.Max(0, bin)]++;
            if (r.Fem is { } fem)
            {
                _femRuns++;
                _rejected += fem.RejectedSteps;
                _halvings += Math.Max(0, fem.Attempts - 1);
            }
        }

        public StudyCounters Counters()
        {
            var tasks = new Dictionary<(string, string), int>();
            foreach (var (stage, status) in _tasks.Values) tasks[(stage, status)] = tasks.GetValueOrDefault((stage, status)) + 1;
            foreach (var p in _progress)
            {
                int seen = _tasks.Values.Count(t => t.Stage == p.Stage);
                if (p.Total > seen) tasks[(p.Stage, "not_run")] = p.Total - seen;
            }
            var durations = _stages.ToDictionary(kv => kv.Key, kv =>
            {
                var cumulative = new long[kv.Value.Buckets.Length];
                long running = 0;
                for (int i = 0; i < cumulative.Length; i++) cumulative[i] = running += kv.Value.Buckets[i];
                return new DurationHistogram(cumulative, kv.Value.DurationSum, kv.Value.DurationCount);
            });
            return new StudyCounters(studyId, State, tasks, new Dictionary<(string, string), long>(_events), durations);
        }

        public StudyView View()
        {
            var now = _finished ?? DateTime.UtcNow;
            var cutoff = DateTime.UtcNow - RateWindow;
            while (_recent.Count > 0 && _recent.Peek() < cutoff) _recent.Dequeue();
            double window = Math.Min(RateWindow.TotalSeconds, Math.Max(1, (DateTime.UtcNow - _started).TotalSeconds));
            var stages = _progress.Select(p =>
            {
                _stages.TryGetValue(p.Stage, out var st);
                if (st is not null) while (st.RecentFinishes.Count > 0 && st.RecentFinishes.Peek() < cutoff) st.RecentFinishes.Dequeue();
                int queued = Math.Max(0, p.Total - p.Done - p.Cached - p.Failed - p.Running);
                return new StageView(p.Stage, p.Total, p.Done, p.Cached, p.Failed, p.Running, queued,
                    (st?.RecentFinishes.Count ?? 0) * 60.0 / window, st?.Retries ?? 0,
                    st is { DurationCount: > 0 } ? st.DurationSum / st.DurationCount : null);
            }).ToList();
            int total = stages.Sum(s => s.Total), finished = stages.Sum(s => s.Done + s.Cached + s.Failed);
            double rate = _finished is null ? _recent.Count / window : 0;
            double? eta = _finished is not null ? 0 : rate > 0 ? (total - finished) / rate : null;
            var cells = _cellOrder.Select(id => CellOf(id, _cells[id], _running))
                .OrderBy(c => c.Status == "failed" ? 0 : 1).Take(MaxCellsShown).ToList();
            var science = new ScienceView(
                new MeshQualityView(_meshes, _watertight, MinAngleBinDegrees, (int[])_minAngleHistogram.Clone(), (long[])_angleHistogram.Clone(), _worstAngle),
                new SolverView(_sims, _sims > 0 ? _stepSum / _sims : 0, _maxSteps, _sims > 0 ? _iterationSum / _sims : 0, _maxIterations,
                    IterationsPerStepEdges, (int[])_iterationsPerStep.Clone(), _sims > 0 ? _solveSum / _sims : 0, _maxSolve, _femRuns, _rejected, _halvings),
                _fits.ToList(), _segmentation.ToList());
            return new StudyView(studyId, outputDir, State, (now - _started).TotalSeconds, total, finished, stages.Sum(s => s.Failed),
                stages.Sum(s => s.Running), rate, eta, stages, cells, _failures.ToList(), science, _errors.ToList(),
                _running.Values.OrderBy(v => v.Stage, StringComparer.Ordinal).ThenBy(v => v.Subject, StringComparer.Ordinal).ToList());
        }

        private static CellView CellOf(string id, CellState c, Dictionary<string, TaskProgressView> progress)
        {
            var stages = new Dictionary<string, CellStageView>();
            foreach (var (stage, keys) in c.KeysByStage)
            {
                int done = keys.Count(k => c.Status[k] == "done"), running = keys.Count(k => c.Status[k] == "running"),
                    failed = keys.Count(k => c.Status[k] == "failed");
                string status = failed > 0 ? "failed" : running > 0 ? "running" : done == keys.Count ? "done" : "pending";
                var latest = running > 0 ? keys.Select(k => progress.GetValueOrDefault(k)).Where(v => v is not null).MaxBy(v => v!.TimeUtc) : null;
                stages[stage] = new CellStageView(status, keys.Count, done + failed, running, failed, c.Errors.GetValueOrDefault(stage), latest?.Text);
            }
            var statuses = stages.Values.Select(s => s.Status).ToList();
            string overall = statuses.Contains("failed") ? "failed" : statuses.Contains("running") ? "running"
                : statuses.Count > 0 && statuses.All(s => s == "done") ? "done" : "pending";
            return new CellView(id, overall, stages, c.Errors.Values.FirstOrDefault());
        }
    }
}
