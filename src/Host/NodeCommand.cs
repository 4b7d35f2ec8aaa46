using System.CommandLine;

namespace ShapeStudy.Host;

/// <summary><c>shapestudy node</c>: start a cluster node (coordinator and/or worker role).</summary>
public static class NodeCommand
{
    /// <summary>Exit code when the node's settings are invalid.</summary>
    public const int InvalidSettings = 2;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var role = new Option<string[]>("--role") { Description = "coordinator, worker, or both (repeat or comma-separate). Default: worker.", AllowMultipleArgumentsPerToken = true };
        var port = new Option<int?>("--port") { Description = "Akka.Remote port (0 = any free port)." };
        var seed = new Option<string[]>("--seed") { Description = "HOST:PORT of a running node to join (repeatable). The first coordinator needs none." };
        var slots = new Option<int?>("--slots") { Description = "Worker slots on this node (0 = number of cores)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Coordinator state directory, shared by every coordinator-role node." };
        var hostname = new Option<string?>("--hostname") { Description = "Interface to bind (default 127.0.0.1)." };
        var publicHostname = new Option<string?>("--public-hostname") { Description = "Address other nodes use to reach this one (default: --hostname)." };
        var config = new Option<string?>("--config") { Description = "JSON settings file (same shape as appsettings.json)." };
        var node = new Command("node", "Start a cluster node. Settings come from appsettings.json, --config, SHAPESTUDY_* environment variables and these options (highest).")
            { role, port, seed, slots, stateDir, hostname, publicHostname, config };
        var dashboard = new Dashboard.DashboardSettings.Options();
        dashboard.AddTo(node);
        node.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, string? value) { if (value is not null) overrides["Node:" + key] = value; }
            var roles = parse.GetValue(role);
            if (roles is { Length: > 0 }) for (int i = 0; i < roles.Length; i++) Set($"Roles:{i}", roles[i]);
            var seeds = parse.GetValue(seed);
            if (seeds is { Length: > 0 })
            {
                var all = seeds.SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
                for (int i = 0; i < all.Length; i++) Set($"Seeds:{i}", all[i]);
            }
            Set("Port", parse.GetValue(port)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Set("Slots", parse.GetValue(slots)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Set("StateDir", parse.GetValue(stateDir));
            Set("Hostname", parse.GetValue(hostname));
            Set("PublicHostname", parse.GetValue(publicHostname));
            var settings = ClusterNode.Bind(parse.GetValue(config), overrides);
            var problems = ClusterNode.Validate(settings);
            if (problems.Count > 0)
            {
                foreach (var p in problems) errors.WriteLine(p);
                return InvalidSettings;
            }
            var monitor = new Actors.Monitoring.StudyMonitor();
            await using var web = await Dashboard.DashboardCli.StartAsync(monitor, dashboard.Read(parse), output, errors, ct);
            if (web.Failed) return InvalidSettings;
            return await ClusterNode.RunAsync(settings, output, ct, monitor);
        });
        return node;
    }
}
