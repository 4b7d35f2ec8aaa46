using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ShapeStudy.Actors.Monitoring;

namespace ShapeStudy.Host.Dashboard;

/// <summary>
/// The live dashboard of a study (Kestrel, read-only): <c>/</c> the page (embedded HTML/JS/CSS), <c>/api/state</c> the
/// current <see cref="DashboardSnapshot"/> as JSON, <c>/api/events</c> the same as Server-Sent Events (one per
/// <see cref="UpdateInterval"/>), <c>/metrics</c> Prometheus text format, <c>/healthz</c>. Only GET and HEAD are served.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    /// <summary>How often the event stream sends a new state.</summary>
    public static readonly TimeSpan UpdateInterval = TimeSpan.FromSeconds(1);

    private const string CookieName = "shapestudy_dashboard_token";
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The dashboard's address (with the actual port).</summary>
    public Uri Url { get; }

    /// <summary>
    /// Starts the dashboard. A busy port is an error when the user chose it, otherwise a free port is taken instead.
    /// Throws <see cref="ArgumentException"/> for invalid settings (see <see cref="DashboardSettings.Validate"/>) and
    /// <see cref="IOException"/> when the address cannot be bound.
    /// </summary>
    public static async Task<DashboardServer> StartAsync(StudyMonitor monitor, DashboardSettings settings, CancellationToken ct = default)
    {
        var problems = settings.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        try
        {
            return await StartOnAsync(monitor, settings, settings.Port, ct);
        }
        catch (IOException) when (!settings.PortGiven && settings.Port != 0)
        {
            return await StartOnAsync(monitor, settings, 0, ct);
        }
    }

    private static async Task<DashboardServer> StartOnAsync(StudyMonitor monitor, DashboardSettings settings, int port, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = Array.Empty<string>() });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        // The CLI owns Ctrl+C and SIGTERM (they cancel the study or stop the node); the web host must not take them.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            switch (settings.Bind)
            {
                case "*": k.ListenAnyIP(port); break;
                case var b when b.Equals("localhost", StringComparison.OrdinalIgnoreCase): k.Listen(IPAddress.Loopback, port); break;
                default: k.Listen(IPAddress.Parse(settings.Bind), port); break;
            }
        });
        var app = builder.Build();
        Map(app, monitor, settings.Token);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        int actual = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        string host = settings.Bind is "*" or "0.0.0.0" or "::" ? Dns.GetHostName() : settings.Bind.Contains(':', StringComparison.Ordinal) ? $"[{settings.Bind}]" : settings.Bind;
        return new DashboardServer(app, new Uri($"http://{host}:{actual}/"));
    }

    private static void Map(WebApplication app, StudyMonitor monitor, string? token)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        app.Use(async (ctx, next) =>
        {
            var headers = ctx.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Cache-Control"] = "no-store";
            headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
            if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
            {
                ctx.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                headers.Allow = "GET, HEAD";
                await ctx.Response.WriteAsync("the dashboard is read-only\n");
                return;
            }
            if (token is not null && !Authorized(ctx, token))
            {
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                headers.WWWAuthenticate = "Bearer";
                await ctx.Response.WriteAsync("a token is required: open the dashboard as /?token=TOKEN or send Authorization: Bearer TOKEN\n");
                return;
            }
            await next(ctx);
        });

        app.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Asset("app.css", "text/css; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/api/state", () => Results.Text(DashboardJson.Write(monitor.Snapshot()), "application/json; charset=utf-8"));
        app.MapGet("/metrics", () => Results.Text(PrometheusText.Write(monitor), PrometheusText.ContentType));
        app.MapGet("/api/events", async ctx =>
        {
            ctx.Response.ContentType = "text/event-stream";
            ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
            var ct = linked.Token;
            try
            {
                await ctx.Response.WriteAsync("retry: 2000\n\n", ct);
                while (!ct.IsCancellationRequested)
                {
                    await ctx.Response.WriteAsync("event: state\ndata: " + DashboardJson.Write(monitor.Snapshot()) + "\n\n", ct);
                    await ctx.Response.Body.FlushAsync(ct);
                    await Task.Delay(UpdateInterval, ct);
                }
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
        });
    }

    /// <summary>Bearer header, <c>?token=</c> (which also sets an HttpOnly cookie for the page's own requests), or that cookie.</summary>
    private static bool Authorized(HttpContext ctx, string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        bool Matches(string? given) => given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(auth["Bearer ".Length..].Trim())) return true;
        if (Matches(ctx.Request.Cookies[CookieName])) return true;
        if (!Matches(ctx.Request.Query["token"].ToString())) return false;
        ctx.Response.Cookies.Append(CookieName, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        return true;
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = typeof(DashboardServer).Assembly.GetManifestResourceStream("ShapeStudy.Host.Dashboard." + name)
            ?? throw new InvalidOperationException($"embedded dashboard asset {name} is missing from the shapestudy assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Results.Bytes(copy.ToArray(), contentType);
    }

    /// <summary>A host lifetime that listens to no signal: the dashboard starts and stops with its owner.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
