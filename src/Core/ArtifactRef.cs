namespace ShapeStudy.Core;

/// <summary>
/// A reference to an immutable artifact in the content-addressed store: <paramref name="Sha256"/> names the bytes,
/// <paramref name="Kind"/> says how to read them (e.g. "mask", "mesh", "timeseries").
/// Messages carry these, never voxels or meshes.
/// </summary>
public sealed record ArtifactRef(string Sha256, string Kind, long SizeBytes);
