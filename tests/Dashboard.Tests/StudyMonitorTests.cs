using ShapeStudy.Actors;
using ShapeStudy.Actors.Monitoring;
using ShapeStudy.Core;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>
/// The monitor's bookkeeping without actors: task statuses follow the coordinator's store (a retried or re-queued task
/// is still <c>started</c>, as in the tasks table), tasks planned but never leased are <c>not_run</c>, a cell is failed
/// when any of its stages failed, and the science panels are computed from stage results.
/// </summary>
public sealed class StudyMonitorTests
{
    private static readonly ArtifactRef Ref = new(new string('a', 64), "test", 1);

    private static MeshQuality Quality(double minAngle, bool watertight) => new(10, 16, watertight, 2, 1, 0.1, minAngle, 120, 0.1, 1, true, true, 0, 0,
        minAngle + 10, 1.5, 3, 0.05, 0.2, new[] { 0, 3, 10, 20, 10, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, minAngle, 0, Array.Empty<string>());

    [Fact]
    public void CountsFollowTheTasksTableAndSciencePanelsComeFromResults()
    {
        var monitor = new StudyMonitor();
        var feed = monitor.ForStudy("unit", "/tmp/unit");
        TaskEvent E(TaskEventKind kind, string key, string stage, string subject, string? cell, int attempt = 1, string? error = null, string? json = null, double? d = null) =>
            new(kind, key, stage, subject, cell, "node-a", attempt, error, json, d);

        var meshA = StageJson.Write(new LoadMeshResult(Ref, Ref, 0.05, 100, Quality(12.5, true)));
        var meshB = StageJson.Write(new LoadMeshResult(Ref, Ref, 0.05, 100, Quality(31, false)));
        feed.OnTask(E(TaskEventKind.Started, "k1", Stages.LoadMesh, "in/a", "in/a"));
        feed.OnTask(E(TaskEventKind.Committed, "k1", Stages.LoadMesh, "in/a", "in/a", json: meshA, d: 0.3));
        feed.OnTask(E(TaskEventKind.Cached, "k2", Stages.LoadMesh, "in/b", "in/b", json: meshB));
        feed.OnTask(E(TaskEventKind.Started, "k3", Stages.LoadMesh, "in/c", "in/c"));
        feed.OnTask(E(TaskEventKind.Failed, "k3", Stages.LoadMesh, "in/c", "in/c", error: "InvalidDataException: open surface"));
        // a transient failure, then a lost worker: still "started" in the store, two retries
        feed.OnTask(E(TaskEventKind.Started, "k4", Stages.Simulate, "in/a/real/p00", "in/a"));
        feed.OnTask(E(TaskEventKind.Retrying, "k4", Stages.Simulate, "in/a/real/p00", "in/a", error: "IOException: disk"));
        feed.OnTask(E(TaskEventKind.Started, "k4", Stages.Simulate, "in/a/real/p00", "in/a", attempt: 2));
        feed.OnTask(E(TaskEventKind.Requeued, "k4", Stages.Simulate, "in/a/real/p00", "in/a", attempt: 2, error: "its node was removed"));
        var sim = StageJson.Write(new SimulateResult(new Dictionary<string, TransientValues>(), 40, 400, 1e-9, 500, 0.2, 0.1, 0.25, Ref));
        feed.OnTask(E(TaskEventKind.Started, "k5", Stages.Simulate, "in/b/real/p00", "in/b"));
        feed.OnTask(E(TaskEventKind.Committed, "k5", Stages.Simulate, "in/b/real/p00", "in/b", json: sim, d: 1.5));
        feed.OnProgress(new[]
        {
            new StageProgress(Stages.LoadMesh, 3, 1, 1, 1, 0),
            new StageProgress(Stages.Simulate, 4, 1, 0, 0, 0),
        });

        var counters = Assert.Single(monitor.Counters());
        Assert.Equal(2, counters.Tasks[(Stages.LoadMesh, "committed")]);
        Assert.Equal(1, counters.Tasks[(Stages.LoadMesh, "failed")]);
        Assert.Equal(1, counters.Tasks[(Stages.Simulate, "started")]);
        Assert.Equal(1, counters.Tasks[(Stages.Simulate, "committed")]);
        Assert.Equal(2, counters.Tasks[(Stages.Simulate, "not_run")]);        // 4 planned, 2 seen
        Assert.Equal(1, counters.Events[(Stages.Simulate, "retrying")]);
        Assert.Equal(1, counters.Events[(Stages.Simulate, "requeued")]);
        var durations = counters.Durations[Stages.Simulate];
        Assert.Equal(1, durations.Count);
        Assert.Equal(1.5, durations.Sum);
        int firstBucket = Array.FindIndex(StudyMonitor.DurationBuckets, b => 1.5 <= b);
        Assert.Equal(0, durations.Cumulative[firstBucket - 1]);
        Assert.Equal(1, durations.Cumulative[firstBucket]);

        var study = Assert.Single(monitor.Snapshot().Studies);
        Assert.Equal("running", study.State);
        var cells = study.Cells.ToDictionary(c => c.Cell);
        Assert.Equal("failed", cells["in/c"].Status);
        Assert.Equal("InvalidDataException: open surface", cells["in/c"].Error);
        Assert.Equal("failed", study.Cells[0].Status);                          // failed cells first
        Assert.Equal("pending", cells["in/a"].Stages[Stages.Simulate].Status);  // re-queued
        Assert.Equal("done", cells["in/b"].Status);
        Assert.Contains(study.Failures, f => f.Kind == "failed" && f.Subject == "in/c");
        Assert.Equal(2, study.Failures.Count(f => f.Kind == "retrying"));
        Assert.Equal(2, study.Stages.Single(s => s.Stage == Stages.Simulate).Retries);

        var meshes = study.Science.Meshes;
        Assert.Equal(2, meshes.Meshes);
        Assert.Equal(1, meshes.Watertight);
        Assert.Equal(12.5, meshes.WorstMinAngleDeg);
        Assert.Equal(1, meshes.MinAngleHistogram[2]);                           // 12.5° in [10°, 15°)
        Assert.Equal(1, meshes.MinAngleHistogram[6]);                           // 31° in [30°, 35°)
        Assert.Equal(40, meshes.AngleHistogram[3]);                             // summed over both meshes
        var solver = study.Science.Solver;
        Assert.Equal(1, solver.Simulations);
        Assert.Equal(40, solver.MaxSteps);
        Assert.Equal(400, solver.MaxIterations);
        Assert.Equal(1, solver.IterationsPerStepHistogram[Array.IndexOf(StudyMonitor.IterationsPerStepEdges, 10.0)]);   // 10 per step

        feed.OnFinished(new StudySummary("unit", "/tmp/unit", 7, 3, 1, 1, new[] { ("tasks", 7) }, Array.Empty<string>(), TimeSpan.FromSeconds(3)));
        Assert.Equal("finished", monitor.Snapshot().Studies.Single().State);
        // A re-run of the same study replaces the earlier record (one series per study in /metrics).
        monitor.ForStudy("unit", "/tmp/unit");
        Assert.Equal("running", Assert.Single(monitor.Snapshot().Studies).State);
    }

    [Fact]
    public void TheStateJsonCarriesTheLatestProgressLineOfARunningTaskUntilItFinishes()
    {
        var monitor = new StudyMonitor();
        var feed = monitor.ForStudy("unit", "/tmp/unit");
        feed.OnTask(new TaskEvent(TaskEventKind.Started, "train", Stages.TrainSegmenter, "model", null, "node-a", 1));
        feed.OnTask(new TaskEvent(TaskEventKind.Started, "seg", Stages.Segment, "in/a", "in/a", "node-a", 1));
        feed.OnTask(new TaskEvent(TaskEventKind.Cached, "done", Stages.Segment, "in/b", "in/b", "node-a", 1));
        feed.OnTaskProgress(new TaskProgressEvent("train", Stages.TrainSegmenter, "model", null, "epoch 11/40: validation boundary F1 0.801"));
        feed.OnTaskProgress(new TaskProgressEvent("train", Stages.TrainSegmenter, "model", null, "epoch 12/40: validation boundary F1 0.823"));
        feed.OnTaskProgress(new TaskProgressEvent("seg", Stages.Segment, "in/a", "in/a", "slab 2/5"));
        feed.OnTaskProgress(new TaskProgressEvent("done", Stages.Segment, "in/b", "in/b", "late line of a finished task"));

        using (var doc = System.Text.Json.JsonDocument.Parse(DashboardJson.Write(monitor.Snapshot())))
        {
            var study = doc.RootElement.GetProperty("studies")[0];
            var lines = study.GetProperty("progress").EnumerateArray()
                .ToDictionary(p => p.GetProperty("key").GetString()!, p => p.GetProperty("text").GetString());
            Assert.Equal(2, lines.Count);                                           // the finished task's late line is dropped
            Assert.Equal("epoch 12/40: validation boundary F1 0.823", lines["train"]);   // the latest line only
            Assert.Equal("slab 2/5", lines["seg"]);
            var cell = study.GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("cell").GetString() == "in/a");
            Assert.Equal("slab 2/5", cell.GetProperty("stages").GetProperty(Stages.Segment).GetProperty("progress").GetString());
        }

        feed.OnTask(new TaskEvent(TaskEventKind.Committed, "train", Stages.TrainSegmenter, "model", null, "node-a", 1));
        feed.OnTask(new TaskEvent(TaskEventKind.Retrying, "seg", Stages.Segment, "in/a", "in/a", "node-a", 1, "IOException: disk"));
        var after = monitor.Snapshot().Studies.Single();
        Assert.Empty(after.Progress!);                                              // a commit or a retry ends the attempt's line
        Assert.Null(after.Cells.Single(c => c.Cell == "in/a").Stages[Stages.Segment].Progress);
    }
}
