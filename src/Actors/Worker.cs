using Akka.Actor;
using ShapeStudy.Actors.Pipeline;

namespace ShapeStudy.Actors;

/// <summary>
/// One worker slot: asks the coordinator for a task, runs it off the mailbox thread (the CPU work goes to the thread
/// pool and comes back with PipeTo), reports the outcome, and asks again. A node runs one worker per slot.
/// </summary>
public sealed class Worker : ReceiveActor
{
    public Worker(IActorRef coordinator, StageRunner runner, string node)
    {
        var self = Self;
        Receive<WorkItem>(item =>
        {
            var task = item.Task;
            Task.Run(() => runner.Run(task)).ContinueWith<object>(t =>
            {
                if (t.IsCompletedSuccessfully) return new WorkCompleted(task.Key, t.Result, node, self);
                var e = t.Exception!.GetBaseException();
                return new WorkFailed(task.Key, Describe(e), IsDeterministic(e), node, self);
            }).PipeTo(coordinator);
        });
        coordinator.Tell(new RequestWork(self, node));
    }

    /// <summary>Bad input, invalid geometry and impossible parameters fail the same way every time: not worth a retry.</summary>
    public static bool IsDeterministic(Exception e) =>
        e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException
            or NotSupportedException or InvalidOperationException;

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}
