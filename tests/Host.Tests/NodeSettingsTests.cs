using Akka.Configuration;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// `shapestudy node` settings: the defaults are the measured cluster timings, environment variables override
/// files and options override environment variables, and invalid settings are reported with the option to fix.
/// </summary>
public sealed class NodeSettingsTests
{
    [Fact]
    public void DefaultsGiveKeepMajorityAndTheMeasuredTimings()
    {
        var s = ClusterNode.Bind(null, new Dictionary<string, string?> { ["Node:Roles:0"] = "coordinator" });
        Assert.Empty(ClusterNode.Validate(s));
        var hocon = ClusterNode.MultiNodeHocon(s).WithFallback(Actors.StudyRunner.ClusterConfig());
        Assert.Equal("keep-majority", hocon.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(5), hocon.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal(TimeSpan.FromSeconds(3), hocon.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromSeconds(2), hocon.GetTimeSpan("akka.cluster.retry-unsuccessful-join-after"));
        Assert.Equal(TimeSpan.FromSeconds(1), hocon.GetTimeSpan("akka.remote.retry-gate-closed-for"));
        Assert.Equal(new[] { "coordinator" }, hocon.GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public void EnvironmentOverridesFilesAndOptionsOverrideEnvironment()
    {
        var dir = Path.Combine(Path.GetTempPath(), "shapestudy-settings-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "node.json");
        File.WriteAllText(file, """{ "Node": { "Port": 4100, "Slots": 3, "Seeds": [ "a:1" ], "Timings": { "StableAfter": "20s" } } }""");
        const string variable = "SHAPESTUDY_Node__Timings__AcceptableHeartbeatPause";
        Environment.SetEnvironmentVariable(variable, "7s");
        try
        {
            var s = ClusterNode.Bind(file, new Dictionary<string, string?> { ["Node:Slots"] = "5", ["Node:Seeds:0"] = "b:2" });
            Assert.Empty(ClusterNode.Validate(s));
            Assert.Equal((4100, 5, "20s", "7s"), (s.Port, s.Slots, s.Timings.StableAfter, s.Timings.AcceptableHeartbeatPause));
            Assert.Equal(new[] { "b:2" }, s.Seeds);
            Assert.Equal(new[] { "worker" }, s.Roles);
            Assert.Equal(TimeSpan.FromSeconds(20), ConfigurationFactory.ParseString("").WithFallback(ClusterNode.MultiNodeHocon(s))
                .GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void InvalidSettingsNameTheOptionToFix()
    {
        var s = ClusterNode.Bind(null, new Dictionary<string, string?>
        {
            ["Node:Roles:0"] = "worker", ["Node:Slots"] = "-1", ["Node:Timings:StableAfter"] = "five seconds", ["Node:Roles:1"] = "boss",
        });
        var errors = ClusterNode.Validate(s);
        Assert.Contains(errors, e => e.Contains("--seed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("--slots", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("StableAfter", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'boss'", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromMilliseconds(500), ClusterNode.Duration("500ms"));
        Assert.Throws<FormatException>(() => ClusterNode.Duration("5 s"));
    }
}
