using Akka.Actor;
using Akka.Configuration;

namespace ShapeStudy.Actors.Nodes;

/// <summary>
/// Submits a study to a running cluster and follows it to the end (<c>shapestudy run manifest --cluster HOST:PORT</c>).
/// The client is not a cluster member (a crashed client never disturbs the cluster's majority): a plain Akka.Remote
/// system that talks to <c>/user/submissions</c> on any contact node. Until the study is accepted it repeats the
/// submission (idempotent), then repeats a watch every few seconds, rotating through the contact points whenever one
/// stays silent, so progress resumes after a coordinator restart or fail-over.
/// </summary>
public static class StudyClient
{
    /// <summary>
    /// Submits <paramref name="manifestPath"/> through <paramref name="contacts"/> ("host:port") and returns the outcome,
    /// or throws <see cref="StudyRejectedException"/> when the manifest is invalid.
    /// </summary>
    public static async Task<StudySummary> RunAsync(IReadOnlyList<string> contacts, string manifestPath, IStudyObserver observer,
        string hostname = "127.0.0.1", CancellationToken ct = default)
    {
        if (contacts.Count == 0) throw new ArgumentException("at least one contact point (host:port) is needed");
        var config = ClientConfig(hostname, "WARNING");
        var system = ActorSystem.Create("shapestudy-client", config);
        try
        {
            var done = new TaskCompletionSource<StudySummary>(TaskCreationOptions.RunContinuationsAsynchronously);
            var paths = contacts.Select(c => $"akka.tcp://{ClusterNaming.SystemName}@{c}/user/{SubmissionEndpoint.Name}").ToArray();
            system.ActorOf(Props.Create(() => new Follower(paths, Path.GetFullPath(manifestPath), observer, done)), "follower");
            using var reg = ct.Register(() => done.TrySetCanceled(ct));
            return await done.Task;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>
    /// Asks the coordinator, through the node at <paramref name="contact"/> ("host:port"), for its state: studies,
    /// stages, failures, cluster members and actor counters. Throws <see cref="TimeoutException"/> when no answer comes.
    /// </summary>
    public static async Task<Monitoring.DashboardSnapshot> QueryStatusAsync(string contact, TimeSpan timeout, string hostname = "127.0.0.1")
    {
        var system = ActorSystem.Create("shapestudy-status", ClientConfig(hostname));
        try
        {
            var endpoint = system.ActorSelection($"akka.tcp://{ClusterNaming.SystemName}@{contact}/user/{SubmissionEndpoint.Name}");
            try
            {
                var status = await endpoint.Ask<ClusterStatus>(new QueryStatus(), timeout);
                return Monitoring.DashboardJson.Read(status.SnapshotJson);
            }
            catch (AskTimeoutException)
            {
                throw new TimeoutException($"no answer from a coordinator through {contact} within {timeout.TotalSeconds:F0} s "
                    + "(is a `shapestudy node` listening there, and is a coordinator-role node up?)");
            }
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static Config ClientConfig(string hostname, string logLevel = "ERROR") => ConfigurationFactory.ParseString($$"""
        akka {
          loglevel = {{logLevel}}
          stdout-loglevel = {{logLevel}}
          actor.provider = remote
          remote.dot-netty.tcp { hostname = "{{hostname}}", port = 0 }
          remote.retry-gate-closed-for = 1s
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """);

    private sealed class Follower : ReceiveActor, IWithTimers
    {
        private sealed record Beat;

        private readonly string[] _contacts;
        private readonly string _manifest;
        private int _contact;
        private string? _studyId;
        private DateTime _lastHeard = DateTime.UtcNow;

        public ITimerScheduler Timers { get; set; } = null!;

        public Follower(string[] contacts, string manifest, IStudyObserver observer, TaskCompletionSource<StudySummary> done)
        {
            _contacts = contacts;
            _manifest = manifest;
            Receive<StudyAccepted>(m => { Heard(); _studyId ??= m.StudyId; });
            Receive<StudyProgressed>(m => { Heard(); observer.OnProgress(m.Stages); });
            Receive<StudyTaskFailed>(m => { Heard(); observer.OnTaskFailed(m.Stage, m.Subject, m.Error); });
            Receive<StudyTaskProgressed>(m => { Heard(); observer.OnTaskProgress(new Monitoring.TaskProgressEvent(m.Key, m.Stage, m.Subject, m.Cell, m.Text)); });
            Receive<StudyFinished>(m =>
            {
                var summary = m.Outcome.ToSummary();
                observer.OnFinished(summary);
                done.TrySetResult(summary);
            });
            Receive<StudyRejected>(m => done.TrySetException(new StudyRejectedException(m.What, m.Errors)));
            Receive<Beat>(_ =>
            {
                if (DateTime.UtcNow - _lastHeard > TimeSpan.FromSeconds(8))
                {
                    _contact = (_contact + 1) % _contacts.Length;      // this contact stayed silent: try the next
                    _lastHeard = DateTime.UtcNow;
                }
                Send();
            });
        }

        protected override void PreStart()
        {
            Send();
            Timers.StartPeriodicTimer("beat", new Beat(), TimeSpan.FromSeconds(2));
        }

        private void Heard() => _lastHeard = DateTime.UtcNow;

        private void Send()
        {
            var target = Context.ActorSelection(_contacts[_contact]);
            if (_studyId is null) target.Tell(new SubmitStudy(_manifest));
            else target.Tell(new WatchStudy(_studyId));
        }
    }
}

/// <summary>The cluster refused a submission (invalid manifest, unknown study); <see cref="Errors"/> say why.</summary>
public sealed class StudyRejectedException(string what, IReadOnlyList<string> errors)
    : Exception($"{what}: {string.Join("; ", errors)}")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Names shared by every node and client.</summary>
public static class ClusterNaming
{
    /// <summary>The actor system name of every cluster node (addresses are <c>akka.tcp://shapestudy@host:port</c>).</summary>
    public const string SystemName = "shapestudy";
    /// <summary>Role of nodes that can host the coordinator singleton.</summary>
    public const string CoordinatorRole = "coordinator";
    /// <summary>Role of nodes that run worker slots.</summary>
    public const string WorkerRole = "worker";
    /// <summary>Name of the singleton manager on coordinator nodes (its proxy is at <c>/user/coordinator-proxy</c>).</summary>
    public const string Coordinator = "coordinator";
}
