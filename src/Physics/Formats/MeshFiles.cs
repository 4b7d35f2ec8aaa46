using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Mesh file formats known to <see cref="MeshFiles"/>.</summary>
public enum MeshFormat
{
    /// <summary>Wavefront OBJ (.obj): surface only, no markers.</summary>
    Obj,
    /// <summary>Stanford PLY (.ply): surface with an optional face property <c>marker</c>.</summary>
    Ply,
    /// <summary>STL (.stl): surface only (float32), no markers.</summary>
    Stl,
    /// <summary>Object File Format (.off): surface only, no markers.</summary>
    Off,
    /// <summary>Legacy VTK unstructured grid (.vtk): triangles and tetrahedra with cell data <c>marker</c>.</summary>
    Vtk,
    /// <summary>VTK XML unstructured grid (.vtu): triangles and tetrahedra with cell data <c>marker</c>.</summary>
    Vtu,
}

/// <summary>One entry point for reading and writing meshes in every supported format, chosen by file extension.</summary>
public static class MeshFiles
{
    /// <summary>The format of <paramref name="path"/> from its extension (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Unknown extension.</exception>
    public static MeshFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".obj" => MeshFormat.Obj,
        ".ply" => MeshFormat.Ply,
        ".stl" => MeshFormat.Stl,
        ".off" => MeshFormat.Off,
        ".vtk" => MeshFormat.Vtk,
        ".vtu" => MeshFormat.Vtu,
        var ext => throw new ArgumentException($"{path}: unknown mesh file extension '{ext}' (known: .obj, .ply, .stl, .off, .vtk, .vtu)"),
    };

    /// <summary>
    /// Reads a mesh file (OBJ, PLY ascii/binary, STL ascii/binary, OFF, legacy VTK, VTU), dispatching on the extension.
    /// </summary>
    /// <exception cref="InvalidDataException">Corrupt or unsupported content; the message names the file and the line
    /// or byte offset.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MeshFileContent Read(string path)
    {
        var format = FormatOf(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such mesh file", path);
        switch (format)
        {
            case MeshFormat.Obj: return new MeshFileContent(ObjFormat.Read(path), null, null);
            case MeshFormat.Ply:
                var (mesh, markers) = PlyFormat.Read(path);
                return new MeshFileContent(mesh, markers, null);
            case MeshFormat.Stl: return new MeshFileContent(StlFormat.Read(path), null, null);
            case MeshFormat.Off: return new MeshFileContent(OffFormat.Read(path), null, null);
            case MeshFormat.Vtk: return VtkFormat.Read(path);
            default: return VtuFormat.Read(path);
        }
    }

    /// <summary>
    /// Writes a surface in <paramref name="format"/> (default: from the extension). <paramref name="faceMarkers"/> (one
    /// per triangle) are written where the format can hold them (PLY, VTK, VTU) and ignored by OBJ, STL and OFF. PLY is
    /// binary little endian, except that marked surfaces are written as ascii PLY, the only PLY face properties Debian's
    /// meshio 5.0 reads. VTU is written as base64 raw binary unless <paramref name="vtuAscii"/>. Every write is atomic
    /// (temporary file + rename).
    /// </summary>
    public static void Write(string path, TriangleMesh mesh, int[]? faceMarkers = null, MeshFormat? format = null, bool vtuAscii = false)
    {
        if (faceMarkers is not null && faceMarkers.Length != mesh.TriangleCount)
            throw new ArgumentException($"{faceMarkers.Length} face markers for {mesh.TriangleCount} triangles");
        switch (format ?? FormatOf(path))
        {
            case MeshFormat.Obj: ObjFormat.Write(path, mesh); break;
            case MeshFormat.Ply: PlyFormat.Write(path, mesh, faceMarkers, ascii: faceMarkers is not null); break;
            case MeshFormat.Stl: StlFormat.Write(path, mesh); break;
            case MeshFormat.Off: OffFormat.Write(path, mesh); break;
            case MeshFormat.Vtk: VtkFormat.Write(path, mesh, faceMarkers); break;
            default: VtuFormat.Write(path, mesh, faceMarkers, vtuAscii); break;
        }
    }

    /// <summary>
    /// Writes a tetrahedral mesh. VTK and VTU hold the tetrahedra (cell data <c>marker</c> = subdomain) and the boundary
    /// faces (cell data <c>marker</c> = face marker) in one grid; PLY writes the boundary surface with its face markers;
    /// OBJ, STL and OFF write the boundary surface only.
    /// </summary>
    public static void Write(string path, TetMesh mesh, MeshFormat? format = null, bool vtuAscii = false)
    {
        switch (format ?? FormatOf(path))
        {
            case MeshFormat.Vtk: VtkFormat.Write(path, mesh); break;
            case MeshFormat.Vtu: VtuFormat.Write(path, mesh, vtuAscii); break;
            case var f: Write(path, mesh.BoundarySurface(), mesh.FaceMarkers, f); break;
        }
    }
}
