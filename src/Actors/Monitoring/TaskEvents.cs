namespace ShapeStudy.Actors.Monitoring;

/// <summary>What happened to a task.</summary>
public enum TaskEventKind
{
    /// <summary>Leased to a worker slot (a new attempt).</summary>
    Started,
    /// <summary>Its result was committed.</summary>
    Committed,
    /// <summary>A committed result of an earlier run was reused (resume).</summary>
    Cached,
    /// <summary>A transient failure; the task runs again after a backoff.</summary>
    Retrying,
    /// <summary>Its worker or node was lost (or its lease expired); it went back to the queue.</summary>
    Requeued,
    /// <summary>Failed for good (a deterministic failure).</summary>
    Failed,
    /// <summary>Failed for good after <c>execution.max_retries</c> retries.</summary>
    Quarantined,
}

/// <summary>
/// One task event reported by the coordinator. <paramref name="Cell"/> is the real cell the task belongs to (the input
/// name for a segmentation, null for study-level stages). <paramref name="ResultJson"/> is the stage result of a committed
/// or cached task; <paramref name="DurationSeconds"/> the wall time from lease to commit (s), as in the <c>tasks</c> table.
/// </summary>
public sealed record TaskEvent(TaskEventKind Kind, string Key, string Stage, string Subject, string? Cell, string Node, int Attempt,
    string? Error = null, string? ResultJson = null, double? DurationSeconds = null);

/// <summary>
/// The latest one-line status a running task reported (e.g. "epoch 12/40: validation boundary F1 0.823"), with the
/// task's stage, subject and real cell as in <see cref="TaskEvent"/>.
/// </summary>
public sealed record TaskProgressEvent(string Key, string Stage, string Subject, string? Cell, string Text);

/// <summary>Worker slots of one node as the coordinator sees them: slots that asked for work, and how many hold a lease.</summary>
public sealed record NodeSlots(string Node, int Slots, int Busy);

/// <summary>Forwards every observer call to several observers, in order.</summary>
public sealed class CompositeObserver(params IStudyObserver[] observers) : IStudyObserver
{
    public void OnProgress(IReadOnlyList<StageProgress> stages) { foreach (var o in observers) o.OnProgress(stages); }
    public void OnTaskFailed(string stage, string subject, string error) { foreach (var o in observers) o.OnTaskFailed(stage, subject, error); }
    public void OnFinished(StudySummary summary) { foreach (var o in observers) o.OnFinished(summary); }
    public void OnTask(TaskEvent e) { foreach (var o in observers) o.OnTask(e); }
    public void OnSlots(IReadOnlyList<NodeSlots> nodes) { foreach (var o in observers) o.OnSlots(nodes); }
    public void OnTaskProgress(TaskProgressEvent e) { foreach (var o in observers) o.OnTaskProgress(e); }
}
