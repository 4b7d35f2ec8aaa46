using System.Text;
using Akka.TestKit.Xunit2;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Tests;

/// <summary>
/// A worker slot pulls (it asks first and repeats while idle), runs tasks off its mailbox, and moves payloads and
/// results larger than the inline limit through the artifact store so that no message nears the remoting frame limit.
/// </summary>
public sealed class WorkerTests : TestKit, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-worker-" + Guid.NewGuid().ToString("N"));

    void IDisposable.Dispose()
    {
        Shutdown();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class Echo : ITaskExecutor
    {
        public List<string> Payloads { get; } = new();
        public string Run(PlannedTask task, Action<string>? progress)
        {
            lock (Payloads) Payloads.Add(task.PayloadJson);
            return "{\"echo\":\"" + new string('r', task.PayloadJson.Length) + "\"}";
        }
    }

    [Fact]
    public void LargePayloadsAndResultsTravelAsArtifactsAndSmallOnesInline()
    {
        var store = new ArtifactStore(Path.Combine(_dir, "artifacts"));
        var echo = new Echo();
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(Akka.Actor.Props.Create(() => new Worker(coordinator.Ref, ExecutionSites.Fixed(new ExecutionSite(store, echo)), "n1",
            TimeSpan.FromMilliseconds(300), null)));
        var ask = coordinator.ExpectMsg<RequestWork>();
        Assert.Equal(worker, ask.Worker);
        coordinator.ExpectMsg<RequestWork>(TimeSpan.FromSeconds(3));          // an idle slot repeats its request

        var big = "{\"x\":\"" + new string('p', 3 * WireLimits.InlineJsonBytes) + "\"}";
        var payloadRef = store.Put(Encoding.UTF8.GetBytes(big), "payload");
        worker.Tell(new WorkItem(new PlannedTask("k1", "simulate", "s1", ""), 1, store.Location, payloadRef), coordinator.Ref);
        var done = coordinator.FishForMessage<WorkCompleted>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(big, echo.Payloads.Single());                              // the executor saw the whole payload
        Assert.Equal("", done.ResultJson);
        Assert.NotNull(done.ResultRef);
        Assert.Equal(big.Length, JsonLength(Encoding.UTF8.GetString(store.Get(done.ResultRef!))));

        worker.Tell(new WorkItem(new PlannedTask("k2", "simulate", "s2", "{\"y\":1}"), 1, store.Location), coordinator.Ref);
        var small = coordinator.FishForMessage<WorkCompleted>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Null(small.ResultRef);
        Assert.Equal("{\"echo\":\"rrrrrrr\"}", small.ResultJson);
    }

    /// <summary>Reports <paramref name="lines"/> progress lines as fast as it can and records how long that took.</summary>
    private sealed class Chatty(int lines) : ITaskExecutor
    {
        public TimeSpan Reporting { get; private set; }
        public string Run(PlannedTask task, Action<string>? progress)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < lines; i++) progress?.Invoke($"line {i}");
            Reporting = clock.Elapsed;
            return "{}";
        }
    }

    [Fact]
    public void ProgressReachesTheCoordinatorWithTheTaskKeyAtMostOncePerSecond()
    {
        var store = new ArtifactStore(Path.Combine(_dir, "artifacts"));
        var chatty = new Chatty(100_000);
        var coordinator = CreateTestProbe();
        var worker = Sys.ActorOf(Akka.Actor.Props.Create(() => new Worker(coordinator.Ref, ExecutionSites.Fixed(new ExecutionSite(store, chatty)), "n1",
            TimeSpan.FromMinutes(1), null)));
        coordinator.ExpectMsg<RequestWork>();
        worker.Tell(new WorkItem(new PlannedTask("k1", "train_segmenter", "model", "{}"), 1, store.Location), coordinator.Ref);
        var lines = new List<TaskProgress>();
        while (coordinator.ReceiveOne(TimeSpan.FromSeconds(10)) is var msg and not WorkCompleted)
            if (msg is TaskProgress p) lines.Add(p);
            else Assert.IsType<RequestWork>(msg);
        Assert.NotEmpty(lines);
        Assert.Equal("line 0", lines[0].Text);                                  // the first line goes out at once
        Assert.All(lines, p => Assert.Equal(("k1", worker), (p.Key, p.Worker)));
        // One line per started second of reporting at most: 100 000 lines become a handful of messages.
        Assert.InRange(lines.Count, 1, (int)chatty.Reporting.TotalSeconds + 1);
        var numbers = lines.Select(p => int.Parse(p.Text["line ".Length..])).ToList();
        Assert.Equal(numbers.OrderBy(n => n), numbers);                         // in order, newer lines replace older ones

        // It crosses the cluster like the other messages: Akka's serializer gives back the same key, text and worker.
        var serializer = Sys.Serialization.FindSerializerFor(lines[0]);
        var back = (TaskProgress)serializer.FromBinary(serializer.ToBinary(lines[0]), typeof(TaskProgress));
        Assert.Equal(lines[0], back);
    }

    private static int JsonLength(string echoed) => System.Text.Json.JsonDocument.Parse(echoed).RootElement.GetProperty("echo").GetString()!.Length;
}
