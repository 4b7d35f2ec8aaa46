using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>What <see cref="MeshFiles.Read"/> found in a file.</summary>
/// <param name="Surface">The triangles of the file (for a tetrahedral file, its boundary-face cells), vertices in µm.</param>
/// <param name="FaceMarkers">One marker per triangle of <see cref="Surface"/> when the file carries them (PLY face
/// property, VTK/VTU cell data <c>marker</c>), else null.</param>
/// <param name="Tetrahedra">The tetrahedral mesh when the file has tetrahedra (VTK/VTU), with the triangles as its
/// boundary faces and the markers as subdomain and face markers; else null.</param>
public sealed record MeshFileContent(TriangleMesh Surface, int[]? FaceMarkers, TetMesh? Tetrahedra);
