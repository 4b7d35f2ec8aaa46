namespace ShapeStudy.Actors.Nodes;

/// <summary>A client submits the manifest at <paramref name="ManifestPath"/> (absolute, on the storage every node sees).</summary>
public sealed record SubmitStudy(string ManifestPath);

/// <summary>A client (re)subscribes to a study's progress; repeated every few seconds, so it survives a coordinator fail-over.</summary>
public sealed record WatchStudy(string StudyId);

/// <summary>The study is registered; <paramref name="QueuedBehind"/> studies run before it (0: it is running).</summary>
public sealed record StudyAccepted(string StudyId, string OutputDir, int QueuedBehind);

/// <summary>The manifest is invalid (or the study unknown): nothing runs.</summary>
public sealed record StudyRejected(string What, string[] Errors);

/// <summary>Asks a node's <c>/user/submissions</c> endpoint for the coordinator's state (<c>shapestudy status --cluster</c>).</summary>
public sealed record QueryStatus;

/// <summary>The coordinator's answer to <see cref="QueryStatus"/>: a compact <see cref="Monitoring.DashboardSnapshot"/> as JSON.</summary>
public sealed record ClusterStatus(string SnapshotJson);

/// <summary>Per-stage counts of a running study.</summary>
public sealed record StudyProgressed(string StudyId, StageProgress[] Stages);

/// <summary>A task of the study failed for good (deterministic failure or quarantine) with its reason.</summary>
public sealed record StudyTaskFailed(string StudyId, string Stage, string Subject, string Error);

/// <summary>A running task's latest progress line (see <see cref="TaskProgress"/>); <paramref name="Cell"/> is null for study-level tasks.</summary>
public sealed record StudyTaskProgressed(string StudyId, string Key, string Stage, string Subject, string? Cell, string Text);

/// <summary>The study completed (or stopped); the outcome is also kept in the coordinator's state directory.</summary>
public sealed record StudyFinished(string StudyId, StudyOutcome Outcome);

/// <summary>A <see cref="StudySummary"/> in a form that crosses the wire; elapsed in seconds.</summary>
public sealed record StudyOutcome(string StudyId, string OutputDir, int Tasks, int Executed, int Cached, int Failed,
    string[] Tables, int[] Rows, string[] Errors, double ElapsedSeconds)
{
    public static StudyOutcome From(StudySummary s) => new(s.StudyId, s.OutputDir, s.Tasks, s.Executed, s.Cached, s.Failed,
        s.Tables.Select(t => t.Table).ToArray(), s.Tables.Select(t => t.Rows).ToArray(), s.Errors.ToArray(), s.Elapsed.TotalSeconds);

    public StudySummary ToSummary() => new(StudyId, OutputDir, Tasks, Executed, Cached, Failed,
        Tables.Zip(Rows, (t, r) => (t, r)).ToList(), Errors, TimeSpan.FromSeconds(ElapsedSeconds));
}
