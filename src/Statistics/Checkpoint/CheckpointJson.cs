using System.Text.Json;
using System.Text.Json.Serialization;

namespace ShapeStudy.Statistics;

/// <summary>
/// JSON (System.Text.Json) for sampler checkpoints. Doubles are written in their shortest round-trip form and ±∞/NaN
/// as named literals, so a state read back is bit-for-bit the state written.
/// </summary>
public static class CheckpointJson
{
    /// <summary>The serializer options used for checkpoints.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>Serializes a checkpoint record.</summary>
    public static string Serialize<T>(T state) => JsonSerializer.Serialize(state, Options);

    /// <summary>Reads a checkpoint record written by <see cref="Serialize{T}"/>.</summary>
    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("checkpoint JSON is null");

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save<T>(T state, string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, Serialize(state));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a checkpoint file written by <see cref="Save{T}"/>.</summary>
    public static T Load<T>(string path) => Deserialize<T>(File.ReadAllText(path));
}
