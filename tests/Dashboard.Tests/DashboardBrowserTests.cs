using System.Globalization;
using DuckDB.NET.Data;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using ShapeStudy.Actors;
using ShapeStudy.Actors.Monitoring;
using ShapeStudy.Host.Dashboard;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser during a real study: headless Chromium (Debian's chromium + chromedriver, driven by
/// Selenium) opens the page while a small study of bundled MICrONS spines plus one deliberately broken surface (a flat
/// open patch) runs, and sees the completed-task count rise, the cluster member listed, and the broken cell failed with
/// its reason. At the end, <c>/metrics</c> parses strictly and its task counts equal the written <c>tasks</c> table.
/// The dashboard, monitor and runner are the same objects <c>shapestudy run</c> uses.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-dash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            try { Directory.Delete(_dir, recursive: true); return; }
            catch (IOException) { Thread.Sleep(200); }
        }
    }

    private StudyManifest Manifest()
    {
        var broken = Path.Combine(_dir, "broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "open.obj"), "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3\nf 1 3 4\n");
        var spines = Path.Combine(_dir, "spines");
        Directory.CreateDirectory(spines);
        for (int i = 0; i < 5; i++)
            File.Copy(RepoPaths.Data("microns-spines", $"spine_0{i}.obj"), Path.Combine(spines, $"spine_0{i}.obj"));
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $$"""
            schema_version: 1
            study: { id: dashboard-test, seed: 5 }
            inputs:
              - meshes: {{Path.Combine(spines, "*.obj")}}
                name: spines
              - meshes: {{Path.Combine(broken, "*.obj")}}
                name: broken
            shape_space: { modes: 2, variants_per_cell: 1 }
            simulation: { duration_ms: 8, dt_ms: 0.25, max_voxels: 1500 }
            execution: { max_retries: 1, on_failure: continue, workers: 2 }
            outputs: { dir: out }
            """));
        var loaded = ManifestLoader.Load(path);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        return loaded.Manifest!;
    }

    /// <summary>Debian's chromium and chromedriver; a missing browser fails the test (CI must never look green without it).</summary>
    internal static (string Browser, string Driver) FindChromium()
    {
        string? Which(params string[] candidates) => candidates.FirstOrDefault(File.Exists);
        var browser = Which("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
        var driver = Which("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        if (browser is null || driver is null)
            Assert.Fail("headless Chromium is needed for the dashboard browser test: install it with `apt-get install chromium chromium-driver` "
                + $"(found browser: {browser ?? "none"}, driver: {driver ?? "none"}); .ci/run installs them when it runs as root");
        return (browser!, driver!);
    }

    internal static ChromeDriver StartBrowser()
    {
        var (browser, driver) = FindChromium();
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,2000");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static int Number(IWebDriver d, string id) => int.Parse(d.FindElement(By.Id(id)).Text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task BrowserSeesTasksCompleteAClusterMemberAndTheFailingCellWithItsReason_MetricsMatchTheTasksTable()
    {
        var manifest = Manifest();
        var monitor = new StudyMonitor();
        await using var server = await DashboardServer.StartAsync(monitor, new DashboardSettings(true, 0, true, "127.0.0.1", null));
        log.WriteLine($"dashboard at {server.Url}");
        using var browser = StartBrowser();
        browser.Navigate().GoToUrl(server.Url);
        Assert.Equal("ShapeStudy dashboard", browser.Title);

        var run = Task.Run(() => StudyRunner.RunAsync(manifest, new Silent(), default, monitor));
        var wait = new WebDriverWait(browser, Patience) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(FormatException), typeof(NoSuchElementException));

        // Completed-task counts rise as the study runs (pushed by Server-Sent Events, no reload).
        wait.Until(d => d.FindElement(By.Id("study-id")).Text.Contains("dashboard-test", StringComparison.Ordinal));
        int first = 0, later = 0;
        wait.Until(d => (first = Number(d, "tasks-finished")) > 0);
        wait.Until(d => (later = Number(d, "tasks-finished")) > first);
        log.WriteLine($"completed tasks seen by the browser: {first} → {later}");
        Assert.True(later > first);

        // The single-node cluster member: address, both roles, Up, reachable, with its 2 worker slots.
        var member = wait.Until(d => d.FindElements(By.CssSelector("#members tbody tr[data-address]")).FirstOrDefault(r => r.Text.Contains("Up", StringComparison.Ordinal)));
        var memberText = member!.Text;
        Assert.Contains("akka.tcp://shapestudy@127.0.0.1:", memberText);
        Assert.Contains("coordinator, worker", memberText);
        Assert.Contains("yes", memberText);

        // The deliberately broken cell: failed in the cell grid and in the failure list, with the loader's reason.
        var failure = wait.Until(d => d.FindElements(By.CssSelector("#failures li[data-subject='broken/open']")).FirstOrDefault());
        Assert.Contains("load_mesh broken/open", failure!.Text);
        Assert.Contains("encloses a volume", failure.Text);
        var cellRow = browser.FindElement(By.CssSelector("#cells tbody tr[data-cell='broken/open']"));
        Assert.Equal("failed", cellRow.GetAttribute("data-status"));
        Assert.Contains("encloses a volume", cellRow.Text);

        // `shapestudy status` reads the same state from the dashboard's JSON endpoint, in plain text.
        var stdout = new StringWriter();
        Assert.Equal(0, await Host.Cli.RunAsync(new[] { "status", "--url", server.Url.ToString() }, stdout, new StringWriter()));
        var status = stdout.ToString();
        log.WriteLine(status);
        Assert.Contains("study dashboard-test:", status);
        Assert.Contains("load_mesh broken/open: ", status);
        Assert.Contains("cluster members:", status);

        var summary = await run.WaitAsync(Patience);
        Assert.Equal(1, summary.Failed);
        wait.Until(d => d.FindElement(By.Id("study-state")).Text == "finished");
        Assert.Equal(summary.Executed + summary.Failed, Number(browser, "tasks-finished"));

        // /metrics: strict exposition format, and its task counts equal the tasks table (stage × status).
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(server.Url, "metrics"));
        Assert.StartsWith("text/plain; version=0.0.4", response.Content.Headers.ContentType!.ToString());
        var samples = PrometheusParser.Parse(await response.Content.ReadAsStringAsync());
        var fromMetrics = samples.Where(s => s.Name == "shapestudy_tasks" && s.Labels["study"] == "dashboard-test" && s.Value > 0)
            .ToDictionary(s => (s.Labels["stage"], s.Labels["status"]), s => (long)s.Value);
        var fromTable = TasksTable(Path.Combine(manifest.Outputs.Dir, "tasks.parquet"));
        log.WriteLine(string.Join("\n", fromTable.OrderBy(k => k.Key).Select(kv => $"{kv.Key}: table {kv.Value}, metrics {fromMetrics.GetValueOrDefault(kv.Key)}")));
        Assert.Equal(fromTable.OrderBy(k => k.Key), fromMetrics.OrderBy(k => k.Key));
        Assert.Equal(1, fromMetrics[("load_mesh", "failed")]);
        // Each executed task's duration was observed once: the histogram counts equal the committed executions.
        long durations = (long)samples.Where(s => s.Name == "shapestudy_task_duration_seconds_count").Sum(s => s.Value);
        Assert.Equal(summary.Executed, durations);
        Assert.Contains(samples, s => s.Name == "shapestudy_mailbox_messages_total" && s.Labels["actor_type"] == "StudyCoordinator" && s.Value > 0);
        Assert.Contains(samples, s => s.Name == "shapestudy_mailbox_messages_total" && s.Labels["actor_type"] == "Worker" && s.Value > 0);
    }

    private static Dictionary<(string, string), long> TasksTable(string parquet)
    {
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT stage, status, count(*) FROM '{parquet}' GROUP BY stage, status";
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<(string, string), long>();
        while (r.Read()) counts[(r.GetString(0), r.GetString(1))] = Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture);
        return counts;
    }

    private sealed class Silent : IStudyObserver
    {
        public void OnProgress(IReadOnlyList<StageProgress> stages) { }
        public void OnTaskFailed(string stage, string subject, string error) { }
        public void OnFinished(StudySummary summary) { }
    }
}
