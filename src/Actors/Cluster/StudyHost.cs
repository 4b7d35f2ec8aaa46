using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Storage;
using ClusterEvent = Akka.Cluster.ClusterEvent;

namespace ShapeStudy.Actors.Nodes;

/// <summary>
/// The coordinator of a multi-node cluster (the cluster singleton on the oldest <c>coordinator</c>-role node). It accepts
/// study submissions, records them in its state directory, runs one study at a time as a child
/// <see cref="StudyCoordinator"/> (which owns the study's LiteDB file), forwards the workers' requests and reports to it,
/// tells it which nodes the cluster removed, and streams progress (stage counts, failures, running tasks' lines) to the
/// subscribed clients. When the singleton
/// restarts — the process restarted, or another coordinator-role node that sees the same state directory took over —
/// it resumes every study that had not finished; the child re-plans and reuses every committed task.
/// </summary>
public sealed class StudyHost : ReceiveActor
{
    /// <summary>One submitted study as recorded in <c>state-dir/studies/&lt;id&gt;.json</c>.</summary>
    public sealed record Submission(string StudyId, string ManifestPath, string Status, DateTime SubmittedUtc, StudyOutcome? Outcome);

    private sealed record Relayed(string StudyId, object Message);

    private readonly string _registry;
    private readonly CoordinatorOptions _options;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, HashSet<IActorRef>> _subscribers = new();
    private readonly List<string> _queue = new();
    private readonly Dictionary<IActorRef, RequestWork> _waiting = new();
    private (string StudyId, IActorRef Child, StudyStore Store)? _active;
    private readonly Dictionary<IActorRef, StudyStore> _closing = new();

    private readonly Monitoring.StudyMonitor _monitor;

    /// <summary>A host keeping its submissions in <paramref name="stateDir"/>; with a <paramref name="monitor"/>, every study it runs is recorded there too (the node's live dashboard).</summary>
    public StudyHost(string stateDir, CoordinatorOptions options, Monitoring.StudyMonitor? monitor = null)
    {
        _monitor = monitor ?? new Monitoring.StudyMonitor();
        _registry = Path.Combine(Path.GetFullPath(stateDir), "studies");
        _options = options;
        Directory.CreateDirectory(_registry);

        Receive<SubmitStudy>(OnSubmit);
        Receive<WatchStudy>(OnWatch);
        Receive<QueryStatus>(_ => Sender.Tell(new ClusterStatus(Monitoring.DashboardJson.Write(Monitoring.DashboardJson.Compact(_monitor.Snapshot())))));
        Receive<RequestWork>(r =>
        {
            if (_active is { } a) a.Child.Forward(r);
            else _waiting[r.Worker] = r;
        });
        Receive<WorkCompleted>(m => _active?.Child.Forward(m));
        Receive<WorkFailed>(m => _active?.Child.Forward(m));
        Receive<TaskProgress>(m => _active?.Child.Forward(m));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            foreach (var w in _waiting.Keys.Where(w => w.Path.Address.Equals(m.Member.Address)).ToList()) _waiting.Remove(w);
            _active?.Child.Tell(new NodeLost(m.Member.Address));
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<Relayed>(OnRelayed);
        Receive<Terminated>(t =>
        {
            if (_closing.Remove(t.ActorRef, out var store)) { store.Dispose(); return; }
            foreach (var subs in _subscribers.Values) subs.Remove(t.ActorRef);
        });
    }

    protected override void PreStart()
    {
        var system = Context.System;
        _monitor.AttachCluster(() => Monitoring.ClusterView.Members(system));
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.MemberRemoved));
        foreach (var s in LoadAll().Where(s => s.Status != "finished").OrderBy(s => s.SubmittedUtc))
        {
            _log.Warning("resuming study {0} ({1}) from its committed tasks", s.StudyId, s.ManifestPath);
            _queue.Add(s.StudyId);
        }
        StartNext();
    }

    protected override void PostStop()
    {
        if (Context.System.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _active?.Store.Dispose();
        foreach (var s in _closing.Values) s.Dispose();
    }

    private void OnSubmit(SubmitStudy m)
    {
        var loaded = ManifestLoader.Load(m.ManifestPath);
        if (loaded.Manifest is null || loaded.Errors.Count > 0)
        {
            Sender.Tell(new StudyRejected(m.ManifestPath, loaded.Errors.Select(e => e.ToString()).ToArray()));
            return;
        }
        var id = loaded.Manifest.Study.Id;
        Subscribe(id, Sender);
        if (_active?.StudyId != id && !_queue.Contains(id))
        {
            Save(new Submission(id, Path.GetFullPath(m.ManifestPath), "queued", DateTime.UtcNow, null));
            _queue.Add(id);
        }
        Sender.Tell(new StudyAccepted(id, loaded.Manifest.Outputs.Dir, _active?.StudyId == id ? 0 : _queue.IndexOf(id) + (_active is null ? 0 : 1)));
        StartNext();
    }

    private void OnWatch(WatchStudy m)
    {
        var s = Find(m.StudyId);
        if (s is null) { Sender.Tell(new StudyRejected(m.StudyId, new[] { $"no study '{m.StudyId}' was submitted to this cluster" })); return; }
        Subscribe(m.StudyId, Sender);
        if (s.Status == "finished" && s.Outcome is not null && _active?.StudyId != m.StudyId && !_queue.Contains(m.StudyId))
            Sender.Tell(new StudyFinished(m.StudyId, s.Outcome));
    }

    private void Subscribe(string studyId, IActorRef client)
    {
        if (client.IsNobody() || client.Equals(Context.System.DeadLetters)) return;
        if (!_subscribers.TryGetValue(studyId, out var set)) _subscribers[studyId] = set = new HashSet<IActorRef>();
        if (set.Add(client)) Context.Watch(client);
    }

    private void StartNext()
    {
        while (_active is null && _queue.Count > 0)
        {
            var id = _queue[0];
            _queue.RemoveAt(0);
            var s = Find(id);
            var loaded = s is null ? null : ManifestLoader.Load(s.ManifestPath);
            if (s is null || loaded?.Manifest is null || loaded.Errors.Count > 0)
            {
                var errors = loaded?.Errors.Select(e => e.ToString()).ToArray() ?? new[] { "its submission record is missing" };
                var outcome = new StudyOutcome(id, "", 0, 0, 0, 0, Array.Empty<string>(), Array.Empty<int>(),
                    errors.Prepend($"study {id} could not be resumed").ToArray(), 0);
                if (s is not null) Save(s with { Status = "finished", Outcome = outcome });
                Publish(id, new StudyFinished(id, outcome));
                continue;
            }
            var manifest = loaded.Manifest;
            var stateDir = Path.Combine(manifest.Outputs.Dir, StudyRunner.StateFolder);
            var store = new StudyStore(Path.Combine(stateDir, "state.db"), groupCommit: true);
            var artifacts = new ArtifactStore(Path.Combine(stateDir, "artifacts"));
            IStudyObserver relay = new Relay(Self, id);
            relay = new Monitoring.CompositeObserver(relay, _monitor.ForStudy(id, manifest.Outputs.Dir));
            // A study that was running when the coordinator stopped resumes: its final failures stay final.
            var options = _options with { KeepRecordedFailures = s.Status == "running" };
            var child = Context.ActorOf(Props.Create(() => new StudyCoordinator(manifest, store, artifacts, relay, options)),
                "study-" + Uri.EscapeDataString(id).Replace("%", "_", StringComparison.Ordinal) + "-" + Guid.NewGuid().ToString("N")[..6]);
            Context.Watch(child);
            _active = (id, child, store);
            Save(s with { Status = "running" });
            _log.Warning("running study {0} from {1}", id, s.ManifestPath);
            foreach (var r in _waiting.Values) child.Tell(r, r.Worker);
            _waiting.Clear();
        }
    }

    private void OnRelayed(Relayed m)
    {
        if (m.Message is StudyFinished f && _active is { } a && a.StudyId == m.StudyId)
        {
            if (Find(m.StudyId) is { } s) Save(s with { Status = "finished", Outcome = f.Outcome });
            _closing[a.Child] = a.Store;
            Context.Stop(a.Child);
            _active = null;
            _log.Warning("study {0} finished: {1} tasks, {2} executed, {3} cached, {4} failed", m.StudyId, f.Outcome.Tasks,
                f.Outcome.Executed, f.Outcome.Cached, f.Outcome.Failed);
            Publish(m.StudyId, f);
            StartNext();
            return;
        }
        Publish(m.StudyId, m.Message);
    }

    private void Publish(string studyId, object message)
    {
        if (_subscribers.TryGetValue(studyId, out var set))
            foreach (var c in set) c.Tell(message);
    }

    private string RecordPath(string id) => Path.Combine(_registry, Uri.EscapeDataString(id) + ".json");

    private Submission? Find(string id) =>
        File.Exists(RecordPath(id)) ? JsonSerializer.Deserialize<Submission>(File.ReadAllBytes(RecordPath(id))) : null;

    private IEnumerable<Submission> LoadAll() =>
        Directory.EnumerateFiles(_registry, "*.json").Select(f => JsonSerializer.Deserialize<Submission>(File.ReadAllBytes(f))!);

    private void Save(Submission s) => AtomicFile.Write(RecordPath(s.StudyId), JsonSerializer.SerializeToUtf8Bytes(s));

    /// <summary>Forwards the child coordinator's reports to the host (called on the child's thread; Tell is thread-safe).</summary>
    private sealed class Relay(IActorRef host, string studyId) : IStudyObserver
    {
        public void OnProgress(IReadOnlyList<StageProgress> stages) => host.Tell(new Relayed(studyId, new StudyProgressed(studyId, stages.ToArray())));
        public void OnTaskFailed(string stage, string subject, string error) => host.Tell(new Relayed(studyId, new StudyTaskFailed(studyId, stage, subject, error)));
        public void OnTaskProgress(Monitoring.TaskProgressEvent e) =>
            host.Tell(new Relayed(studyId, new StudyTaskProgressed(studyId, e.Key, e.Stage, e.Subject, e.Cell, e.Text)));
        public void OnFinished(StudySummary summary) => host.Tell(new Relayed(studyId, new StudyFinished(studyId, StudyOutcome.From(summary))));
    }
}

/// <summary>
/// Runs on every node at <c>/user/submissions</c>: the contact point of <c>shapestudy run --cluster</c>. Forwards
/// submissions and watches to the coordinator singleton (through the node's proxy), keeping the client as sender.
/// </summary>
public sealed class SubmissionEndpoint : ReceiveActor
{
    /// <summary>The endpoint's actor name.</summary>
    public const string Name = "submissions";

    public SubmissionEndpoint(IActorRef coordinatorProxy)
    {
        Receive<SubmitStudy>(m => coordinatorProxy.Forward(m));
        Receive<WatchStudy>(m => coordinatorProxy.Forward(m));
        Receive<QueryStatus>(m => coordinatorProxy.Forward(m));
    }
}
