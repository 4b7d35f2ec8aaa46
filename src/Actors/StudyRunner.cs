using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors;

/// <summary>
/// Runs a study on a single-node Akka.Cluster that holds both roles (coordinator and worker): the default for one
/// machine. The coordinator is a cluster singleton; workers reach it through a singleton proxy and pull work.
/// </summary>
public static class StudyRunner
{
    /// <summary>Folder (inside the output directory) that holds the study state and the artifact store.</summary>
    public const string StateFolder = ".shapestudy";

    /// <summary>Runs <paramref name="manifest"/> to the end; with a <paramref name="monitor"/>, the study and the cluster are recorded there too (the live dashboard).</summary>
    public static async Task<StudySummary> RunAsync(StudyManifest manifest, IStudyObserver observer, CancellationToken ct = default,
        Monitoring.StudyMonitor? monitor = null)
    {
        if (monitor is not null) observer = new Monitoring.CompositeObserver(observer, monitor.ForStudy(manifest.Study.Id, manifest.Outputs.Dir));
        var outDir = manifest.Outputs.Dir;
        Directory.CreateDirectory(outDir);
        var artifacts = new ArtifactStore(Path.Combine(outDir, StateFolder, "artifacts"));
        using var store = new StudyStore(Path.Combine(outDir, StateFolder, "state.db"), groupCommit: true);
        var finished = new TaskCompletionSource<StudySummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        var relay = new FinishRelay(observer, finished);

        var system = ActorSystem.Create("shapestudy", ClusterConfig());
        try
        {
            var cluster = Cluster.Get(system);
            monitor?.AttachCluster(() => Monitoring.ClusterView.Members(system));
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await cluster.JoinAsync(cluster.SelfAddress, ct);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);

            system.ActorOf(ClusterSingletonManager.Props(
                Props.Create(() => new StudyCoordinator(manifest, store, artifacts, relay)),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole("coordinator")), "coordinator");
            var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/coordinator",
                ClusterSingletonProxySettings.Create(system).WithRole("coordinator")), "coordinator-proxy");

            var sites = ExecutionSites.Fixed(new ExecutionSite(artifacts, new StageRunner(artifacts)));
            var node = cluster.SelfAddress.ToString();
            for (int i = 0; i < manifest.Execution.EffectiveWorkers; i++)
                system.ActorOf(Props.Create(() => new Worker(proxy, sites, node, null)), $"worker-{i}");

            using var reg = ct.Register(() => finished.TrySetCanceled(ct));
            return await finished.Task;
        }
        finally
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        }
    }

    /// <summary>The node configuration: cluster/shapestudy.hocon, embedded in this assembly at build time.</summary>
    public static Config ClusterConfig()
    {
        using var stream = typeof(StudyRunner).Assembly.GetManifestResourceStream("ShapeStudy.Actors.shapestudy.hocon")
            ?? throw new InvalidOperationException("embedded cluster/shapestudy.hocon is missing from ShapeStudy.Actors");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private sealed class FinishRelay(IStudyObserver inner, TaskCompletionSource<StudySummary> done) : IStudyObserver
    {
        public void OnProgress(IReadOnlyList<StageProgress> stages) => inner.OnProgress(stages);
        public void OnTaskFailed(string stage, string subject, string error) => inner.OnTaskFailed(stage, subject, error);
        public void OnTask(Monitoring.TaskEvent e) => inner.OnTask(e);
        public void OnSlots(IReadOnlyList<Monitoring.NodeSlots> nodes) => inner.OnSlots(nodes);
        public void OnTaskProgress(Monitoring.TaskProgressEvent e) => inner.OnTaskProgress(e);
        public void OnFinished(StudySummary summary)
        {
            inner.OnFinished(summary);
            done.TrySetResult(summary);
        }
    }
}
