namespace ShapeStudy.Study.Manifest;

/// <summary>
/// One problem found in a manifest. <paramref name="Line"/> and <paramref name="Column"/> are 1-based positions in
/// <paramref name="File"/> (0 when the problem concerns the file as a whole, e.g. it does not exist);
/// <paramref name="Key"/> is the dotted path of the offending key, e.g. <c>inputs[1].meshes</c> or
/// <c>simulation.parameters.d_um2_per_ms</c> (empty for whole-file problems and YAML syntax errors);
/// <paramref name="Message"/> says what was expected and what was found.
/// </summary>
public sealed record ManifestError(string File, int Line, int Column, string Key, string Message)
{
    /// <summary>
    /// <c>{file}:{line}:{col}: {key}: {message}</c>; the position is left out when <see cref="Line"/> is 0 and the key
    /// when <see cref="Key"/> is empty.
    /// </summary>
    public override string ToString()
    {
        var position = Line > 0 ? FormattableString.Invariant($"{File}:{Line}:{Column}") : File;
        return Key.Length > 0 ? $"{position}: {Key}: {Message}" : $"{position}: {Message}";
    }
}

/// <summary>
/// Outcome of <see cref="ManifestLoader.Load"/>: <see cref="Manifest"/> is non-null exactly when <see cref="Errors"/>
/// is empty. Errors are ordered by position in the file.
/// </summary>
public sealed record ManifestLoadResult(StudyManifest? Manifest, IReadOnlyList<ManifestError> Errors)
{
    /// <summary>True when the manifest is valid and <see cref="Manifest"/> is set.</summary>
    public bool IsValid => Manifest is not null;
}
