using System.Text.Json;
using System.Text.RegularExpressions;
using ShapeStudy.Actors.Monitoring;
using ShapeStudy.Host.Dashboard;
using ShapeStudy.Testing;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>The Grafana dashboard in cluster/grafana queries only metric families that /metrics declares.</summary>
public sealed class GrafanaDashboardTests
{
    [Fact]
    public void EveryMetricTheGrafanaDashboardQueriesIsExposed()
    {
        var declared = PrometheusText.Write(new StudyMonitor()).Split('\n')
            .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToHashSet();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "cluster", "grafana", "shapestudy.json")));
        var exprs = doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(exprs.Count >= 10);
        var used = exprs.SelectMany(e => Regex.Matches(e, "shapestudy_[a-z_]+").Select(m => m.Value))
            .Select(n => Regex.Replace(n, "_(bucket|sum|count)$", "")).ToHashSet();
        Assert.Empty(used.Except(declared));
        Assert.Contains("shapestudy_tasks", used);
        Assert.Contains("shapestudy_mailbox_depth", used);
    }
}
