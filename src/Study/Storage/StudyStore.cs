using LiteDB;

namespace ShapeStudy.Study.Storage;

/// <summary>Status of a task in the study state.</summary>
public static class TaskStatus
{
    public const string Started = "started";
    public const string Committed = "committed";
    public const string Failed = "failed";
    /// <summary>Gave up after <c>execution.max_retries</c>: every attempt failed transiently or lost its worker.</summary>
    public const string Quarantined = "quarantined";
}

/// <summary>One pipeline task's durable record, keyed by its content-hash task key.</summary>
public sealed class TaskRecord
{
    [BsonId] public string Key { get; set; } = "";
    public string Stage { get; set; } = "";
    /// <summary>The entity the task works on (input, cell or shape id).</summary>
    public string Subject { get; set; } = "";
    public string Status { get; set; } = TaskStatus.Started;
    public int Attempts { get; set; }
    public DateTime StartedUtc { get; set; }
    public DateTime? FinishedUtc { get; set; }
    public string Node { get; set; } = "";
    /// <summary>The task's result as JSON (small: scalars and artifact references).</summary>
    public string? ResultJson { get; set; }
    public string? Error { get; set; }
}

/// <summary>
/// The study's durable state in one LiteDB file. One process (the coordinator) owns the file. "started" is recorded
/// before a task runs and "committed" after its artifacts are stored, so a restart knows exactly what finished.
/// </summary>
public sealed class StudyStore : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<TaskRecord> _tasks;

    public StudyStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _tasks = _db.GetCollection<TaskRecord>("tasks");
        _tasks.EnsureIndex(t => t.Stage);
    }

    /// <summary>The committed record of <paramref name="key"/>, or null when the task never completed.</summary>
    public TaskRecord? FindCommitted(string key)
    {
        var r = _tasks.FindById(key);
        return r is { Status: TaskStatus.Committed } ? r : null;
    }

    public TaskRecord? Find(string key) => _tasks.FindById(key);

    /// <summary>Records that a task is about to run (incrementing its attempt count) and returns the record.</summary>
    public TaskRecord MarkStarted(string key, string stage, string subject, string node, DateTime nowUtc)
    {
        var r = _tasks.FindById(key) ?? new TaskRecord { Key = key, Stage = stage, Subject = subject };
        r.Status = TaskStatus.Started;
        r.Attempts++;
        r.StartedUtc = nowUtc;
        r.FinishedUtc = null;
        r.Node = node;
        r.Error = null;
        _tasks.Upsert(r);
        _db.Checkpoint();
        return r;
    }

    /// <summary>Commits a task's result. A second commit of an already committed key is ignored (effectively once).</summary>
    public bool Commit(string key, string resultJson, DateTime nowUtc)
    {
        var r = _tasks.FindById(key) ?? throw new InvalidOperationException($"task {key} was never started");
        if (r.Status == TaskStatus.Committed) return false;
        r.Status = TaskStatus.Committed;
        r.ResultJson = resultJson;
        r.FinishedUtc = nowUtc;
        _tasks.Upsert(r);
        _db.Checkpoint();
        return true;
    }

    /// <summary>Records a task's final failure with its reason (<see cref="TaskStatus.Quarantined"/> when retries ran out).</summary>
    public void MarkFailed(string key, string error, DateTime nowUtc, bool quarantined = false)
    {
        var r = _tasks.FindById(key) ?? throw new InvalidOperationException($"task {key} was never started");
        if (r.Status == TaskStatus.Committed) return;
        r.Status = quarantined ? TaskStatus.Quarantined : TaskStatus.Failed;
        r.Error = error;
        r.FinishedUtc = nowUtc;
        _tasks.Upsert(r);
    }

    public IReadOnlyList<TaskRecord> All() => _tasks.FindAll().ToList();

    public void Dispose() => _db.Dispose();
}
