using System.Net;
using System.Net.Sockets;
using ShapeStudy.Host;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>
/// <c>shapestudy status --cluster HOST:PORT</c> asks a running coordinator node over Akka.Remote and prints its state
/// in plain text; with nobody listening it says so and exits with <see cref="StatusCommand.Unreachable"/>.
/// </summary>
public sealed class StatusCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-status-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task StatusAsksACoordinatorNodeThroughTheCluster()
    {
        int port = FreePort();
        var settings = new NodeSettings { Roles = new[] { "coordinator", "worker" }, Port = port, Slots = 1, StateDir = Path.Combine(_dir, "state") };
        Assert.Empty(ClusterNode.Validate(settings));
        var nodeOut = new SignallingWriter("member up");
        using var stop = new CancellationTokenSource();
        var node = Task.Run(() => ClusterNode.RunAsync(settings, nodeOut, stop.Token, new Actors.Monitoring.StudyMonitor()));
        try
        {
            await nodeOut.Seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = await Cli.RunAsync(new[] { "status", "--cluster", $"127.0.0.1:{port}" }, stdout, stderr);
            Assert.True(code == 0, stderr.ToString());
            var text = stdout.ToString();
            Assert.Contains("no study is running or has run here", text);
            Assert.Contains($"akka.tcp://shapestudy@127.0.0.1:{port}  Up  reachable  [coordinator, worker]", text);
            Assert.Contains("actors (busiest mailboxes):", text);
        }
        finally
        {
            stop.Cancel();
            await node.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task StatusWithNobodyListeningSaysSo()
    {
        var stderr = new StringWriter();
        int code = await Cli.RunAsync(new[] { "status", "--url", $"http://127.0.0.1:{FreePort()}/" }, new StringWriter(), stderr);
        Assert.Equal(StatusCommand.Unreachable, code);
        Assert.Contains("status: no answer from http://127.0.0.1:", stderr.ToString());
    }

    /// <summary>A thread-safe writer that completes <see cref="Seen"/> when a line starting with the prefix is written.</summary>
    private sealed class SignallingWriter(string prefix) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();
        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value != '\n') { _line.Append(value); return; }
                if (_line.ToString().StartsWith(prefix, StringComparison.Ordinal)) Seen.TrySetResult();
                _line.Clear();
            }
        }
    }
}
