using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>What to do with a failed attempt.</summary>
public abstract record FailureVerdict
{
    private FailureVerdict() { }

    /// <summary>Run the task again after <paramref name="Backoff"/>.</summary>
    public sealed record Retry(PlannedTask Task, TimeSpan Backoff) : FailureVerdict;

    /// <summary>The task has failed for good (deterministic failure, or retries exhausted).</summary>
    public sealed record GiveUp(PlannedTask Task) : FailureVerdict;

    /// <summary>No lease for that key (a late or duplicate report): nothing to do.</summary>
    public sealed record Ignored : FailureVerdict;
}

/// <summary>
/// The coordinator's bookkeeping as a pure state machine (no actors, no I/O): tasks ready to run, worker slots that
/// asked for work, leases, outcomes, and the retry policy. Work is pulled: a task is leased only to a slot that asked.
/// <typeparamref name="TWorker"/> identifies a worker slot (an actor reference in production, anything in tests).
/// </summary>
public sealed class TaskBoard<TWorker>(int maxRetries, TimeSpan firstBackoff) where TWorker : notnull
{
    /// <summary>Outcome of a task.</summary>
    public enum Outcome { Done, Cached, Failed }

    private readonly Queue<PlannedTask> _ready = new();
    private readonly Queue<TWorker> _idle = new();
    private readonly Dictionary<string, (PlannedTask Task, TWorker Worker)> _leases = new();
    private readonly Dictionary<string, Outcome> _outcomes = new();

    public int ReadyCount => _ready.Count;
    public int LeaseCount => _leases.Count;
    public int IdleCount => _idle.Count;

    /// <summary>True when the task is queued, leased or finished.</summary>
    public bool IsKnown(string key) => _outcomes.ContainsKey(key) || _leases.ContainsKey(key) || _ready.Any(t => t.Key == key);

    /// <summary>Queues a task to run (ignored when already known).</summary>
    public void AddReady(PlannedTask task)
    {
        if (!IsKnown(task.Key)) _ready.Enqueue(task);
    }

    /// <summary>Queues a task again after its retry backoff.</summary>
    public void Requeue(PlannedTask task)
    {
        if (!_outcomes.ContainsKey(task.Key) && !_leases.ContainsKey(task.Key)) _ready.Enqueue(task);
    }

    /// <summary>Records a task whose committed result was reused.</summary>
    public void MarkCached(string key) => _outcomes[key] = Outcome.Cached;

    /// <summary>A worker slot asks for one task.</summary>
    public void WorkerIdle(TWorker worker) => _idle.Enqueue(worker);

    /// <summary>Leases ready tasks to idle slots, first come first served.</summary>
    public List<(TWorker Worker, PlannedTask Task)> Dispatch()
    {
        var leased = new List<(TWorker, PlannedTask)>();
        while (_ready.Count > 0 && _idle.Count > 0)
        {
            var worker = _idle.Dequeue();
            var task = _ready.Dequeue();
            _leases[task.Key] = (task, worker);
            leased.Add((worker, task));
        }
        return leased;
    }

    /// <summary>A slot finished a task; the slot becomes idle again. False for a late or duplicate result (ignored).</summary>
    public bool Complete(string key, TWorker worker)
    {
        _idle.Enqueue(worker);
        if (!_leases.Remove(key)) return false;
        _outcomes[key] = Outcome.Done;
        return true;
    }

    /// <summary>
    /// A slot reports a failed attempt (the slot becomes idle again). Deterministic failures are final; transient ones
    /// are retried with exponential backoff (first, 2×, 4×, …) while <paramref name="attempts"/> ≤ max retries.
    /// </summary>
    public FailureVerdict Fail(string key, TWorker worker, int attempts, bool deterministic)
    {
        _idle.Enqueue(worker);
        if (!_leases.Remove(key, out var lease)) return new FailureVerdict.Ignored();
        if (!deterministic && attempts <= maxRetries)
            return new FailureVerdict.Retry(lease.Task, firstBackoff * Math.Pow(2, attempts - 1));
        _outcomes[key] = Outcome.Failed;
        return new FailureVerdict.GiveUp(lease.Task);
    }

    /// <summary>A worker slot is gone: its queued requests are dropped and its leases go back to the queue.</summary>
    public IReadOnlyList<PlannedTask> WorkerLost(TWorker worker)
    {
        var keep = _idle.Where(w => !EqualityComparer<TWorker>.Default.Equals(w, worker)).ToList();
        _idle.Clear();
        foreach (var w in keep) _idle.Enqueue(w);
        var requeued = _leases.Where(l => EqualityComparer<TWorker>.Default.Equals(l.Value.Worker, worker)).Select(l => l.Value.Task).ToList();
        foreach (var t in requeued)
        {
            _leases.Remove(t.Key);
            _ready.Enqueue(t);
        }
        return requeued;
    }

    /// <summary>Drops every queued task (a study stopping on failure); leased tasks finish normally.</summary>
    public void ClearReady() => _ready.Clear();

    public int Count(Outcome outcome) => _outcomes.Values.Count(o => o == outcome);

    /// <summary>Per-stage counts over <paramref name="tasks"/> (the plan's tasks, in order of first appearance).</summary>
    public IReadOnlyList<StageProgress> Progress(IEnumerable<PlannedTask> tasks)
    {
        var order = new List<string>();
        var counts = new Dictionary<string, int[]>();   // total, done, cached, failed, running
        foreach (var t in tasks)
        {
            if (!counts.TryGetValue(t.Stage, out var c)) { counts[t.Stage] = c = new int[5]; order.Add(t.Stage); }
            c[0]++;
            if (_outcomes.TryGetValue(t.Key, out var o)) c[o switch { Outcome.Done => 1, Outcome.Cached => 2, _ => 3 }]++;
            else if (_leases.ContainsKey(t.Key)) c[4]++;
        }
        return order.Select(s => new StageProgress(s, counts[s][0], counts[s][1], counts[s][2], counts[s][3], counts[s][4])).ToList();
    }
}
