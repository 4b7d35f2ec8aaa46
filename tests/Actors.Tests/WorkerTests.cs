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
        public string Run(PlannedTask task)
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

    private static int JsonLength(string echoed) => System.Text.Json.JsonDocument.Parse(echoed).RootElement.GetProperty("echo").GetString()!.Length;
}
