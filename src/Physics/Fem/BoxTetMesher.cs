using ShapeStudy.Core;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// Structured tetrahedral meshes for verification: an nx × ny × nz grid of boxes, each split into the six Kuhn
/// tetrahedra around its main diagonal (conforming across boxes), and a ball made by mapping that grid radially.
/// </summary>
public static class BoxTetMesher
{
    /// <summary>Default boundary markers of the sides x = x0, x = x0 + lx, y = y0, y = y0 + ly, z = z0, z = z0 + lz.</summary>
    public static readonly int[] DefaultSideMarkers = [1, 2, 3, 4, 5, 6];

    /// <summary>
    /// The box [x0, x0 + lx] × [y0, y0 + ly] × [z0, z0 + lz] (µm) with nx × ny × nz cells, 6 tetrahedra per cell
    /// ((nx+1)(ny+1)(nz+1) vertices, vertex index x + (nx+1)(y + (ny+1) z)). Boundary faces are marked per side with
    /// <paramref name="sideMarkers"/> (order x−, x+, y−, y+, z−, z+; default <see cref="DefaultSideMarkers"/>); all tets have region 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A cell count &lt; 1 or a side length ≤ 0.</exception>
    public static TetMesh Box(int nx, int ny, int nz, double lx = 1, double ly = 1, double lz = 1, double x0 = 0, double y0 = 0, double z0 = 0, int[]? sideMarkers = null)
    {
        if (nx < 1) throw new ArgumentOutOfRangeException(nameof(nx), nx, "at least one cell per side is required");
        if (ny < 1) throw new ArgumentOutOfRangeException(nameof(ny), ny, "at least one cell per side is required");
        if (nz < 1) throw new ArgumentOutOfRangeException(nameof(nz), nz, "at least one cell per side is required");
        if (!(lx > 0)) throw new ArgumentOutOfRangeException(nameof(lx), lx, "side length must be > 0 µm");
        if (!(ly > 0)) throw new ArgumentOutOfRangeException(nameof(ly), ly, "side length must be > 0 µm");
        if (!(lz > 0)) throw new ArgumentOutOfRangeException(nameof(lz), lz, "side length must be > 0 µm");
        sideMarkers ??= DefaultSideMarkers;
        if (sideMarkers.Length != 6) throw new ArgumentException("six side markers (x−, x+, y−, y+, z−, z+) are required", nameof(sideMarkers));
        int sx = nx + 1, sy = ny + 1;
        var verts = new double[3 * sx * sy * (nz + 1)];
        for (int z = 0; z <= nz; z++)
            for (int y = 0; y <= ny; y++)
                for (int x = 0; x <= nx; x++)
                {
                    int v = x + sx * (y + sy * z);
                    verts[3 * v] = x0 + lx * x / nx; verts[3 * v + 1] = y0 + ly * y / ny; verts[3 * v + 2] = z0 + lz * z / nz;
                }
        int[][] perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        var tets = new int[24 * nx * ny * nz];
        int k = 0;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    foreach (var p in perms)
                    {
                        int[] c = [0, 0, 0];
                        int Corner() => (x + c[0]) + sx * ((y + c[1]) + sy * (z + c[2]));
                        int a = Corner(); c[p[0]] = 1; int b = Corner(); c[p[1]] = 1; int d = Corner(); c[p[2]] = 1; int e = Corner();
                        // permutation parity decides the orientation: even permutations are positively oriented
                        bool even = (p[0] == 0 && p[1] == 1) || (p[0] == 1 && p[1] == 2) || (p[0] == 2 && p[1] == 0);
                        tets[k++] = a; tets[k++] = even ? b : d; tets[k++] = even ? d : b; tets[k++] = e;
                    }
        var faces = MeshTopology.BoundaryFaces(verts, tets);
        var markers = new int[faces.Length / 3];
        for (int f = 0; f < markers.Length; f++)
        {
            double cx = 0, cy = 0, cz = 0;
            for (int i = 0; i < 3; i++) { int v = faces[3 * f + i]; cx += verts[3 * v]; cy += verts[3 * v + 1]; cz += verts[3 * v + 2]; }
            cx /= 3; cy /= 3; cz /= 3;
            double tol = 1e-9 * Math.Max(lx, Math.Max(ly, lz));
            markers[f] = Math.Abs(cx - x0) < tol ? sideMarkers[0] : Math.Abs(cx - x0 - lx) < tol ? sideMarkers[1]
                : Math.Abs(cy - y0) < tol ? sideMarkers[2] : Math.Abs(cy - y0 - ly) < tol ? sideMarkers[3]
                : Math.Abs(cz - z0) < tol ? sideMarkers[4] : sideMarkers[5];
        }
        return new TetMesh(verts, tets, null, faces, markers);
    }

    /// <summary>
    /// A ball of radius <paramref name="radiusUm"/> (µm) centred at the origin: the Kuhn mesh of [−1, 1]³ with
    /// 2·<paramref name="halfCells"/> cells per side, mapped so that the inner cube ‖p‖∞ ≤ ½ only scales by R and the
    /// shell blends linearly (in ‖p‖∞) from the cube surface to the sphere: q = R·((1 − β) p + β p ‖p‖∞/‖p‖₂) with
    /// β = 2‖p‖∞ − 1 outside the inner cube. Boundary vertices land on the sphere; all boundary faces carry <paramref name="marker"/>.
    /// </summary>
    public static TetMesh Ball(int halfCells, double radiusUm = 1, int marker = BoundaryRegion.Membrane)
    {
        if (!(radiusUm > 0)) throw new ArgumentOutOfRangeException(nameof(radiusUm), radiusUm, "radius must be > 0 µm");
        var cube = Box(2 * halfCells, 2 * halfCells, 2 * halfCells, 2, 2, 2, -1, -1, -1, [marker, marker, marker, marker, marker, marker]);
        var v = (double[])cube.Vertices.Clone();
        for (int i = 0; i < v.Length; i += 3)
        {
            double x = v[i], y = v[i + 1], z = v[i + 2];
            double n2 = Math.Sqrt(x * x + y * y + z * z), ninf = Math.Max(Math.Abs(x), Math.Max(Math.Abs(y), Math.Abs(z)));
            double beta = Math.Max(0, 2 * ninf - 1);
            double s = radiusUm * ((1 - beta) + (n2 > 0 ? beta * ninf / n2 : 0));
            v[i] = x * s; v[i + 1] = y * s; v[i + 2] = z * s;
        }
        return new TetMesh(v, cube.Tetrahedra, cube.TetRegions, cube.BoundaryFaces, cube.FaceMarkers);
    }
}

/// <summary>Topology helpers for tetrahedral meshes.</summary>
public static class MeshTopology
{
    /// <summary>
    /// Faces that belong to exactly one tetrahedron, 3 vertex indices each, counter-clockwise seen from outside
    /// (outward normals for positively oriented tetrahedra).
    /// </summary>
    public static int[] BoundaryFaces(double[] vertices, int[] tetrahedra)
    {
        var count = new Dictionary<(int, int, int), (int Count, int A, int B, int C)>();
        int[][] local = [[1, 2, 3], [0, 3, 2], [0, 1, 3], [0, 2, 1]]; // outward for positive orientation
        for (int t = 0; t < tetrahedra.Length / 4; t++)
            foreach (var f in local)
            {
                int a = tetrahedra[4 * t + f[0]], b = tetrahedra[4 * t + f[1]], c = tetrahedra[4 * t + f[2]];
                var key = Sorted(a, b, c);
                count[key] = count.TryGetValue(key, out var e) ? (e.Count + 1, e.A, e.B, e.C) : (1, a, b, c);
            }
        var faces = new List<int>();
        foreach (var kv in count.OrderBy(kv => kv.Key))
            if (kv.Value.Count == 1) { faces.Add(kv.Value.A); faces.Add(kv.Value.B); faces.Add(kv.Value.C); }
        return faces.ToArray();
    }

    private static (int, int, int) Sorted(int a, int b, int c)
    {
        if (a > b) (a, b) = (b, a);
        if (b > c) (b, c) = (c, b);
        if (a > b) (a, b) = (b, a);
        return (a, b, c);
    }
}
