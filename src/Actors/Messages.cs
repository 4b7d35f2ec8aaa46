using Akka.Actor;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors;

/// <summary>A worker slot asks the coordinator for one task (work pulling: no task is pushed to a busy worker).</summary>
public sealed record RequestWork(IActorRef Worker, string Node);

/// <summary>The coordinator leases <paramref name="Task"/> to a worker; <paramref name="Attempt"/> counts from 1.</summary>
public sealed record WorkItem(PlannedTask Task, int Attempt);

/// <summary>A task finished; its artifacts are already in the store.</summary>
public sealed record WorkCompleted(string Key, string ResultJson, string Node, IActorRef Worker);

/// <summary>
/// A task failed. <paramref name="Deterministic"/> failures (bad input, invalid geometry, impossible parameters)
/// are not retried; others are retried with backoff up to <c>execution.max_retries</c>.
/// </summary>
public sealed record WorkFailed(string Key, string Error, bool Deterministic, string Node, IActorRef Worker);

/// <summary>Internal: a failed task's backoff has elapsed.</summary>
internal sealed record Requeue(PlannedTask Task);

/// <summary>Internal: the tables have been written (or writing failed).</summary>
internal sealed record TablesWritten(IReadOnlyList<(string Table, int Rows)> Tables, string? Error);
