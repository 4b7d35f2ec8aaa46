namespace ShapeStudy.Core;

/// <summary>
/// A conforming tetrahedral mesh of a solid with marked subdomains and marked boundary faces.
/// <see cref="Vertices"/> holds N × 3 coordinates in µm as (x, y, z); <see cref="Tetrahedra"/> holds M × 4 zero-based
/// vertex indices, positively oriented (det[b − a, c − a, d − a] &gt; 0); <see cref="TetRegions"/> holds one subdomain
/// marker per tetrahedron (0 = the main compartment, e.g. cytosol; other values e.g. a spine apparatus);
/// <see cref="BoundaryFaces"/> holds F × 3 vertex indices of the faces on the solid's boundary (and on internal
/// interfaces, when marked), counter-clockwise seen from outside (outward normals); <see cref="FaceMarkers"/> holds one
/// region marker per boundary face (see <see cref="BoundaryRegion"/> for the conventional values).
/// </summary>
public sealed class TetMesh
{
    public double[] Vertices { get; }
    public int[] Tetrahedra { get; }
    public int[] TetRegions { get; }
    public int[] BoundaryFaces { get; }
    public int[] FaceMarkers { get; }

    public TetMesh(double[] vertices, int[] tetrahedra, int[]? tetRegions = null, int[]? boundaryFaces = null, int[]? faceMarkers = null)
    {
        if (vertices.Length % 3 != 0) throw new ArgumentException("vertex array length must be a multiple of 3");
        if (tetrahedra.Length % 4 != 0) throw new ArgumentException("tetrahedron array length must be a multiple of 4");
        boundaryFaces ??= [];
        if (boundaryFaces.Length % 3 != 0) throw new ArgumentException("boundary face array length must be a multiple of 3");
        int nv = vertices.Length / 3;
        foreach (var i in tetrahedra)
            if ((uint)i >= (uint)nv) throw new ArgumentException($"tetrahedron index {i} out of range (mesh has {nv} vertices)");
        foreach (var i in boundaryFaces)
            if ((uint)i >= (uint)nv) throw new ArgumentException($"boundary face index {i} out of range (mesh has {nv} vertices)");
        tetRegions ??= new int[tetrahedra.Length / 4];
        faceMarkers ??= new int[boundaryFaces.Length / 3];
        if (tetRegions.Length != tetrahedra.Length / 4) throw new ArgumentException("one subdomain marker per tetrahedron is required");
        if (faceMarkers.Length != boundaryFaces.Length / 3) throw new ArgumentException("one region marker per boundary face is required");
        Vertices = vertices;
        Tetrahedra = tetrahedra;
        TetRegions = tetRegions;
        BoundaryFaces = boundaryFaces;
        FaceMarkers = faceMarkers;
    }

    public int VertexCount => Vertices.Length / 3;
    public int TetCount => Tetrahedra.Length / 4;
    public int BoundaryFaceCount => BoundaryFaces.Length / 3;

    /// <summary>Signed volume in µm³ of tetrahedron <paramref name="t"/> (positive when positively oriented).</summary>
    public double TetVolume(int t)
    {
        var p = Vertices;
        int a = 3 * Tetrahedra[4 * t], b = 3 * Tetrahedra[4 * t + 1], c = 3 * Tetrahedra[4 * t + 2], d = 3 * Tetrahedra[4 * t + 3];
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double wx = p[d] - p[a], wy = p[d + 1] - p[a + 1], wz = p[d + 2] - p[a + 2];
        return (ux * (vy * wz - vz * wy) - uy * (vx * wz - vz * wx) + uz * (vx * wy - vy * wx)) / 6.0;
    }

    /// <summary>Total volume in µm³ (sum of tetrahedron volumes).</summary>
    public double Volume()
    {
        double v = 0;
        for (int t = 0; t < TetCount; t++) v += TetVolume(t);
        return v;
    }

    /// <summary>The marked boundary faces as a triangle surface (same vertex array, µm), e.g. for area or export.</summary>
    public TriangleMesh BoundarySurface() => new(Vertices, BoundaryFaces);
}

/// <summary>Conventional boundary-face region markers of <see cref="TetMesh.FaceMarkers"/>.</summary>
public static class BoundaryRegion
{
    /// <summary>Plain plasma membrane (pumps and leak act here).</summary>
    public const int Membrane = 1;
    /// <summary>Postsynaptic density: the Ca²⁺ influx patch.</summary>
    public const int Psd = 2;
    /// <summary>Interface of an internal subdomain such as the spine apparatus (SERCA uptake).</summary>
    public const int Organelle = 3;
    /// <summary>Cut face where the geometry meets the rest of the cell (e.g. the dendrite's ends): zero flux by default.</summary>
    public const int Cut = 4;
}
