using System.Text;
using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// The on-disk form of a saved model: compact UTF-8 JSON
/// <c>{"format":"…","sha256":"…","payload":{…}}</c> where sha256 is the SHA-256 of the payload's exact JSON bytes.
/// Doubles are written in shortest round-trip form (NaN and ±Infinity as strings), so a reloaded model is bit-identical
/// to the saved one.
/// </summary>
public static class ModelEnvelope
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        IncludeFields = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Serializes <paramref name="payload"/> and wraps it; returns the envelope bytes and the payload hash.</summary>
    public static (byte[] Bytes, string Sha256) Wrap<T>(string format, T payload)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(payload, Options);
        string hash = Core.ContentHash.Of(body);
        var head = Encoding.UTF8.GetBytes($"{{\"format\":{JsonSerializer.Serialize(format)},\"sha256\":\"{hash}\",\"payload\":");
        var bytes = new byte[head.Length + body.Length + 1];
        head.CopyTo(bytes, 0);
        body.CopyTo(bytes, head.Length);
        bytes[^1] = (byte)'}';
        return (bytes, hash);
    }

    /// <summary>The SHA-256 a <see cref="Wrap{T}"/> of this payload would record.</summary>
    public static string HashOf<T>(T payload) => Core.ContentHash.Of(JsonSerializer.SerializeToUtf8Bytes(payload, Options));

    /// <summary>
    /// Reads an envelope written by <see cref="Wrap{T}"/>: checks the format name and that the payload bytes hash to the
    /// recorded sha256 (and to <paramref name="expectedSha256"/> when given).
    /// </summary>
    /// <exception cref="InvalidDataException">Wrong format, damaged payload, or a hash mismatch.</exception>
    public static (T Payload, string Sha256) Unwrap<T>(ReadOnlySpan<byte> bytes, string format, string? expectedSha256 = null)
    {
        var reader = new Utf8JsonReader(bytes);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        if (!root.TryGetProperty("format", out var f) || f.GetString() != format)
            throw new InvalidDataException($"expected a '{format}' model file, found format '{(root.TryGetProperty("format", out var g) ? g.GetString() : "(none)")}'");
        string recorded = root.GetProperty("sha256").GetString() ?? "";
        var payload = root.GetProperty("payload");
        string actual = Core.ContentHash.Of(Encoding.UTF8.GetBytes(payload.GetRawText()));
        if (actual != recorded) throw new InvalidDataException($"'{format}' model payload hashes to {actual}, the file records {recorded}: the file is damaged");
        if (expectedSha256 is not null && expectedSha256 != actual)
            throw new InvalidDataException($"'{format}' model has hash {actual}, expected {expectedSha256}");
        var value = payload.Deserialize<T>(Options) ?? throw new InvalidDataException($"'{format}' model payload is empty");
        return (value, actual);
    }
}
