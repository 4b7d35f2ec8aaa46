using ShapeStudy.Testing;
using System.Net;
using System.Net.Http.Headers;
using ShapeStudy.Actors.Monitoring;
using ShapeStudy.Host.Dashboard;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>
/// The dashboard is safe by default: it binds loopback, a non-loopback address without a token is refused before
/// anything runs (by <c>run</c>, by <c>node</c>, and by the server itself), a token is enforced on every endpoint when
/// set, and no endpoint accepts anything but GET/HEAD.
/// </summary>
public sealed class SafetyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-dash-safety-" + Guid.NewGuid().ToString("N"));

    public SafetyTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliCapture.Run(args);

    private string Manifest()
    {
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, $$"""
            schema_version: 1
            study: { id: safety, seed: 1 }
            inputs:
              - meshes: {{Testing.RepoPaths.Data("microns-spines", "spine_00.obj")}}
            outputs: { dir: out }
            """);
        return path;
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("*")]
    [InlineData("192.168.1.20")]
    public async Task RunRefusesANonLoopbackBindWithoutATokenAndRunsNothing(string bind)
    {
        Assert.Null(Environment.GetEnvironmentVariable(DashboardSettings.TokenVariable));
        var r = await Cli("run", Manifest(), "--dashboard-bind", bind);
        Assert.Equal(2, r.Code);
        Assert.Contains($"--dashboard-bind {bind}: refusing to serve the dashboard on a non-loopback address without a token", r.Err);
        Assert.Contains("--dashboard-token", r.Err);
        Assert.DoesNotContain("dashboard: http", r.Out);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")), "the study must not start");
    }

    [Fact]
    public async Task NodeRefusesANonLoopbackBindWithoutAToken()
    {
        var r = await Cli("node", "--role", "coordinator", "--state-dir", Path.Combine(_dir, "state"), "--dashboard-bind", "0.0.0.0");
        Assert.Equal(2, r.Code);
        Assert.Contains("refusing to serve the dashboard on a non-loopback address without a token", r.Err);
        Assert.DoesNotContain("member up", r.Out);
    }

    [Fact]
    public async Task TheServerItselfRefusesANonLoopbackBindWithoutATokenAndAShortToken()
    {
        var monitor = new StudyMonitor();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => DashboardServer.StartAsync(monitor, new DashboardSettings(true, 0, true, "0.0.0.0", null)));
        Assert.Contains("without a token", e.Message);
        var shortToken = await Assert.ThrowsAsync<ArgumentException>(() => DashboardServer.StartAsync(monitor, new DashboardSettings(true, 0, true, "0.0.0.0", "abc")));
        Assert.Contains("at least 16", shortToken.Message);
        Assert.True(new DashboardSettings(true, 0, true, "127.0.0.1", null).Validate().Count == 0);
        Assert.True(new DashboardSettings(true, 0, true, "::1", null).Validate().Count == 0);
        Assert.True(new DashboardSettings(true, 0, true, "localhost", null).Validate().Count == 0);
        Assert.True(new DashboardSettings(true, 0, true, "0.0.0.0", "0123456789abcdef0123").Validate().Count == 0);
    }

    [Fact]
    public async Task ATokenGuardsEveryEndpointAndNothingButGetIsServed()
    {
        const string token = "s3cret-token-0123456789";
        await using var server = await DashboardServer.StartAsync(new StudyMonitor(), new DashboardSettings(true, 0, true, "127.0.0.1", token));
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies });
        foreach (var path in new[] { "", "app.js", "api/state", "api/events", "metrics" })
        {
            using var anonymous = await http.GetAsync(new Uri(server.Url, path), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, path));
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token + "x");
            using (var r = await http.SendAsync(wrong, HttpCompletionOption.ResponseHeadersRead)) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, "api/state")))
        {
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var r = await http.SendAsync(bearer);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Empty(DashboardJson.Read(await r.Content.ReadAsStringAsync()).Studies);
        }
        // ?token= opens the page and leaves an HttpOnly cookie, so the page's own requests (SSE, fetch) pass.
        using (var r = await http.GetAsync(new Uri(server.Url, "?token=" + token))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await http.GetAsync(new Uri(server.Url, "metrics"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // Read-only: every other method is refused, with or without the token.
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch })
        {
            using var request = new HttpRequestMessage(method, new Uri(server.Url, "api/state")) { Content = new StringContent("{}") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var r = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
        }
    }

    [Fact]
    public async Task TheDefaultBindIsLoopbackAndABusyDefaultPortFallsBackToAFreeOne()
    {
        var settings = new DashboardSettings.Options();
        var command = new System.CommandLine.Command("x");
        settings.AddTo(command);
        var parsed = settings.Read(command.Parse(Array.Empty<string>()));
        Assert.Equal("127.0.0.1", parsed.Bind);
        Assert.Equal(DashboardSettings.DefaultPort, parsed.Port);
        Assert.False(parsed.PortGiven);

        // Occupy a port and ask for it as the (not user-chosen) default: the server takes another one.
        var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        try
        {
            int busy = ((IPEndPoint)blocker.LocalEndpoint).Port;
            await using (var server = await DashboardServer.StartAsync(new StudyMonitor(), parsed with { Port = busy }))
            {
                Assert.Equal("127.0.0.1", server.Url.Host);
                Assert.NotEqual(busy, server.Url.Port);
            }
            // A port the user chose is not silently replaced.
            await Assert.ThrowsAnyAsync<IOException>(() => DashboardServer.StartAsync(new StudyMonitor(), parsed with { Port = busy, PortGiven = true }));
        }
        finally
        {
            blocker.Stop();
        }
    }
}
