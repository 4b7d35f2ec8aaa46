using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace ShapeStudy.Study.Manifest;

/// <summary>
/// One command-line override of a manifest value (<c>--set key=value</c>). <paramref name="Key"/> is a dotted path as
/// manifest errors name keys (<c>simulation.parameters.d_um2_per_ms</c>, <c>inputs[0].spacing_um</c>);
/// <paramref name="Value"/> is YAML text read as if it were written in the manifest (<c>0.3</c>, <c>[0.1, 0.2]</c>,
/// <c>{ grid: [0.1, 0.2] }</c>, <c>"text"</c>).
/// </summary>
public sealed partial record ManifestOverride(string Key, string Value)
{
    /// <summary>The override as given on the command line, <c>key=value</c>.</summary>
    public override string ToString() => $"{Key}={Value}";

    /// <summary>
    /// Parses <c>key=value</c> (split at the first '='). Returns false with a message naming the text when the key is
    /// missing or is not a dotted path of names and <c>[index]</c> parts.
    /// </summary>
    public static bool TryParse(string text, out ManifestOverride? parsed, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        parsed = null;
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            error = $"--set '{text}': expected key=value with a dotted manifest key, e.g. simulation.duration_ms=20";
            return false;
        }
        var key = text[..eq].Trim();
        if (!KeyPattern().IsMatch(key))
        {
            error = $"--set '{text}': '{key}' is not a manifest key path (names joined by '.', list items as [index], e.g. inputs[0].spacing_um)";
            return false;
        }
        parsed = new ManifestOverride(key, text[(eq + 1)..]);
        error = "";
        return true;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_]+(\[[0-9]+\])*(\.[A-Za-z0-9_]+(\[[0-9]+\])*)*$")]
    private static partial Regex KeyPattern();
}

/// <summary>
/// Applies <see cref="ManifestOverride"/>s to the parsed YAML tree before validation, so the validator sees the
/// overridden document and its errors still name the key. A replaced value keeps the position of the value it
/// replaces; a key that the file does not have is added (with position 0, i.e. no line) and is then checked like any
/// other key, so a misspelt or unknown key is reported as "unknown key" naming it.
/// </summary>
internal static class ManifestOverrides
{
    /// <summary>Returns the overridden tree; problems (unparsable value, path through a scalar, index out of range) go to <paramref name="errors"/>.</summary>
    public static YNode? Apply(YNode? root, IReadOnlyList<ManifestOverride> overrides, string file, List<ManifestError> errors)
    {
        foreach (var o in overrides)
        {
            YNode? value;
            try
            {
                value = YamlTree.Parse(o.Value) ?? new YScalar(0, 0, "", true, null);
            }
            catch (YamlException e)
            {
                errors.Add(new ManifestError(file, 0, 0, o.Key, $"--set {o}: the value is not valid YAML: {YamlTree.StripPosition(e.Message)}"));
                continue;
            }
            var parts = Split(o.Key);
            root ??= new YMapping(0, 0, new List<KeyValuePair<YNode, YNode>>());
            var updated = Set(root, parts, 0, value, "", o, file, errors);
            if (updated is not null) root = updated;
        }
        return root;
    }

    /// <summary>
    /// Adds "(set by --set key=value)" to every error about an overridden key, a key below it, or a key on its path
    /// (an unknown section name in the override).
    /// </summary>
    public static ManifestError[] Annotate(IReadOnlyList<ManifestError> errors, IReadOnlyList<ManifestOverride> overrides) =>
        errors.Select(e =>
        {
            var o = overrides.LastOrDefault(o => e.Key.Length > 0 && (Covers(o.Key, e.Key) || Covers(e.Key, o.Key)));
            return o is null ? e : e with { Message = $"{e.Message} (set by --set {o})" };
        }).ToArray();

    /// <summary>Provenance of the overrides, appended to the manifest text: one YAML comment line each.</summary>
    public static string Comment(IReadOnlyList<ManifestOverride> overrides)
    {
        var sb = new StringBuilder("\n# overrides given on the command line (applied before validation):\n");
        foreach (var o in overrides) sb.Append("# --set ").Append(o.Key).Append('=').Append(o.Value.Replace('\n', ' ')).Append('\n');
        return sb.ToString();
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or lies below it.</summary>
    private static bool Covers(string prefix, string path) =>
        path == prefix || path.StartsWith(prefix + ".", StringComparison.Ordinal) || path.StartsWith(prefix + "[", StringComparison.Ordinal);

    /// <summary>"a.b[2].c" → ["a", "b", 2, "c"] (names as strings, indices as ints).</summary>
    private static List<object> Split(string key)
    {
        var parts = new List<object>();
        foreach (Match m in Regex.Matches(key, @"([A-Za-z0-9_]+)|\[([0-9]+)\]"))
        {
            if (m.Groups[1].Success) parts.Add(m.Groups[1].Value);
            else parts.Add(int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        return parts;
    }

    private static string Join(string path, object part) => part is int i ? $"{path}[{i}]" : path.Length == 0 ? (string)part : $"{path}.{part}";

    /// <summary>Returns a copy of <paramref name="node"/> with the value at parts[depth..] replaced, or null after an error.</summary>
    private static YNode? Set(YNode node, List<object> parts, int depth, YNode value, string path, ManifestOverride o, string file, List<ManifestError> errors)
    {
        var part = parts[depth];
        var here = Join(path, part);
        bool last = depth == parts.Count - 1;
        switch (part)
        {
            case string name when node is YMapping map:
            {
                var entries = map.Entries.ToList();
                int at = entries.FindLastIndex(e => e.Key is YScalar k && k.Value == name);
                YNode? replacement;
                if (at < 0)
                {
                    // A key the file does not have: add it (positionless); the validator judges whether it is allowed.
                    replacement = last ? Relocate(value, 0, 0)
                        : parts[depth + 1] is int
                            ? Fail($"{here} is not in the manifest, so {o.Key} has no list item to set")
                            : Set(new YMapping(0, 0, new List<KeyValuePair<YNode, YNode>>()), parts, depth + 1, value, here, o, file, errors);
                    if (replacement is null) return null;
                    entries.Add(new KeyValuePair<YNode, YNode>(new YScalar(0, 0, name, true, null), replacement));
                }
                else
                {
                    var old = entries[at].Value;
                    replacement = last ? Relocate(value, old.Line, old.Column) : Set(old, parts, depth + 1, value, here, o, file, errors);
                    if (replacement is null) return null;
                    entries[at] = new KeyValuePair<YNode, YNode>(entries[at].Key, replacement);
                }
                return new YMapping(map.Line, map.Column, entries);
            }
            case int index when node is YSequence seq:
            {
                if (index >= seq.Items.Count)
                    return Fail($"{path} has {seq.Items.Count} item(s), so [{index}] does not exist (indices start at 0)");
                var items = seq.Items.ToList();
                var old = items[index];
                var replacement = last ? Relocate(value, old.Line, old.Column) : Set(old, parts, depth + 1, value, here, o, file, errors);
                if (replacement is null) return null;
                items[index] = replacement;
                return new YSequence(seq.Line, seq.Column, items);
            }
            case string:
                return Fail($"{(path.Length == 0 ? "the manifest" : path)} is {Kind(node)}, not a mapping, so it has no key '{part}'");
            default:
                return Fail($"{(path.Length == 0 ? "the manifest" : path)} is {Kind(node)}, not a list, so it has no item [{part}]");
        }

        YNode? Fail(string message)
        {
            errors.Add(new ManifestError(file, node.Line, node.Column, o.Key, $"--set {o}: {message}"));
            return null;
        }
    }

    private static string Kind(YNode n) => n switch
    {
        YMapping => "a mapping",
        YSequence => "a list",
        YScalar { IsNull: true } => "empty",
        YScalar s => $"the value '{s.Value}'",
        _ => "a node",
    };

    /// <summary>A copy of <paramref name="n"/> whose every node sits at (line, column): the overridden value's place.</summary>
    private static YNode Relocate(YNode n, int line, int column) => n switch
    {
        YScalar s => new YScalar(line, column, s.Value, s.Plain, s.Tag),
        YSequence q => new YSequence(line, column, q.Items.Select(i => Relocate(i, line, column)).ToList()),
        YMapping m => new YMapping(line, column, m.Entries.Select(e => new KeyValuePair<YNode, YNode>(Relocate(e.Key, line, column), Relocate(e.Value, line, column))).ToList()),
        _ => n,
    };
}
