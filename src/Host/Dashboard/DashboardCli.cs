using ShapeStudy.Actors.Monitoring;

namespace ShapeStudy.Host.Dashboard;

/// <summary>Starts the dashboard for <c>run</c> and <c>node</c>: prints its URL, or why it cannot start.</summary>
public sealed class DashboardCli : IAsyncDisposable
{
    private readonly DashboardServer? _server;

    private DashboardCli(DashboardServer? server, bool failed)
    {
        _server = server;
        Failed = failed;
    }

    /// <summary>True when the settings were refused or the address could not be bound (the reasons went to the error stream).</summary>
    public bool Failed { get; }

    /// <summary>The running server, or null when disabled or failed.</summary>
    public DashboardServer? Server => _server;

    /// <summary>
    /// Validates <paramref name="settings"/> and starts the dashboard, printing "dashboard: URL". Nothing starts when
    /// disabled; invalid settings (a non-loopback address without a token) or a busy chosen port give
    /// <see cref="Failed"/> with the reasons on <paramref name="errors"/>.
    /// </summary>
    public static async Task<DashboardCli> StartAsync(StudyMonitor monitor, DashboardSettings settings, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        if (!settings.Enabled) return new DashboardCli(null, false);
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            foreach (var p in problems) errors.WriteLine(p);
            errors.WriteLine("the dashboard settings were refused; nothing was run.");
            return new DashboardCli(null, true);
        }
        try
        {
            var server = await DashboardServer.StartAsync(monitor, settings, ct);
            output.WriteLine($"dashboard: {server.Url}" + (settings.Token is not null ? " (token required: open it as ?token=TOKEN)" : ""));
            output.Flush();
            return new DashboardCli(server, false);
        }
        catch (IOException e)
        {
            errors.WriteLine($"--dashboard-port {settings.Port} / --dashboard-bind {settings.Bind}: cannot listen there: {e.Message} "
                + "(choose another port, 0 for any free port, or --no-dashboard); nothing was run.");
            return new DashboardCli(null, true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
