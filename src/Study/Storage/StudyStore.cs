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
/// Every record is also held in memory (reads never touch the file). With <c>groupCommit</c> the changes are written
/// in one LiteDB transaction per <see cref="Flush"/> (the coordinator flushes a few times per second and before it
/// acts on the state: table writing, shutdown); a crash then loses at most the unflushed records, whose tasks simply
/// run again — a commit is only ever reported durable once it is on disk.
/// </summary>
public sealed class StudyStore : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<TaskRecord> _tasks;
    private readonly Dictionary<string, TaskRecord> _records = new();
    private readonly Dictionary<string, TaskRecord> _dirty = new();
    private readonly bool _groupCommit;

    /// <param name="path">The LiteDB file.</param>
    /// <param name="groupCommit">False: every change is written at once. True: changes are written by <see cref="Flush"/>.</param>
    public StudyStore(string path, bool groupCommit = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _tasks = _db.GetCollection<TaskRecord>("tasks");
        _tasks.EnsureIndex(t => t.Stage);
        _groupCommit = groupCommit;
        foreach (var r in _tasks.FindAll())
        {
            r.StartedUtc = Utc(r.StartedUtc);
            r.FinishedUtc = r.FinishedUtc is { } f ? Utc(f) : null;
            _records[r.Key] = r;
        }
    }

    /// <summary>
    /// Times as LiteDB keeps them (whole milliseconds), always of UTC kind: a record reads the same from memory in the
    /// run that wrote it and from the file in a later run (cached re-runs rewrite byte-identical tables).
    /// </summary>
    private static DateTime Utc(DateTime t)
    {
        var u = t.Kind switch { DateTimeKind.Local => t.ToUniversalTime(), DateTimeKind.Unspecified => DateTime.SpecifyKind(t, DateTimeKind.Utc), _ => t };
        return new DateTime(u.Ticks - u.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    /// <summary>Changes not yet written (always 0 without group commit).</summary>
    public int Pending => _dirty.Count;

    /// <summary>The committed record of <paramref name="key"/>, or null when the task never completed.</summary>
    public TaskRecord? FindCommitted(string key) =>
        _records.TryGetValue(key, out var r) && r.Status == TaskStatus.Committed ? r : null;

    public TaskRecord? Find(string key) => _records.GetValueOrDefault(key);

    /// <summary>Records that a task is about to run (incrementing its attempt count) and returns the record.</summary>
    public TaskRecord MarkStarted(string key, string stage, string subject, string node, DateTime nowUtc)
    {
        if (!_records.TryGetValue(key, out var r)) _records[key] = r = new TaskRecord { Key = key, Stage = stage, Subject = subject };
        r.Status = TaskStatus.Started;
        r.Attempts++;
        r.StartedUtc = Utc(nowUtc);
        r.FinishedUtc = null;
        r.Node = node;
        r.Error = null;
        Changed(r);
        return r;
    }

    /// <summary>Commits a task's result. A second commit of an already committed key is ignored (effectively once).</summary>
    public bool Commit(string key, string resultJson, DateTime nowUtc)
    {
        var r = Find(key) ?? throw new InvalidOperationException($"task {key} was never started");
        if (r.Status == TaskStatus.Committed) return false;
        r.Status = TaskStatus.Committed;
        r.ResultJson = resultJson;
        r.FinishedUtc = Utc(nowUtc);
        Changed(r);
        return true;
    }

    /// <summary>Records a task's final failure with its reason (<see cref="TaskStatus.Quarantined"/> when retries ran out).</summary>
    public void MarkFailed(string key, string error, DateTime nowUtc, bool quarantined = false)
    {
        var r = Find(key) ?? throw new InvalidOperationException($"task {key} was never started");
        if (r.Status == TaskStatus.Committed) return;
        r.Status = quarantined ? TaskStatus.Quarantined : TaskStatus.Failed;
        r.Error = error;
        r.FinishedUtc = Utc(nowUtc);
        Changed(r);
    }

    public IReadOnlyList<TaskRecord> All() => _records.Values.ToList();

    /// <summary>Writes every pending change in one transaction.</summary>
    public void Flush()
    {
        if (_dirty.Count == 0) return;
        _db.BeginTrans();
        _tasks.Upsert(_dirty.Values);
        _db.Commit();
        _dirty.Clear();
    }

    private void Changed(TaskRecord r)
    {
        if (_groupCommit) _dirty[r.Key] = r;
        else _tasks.Upsert(r);
    }

    public void Dispose()
    {
        Flush();
        _db.Dispose();
    }
}
