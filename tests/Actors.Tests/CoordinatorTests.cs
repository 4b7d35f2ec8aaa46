using Akka.Actor;
using Akka.TestKit.Xunit2;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;
using ShapeStudy.Testing;

namespace ShapeStudy.Actors.Tests;

/// <summary>
/// The coordinator's orchestration contract, with test probes as workers and the real stage kernels: work is pulled
/// (never pushed), transient failures are retried with a new attempt, deterministic failures fail only their cell,
/// and a dead worker's lease goes back to the queue.
/// </summary>
public sealed class CoordinatorTests : TestKit, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-coord-" + Guid.NewGuid().ToString("N"));
    private readonly StudyStore _store;
    private readonly ArtifactStore _artifacts;
    private readonly StageRunner _runner;

    public CoordinatorTests()
    {
        Directory.CreateDirectory(_dir);
        _store = new StudyStore(Path.Combine(_dir, "state.db"));
        _artifacts = new ArtifactStore(Path.Combine(_dir, "artifacts"));
        _runner = new StageRunner(_artifacts);
    }

    void IDisposable.Dispose()
    {
        // Stop the actors first (a coordinator may still be writing its outputs), then the store, then the files;
        // a file created by a write finishing during shutdown is retried rather than failing the cleanup.
        Shutdown();
        _store.Dispose();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 10)
            {
                Thread.Sleep(100);
            }
        }
    }

    private StudyManifest Manifest(string spinesGlob, string onFailure = "continue")
    {
        var result = ManifestLoader.Load(ManifestFile(spinesGlob, onFailure));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Manifest!;
    }

    private string ManifestFile(string spinesGlob, string onFailure = "continue")
    {
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, $$"""
            schema_version: 1
            study: { id: coord, seed: 3 }
            inputs:
              - meshes: {{RepoPaths.Data("microns-spines", spinesGlob)}}
                name: spines
            shape_space: { variants_per_cell: 0 }
            simulation: { duration_ms: 2, dt_ms: 0.5, max_voxels: 500 }
            execution: { max_retries: 1, on_failure: {{onFailure}} }
            outputs: { dir: out }
            """);
        return path;
    }

    private sealed class Recorder : IStudyObserver
    {
        public TaskCompletionSource<StudySummary> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<string> Failures { get; } = new();
        public void OnProgress(IReadOnlyList<StageProgress> stages) { }
        public void OnTaskFailed(string stage, string subject, string error) { lock (Failures) Failures.Add($"{stage} {subject}"); }
        public void OnFinished(StudySummary summary) => Finished.TrySetResult(summary);
    }

    private IActorRef Coordinator(StudyManifest m, Recorder r) =>
        Sys.ActorOf(Props.Create(() => new StudyCoordinator(m, _store, _artifacts, r)));

    [Fact]
    public void ProgressOfALeasedTaskReachesTheMonitorWithItsKeyAndCellAndEndsWithTheTask()
    {
        var monitor = new Monitoring.StudyMonitor();
        var m = Manifest("spine_02.obj");
        var observer = new Monitoring.CompositeObserver(new Recorder(), monitor.ForStudy(m.Study.Id, m.Outputs.Dir));
        var coordinator = Sys.ActorOf(Props.Create(() => new StudyCoordinator(m, _store, _artifacts, observer)));
        var worker = CreateTestProbe();
        var stranger = CreateTestProbe();
        var item = Pull(coordinator, worker);
        // A slot that does not hold the lease (an earlier attempt's) is ignored; the lease holder's line is recorded.
        coordinator.Tell(new TaskProgress(item.Task.Key, "stale line", stranger.Ref));
        coordinator.Tell(new TaskProgress(item.Task.Key, "step 3/8", worker.Ref));
        AwaitAssert(() =>
        {
            var study = Assert.Single(monitor.Snapshot().Studies);
            var line = Assert.Single(study.Progress!);
            Assert.Equal((item.Task.Key, item.Task.Stage, item.Task.Subject, "step 3/8"), (line.Key, line.Stage, line.Subject, line.Text));
            Assert.Equal("step 3/8", study.Cells.Single(c => c.Cell == line.Cell).Stages[item.Task.Stage].Progress);
        }, TimeSpan.FromSeconds(10));

        Complete(coordinator, worker, item);
        coordinator.Tell(new TaskProgress(item.Task.Key, "after the commit", worker.Ref));   // no lease any more: dropped
        Pull(coordinator, worker);                                           // the coordinator handled both messages
        Assert.Empty(monitor.Snapshot().Studies.Single().Progress!);
    }

    [Fact]
    public void TheClusterHostForwardsAWorkersProgressToItsStudyAndStreamsTheLineToSubscribedClients()
    {
        var monitor = new Monitoring.StudyMonitor();
        var host = Sys.ActorOf(Props.Create(() => new Nodes.StudyHost(Path.Combine(_dir, "host-state"), new CoordinatorOptions(), monitor)));
        var client = CreateTestProbe();
        host.Tell(new Nodes.SubmitStudy(ManifestFile("spine_02.obj")), client.Ref);
        client.ExpectMsg<Nodes.StudyAccepted>(TimeSpan.FromSeconds(10));
        var worker = CreateTestProbe();
        var item = Pull(host, worker);    // the host forwards the request to its running study

        host.Tell(new TaskProgress(item.Task.Key, "step 3/8", worker.Ref), worker.Ref);
        var line = (Nodes.StudyTaskProgressed)client.FishForMessage(m => m is Nodes.StudyTaskProgressed, TimeSpan.FromSeconds(10));
        Assert.Equal(("coord", item.Task.Key, item.Task.Stage, item.Task.Subject, "step 3/8"), (line.StudyId, line.Key, line.Stage, line.Subject, line.Text));
        Assert.Equal("step 3/8", Assert.Single(monitor.Snapshot().Studies.Single().Progress!).Text);   // the node's dashboard
        var serializer = Sys.Serialization.FindSerializerFor(line);                                     // it crosses the wire to `run --cluster`
        Assert.Equal(line, serializer.FromBinary(serializer.ToBinary(line), typeof(Nodes.StudyTaskProgressed)));
    }

    private WorkItem Pull(IActorRef coordinator, Akka.TestKit.TestProbe worker)
    {
        coordinator.Tell(new RequestWork(worker.Ref, "probe"), worker.Ref);
        return worker.ExpectMsg<WorkItem>(TimeSpan.FromSeconds(10));
    }

    private void Complete(IActorRef coordinator, Akka.TestKit.TestProbe worker, WorkItem item) =>
        coordinator.Tell(new WorkCompleted(item.Task.Key, _runner.Run(item.Task), "probe", worker.Ref));

    [Fact]
    public async Task WorkIsPulledAndATransientFailureIsRetriedWithANewAttempt()
    {
        var recorder = new Recorder();
        var coordinator = Coordinator(Manifest("spine_02.obj"), recorder);
        var worker = CreateTestProbe();
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(300));          // nothing is pushed before a worker asks

        var first = Pull(coordinator, worker);
        Assert.Equal(Stages.LoadMesh, first.Task.Stage);
        Assert.Equal(1, first.Attempt);
        coordinator.Tell(new WorkFailed(first.Task.Key, "IOException: disk hiccup", Deterministic: false, "probe", worker.Ref));
        var retry = worker.ExpectMsg<WorkItem>(TimeSpan.FromSeconds(5));   // the slot was returned; the retry comes after backoff
        Assert.Equal(first.Task.Key, retry.Task.Key);
        Assert.Equal(2, retry.Attempt);
        Complete(coordinator, worker, retry);

        var stages = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            var item = Pull(coordinator, worker);
            stages.Add(item.Task.Stage);
            Complete(coordinator, worker, item);
        }
        Assert.Equal(new[] { Stages.Describe, Stages.Simulate }, stages.OrderBy(s => s));
        var summary = await recorder.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(summary.Succeeded, string.Join("; ", summary.Errors));
        Assert.Equal((3, 3, 0, 0), (summary.Tasks, summary.Executed, summary.Cached, summary.Failed));
        Assert.Equal(2, _store.FindCommitted(first.Task.Key)!.Attempts);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "cells.parquet")));
    }

    [Fact]
    public async Task ADeterministicFailureFailsOnlyItsCell()
    {
        var recorder = new Recorder();
        var coordinator = Coordinator(Manifest("spine_0[23].obj".Replace("[23]", "?")), recorder);
        var worker = CreateTestProbe();
        string? failedSubject = null;
        while (true)
        {
            coordinator.Tell(new RequestWork(worker.Ref, "probe"), worker.Ref);
            var msg = worker.ReceiveOne(TimeSpan.FromSeconds(3));
            if (msg is not WorkItem item) break;
            if (item.Task.Stage == Stages.LoadMesh && failedSubject is null)
            {
                failedSubject = item.Task.Subject;
                coordinator.Tell(new WorkFailed(item.Task.Key, "InvalidDataException: broken mesh", Deterministic: true, "probe", worker.Ref));
            }
            else Complete(coordinator, worker, item);
            if (recorder.Finished.Task.IsCompleted) break;
        }
        var summary = await recorder.Finished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, summary.Failed);
        Assert.Equal(new[] { $"{Stages.LoadMesh} {failedSubject}" }, recorder.Failures);
        Assert.True(summary.Executed > 10, $"the other cells went on: {summary.Executed} tasks executed");
        Assert.True(summary.Succeeded, "a failed cell does not fail the study under on_failure: continue");
        Assert.Equal(1, _store.Find(_store.All().Single(r => r.Subject == failedSubject).Key)!.Attempts);   // not retried
    }

    [Fact]
    public void ADeadWorkersLeaseIsRequeued()
    {
        var coordinator = Coordinator(Manifest("spine_02.obj"), new Recorder());
        var doomed = CreateTestProbe();
        var item = Pull(coordinator, doomed);
        Sys.Stop(doomed.Ref);
        var survivor = CreateTestProbe();
        var again = Pull(coordinator, survivor);
        Assert.Equal(item.Task.Key, again.Task.Key);
    }

    [Fact]
    public async Task APoisonTaskIsQuarantinedAfterMaxRetriesWithItsReasonAndTheStudyCompletes()
    {
        var recorder = new Recorder();
        var coordinator = Coordinator(Manifest("spine_0[23].obj".Replace("[23]", "?")), recorder);   // max_retries: 1
        var worker = CreateTestProbe();
        string? poison = null;
        while (!recorder.Finished.Task.IsCompleted)
        {
            coordinator.Tell(new RequestWork(worker.Ref, "probe"), worker.Ref);
            if (worker.ReceiveOne(TimeSpan.FromSeconds(3)) is not WorkItem item) continue;
            if (item.Task.Stage == Stages.LoadMesh && (poison ??= item.Task.Subject) == item.Task.Subject)
                coordinator.Tell(new WorkFailed(item.Task.Key, "IOException: the mesher crashed", Deterministic: false, "probe", worker.Ref));
            else Complete(coordinator, worker, item);
        }
        var summary = await recorder.Finished.Task;
        var record = _store.All().Single(r => r.Subject == poison);
        Assert.Equal((ShapeStudy.Study.Storage.TaskStatus.Quarantined, 2), (record.Status, record.Attempts));     // 1 attempt + max_retries
        Assert.Contains("quarantined after 2 attempt(s)", record.Error);
        Assert.Contains("the mesher crashed", record.Error);
        Assert.Equal(new[] { $"{Stages.LoadMesh} {poison}" }, recorder.Failures);
        Assert.Equal(1, summary.Failed);
        Assert.True(summary.Succeeded, string.Join("; ", summary.Errors));
        Assert.True(summary.Executed > 10);
    }

    [Fact]
    public void ARemovedNodesLeasesAreRequeuedAndATaskThatKeepsLosingItsNodeIsQuarantined()
    {
        var recorder = new Recorder();
        var coordinator = Coordinator(Manifest("spine_02.obj"), recorder);         // one load_mesh task, max_retries: 1
        var first = CreateTestProbe();
        var item = Pull(coordinator, first);
        coordinator.Tell(new NodeLost(first.Ref.Path.Address));
        var second = CreateTestProbe();
        var again = Pull(coordinator, second);
        Assert.Equal((item.Task.Key, 2), (again.Task.Key, again.Attempt));
        coordinator.Tell(new NodeLost(second.Ref.Path.Address));                   // the second attempt lost its node too
        AwaitAssert(() => Assert.Equal(ShapeStudy.Study.Storage.TaskStatus.Quarantined, _store.Find(item.Task.Key)!.Status), TimeSpan.FromSeconds(5));
        Assert.Contains("every attempt lost its worker", _store.Find(item.Task.Key)!.Error);
        Assert.Single(recorder.Failures);
    }
}
