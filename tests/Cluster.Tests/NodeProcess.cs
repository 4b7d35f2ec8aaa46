using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace ShapeStudy.Cluster.Tests;

/// <summary>
/// One <c>shapestudy</c> process (a cluster node or a submitting client) started from the built executable
/// (<c>dotnet shapestudy.dll …</c>), with every output line kept with the harness time it arrived.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<(TimeSpan At, string Line)> _lines = new();
    private readonly Stopwatch _clock;

    public string Name { get; }
    public int Port { get; }

    private NodeProcess(string name, int port, Stopwatch clock, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        Name = name;
        Port = port;
        _clock = clock;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "shapestudy.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SHAPESTUDY_Node__LogTasks"] = "true";
        psi.Environment["NO_COLOR"] = "1";
        // CI runs the test projects in parallel on 2 cores: these nodes compete with U-Net training and whole studies for
        // CPU, so they tolerate longer heartbeat gaps than the product default (3 s), as cluster/README.md advises for busy
        // machines; otherwise a starved but healthy node can be marked unreachable and downed by keep-majority.
        psi.Environment["SHAPESTUDY_Node__Timings__AcceptableHeartbeatPause"] = "6s";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>shapestudy node</c> on 127.0.0.1:<paramref name="port"/>.</summary>
    public static NodeProcess Node(string name, Stopwatch clock, int port, string role, string stateDir, int slots, params int[] seeds)
    {
        var args = new List<string> { "node", "--role", role, "--port", port.ToString(), "--hostname", "127.0.0.1",
            "--slots", slots.ToString(), "--state-dir", stateDir };
        foreach (var s in seeds) { args.Add("--seed"); args.Add($"127.0.0.1:{s}"); }
        return new NodeProcess(name, port, clock, args, null);
    }

    /// <summary>Starts <c>shapestudy run manifest --plain</c> (the study in this one process).</summary>
    public static NodeProcess Run(Stopwatch clock, string manifest) =>
        new("run", 0, clock, new[] { "run", manifest, "--plain", "--no-dashboard" }, null);

    /// <summary>Starts <c>shapestudy run manifest --cluster …</c>.</summary>
    public static NodeProcess Client(Stopwatch clock, string manifest, params int[] contacts) =>
        new("client", 0, clock, new[] { "run", manifest, "--plain", "--cluster", string.Join(",", contacts.Select(p => $"127.0.0.1:{p}")) }, null);

    public string Address => $"akka.tcp://shapestudy@127.0.0.1:{Port}";

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add((_clock.Elapsed, line));
    }

    public IReadOnlyList<(TimeSpan At, string Line)> Lines { get { lock (_lines) return _lines.ToList(); } }

    public string Output => string.Join("\n", Lines.Select(l => $"[{l.At.TotalSeconds,7:F2}] {l.Line}"));

    public int Count(string pattern) => Lines.Count(l => Regex.IsMatch(l.Line, pattern));

    /// <summary>Waits until <paramref name="count"/> lines match <paramref name="pattern"/> and returns when the last one arrived.</summary>
    public TimeSpan WaitFor(string pattern, TimeSpan timeout, int count = 1)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            var hits = Lines.Where(l => Regex.IsMatch(l.Line, pattern)).ToList();
            if (hits.Count >= count) return hits[count - 1].At;
            if (_process.HasExited && Lines.Count(l => Regex.IsMatch(l.Line, pattern)) < count)
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{pattern}':\n{Output}");
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{Name}: no '{pattern}' ×{count} within {timeout}:\n{Output}");
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"{Name} did not exit within {timeout}:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (TERM, INT) with kill(1), as a terminal, systemd or Kubernetes would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", new[] { "-" + name, _process.Id.ToString() })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{name} {_process.Id} failed ({kill.ExitCode})");
    }

    /// <summary>SIGKILL: no shutdown hooks, no leaving the cluster, nothing flushed.</summary>
    public TimeSpan Kill()
    {
        var at = _clock.Elapsed;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        return at;
    }

    /// <summary>"running" or the exit code, and the last <paramref name="lines"/> output lines.</summary>
    public string Summary(int lines)
    {
        string state = _process.HasExited ? $"exited with code {_process.ExitCode}" : "running";
        var tail = Lines.TakeLast(lines).Select(l => $"    [{l.At.TotalSeconds,7:F2}] {(l.Line.Length > 240 ? l.Line[..240] + "…" : l.Line)}");
        return $"{Name} (port {Port}): {state}\n{string.Join("\n", tail)}";
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
    }

    /// <summary>A TCP port that is free on 127.0.0.1 right now.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
