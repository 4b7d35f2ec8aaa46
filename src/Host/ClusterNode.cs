using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShapeStudy.Actors;
using ShapeStudy.Actors.Nodes;

namespace ShapeStudy.Host;

/// <summary>
/// Settings of one cluster node, bound (lowest to highest precedence) from the defaults here, <c>appsettings.json</c>
/// beside the executable, the file given with <c>--config</c>, environment variables prefixed <c>SHAPESTUDY_</c>
/// (section separator <c>__</c>, e.g. <c>SHAPESTUDY_Node__Port=4053</c>, <c>SHAPESTUDY_Node__Seeds__0=10.0.0.5:4053</c>),
/// and the command-line options of <c>shapestudy node</c>. Durations use Akka's HOCON form (<c>500ms</c>, <c>5s</c>, <c>2m</c>).
/// </summary>
public sealed class NodeSettings
{
    /// <summary>Roles of this node: <c>coordinator</c> (can host the coordinator singleton), <c>worker</c> (runs slots), or both; empty = worker.</summary>
    public string[] Roles { get; set; } = Array.Empty<string>();
    /// <summary>Interface to bind (0.0.0.0 in containers).</summary>
    public string Hostname { get; set; } = "127.0.0.1";
    /// <summary>Address other nodes use to reach this one (the pod IP or DNS name); defaults to <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; set; }
    /// <summary>Akka.Remote port; 0 picks a free port (fine for workers, not for a seed).</summary>
    public int Port { get; set; }
    /// <summary>
    /// Seed nodes as host:port. Empty on the first coordinator, which then forms the cluster by joining itself. Every
    /// node may list the same seeds (e.g. the coordinators' stable DNS names): only the first seed forms a new cluster,
    /// and only when no other seed answers.
    /// </summary>
    public string[] Seeds { get; set; } = Array.Empty<string>();
    /// <summary>Worker slots (concurrent tasks) on a worker node; 0 = number of cores.</summary>
    public int Slots { get; set; }
    /// <summary>Coordinator state directory (study submissions and outcomes); must be the same shared directory on every coordinator-role node.</summary>
    public string StateDir { get; set; } = "shapestudy-state";
    public ClusterTimings Timings { get; set; } = new();
    /// <summary>Print one line per task a worker slot starts (stage, subject, attempt).</summary>
    public bool LogTasks { get; set; }
}

/// <summary>
/// Failure detection, downing and leases. On one 2-core machine with 3 nodes and a 2 s heartbeat pause a killed node was
/// unreachable after ~4 s and downed (its leases re-queued) after ~9 s; the default pause is now 3 s (Akka's own), about
/// 1 s later, because 2 s let CPU-starved healthy nodes be downed. See cluster/README.md for large clusters.
/// </summary>
public sealed class ClusterTimings
{
    /// <summary>Split-brain resolver: how long membership must be stable before an unreachable node is downed.</summary>
    public string StableAfter { get; set; } = "5s";
    /// <summary>Phi-accrual failure detector: missing heartbeats tolerated before a node is unreachable.</summary>
    public string AcceptableHeartbeatPause { get; set; } = "3s";
    public string HeartbeatInterval { get; set; } = "1s";
    /// <summary>A node that could not join retries its seeds this often.</summary>
    public string RetryUnsuccessfulJoinAfter { get; set; } = "2s";
    /// <summary>After a failed connection, how long remoting waits before it tries that address again (a restarted node).</summary>
    public string RetryGateClosedFor { get; set; } = "1s";
    /// <summary>A lease with no result after this long is taken back (a hung, not dead, worker).</summary>
    public string LeaseTimeout { get; set; } = "2h";
    /// <summary>An idle worker slot repeats its request for work this often (finds a restarted coordinator).</summary>
    public string IdleRequestRepeat { get; set; } = "2s";
}

/// <summary>Starts a cluster node with Akka.Hosting and runs it until it is stopped (Ctrl+C / SIGTERM) or downed.</summary>
public static class ClusterNode
{
    /// <summary>Binds <see cref="NodeSettings"/> from appsettings.json, an optional file, SHAPESTUDY_* variables and overrides.</summary>
    public static NodeSettings Bind(string? configFile, IDictionary<string, string?> overrides)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (configFile is not null) builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        var configuration = builder.AddEnvironmentVariables("SHAPESTUDY_").AddInMemoryCollection(overrides).Build();
        var settings = new NodeSettings();
        configuration.GetSection("Node").Bind(settings);
        return settings;
    }

    /// <summary>Problems that stop the node from starting, each naming the setting and the fix.</summary>
    public static IReadOnlyList<string> Validate(NodeSettings s)
    {
        var errors = new List<string>();
        var roles = s.Roles.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct().ToArray();
        if (roles.Length == 0) roles = new[] { ClusterNaming.WorkerRole };
        foreach (var r in roles.Where(r => r is not (ClusterNaming.CoordinatorRole or ClusterNaming.WorkerRole)))
            errors.Add($"Node:Roles (--role): unknown role '{r}'; expected coordinator or worker");
        if (s.Port is < 0 or > 65535) errors.Add($"Node:Port (--port): {s.Port} is not a TCP port");
        if (s.Slots < 0) errors.Add($"Node:Slots (--slots): {s.Slots} must be ≥ 0 (0 = number of cores)");
        foreach (var seed in s.Seeds.Where(x => !Regex.IsMatch(x, @"^[^:\s]+:\d{1,5}$")))
            errors.Add($"Node:Seeds (--seed): '{seed}' is not host:port");
        if (s.Seeds.Length == 0 && !roles.Contains(ClusterNaming.CoordinatorRole))
            errors.Add("a worker needs --seed HOST:PORT of a running node (only the first coordinator starts without seeds)");
        var t = s.Timings;
        foreach (var (name, value) in new[] { ("StableAfter", t.StableAfter), ("AcceptableHeartbeatPause", t.AcceptableHeartbeatPause),
                     ("HeartbeatInterval", t.HeartbeatInterval), ("RetryUnsuccessfulJoinAfter", t.RetryUnsuccessfulJoinAfter),
                     ("RetryGateClosedFor", t.RetryGateClosedFor), ("LeaseTimeout", t.LeaseTimeout), ("IdleRequestRepeat", t.IdleRequestRepeat) })
            if (!Regex.IsMatch(value, @"^\d+(ms|s|m|h)$")) errors.Add($"Node:Timings:{name}: '{value}' is not a duration like 500ms, 5s, 2m or 1h");
        s.Roles = roles;
        return errors;
    }

    /// <summary>Parses a HOCON-style duration (<c>500ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>).</summary>
    public static TimeSpan Duration(string value)
    {
        var m = Regex.Match(value, @"^(\d+)(ms|s|m|h)$");
        if (!m.Success) throw new FormatException($"'{value}' is not a duration like 500ms, 5s, 2m or 1h");
        double n = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "ms" => TimeSpan.FromMilliseconds(n), "s" => TimeSpan.FromSeconds(n), "m" => TimeSpan.FromMinutes(n), _ => TimeSpan.FromHours(n) };
    }

    /// <summary>The HOCON that overrides the embedded single-node configuration for a multi-node cluster.</summary>
    public static Config MultiNodeHocon(NodeSettings s) => ConfigurationFactory.ParseString($$"""
        akka.cluster {
          roles = [{{string.Join(", ", s.Roles)}}]
          failure-detector.acceptable-heartbeat-pause = {{s.Timings.AcceptableHeartbeatPause}}
          failure-detector.heartbeat-interval = {{s.Timings.HeartbeatInterval}}
          split-brain-resolver.stable-after = {{s.Timings.StableAfter}}
          retry-unsuccessful-join-after = {{s.Timings.RetryUnsuccessfulJoinAfter}}
          singleton-proxy.buffer-size = 10000
        }
        akka.remote.retry-gate-closed-for = {{s.Timings.RetryGateClosedFor}}
        akka.remote.log-remote-lifecycle-events = off
        akka.coordinated-shutdown.exit-clr = off
        """);

    /// <summary>
    /// Runs the node until <paramref name="ct"/> is cancelled or the node is downed/removed. Returns the exit code. With a
    /// <paramref name="monitor"/> (the node's dashboard), the cluster and every study coordinated here are recorded there.
    /// </summary>
    public static async Task<int> RunAsync(NodeSettings s, TextWriter output, CancellationToken ct, Actors.Monitoring.StudyMonitor? monitor = null)
    {
        var roles = s.Roles;
        bool coordinator = roles.Contains(ClusterNaming.CoordinatorRole), worker = roles.Contains(ClusterNaming.WorkerRole);
        int slots = s.Slots > 0 ? s.Slots : Environment.ProcessorCount;
        var options = new CoordinatorOptions(Duration(s.Timings.LeaseTimeout), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(250));
        var idleRepeat = Duration(s.Timings.IdleRequestRepeat);
        var stateDir = Path.GetFullPath(s.StateDir);
        string publicHost = s.PublicHostname ?? s.Hostname;

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddAkka(ClusterNaming.SystemName, akka =>
        {
            akka.AddHocon(StudyRunner.ClusterConfig(), HoconAddMode.Append)
                .AddHocon(MultiNodeHocon(s), HoconAddMode.Prepend)
                .ConfigureLoggers(l =>
                {
                    l.LogLevel = Akka.Event.LogLevel.WarningLevel;
                    l.ClearLoggers();
                    l.AddDefaultLogger();
                })
                .WithRemoting(s.Hostname, s.Port, publicHost)
                .WithClustering(new ClusterOptions
                {
                    Roles = roles,
                    SeedNodes = s.Seeds.Select(x => $"akka.tcp://{ClusterNaming.SystemName}@{x}").ToArray(),
                    SplitBrainResolver = new KeepMajorityOption(),
                });
            akka.WithActors((system, registry) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                monitor?.AttachCluster(() => Actors.Monitoring.ClusterView.Members(system));
                cluster.RegisterOnMemberUp(() => { output.WriteLine($"member up: {cluster.SelfAddress}"); output.Flush(); });
                system.ActorOf(Props.Create(() => new MembershipLog(output)), "membership-log");
                if (s.Seeds.Length == 0) cluster.Join(cluster.SelfAddress);
                if (coordinator)
                    system.ActorOf(ClusterSingletonManager.Props(Props.Create(() => new StudyHost(stateDir, options, monitor)), PoisonPill.Instance,
                        ClusterSingletonManagerSettings.Create(system).WithRole(ClusterNaming.CoordinatorRole)), ClusterNaming.Coordinator);
                var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/" + ClusterNaming.Coordinator,
                    ClusterSingletonProxySettings.Create(system).WithRole(ClusterNaming.CoordinatorRole)), ClusterNaming.Coordinator + "-proxy");
                system.ActorOf(Props.Create(() => new SubmissionEndpoint(proxy)), SubmissionEndpoint.Name);
                if (worker)
                {
                    var sites = ExecutionSites.Stages();
                    var node = cluster.SelfAddress.ToString();
                    Action<WorkItem>? logTask = s.LogTasks
                        ? item => output.WriteLine($"task started: {item.Task.Stage} {item.Task.Subject} attempt {item.Attempt}")
                        : null;
                    cluster.RegisterOnMemberUp(() =>
                    {
                        for (int i = 0; i < slots; i++)
                            system.ActorOf(Props.Create(() => new Worker(proxy, sites, node, idleRepeat, logTask)), $"worker-{i}");
                    });
                }
            });
        });

        using var host = builder.Build();
        await host.StartAsync(ct);
        var actorSystem = host.Services.GetRequiredService<ActorSystem>();
        var self = Akka.Cluster.Cluster.Get(actorSystem).SelfAddress;
        output.WriteLine($"node {self} roles [{string.Join(", ", roles)}]" + (worker ? $", {slots} worker slot(s)" : "")
            + (coordinator ? $", state {stateDir}" : "") + (s.Seeds.Length > 0 ? $", seeds {string.Join(", ", s.Seeds)}" : ""));
        output.Flush();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // SIGTERM and Ctrl+C reach the generic host's console lifetime (which takes them before System.CommandLine's
        // handler can cancel ct): it signals ApplicationStopping, so both paths stop the node.
        // The hosting layer also stops the application when the actor system shuts down (downed): that is not a request,
        // and it comes after the cluster has started coordinated shutdown with its reason.
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        int requested = 0;
        void Request() { Interlocked.Exchange(ref requested, 1); stopped.TrySetResult(); }
        var shutdown = CoordinatedShutdown.Get(actorSystem);
        using (ct.Register(Request))
        using (lifetime.ApplicationStopping.Register(() => { if (shutdown.ShutdownReason is null && !actorSystem.WhenTerminated.IsCompleted) Request(); }))
            await Task.WhenAny(stopped.Task, actorSystem.WhenTerminated);
        bool downed = actorSystem.WhenTerminated.IsCompleted && Volatile.Read(ref requested) == 0;
        await host.StopAsync(CancellationToken.None);
        output.WriteLine(downed ? $"node {self} left the cluster (downed or removed); exiting" : $"node {self} stopped");
        return downed ? 3 : 0;
    }
}

/// <summary>Prints one line per member removed from the cluster ("member removed: ADDRESS"), for operators and tests.</summary>
internal sealed class MembershipLog : ReceiveActor
{
    public MembershipLog(TextWriter output)
    {
        Receive<ClusterEvent.MemberRemoved>(m => { output.WriteLine($"member removed: {m.Member.Address} (was {m.PreviousStatus})"); output.Flush(); });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
