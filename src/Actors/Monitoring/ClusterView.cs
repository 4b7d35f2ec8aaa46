using Akka.Actor;

namespace ShapeStudy.Actors.Monitoring;

/// <summary>Cluster membership as this node sees it, for the dashboard.</summary>
public static class ClusterView
{
    /// <summary>
    /// The members of the cluster that <paramref name="system"/> belongs to (address, roles, status, reachability), ordered
    /// by address; empty when the system is not a cluster node or has terminated.
    /// </summary>
    public static IReadOnlyList<MemberView> Members(ActorSystem system)
    {
        if (system.WhenTerminated.IsCompleted || !system.Settings.ProviderClass.Contains("Cluster", StringComparison.Ordinal))
            return Array.Empty<MemberView>();
        var state = Akka.Cluster.Cluster.Get(system).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        return state.Members
            .Select(m => new MemberView(m.Address.ToString(), m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList(), m.Status.ToString(),
                !unreachable.Contains(m.Address), null, null))
            .OrderBy(m => m.Address, StringComparer.Ordinal).ToList();
    }
}
