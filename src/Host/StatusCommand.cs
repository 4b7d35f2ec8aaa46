using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using ShapeStudy.Actors.Monitoring;
using ShapeStudy.Host.Dashboard;

namespace ShapeStudy.Host;

/// <summary>
/// <c>shapestudy status</c>: the state of a running study in plain text, read from a dashboard's <c>/api/state</c>
/// (default <c>http://127.0.0.1:8470/</c>) or, with <c>--cluster HOST:PORT</c>, from the coordinator of a cluster.
/// </summary>
public static class StatusCommand
{
    /// <summary>Exit code when no dashboard or coordinator answered.</summary>
    public const int Unreachable = 3;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var url = new Option<string?>("--url") { Description = $"Dashboard address (default http://127.0.0.1:{DashboardSettings.DefaultPort}/)." };
        var cluster = new Option<string?>("--cluster") { Description = "Ask the coordinator of a running cluster through the node at HOST:PORT instead." };
        var token = new Option<string?>("--token") { Description = $"Dashboard token (also read from {DashboardSettings.TokenVariable})." };
        var command = new Command("status", "Print the state of a running study: stages, failures, cluster members, actors.") { url, cluster, token };
        command.SetAction(async (parse, ct) =>
        {
            DashboardSnapshot snapshot;
            var contact = parse.GetValue(cluster);
            var source = contact ?? parse.GetValue(url) ?? $"http://127.0.0.1:{DashboardSettings.DefaultPort}/";
            try
            {
                snapshot = contact is not null
                    ? await Actors.Nodes.StudyClient.QueryStatusAsync(contact, TimeSpan.FromSeconds(15),
                        Environment.GetEnvironmentVariable("SHAPESTUDY_CLIENT_HOSTNAME") ?? "127.0.0.1")
                    : await FromDashboard(source, parse.GetValue(token) ?? Environment.GetEnvironmentVariable(DashboardSettings.TokenVariable), ct);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException or System.Text.Json.JsonException or UriFormatException)
            {
                errors.WriteLine($"status: no answer from {source}: {e.Message}");
                return Unreachable;
            }
            Print(snapshot, output);
            return 0;
        });
        return command;
    }

    private static async Task<DashboardSnapshot> FromDashboard(string url, string? token, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(url.EndsWith('/') ? url : url + "/"), "api/state"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {(await response.Content.ReadAsStringAsync(ct)).Trim()}");
        return DashboardJson.Read(await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>The snapshot as plain text: one block per study (stages, failures), then members and the busiest actors.</summary>
    public static void Print(DashboardSnapshot s, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        if (s.Studies.Count == 0) o.WriteLine("no study is running or has run here");
        foreach (var st in s.Studies)
        {
            string eta = st.EtaSeconds is { } e ? string.Create(inv, $", ETA {e:F0} s") : "";
            o.WriteLine(string.Create(inv, $"study {st.StudyId}: {st.State}, {st.ElapsedSeconds:F1} s, {st.Finished}/{st.Tasks} tasks finished ({st.Failed} failed, {st.Running} running), {st.TasksPerSecond:F2} tasks/s{eta}"));
            o.WriteLine($"  outputs {st.OutputDir}");
            o.WriteLine($"  {"stage",-13} {"total",6} {"done",6} {"cached",6} {"failed",6} {"running",7} {"queued",6} {"retries",7} {"mean s",7}");
            foreach (var g in st.Stages)
                o.WriteLine(string.Create(inv, $"  {g.Stage,-13} {g.Total,6} {g.Done,6} {g.Cached,6} {g.Failed,6} {g.Running,7} {g.Queued,6} {g.Retries,7} {(g.MeanSeconds is { } m ? m.ToString("F2", inv) : "-"),7}"));
            var final = st.Failures.Where(f => f.Kind != "retrying").ToList();
            if (final.Count > 0)
            {
                o.WriteLine($"  failures ({final.Count}):");
                foreach (var f in final) o.WriteLine($"    {f.Stage} {f.Subject}: {f.Reason}");
            }
            foreach (var err in st.Errors) o.WriteLine($"  error: {err}");
        }
        if (s.Members.Count > 0)
        {
            o.WriteLine("cluster members:");
            foreach (var m in s.Members)
                o.WriteLine($"  {m.Address}  {m.Status}  {(m.Reachable ? "reachable" : "UNREACHABLE")}  [{string.Join(", ", m.Roles)}]"
                    + (m.Slots is { } n ? $"  slots {n} (busy {m.Busy ?? 0})" : ""));
        }
        var busiest = s.Actors.OrderByDescending(a => a.MailboxDepth).ThenByDescending(a => a.Enqueued).Take(5).ToList();
        if (busiest.Count > 0)
        {
            o.WriteLine("actors (busiest mailboxes):");
            foreach (var a in busiest)
                o.WriteLine(string.Create(inv, $"  {a.ActorType,-32} {a.Actors,4} actor(s)  depth {a.MailboxDepth,5}  {a.MessagesPerSecond,8:F1} msg/s"));
        }
    }
}
