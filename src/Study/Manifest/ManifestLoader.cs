using System.Text;
using ShapeStudy.Core;
using YamlDotNet.Core;

namespace ShapeStudy.Study.Manifest;

/// <summary>
/// Reads and strictly validates a study manifest (YAML, schema version 1). Every problem is collected in one pass —
/// syntax errors, unknown or duplicate keys, wrong types, missing required keys, out-of-range values, missing files —
/// each with its line, column and dotted key path. See docs/manifest.md for the reference of every key.
/// </summary>
public static class ManifestLoader
{
    /// <summary>The only schema version this program reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Largest number of parameter sets a simulation sweep may expand to.</summary>
    public const int MaxParameterSets = 10000;

    /// <summary>
    /// Loads the manifest at <paramref name="path"/> (relative paths are taken from the current directory). Paths inside
    /// the manifest are resolved against the manifest's directory. The result holds the manifest when it is valid,
    /// otherwise every error found (ordered by position); it never throws for problems in the file.
    /// </summary>
    /// <param name="path">The manifest file.</param>
    /// <param name="overrides">
    /// <c>--set key=value</c> overrides, applied to the YAML tree before validation: errors about an overridden key name
    /// it and say so; the manifest's text and hash (provenance) include the overrides as trailing comment lines.
    /// </param>
    public static ManifestLoadResult Load(string path, IReadOnlyList<ManifestOverride>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        overrides ??= Array.Empty<ManifestOverride>();
        var errors = new List<ManifestError>();
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            errors.Add(new ManifestError(path, 0, 0, "", $"invalid manifest path: {e.Message}"));
            return new ManifestLoadResult(null, errors);
        }

        if (Directory.Exists(fullPath))
            return Fail(path, $"expected a manifest file, found a directory: {fullPath}");
        if (!File.Exists(fullPath))
            return Fail(path, $"manifest file not found: {fullPath}");

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(path, $"cannot read manifest file {fullPath}: {e.Message}");
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Fail(path, "the manifest is not valid UTF-8 text");
        }
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];

        YNode? root;
        try
        {
            root = YamlTree.Parse(text);
        }
        catch (YamlException e)
        {
            int line = (int)e.Start.Line, column = (int)e.Start.Column;
            string message = YamlTree.StripPosition(e.Message);
            if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && FindIndentationTab(text) is { } tab)
            {
                // YamlDotNet reports tab indentation at the start of the enclosing mapping; point at the tab itself
                (line, column) = tab;
                message = "a tab character in indentation (indent with spaces only); " + message;
            }
            errors.Add(new ManifestError(path, line, column, "", "YAML syntax error: " + message));
            return new ManifestLoadResult(null, errors);
        }

        if (overrides.Count > 0) root = ManifestOverrides.Apply(root, overrides, path, errors);
        var validator = new Validator(path, Path.GetDirectoryName(fullPath)!);
        var parts = validator.Validate(root);
        var ordered = errors.Concat(ManifestOverrides.Annotate(validator.Errors, overrides))
            .Select((e, i) => (e, i))
            .OrderBy(t => t.e.Line).ThenBy(t => t.e.Column).ThenBy(t => t.i)
            .Select(t => t.e)
            .ToArray();
        if (ordered.Length > 0 || parts is null)
            return new ManifestLoadResult(null, Array.AsReadOnly(ordered));

        if (overrides.Count > 0)
        {
            text += ManifestOverrides.Comment(overrides);
            bytes = Encoding.UTF8.GetBytes(text);
        }
        var manifest = parts with
        {
            ManifestPath = fullPath,
            ManifestText = text,
            ManifestHash = ContentHash.Of(bytes),
        };
        return new ManifestLoadResult(manifest, Array.Empty<ManifestError>());

        ManifestLoadResult Fail(string file, string message) =>
            new(null, new[] { new ManifestError(file, 0, 0, "", message) });
    }

    /// <summary>1-based (line, column) of the first tab in a line's leading whitespace, or null.</summary>
    private static (int Line, int Column)? FindIndentationTab(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i];
            for (int j = 0; j < l.Length && (l[j] == ' ' || l[j] == '\t'); j++)
                if (l[j] == '\t') return (i + 1, j + 1);
        }
        return null;
    }
}
