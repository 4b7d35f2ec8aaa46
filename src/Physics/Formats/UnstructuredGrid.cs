using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// The cells VTK files carry for ShapeStudy meshes: points (µm, x, y, z), triangles (VTK type 5) and tetrahedra
/// (VTK type 10), each cell with an integer <c>marker</c> (face marker for triangles, subdomain marker for tetrahedra).
/// </summary>
internal sealed class UnstructuredGrid
{
    public const int VtkTriangle = 5;
    public const int VtkTetra = 10;
    public const string MarkerName = "marker";

    public required double[] Points { get; init; }
    /// <summary>Cells in file order: VTK type and vertex ids.</summary>
    public required int[] Types { get; init; }
    public required int[] Offsets { get; init; }     // cell c uses Connectivity[Offsets[c] .. Offsets[c + 1])
    public required int[] Connectivity { get; init; }
    public int[]? Markers { get; init; }

    public int CellCount => Types.Length;

    public static UnstructuredGrid From(TriangleMesh mesh, int[]? faceMarkers)
    {
        if (faceMarkers is not null && faceMarkers.Length != mesh.TriangleCount)
            throw new ArgumentException($"{faceMarkers.Length} face markers for {mesh.TriangleCount} triangles");
        int n = mesh.TriangleCount;
        var types = new int[n];
        Array.Fill(types, VtkTriangle);
        var offsets = new int[n + 1];
        for (int i = 0; i <= n; i++) offsets[i] = 3 * i;
        return new UnstructuredGrid { Points = mesh.Vertices, Types = types, Offsets = offsets, Connectivity = mesh.Triangles, Markers = faceMarkers };
    }

    /// <summary>Tetrahedra (markers = subdomains) followed by the boundary faces (markers = face markers).</summary>
    public static UnstructuredGrid From(TetMesh mesh)
    {
        int nt = mesh.TetCount, nf = mesh.BoundaryFaceCount, n = nt + nf;
        var types = new int[n];
        var offsets = new int[n + 1];
        var conn = new int[4 * nt + 3 * nf];
        var markers = new int[n];
        Array.Copy(mesh.Tetrahedra, conn, 4 * nt);
        Array.Copy(mesh.BoundaryFaces, 0, conn, 4 * nt, 3 * nf);
        for (int c = 0; c < nt; c++) { types[c] = VtkTetra; offsets[c + 1] = 4 * (c + 1); markers[c] = mesh.TetRegions[c]; }
        for (int f = 0; f < nf; f++) { types[nt + f] = VtkTriangle; offsets[nt + f + 1] = 4 * nt + 3 * (f + 1); markers[nt + f] = mesh.FaceMarkers[f]; }
        return new UnstructuredGrid { Points = mesh.Vertices, Types = types, Offsets = offsets, Connectivity = conn, Markers = markers };
    }

    /// <summary>Splits the cells into triangles and tetrahedra (with their markers); other cell types are an error.</summary>
    public MeshFileContent ToContent(string path)
    {
        int nv = Points.Length / 3;
        var tris = new List<int>();
        var tets = new List<int>();
        var triMarkers = new List<int>();
        var tetMarkers = new List<int>();
        for (int c = 0; c < CellCount; c++)
        {
            int s = Offsets[c], e = Offsets[c + 1];
            for (int q = s; q < e; q++)
                if ((uint)Connectivity[q] >= (uint)nv)
                    throw new InvalidDataException($"{path}: cell {c} refers to point {Connectivity[q]}, but the file has {nv} points");
            switch (Types[c])
            {
                case VtkTriangle when e - s == 3:
                    for (int q = s; q < e; q++) tris.Add(Connectivity[q]);
                    if (Markers is not null) triMarkers.Add(Markers[c]);
                    break;
                case VtkTetra when e - s == 4:
                    for (int q = s; q < e; q++) tets.Add(Connectivity[q]);
                    if (Markers is not null) tetMarkers.Add(Markers[c]);
                    break;
                default:
                    throw new InvalidDataException($"{path}: cell {c} has VTK type {Types[c]} with {e - s} points; only triangles (5) and tetrahedra (10) are supported");
            }
        }
        var surface = new TriangleMesh(Points, tris.ToArray());
        int[]? faceMarkers = Markers is null ? null : triMarkers.ToArray();
        TetMesh? volume = tets.Count == 0 ? null
            : new TetMesh(Points, tets.ToArray(), Markers is null ? null : tetMarkers.ToArray(), tris.ToArray(), faceMarkers);
        return new MeshFileContent(surface, faceMarkers, volume);
    }
}
