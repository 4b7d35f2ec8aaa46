using ShapeStudy.Core;

namespace ShapeStudy.Study;

/// <summary>
/// Task keys: SHA-256 over (stage, algorithm version, canonical parameters, input content hashes, seed). Equal keys
/// mean equal work, so a committed key is never recomputed; any changed ingredient yields a new key.
/// </summary>
public static class TaskKeys
{
    /// <param name="stage">Stage name, e.g. "segment".</param>
    /// <param name="algorithmVersion">Bumped whenever the stage's kernel changes its results.</param>
    /// <param name="canonicalParameters">Parameters in a canonical text form (sorted keys, invariant culture).</param>
    /// <param name="inputHashes">Content hashes of every input (files or artifacts), in a fixed order.</param>
    /// <param name="seed">The task's seed (0 when the stage is deterministic without one).</param>
    public static string Compute(string stage, string algorithmVersion, string canonicalParameters, IEnumerable<string> inputHashes, ulong seed)
        => ContentHash.OfParts(stage, algorithmVersion, canonicalParameters, string.Join(",", inputHashes), seed.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Canonical text of named parameters: sorted by name, numbers in round-trip invariant format.</summary>
    public static string Canonical(params (string Name, object? Value)[] parameters) =>
        string.Join(";", parameters.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + Format(p.Value)));

    private static string Format(object? v) => v switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e when v is not string => "[" + string.Join(",", e.Cast<object?>().Select(Format)) + "]",
        _ => v.ToString() ?? "",
    };
}
