using System.CommandLine;
using System.Net;

namespace ShapeStudy.Host.Dashboard;

/// <summary>
/// Where the live dashboard listens. Loopback (127.0.0.1) by default; any other address needs a token, which every
/// request must then present (<c>Authorization: Bearer</c>, <c>?token=</c>, or the cookie the page sets).
/// </summary>
/// <param name="Enabled">False with <c>--no-dashboard</c>.</param>
/// <param name="Port">TCP port; 0 picks a free port.</param>
/// <param name="PortGiven">True when the port was chosen by the user: then a busy port is an error, otherwise a free port is taken.</param>
/// <param name="Bind">Address to listen on: an IP address, <c>localhost</c>, or <c>*</c> / <c>0.0.0.0</c> / <c>::</c> for every interface.</param>
/// <param name="Token">Access token (required unless <paramref name="Bind"/> is a loopback address).</param>
public sealed record DashboardSettings(bool Enabled, int Port, bool PortGiven, string Bind, string? Token)
{
    /// <summary>The dashboard's default port.</summary>
    public const int DefaultPort = 8470;

    /// <summary>The environment variable that may hold the token.</summary>
    public const string TokenVariable = "SHAPESTUDY_DASHBOARD_TOKEN";

    /// <summary>Shortest token accepted (characters).</summary>
    public const int MinTokenLength = 16;

    /// <summary>True for 127.0.0.0/8, ::1 and <c>localhost</c>.</summary>
    public bool IsLoopback => IsLoopbackAddress(Bind);

    /// <summary>True for 127.0.0.0/8, ::1 and <c>localhost</c>.</summary>
    public static bool IsLoopbackAddress(string bind) =>
        string.Equals(bind, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(bind, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Problems that stop the dashboard from starting, each naming the option and the fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enabled) return problems;
        if (Port is < 0 or > 65535) problems.Add($"--dashboard-port: {Port} is not a TCP port (0 picks a free port)");
        if (Bind is not ("*" or "localhost") && !IPAddress.TryParse(Bind, out _))
            problems.Add($"--dashboard-bind: '{Bind}' is not an IP address (use 127.0.0.1, an interface address, or 0.0.0.0 for every interface)");
        if (!IsLoopback && string.IsNullOrEmpty(Token))
            problems.Add($"--dashboard-bind {Bind}: refusing to serve the dashboard on a non-loopback address without a token; anyone who can "
                + $"reach this machine could read the study. Give --dashboard-token TOKEN (or set {TokenVariable}), or bind 127.0.0.1 "
                + "and use an SSH tunnel.");
        else if (Token is { } t && t.Length < MinTokenLength)
            problems.Add($"--dashboard-token: the token has {t.Length} characters; use at least {MinTokenLength} (e.g. `openssl rand -hex 16`)");
        return problems;
    }

    /// <summary>The dashboard's command-line options, shared by <c>run</c> and <c>node</c>.</summary>
    public sealed class Options
    {
        public Option<int?> Port { get; } = new("--dashboard-port") { Description = $"Port of the live dashboard (default {DefaultPort}, or a free port when that one is taken; 0 = any free port)." };
        public Option<string?> Bind { get; } = new("--dashboard-bind") { Description = "Address the dashboard listens on (default 127.0.0.1). Any non-loopback address requires --dashboard-token." };
        public Option<string?> Token { get; } = new("--dashboard-token") { Description = $"Token every dashboard request must present (Bearer header, ?token=, or cookie); also read from {TokenVariable}." };
        public Option<bool> Disabled { get; } = new("--no-dashboard") { Description = "Do not serve the live dashboard." };

        /// <summary>Adds the options to <paramref name="command"/>.</summary>
        public void AddTo(Command command)
        {
            command.Options.Add(Port);
            command.Options.Add(Bind);
            command.Options.Add(Token);
            command.Options.Add(Disabled);
        }

        /// <summary>The settings given on the command line (and the token variable).</summary>
        public DashboardSettings Read(ParseResult parse)
        {
            var port = parse.GetValue(Port);
            var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            return new DashboardSettings(!parse.GetValue(Disabled), port ?? DefaultPort, port is not null, parse.GetValue(Bind) ?? "127.0.0.1",
                string.IsNullOrEmpty(token) ? null : token);
        }
    }
}
