using Akka.Actor;
using ShapeStudy.Core;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors;

/// <summary>
/// A worker slot asks the coordinator for one task (work pulling: no task is pushed to a busy worker). An idle slot
/// repeats the request every few seconds, so a coordinator that moved or restarted learns of it; repeats are harmless.
/// </summary>
public sealed record RequestWork(IActorRef Worker, string Node);

/// <summary>
/// The coordinator leases <paramref name="Task"/> to a worker; <paramref name="Attempt"/> counts from 1.
/// <paramref name="ArtifactLocation"/> names the artifact store every node reaches (a shared directory path).
/// A payload larger than <see cref="WireLimits.InlineJsonBytes"/> travels as <paramref name="PayloadRef"/> (an artifact)
/// with an empty <c>PayloadJson</c>: messages stay far below the remoting frame limit.
/// </summary>
public sealed record WorkItem(PlannedTask Task, int Attempt, string ArtifactLocation = "", ArtifactRef? PayloadRef = null);

/// <summary>A task finished; its artifacts are already in the store. A large result travels as <paramref name="ResultRef"/>.</summary>
public sealed record WorkCompleted(string Key, string ResultJson, string Node, IActorRef Worker, ArtifactRef? ResultRef = null);

/// <summary>
/// A task failed. <paramref name="Deterministic"/> failures (bad input, invalid geometry, impossible parameters)
/// are not retried; others are retried with backoff up to <c>execution.max_retries</c>.
/// </summary>
public sealed record WorkFailed(string Key, string Error, bool Deterministic, string Node, IActorRef Worker);

/// <summary>
/// A running task's latest one-line status (e.g. "epoch 12/40: validation boundary F1 0.823"), sent by the worker slot
/// that holds its lease at most once per second; the coordinator ignores it when that slot no longer holds the lease.
/// </summary>
public sealed record TaskProgress(string Key, string Text, IActorRef Worker)
{
    /// <summary>Longer texts are cut to this many characters.</summary>
    public const int MaxTextLength = 200;
}

/// <summary>A cluster member at <paramref name="Address"/> was removed (downed or left): its slots' leases go back to the queue.</summary>
public sealed record NodeLost(Address Address);

/// <summary>Sizes that keep messages far below Akka.Remote's 128 kB frame limit.</summary>
public static class WireLimits
{
    /// <summary>Payload or result JSON longer than this (characters) is stored as an artifact and sent by reference.</summary>
    public const int InlineJsonBytes = 16 * 1024;
}

/// <summary>Internal: a failed task's backoff has elapsed.</summary>
internal sealed record Requeue(PlannedTask Task);

/// <summary>Internal: the tables have been written (or writing failed).</summary>
internal sealed record TablesWritten(IReadOnlyList<(string Table, int Rows)> Tables, string? Error);

/// <summary>Internal: time to publish progress / sweep expired leases.</summary>
internal sealed record Tick
{
    public static readonly Tick Instance = new();
}
