using System.Security.Cryptography;
using System.Text;

namespace ShapeStudy.Core;

/// <summary>SHA-256 content hashes as lowercase hex, the identity of artifacts and task keys.</summary>
public static class ContentHash
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Of(string text) => Of(Encoding.UTF8.GetBytes(text));

    /// <summary>Hash of a file's bytes, streamed.</summary>
    public static string OfFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>Hash of an ordered list of parts, each length-prefixed so that part boundaries are unambiguous.</summary>
    public static string OfParts(params string[] parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts) sb.Append(p.Length).Append(':').Append(p).Append('|');
        return Of(sb.ToString());
    }
}

/// <summary>
/// Hierarchical deterministic seeds: study seed → cell → variant → replicate. A child seed depends only on its
/// parent seed and its path label, so any row can be recomputed alone.
/// </summary>
public static class Seeds
{
    /// <summary>Child seed of <paramref name="parent"/> for the path element <paramref name="label"/>.</summary>
    public static ulong Child(ulong parent, string label)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{parent}/{label}")));
        return BitConverter.ToUInt64(h, 0);
    }

    /// <summary>A <see cref="Random"/> seeded from a 64-bit seed (folded to 32 bits).</summary>
    public static Random Rng(ulong seed) => new((int)(seed ^ (seed >> 32)) & int.MaxValue);
}
