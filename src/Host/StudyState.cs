using System.Text.RegularExpressions;
using LiteDB;
using ShapeStudy.Actors;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Host;

/// <summary>
/// Read-only view of a study's state folder (<c>&lt;outputs.dir&gt;/.shapestudy</c>): the task records of the LiteDB
/// state and which content-addressed artifacts exist. Opening it never creates or changes a file.
/// </summary>
public sealed partial class StudyState
{
    private readonly Dictionary<string, TaskRecord> _records;
    private readonly string _artifactRoot;

    private StudyState(Dictionary<string, TaskRecord> records, string artifactRoot, bool exists)
    {
        _records = records;
        _artifactRoot = artifactRoot;
        Exists = exists;
    }

    /// <summary>False when the results folder has no state yet (a study that never ran there).</summary>
    public bool Exists { get; }

    /// <summary>Every task record, by task key.</summary>
    public IReadOnlyDictionary<string, TaskRecord> Records => _records;

    /// <summary>The artifact folder, <c>.shapestudy/artifacts</c>.</summary>
    public string ArtifactRoot => _artifactRoot;

    /// <summary>
    /// Reads the state of the study whose outputs are in <paramref name="outputDir"/>. A missing state gives an empty
    /// view; an unreadable one (locked by a running study, corrupt) throws <see cref="IOException"/> naming the file.
    /// </summary>
    public static StudyState Open(string outputDir)
    {
        var folder = Path.Combine(outputDir, StudyRunner.StateFolder);
        var db = Path.Combine(folder, "state.db");
        var artifacts = Path.Combine(folder, "artifacts");
        var records = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
        if (!File.Exists(db)) return new StudyState(records, artifacts, false);
        try
        {
            using var lite = new LiteDatabase(new ConnectionString { Filename = db, Connection = ConnectionType.Direct, ReadOnly = true });
            foreach (var r in lite.GetCollection<TaskRecord>("tasks").FindAll()) records[r.Key] = r;
        }
        catch (Exception e) when (e is LiteException or IOException or UnauthorizedAccessException or InvalidCastException)
        {
            throw new IOException($"cannot read the study state {db}: {e.Message} (is a study running on this folder?)", e);
        }
        return new StudyState(records, artifacts, true);
    }

    /// <summary>The committed record of <paramref name="key"/>, or null.</summary>
    public TaskRecord? FindCommitted(string key) =>
        _records.TryGetValue(key, out var r) && r.Status == Study.Storage.TaskStatus.Committed ? r : null;

    /// <summary>The path of the artifact with SHA-256 <paramref name="sha256"/> (which may not exist).</summary>
    public string ArtifactPath(string sha256) => Path.Combine(_artifactRoot, sha256[..2], sha256);

    /// <summary>True when every artifact that <paramref name="resultJson"/> references exists: the rule by which the coordinator reuses a committed task.</summary>
    public bool ArtifactsPresent(string resultJson)
    {
        foreach (Match m in ArtifactReference().Matches(resultJson))
            if (!File.Exists(ArtifactPath(m.Groups[1].Value))) return false;
        return true;
    }

    [GeneratedRegex("\"Sha256\":\"([0-9a-f]{64})\"")]
    private static partial Regex ArtifactReference();
}
