using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>What to do with a failed or lost attempt.</summary>
public abstract record FailureVerdict
{
    private FailureVerdict() { }

    /// <summary>Run the task again after <paramref name="Backoff"/> (zero: it is already back in the ready queue).</summary>
    public sealed record Retry(PlannedTask Task, TimeSpan Backoff) : FailureVerdict;

    /// <summary>
    /// The task has failed for good: a deterministic failure, or retries exhausted. <paramref name="Quarantined"/> is
    /// true when the task used up <c>max_retries</c> (transient failures, or attempts that lost their worker).
    /// </summary>
    public sealed record GiveUp(PlannedTask Task, bool Quarantined = false) : FailureVerdict;

    /// <summary>No lease of that key by that slot (a late or duplicate report): nothing to do.</summary>
    public sealed record Ignored : FailureVerdict;
}

/// <summary>
/// The coordinator's bookkeeping as a pure state machine (no actors, no I/O): tasks ready to run, worker slots that
/// asked for work, leases, outcomes, and the retry policy. Work is pulled: a task is leased only to a slot that asked,
/// a slot holds at most one lease, and a slot that asks twice is queued once. <typeparamref name="TWorker"/> identifies
/// a worker slot (an actor reference in production, anything in tests). Every operation is O(1) amortised per task.
/// </summary>
public sealed class TaskBoard<TWorker>(int maxRetries, TimeSpan firstBackoff) where TWorker : notnull
{
    /// <summary>Outcome of a task.</summary>
    public enum Outcome { Done, Cached, Failed }

    /// <summary>A task leased to a slot since <paramref name="Since"/>; <paramref name="Heard"/> is the slot's latest progress
    /// report, or <paramref name="Since"/> (UTC).</summary>
    public readonly record struct Lease(PlannedTask Task, TWorker Worker, DateTime Since, DateTime Heard);

    // Queues with lazy deletion: an entry counts only while its key (or slot) is still in the matching set.
    private readonly Queue<PlannedTask> _ready = new();
    private readonly Dictionary<string, PlannedTask> _readyKeys = new();
    private readonly Queue<TWorker> _idle = new();
    private readonly HashSet<TWorker> _idleSet = new();
    private readonly Dictionary<string, Lease> _leases = new();
    private readonly Dictionary<TWorker, string> _leaseOf = new();
    private readonly Dictionary<string, Outcome> _outcomes = new();
    private readonly int[] _outcomeCounts = new int[3];

    public int ReadyCount => _readyKeys.Count;
    public int LeaseCount => _leases.Count;
    public int IdleCount => _idleSet.Count;
    public int MaxRetries => maxRetries;

    /// <summary>The current leases.</summary>
    public IEnumerable<Lease> Leases => _leases.Values;

    /// <summary>True when the task is queued, leased or finished.</summary>
    public bool IsKnown(string key) => _outcomes.ContainsKey(key) || _leases.ContainsKey(key) || _readyKeys.ContainsKey(key);

    /// <summary>True when the task has an outcome (done, cached or failed).</summary>
    public bool IsFinished(string key) => _outcomes.ContainsKey(key);

    /// <summary>
    /// The slot holding the lease of <paramref name="key"/> reported progress at <paramref name="nowUtc"/>: the lease's timeout
    /// restarts (a task that keeps reporting is alive, however long it runs). Returns the task, or null (and changes nothing)
    /// when <paramref name="worker"/> does not hold that lease.
    /// </summary>
    public PlannedTask? Heard(string key, TWorker worker, DateTime nowUtc)
    {
        if (!_leases.TryGetValue(key, out var lease) || !EqualityComparer<TWorker>.Default.Equals(lease.Worker, worker)) return null;
        _leases[key] = lease with { Heard = nowUtc };
        return lease.Task;
    }

    /// <summary>Queues a task to run (ignored when already known).</summary>
    public void AddReady(PlannedTask task)
    {
        if (IsKnown(task.Key)) return;
        _readyKeys[task.Key] = task;
        _ready.Enqueue(task);
    }

    /// <summary>Queues a task again after its retry backoff.</summary>
    public void Requeue(PlannedTask task)
    {
        if (_outcomes.ContainsKey(task.Key) || _leases.ContainsKey(task.Key) || _readyKeys.ContainsKey(task.Key)) return;
        _readyKeys[task.Key] = task;
        _ready.Enqueue(task);
    }

    /// <summary>Records a task whose committed result was reused.</summary>
    public void MarkCached(string key) => SetOutcome(key, Outcome.Cached);

    /// <summary>Records a task that failed for good earlier (a resumed run keeps its final failures).</summary>
    public void MarkFailed(string key)
    {
        _readyKeys.Remove(key);
        SetOutcome(key, Outcome.Failed);
    }

    /// <summary>A worker slot asks for one task; ignored while the slot is already waiting or holds a lease.</summary>
    public void WorkerIdle(TWorker worker)
    {
        if (_leaseOf.ContainsKey(worker) || !_idleSet.Add(worker)) return;
        _idle.Enqueue(worker);
    }

    /// <summary>Leases ready tasks to idle slots, first come first served.</summary>
    public List<(TWorker Worker, PlannedTask Task)> Dispatch(DateTime nowUtc = default)
    {
        var leased = new List<(TWorker, PlannedTask)>();
        while (_readyKeys.Count > 0 && _idleSet.Count > 0)
        {
            var worker = _idle.Dequeue();
            if (!_idleSet.Remove(worker)) continue;                 // dropped (lost) slot
            PlannedTask? task = null;
            while (_ready.Count > 0)
            {
                var t = _ready.Dequeue();
                if (_readyKeys.TryGetValue(t.Key, out var current) && ReferenceEquals(current, t)) { task = t; break; }
            }
            if (task is null) { _idleSet.Add(worker); _idle.Enqueue(worker); break; }
            _readyKeys.Remove(task.Key);
            _leases[task.Key] = new Lease(task, worker, nowUtc, nowUtc);
            _leaseOf[worker] = task.Key;
            leased.Add((worker, task));
        }
        return leased;
    }

    /// <summary>
    /// A slot reports a result; the slot becomes idle again (completing is its next request). The first result of a key
    /// is accepted even from a slot that no longer holds its lease (a lease re-queued after a node loss, or a task leased
    /// by a previous coordinator incarnation): results are keyed and deterministic. False for a duplicate (ignored).
    /// </summary>
    public bool Complete(string key, TWorker worker)
    {
        ReleaseSlot(key, worker);
        if (_outcomes.ContainsKey(key)) return false;
        if (_leases.Remove(key, out var lease)) _leaseOf.Remove(lease.Worker);
        else if (!_readyKeys.Remove(key)) return false;
        SetOutcome(key, Outcome.Done);
        return true;
    }

    /// <summary>
    /// A slot reports a failed attempt (the slot becomes idle again). Only the lease holder's report counts. Deterministic
    /// failures are final; transient ones are retried with exponential backoff (first, 2×, 4×, …) while
    /// <paramref name="attempts"/> ≤ max retries, then the task is quarantined.
    /// </summary>
    public FailureVerdict Fail(string key, TWorker worker, int attempts, bool deterministic)
    {
        bool held = _leases.TryGetValue(key, out var lease) && EqualityComparer<TWorker>.Default.Equals(lease.Worker, worker);
        ReleaseSlot(key, worker);
        if (!held) return new FailureVerdict.Ignored();
        _leases.Remove(key);
        _leaseOf.Remove(worker);
        if (!deterministic && attempts <= maxRetries)
            return new FailureVerdict.Retry(lease.Task, firstBackoff * Math.Pow(2, attempts - 1));
        SetOutcome(key, Outcome.Failed);
        return new FailureVerdict.GiveUp(lease.Task, Quarantined: !deterministic);
    }

    /// <summary>
    /// A worker slot is gone (its actor stopped or its node was removed): its queued request is dropped and its lease is
    /// re-queued, or quarantined when the task has already used <c>max_retries</c> + 1 attempts
    /// (<paramref name="attemptsOf"/> gives a key's attempt count).
    /// </summary>
    public IReadOnlyList<FailureVerdict> WorkerLost(TWorker worker, Func<string, int> attemptsOf)
    {
        _idleSet.Remove(worker);
        if (!_leaseOf.Remove(worker, out var key)) return Array.Empty<FailureVerdict>();
        var lease = _leases[key];
        _leases.Remove(key);
        return new[] { Reclaim(lease.Task, attemptsOf(key)) };
    }

    /// <summary>Leases with neither a result nor a progress report for longer than <paramref name="timeout"/> are taken back
    /// (re-queued or quarantined like a lost worker's).</summary>
    public IReadOnlyList<FailureVerdict> ExpireLeases(DateTime nowUtc, TimeSpan timeout, Func<string, int> attemptsOf)
    {
        List<FailureVerdict>? verdicts = null;
        foreach (var lease in _leases.Values.Where(l => nowUtc - l.Heard > timeout).ToList())
        {
            _leases.Remove(lease.Task.Key);
            _leaseOf.Remove(lease.Worker);
            (verdicts ??= new()).Add(Reclaim(lease.Task, attemptsOf(lease.Task.Key)));
        }
        return verdicts ?? (IReadOnlyList<FailureVerdict>)Array.Empty<FailureVerdict>();
    }

    /// <summary>Drops every queued task (a study stopping on failure); leased tasks finish normally.</summary>
    public void ClearReady()
    {
        _ready.Clear();
        _readyKeys.Clear();
    }

    public int Count(Outcome outcome) => _outcomeCounts[(int)outcome];

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

    private FailureVerdict Reclaim(PlannedTask task, int attempts)
    {
        if (attempts > maxRetries)
        {
            SetOutcome(task.Key, Outcome.Failed);
            return new FailureVerdict.GiveUp(task, Quarantined: true);
        }
        _readyKeys[task.Key] = task;
        _ready.Enqueue(task);
        return new FailureVerdict.Retry(task, TimeSpan.Zero);
    }

    /// <summary>The reporting slot is free again unless it holds the lease of a different task.</summary>
    private void ReleaseSlot(string key, TWorker worker)
    {
        if (_leaseOf.TryGetValue(worker, out var held) && held != key) return;
        if (_idleSet.Add(worker)) _idle.Enqueue(worker);
    }

    private void SetOutcome(string key, Outcome outcome)
    {
        if (_outcomes.TryGetValue(key, out var old)) _outcomeCounts[(int)old]--;
        _outcomes[key] = outcome;
        _outcomeCounts[(int)outcome]++;
    }
}
