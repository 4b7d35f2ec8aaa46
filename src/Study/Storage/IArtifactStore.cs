using ShapeStudy.Core;

namespace ShapeStudy.Study.Storage;

/// <summary>
/// Where the artifacts of a study live, reachable from every node of a cluster: workers write the artifacts they make
/// and read their inputs; the coordinator checks presence on resume and reads what the tables need. Content-addressed
/// and immutable: a name is the SHA-256 of the bytes, so writing the same artifact twice (a task that ran twice) is
/// harmless. <see cref="ArtifactStore"/> is the shared-directory implementation; an object store implements the same
/// four operations (put-if-absent, get with hash check, exists, delete abandoned uploads).
/// </summary>
public interface IArtifactStore
{
    /// <summary>A location string that names this store to other nodes (for the directory store, its absolute path).</summary>
    string Location { get; }

    /// <summary>Stores <paramref name="bytes"/> atomically if not already present and returns its reference.</summary>
    ArtifactRef Put(byte[] bytes, string kind);

    /// <summary>Reads an artifact and verifies its hash.</summary>
    byte[] Get(ArtifactRef artifact);

    /// <summary>True when the artifact is present.</summary>
    bool Contains(ArtifactRef artifact);

    /// <summary>
    /// Deletes temporary files of writes that never completed (a worker killed mid-write). Call only when no task is
    /// running against the store. Returns how many were removed.
    /// </summary>
    int RemoveAbandonedWrites();

    /// <summary>
    /// The latest checkpoint saved under <paramref name="name"/> (a long task's resumable state, e.g. an MCMC sampler's), or
    /// null. Unlike artifacts, a checkpoint is mutable: each save replaces the previous one atomically.
    /// </summary>
    byte[]? ReadCheckpoint(string name);

    /// <summary>Saves <paramref name="bytes"/> as the checkpoint <paramref name="name"/>, atomically replacing the previous one.</summary>
    void WriteCheckpoint(string name, byte[] bytes);

    /// <summary>Deletes the checkpoint <paramref name="name"/> (its task finished); nothing happens when there is none.</summary>
    void DeleteCheckpoint(string name);
}
