using System.CommandLine;
using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Host;

/// <summary>The repeatable <c>--set key=value</c> option of <c>run</c> and <c>validate</c> (see docs/manifest.md).</summary>
public static class ManifestOverrideOption
{
    /// <summary>A new <c>--set</c> option (one instance per command).</summary>
    public static Option<string[]> Create() => new("--set")
    {
        Description = "Override a manifest value before validation, e.g. --set simulation.duration_ms=20 --set shape_space.variants_per_cell=1 "
            + "(dotted key as in error messages, list items as [i]; the value is YAML). Repeatable; later ones win.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The parsed overrides, or null after printing why one is malformed.</summary>
    public static IReadOnlyList<ManifestOverride>? Parse(string[]? values, TextWriter errors)
    {
        var list = new List<ManifestOverride>();
        bool ok = true;
        foreach (var v in values ?? [])
        {
            if (ManifestOverride.TryParse(v, out var o, out var error)) list.Add(o!);
            else { errors.WriteLine(error); ok = false; }
        }
        if (!ok) errors.WriteLine("nothing was run.");
        return ok ? list : null;
    }

    /// <summary>
    /// <c>--set</c> with <c>--cluster</c>: the coordinator reads the manifest file itself, so overrides would not reach
    /// it; refused with the way out.
    /// </summary>
    public static int RefuseWithCluster(TextWriter errors)
    {
        errors.WriteLine("--set cannot be combined with --cluster: the cluster's coordinator reads the manifest file itself. "
            + "Write the changed values into the manifest (or a copy of it) and submit that; nothing was run.");
        return Cli.InvalidManifest;
    }
}
