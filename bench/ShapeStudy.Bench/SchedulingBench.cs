using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using ShapeStudy.Actors;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Bench;

/// <summary>
/// `ShapeStudy.Bench scheduling &lt;workdir&gt; [tasks=10000] [slots=4]`: scheduling overhead of the study coordinator.
/// A real manifest (one MICrONS spine, a log-uniform sweep of <c>tasks</c> parameter sets) runs through the real
/// <see cref="StudyCoordinator"/> (TaskBoard leases, LiteDB started/committed records, StudyPlan) and work-pulling
/// <see cref="Worker"/> actors in one process. The spine's load/describe stages and the first simulation run for real;
/// every further simulation returns that first result at once, so the simulate phase measures only scheduling
/// (dispatch, lease, record started, run nothing, report, commit, plan update). The outputs are discarded.
/// Baseline: the same trivial tasks through a plain in-process <see cref="Channel{T}"/> with the same number of consumers
/// and no durability. Prints one JSON line: per-task overhead = simulate-phase wall time / tasks.
/// </summary>
public static class SchedulingBench
{
    public static int Run(string workdir, int tasks, int slots)
    {
        Directory.CreateDirectory(workdir);
        var spine = Path.Combine(FindRepo(), "studies", "data", "microns-spines", "spine_02.obj");
        var manifestPath = Path.Combine(workdir, "scheduling.yaml");
        File.WriteAllText(manifestPath, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: scheduling-bench, seed: 1 }
            inputs:
              - meshes: {{spine}}
                name: spine
            shape_space: { variants_per_cell: 0 }
            simulation:
              duration_ms: 2
              dt_ms: 0.5
              max_voxels: 500
              parameters: { d_um2_per_ms: { loguniform: [0.05, 0.5], samples: {{tasks}} } }
            execution: { max_retries: 1, workers: {{slots}} }
            outputs: { dir: out }
            """));
        var loaded = ManifestLoader.Load(manifestPath);
        if (loaded.Manifest is null) { foreach (var e in loaded.Errors) Console.Error.WriteLine(e); return 2; }
        var manifest = loaded.Manifest;

        var state = Path.Combine(manifest.Outputs.Dir, ".shapestudy");
        if (Directory.Exists(manifest.Outputs.Dir)) Directory.Delete(manifest.Outputs.Dir, recursive: true);
        var artifacts = new ArtifactStore(Path.Combine(state, "artifacts"));
        var executor = new MemoizedSimulate(new StageRunner(artifacts));
        double oursSeconds;
        using (var store = new StudyStore(Path.Combine(state, "state.db"), groupCommit: true))
        {
            var system = ActorSystem.Create("scheduling-bench", ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING"));
            var done = new Observer();
            var coordinator = system.ActorOf(Props.Create(() => new StudyCoordinator(manifest, store, artifacts, done, null)), "coordinator");
            var sites = ExecutionSites.Fixed(new ExecutionSite(artifacts, executor));
            for (int i = 0; i < slots; i++) system.ActorOf(Props.Create(() => new Worker(coordinator, sites, "bench", null, null)), $"worker-{i}");
            var summary = done.Finished.Task.Wait(TimeSpan.FromMinutes(10)) ? done.Finished.Task.Result : throw new TimeoutException("study did not finish");
            if (!summary.Succeeded || summary.Executed != tasks + 2) throw new InvalidOperationException($"bench study: {summary.Executed} executed, errors: {string.Join("; ", summary.Errors)}");
            oursSeconds = executor.PhaseSeconds;
            system.Terminate().Wait();
        }
        if (executor.Calls != tasks) throw new InvalidOperationException($"{executor.Calls} simulate calls for {tasks} tasks");

        double peerSeconds = ChannelBaseline(manifest, executor.Cached!, tasks, slots);
        double overheadMs = oursSeconds * 1e3 / tasks;
        var json = JsonSerializer.Serialize(new
        {
            bench = "scheduling",
            steps = new[]
            {
                new { step = "coordinator_trivial_tasks", size = $"{tasks} tasks, {slots} slots", ours_s = Math.Round(oursSeconds, 4),
                      peer = "in-process Channel<T> queue (no leases, no durability)", peer_s = Math.Round(peerSeconds, 4),
                      ratio = Math.Round(peerSeconds / oursSeconds, 4) },
            },
            agree = true,   // both sides ran every task exactly once (checked above: the bench throws otherwise)
            overhead_ms_per_task = Math.Round(overheadMs, 4),
            target_overhead_ms_per_task = 1.0,
            target_met = overheadMs < 1.0,
            baseline_ms_per_task = Math.Round(peerSeconds * 1e3 / tasks, 5),
            tasks,
            slots,
            method = "wall time from the first simulate task starting to the last one finishing, divided by tasks; the coordinator "
                + "records started/committed in LiteDB for each task; one process, local actors (no remoting); Release build",
            machine = $".NET {Environment.Version}, {Environment.ProcessorCount} cores",
        });
        Console.WriteLine($"coordinator: {overheadMs:F4} ms per task ({tasks} tasks, {slots} slots); channel baseline {peerSeconds * 1e3 / tasks:F5} ms per task");
        Console.WriteLine(json);
        return 0;
    }

    /// <summary>The same simulate payloads through a bounded channel and <paramref name="slots"/> consumers, results in a dictionary.</summary>
    private static double ChannelBaseline(StudyManifest manifest, string result, int tasks, int slots)
    {
        var items = Enumerable.Range(0, tasks).Select(i => new PlannedTask("k" + i, Stages.Simulate, "s" + i, "{}")).ToArray();
        double best = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            var channel = Channel.CreateUnbounded<PlannedTask>();
            var results = new ConcurrentDictionary<string, string>();
            var clock = Stopwatch.StartNew();
            var consumers = Enumerable.Range(0, slots).Select(_ => Task.Run(async () =>
            {
                await foreach (var t in channel.Reader.ReadAllAsync())
                    results.TryAdd(t.Key, await Task.Run(() => result));
            })).ToArray();
            foreach (var t in items) channel.Writer.TryWrite(t);
            channel.Writer.Complete();
            Task.WaitAll(consumers);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
            if (results.Count != tasks) throw new InvalidOperationException("baseline lost tasks");
        }
        return best;
    }

    private sealed class Observer : IStudyObserver
    {
        public TaskCompletionSource<StudySummary> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnProgress(IReadOnlyList<StageProgress> stages) { }
        public void OnTaskFailed(string stage, string subject, string error) => Console.Error.WriteLine($"FAILED {stage} {subject}: {error}");
        public void OnFinished(StudySummary summary) => Finished.TrySetResult(summary);
    }

    /// <summary>Real stages, except that every simulation after the first returns the first one's result (zero work).</summary>
    private sealed class MemoizedSimulate(StageRunner real) : ITaskExecutor
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _first = -1, _last;
        private int _calls;
        public string? Cached { get; private set; }
        public int Calls => _calls;
        public double PhaseSeconds => (Interlocked.Read(ref _last) - _first) / (double)Stopwatch.Frequency;

        public string Run(PlannedTask task, Action<string>? progress)
        {
            if (task.Stage != Stages.Simulate) return real.Run(task, progress);
            if (Cached is null)
                lock (this)
                    Cached ??= real.Run(task, progress);
            long now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref _first, now, -1);
            Interlocked.Increment(ref _calls);
            long seen;
            while ((seen = Interlocked.Read(ref _last)) < now && Interlocked.CompareExchange(ref _last, now, seen) != seen) { }
            return Cached;
        }
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ShapeStudy.sln"))) return dir.FullName;
        throw new InvalidOperationException("ShapeStudy.sln not found");
    }
}
