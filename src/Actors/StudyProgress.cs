namespace ShapeStudy.Actors;

/// <summary>Counts of one stage's tasks.</summary>
public sealed record StageProgress(string Stage, int Total, int Done, int Cached, int Failed, int Running);

/// <summary>The final account of a study run.</summary>
public sealed record StudySummary(string StudyId, string OutputDir, int Tasks, int Executed, int Cached, int Failed,
    IReadOnlyList<(string Table, int Rows)> Tables, IReadOnlyList<string> Errors, TimeSpan Elapsed)
{
    /// <summary>True when every table was written and no study-level stage failed.</summary>
    public bool Succeeded => Tables.Count > 0 && Errors.Count == 0;
}

/// <summary>Receives progress from the coordinator (the CLI renders it; tests record it). Called on the coordinator's thread.</summary>
public interface IStudyObserver
{
    void OnProgress(IReadOnlyList<StageProgress> stages);
    void OnTaskFailed(string stage, string subject, string error);
    void OnFinished(StudySummary summary);

    /// <summary>A task started, finished, was reused or failed (the dashboard's per-cell grid and science panels). Optional.</summary>
    void OnTask(Monitoring.TaskEvent e) { }

    /// <summary>Worker slots per node as the coordinator sees them, published with progress. Optional.</summary>
    void OnSlots(IReadOnlyList<Monitoring.NodeSlots> nodes) { }

    /// <summary>A running task reported progress (at most once per second per task). Optional.</summary>
    void OnTaskProgress(Monitoring.TaskProgressEvent e) { }
}
