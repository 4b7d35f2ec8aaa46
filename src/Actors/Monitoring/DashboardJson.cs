using System.Text.Json;
using System.Text.Json.Serialization;

namespace ShapeStudy.Actors.Monitoring;

/// <summary>The JSON form of <see cref="DashboardSnapshot"/> (camelCase; NaN and infinities as strings), shared by the dashboard and <c>status</c>.</summary>
public static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(DashboardSnapshot snapshot) => JsonSerializer.Serialize(snapshot, Options);

    /// <summary>Reads a snapshot; throws <see cref="JsonException"/> when <paramref name="json"/> is not one.</summary>
    public static DashboardSnapshot Read(string json) => JsonSerializer.Deserialize<DashboardSnapshot>(json, Options)
        ?? throw new JsonException("empty dashboard state");

    /// <summary>The snapshot without the per-cell grid and with the 20 newest failures per study: small enough for a remoting message.</summary>
    public static DashboardSnapshot Compact(DashboardSnapshot s) => s with
    {
        Studies = s.Studies.Select(x => x with { Cells = Array.Empty<CellView>(), Failures = x.Failures.Take(20).ToList() }).ToList(),
    };
}
