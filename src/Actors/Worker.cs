using System.Collections.Concurrent;
using System.Text;
using Akka.Actor;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors;

/// <summary>Runs one task and returns its result JSON (the stage kernels in production, anything in benchmarks).</summary>
public interface ITaskExecutor
{
    /// <summary>
    /// Runs <paramref name="task"/>; throws on failure (see <see cref="Worker.IsDeterministic"/>). A long task may call
    /// <paramref name="progress"/> (from its own thread) with a one-line status such as "epoch 12/40: validation boundary F1 0.823";
    /// the worker forwards the latest line to the coordinator at most once per second.
    /// </summary>
    string Run(PlannedTask task, Action<string>? progress);
}

/// <summary>The artifact store of a study and the executor that runs its tasks on this node.</summary>
public sealed record ExecutionSite(IArtifactStore Store, ITaskExecutor Executor);

/// <summary>Opens (once per location) the store and stage runner that a node's worker slots use for a study.</summary>
public sealed class ExecutionSites
{
    private readonly ConcurrentDictionary<string, ExecutionSite> _sites = new();
    private readonly Func<string, ExecutionSite> _open;

    public ExecutionSites(Func<string, ExecutionSite> open) => _open = open;

    /// <summary>Stage kernels over the shared-directory artifact store named by the location.</summary>
    public static ExecutionSites Stages() => new(location =>
    {
        var store = ArtifactStores.Open(location);
        return new ExecutionSite(store, new StageRunner(store));
    });

    /// <summary>One fixed site, whatever the location (single-process runs and tests).</summary>
    public static ExecutionSites Fixed(ExecutionSite site) => new(_ => site);

    public ExecutionSite For(string location) => _sites.GetOrAdd(location, _open);
}

/// <summary>Opens artifact stores by location string.</summary>
public static class ArtifactStores
{
    /// <summary>
    /// A shared directory (an absolute path, or a <c>file://</c> URI) reachable by every node. Other schemes are the
    /// place to add an object store behind <see cref="IArtifactStore"/>.
    /// </summary>
    public static IArtifactStore Open(string location)
    {
        if (location.StartsWith("file://", StringComparison.Ordinal)) return new ArtifactStore(new Uri(location).LocalPath);
        if (location.Contains("://", StringComparison.Ordinal))
            throw new NotSupportedException($"artifact store '{location}': only shared directories (a path or file:// URI) are supported");
        return new ArtifactStore(location);
    }
}

/// <summary>
/// One worker slot: asks the coordinator for a task, runs it off the mailbox thread (the CPU work goes to the thread
/// pool and comes back with PipeTo), reports the outcome (which is also its next request), and while idle repeats its
/// request every <c>idleRepeat</c> so that a coordinator that restarted or moved to another node learns of it.
/// A node runs one worker per slot. Large payloads and results travel through the artifact store.
/// </summary>
public sealed class Worker : ReceiveActor, IWithTimers
{
    private sealed record Finished(object Report);

    private readonly IActorRef _coordinator;
    private readonly ExecutionSites _sites;
    private readonly string _node;
    private readonly TimeSpan _repeat;
    private readonly Action<WorkItem>? _onStart;
    private bool _busy;
    private WorkItem? _next;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="coordinator">The coordinator singleton's proxy (or the coordinator itself in tests).</param>
    /// <param name="sites">Opens the artifact store and executor for a work item's artifact location.</param>
    /// <param name="node">This node's address, recorded with each task.</param>
    /// <param name="idleRepeat">How often an idle slot repeats its request (default 2 s).</param>
    /// <param name="onStart">Called (on the actor thread) when the slot starts a task: operational logging.</param>
    public Worker(IActorRef coordinator, ExecutionSites sites, string node, TimeSpan? idleRepeat = null, Action<WorkItem>? onStart = null)
    {
        _onStart = onStart;
        _coordinator = coordinator;
        _sites = sites;
        _node = node;
        _repeat = idleRepeat ?? TimeSpan.FromSeconds(2);
        Receive<WorkItem>(item =>
        {
            if (_busy) { _next ??= item; return; }      // a lease that crossed our report: run it next
            Start(item);
        });
        Receive<Finished>(f =>
        {
            _busy = false;
            _coordinator.Tell(f.Report);
            if (_next is { } next) { _next = null; Start(next); }
            else Timers.StartPeriodicTimer("ask", new RequestWork(Self, _node), _repeat);
        });
        Receive<RequestWork>(r => _coordinator.Tell(r));
    }

    protected override void PreStart()
    {
        _coordinator.Tell(new RequestWork(Self, _node));
        Timers.StartPeriodicTimer("ask", new RequestWork(Self, _node), _repeat);
    }

    private void Start(WorkItem item)
    {
        _busy = true;
        Timers.Cancel("ask");
        _onStart?.Invoke(item);
        var (self, node, sites, task, coordinator) = (Self, _node, _sites, item.Task, _coordinator);
        // A task runs for seconds to hours on a thread of its own: on the thread pool it would hold a pool thread for its
        // whole run, and with every slot busy the pool (whose minimum is the core count) would starve the actor system's
        // dispatchers, delaying cluster heartbeats until healthy nodes are marked unreachable and downed.
        Task.Factory.StartNew(() =>
        {
            var site = sites.For(item.ArtifactLocation);
            var runnable = item.PayloadRef is { } p ? task with { PayloadJson = Encoding.UTF8.GetString(site.Store.Get(p)) } : task;
            var json = site.Executor.Run(runnable, ProgressReporter(task.Key, coordinator, self));
            return json.Length > WireLimits.InlineJsonBytes
                ? new WorkCompleted(task.Key, "", node, self, site.Store.Put(Encoding.UTF8.GetBytes(json), "result"))
                : new WorkCompleted(task.Key, json, node, self);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ContinueWith<object>(t =>
        {
            if (t.IsCompletedSuccessfully) return new Finished(t.Result);
            var e = t.Exception!.GetBaseException();
            return new Finished(new WorkFailed(task.Key, Describe(e), IsDeterministic(e), node, self));
        }).PipeTo(self);
    }

    /// <summary>Smallest interval between two progress messages of one task.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sends a task's progress lines to the coordinator as <see cref="TaskProgress"/>, at most one per
    /// <see cref="ProgressInterval"/> (lines in between are dropped; the next one sent is newer). Tell is thread-safe.
    /// </summary>
    private static Action<string> ProgressReporter(string key, IActorRef coordinator, IActorRef worker)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? last = null;
        return text =>
        {
            var now = clock.Elapsed;
            lock (clock)
            {
                if (last is { } l && now - l < ProgressInterval) return;
                last = now;
            }
            coordinator.Tell(new TaskProgress(key, text.Length > TaskProgress.MaxTextLength ? text[..TaskProgress.MaxTextLength] : text, worker), worker);
        };
    }

    /// <summary>Bad input, invalid geometry and impossible parameters fail the same way every time: not worth a retry.</summary>
    public static bool IsDeterministic(Exception e) =>
        e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException
            or NotSupportedException or InvalidOperationException;

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}
