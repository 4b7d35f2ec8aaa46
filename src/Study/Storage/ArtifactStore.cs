using ShapeStudy.Core;

namespace ShapeStudy.Study.Storage;

/// <summary>
/// Content-addressed artifact store on disk: each artifact is an immutable file named by the SHA-256 of its bytes
/// (<c>root/ab/abcdef…</c>). Writes go to a temporary file, are flushed to disk and then renamed, so a crash never
/// leaves a partial artifact under its final name. Safe for concurrent writers of the same content.
/// </summary>
public sealed class ArtifactStore : IArtifactStore
{
    private readonly string _root;

    public ArtifactStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    /// <inheritdoc />
    public string Location => _root;

    /// <summary>Stores <paramref name="bytes"/> (if not already present) and returns its reference.</summary>
    public ArtifactRef Put(byte[] bytes, string kind)
    {
        var hash = ContentHash.Of(bytes);
        var path = PathOf(hash);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, bytes);
        }
        return new ArtifactRef(hash, kind, bytes.Length);
    }

    /// <summary>Reads an artifact and verifies its hash.</summary>
    public byte[] Get(ArtifactRef artifact)
    {
        var path = PathOf(artifact.Sha256);
        if (!File.Exists(path)) throw new FileNotFoundException($"artifact {artifact.Kind} {artifact.Sha256} is missing from {_root}", path);
        var bytes = File.ReadAllBytes(path);
        var actual = ContentHash.Of(bytes);
        if (actual != artifact.Sha256)
            throw new InvalidDataException($"artifact {path} is corrupt: content hash {actual} does not match its name");
        return bytes;
    }

    /// <summary>True when the artifact's file exists.</summary>
    public bool Contains(ArtifactRef artifact) => File.Exists(PathOf(artifact.Sha256));

    /// <inheritdoc />
    public int RemoveAbandonedWrites()
    {
        int removed = 0;
        foreach (var tmp in Directory.EnumerateFiles(_root, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories))
        {
            try { File.Delete(tmp); removed++; }
            catch (IOException) { }
        }
        return removed;
    }

    /// <inheritdoc />
    public byte[]? ReadCheckpoint(string name)
    {
        var path = CheckpointPath(name);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <inheritdoc />
    public void WriteCheckpoint(string name, byte[] bytes)
    {
        var path = CheckpointPath(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, bytes);
    }

    /// <inheritdoc />
    public void DeleteCheckpoint(string name) => File.Delete(CheckpointPath(name));

    private string PathOf(string hash) => Path.Combine(_root, hash[..2], hash);

    /// <summary>Checkpoints live in <c>root/checkpoints/</c>, named by the SHA-256 of their name (any text, e.g. a task key).</summary>
    private string CheckpointPath(string name) =>
        Path.Combine(_root, "checkpoints", ContentHash.Of(System.Text.Encoding.UTF8.GetBytes(name)) + ".json");
}

/// <summary>Crash-safe file writes: temporary name in the same folder, flush to disk, rename.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = TempNameFor(path);
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>A unique temporary name beside <paramref name="path"/> that does not keep its extension.</summary>
    public static string TempNameFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + TemporarySuffix);

    /// <summary>The suffix of every temporary name (what <see cref="ArtifactStore.RemoveAbandonedWrites"/> sweeps).</summary>
    public const string TemporarySuffix = ".partial";
}
