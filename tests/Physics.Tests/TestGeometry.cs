using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.Physics.Tests;

/// <summary>Shared fixtures: repository paths, analytic masks and meshes, mesh components.</summary>
internal static class TestGeometry
{
    public static string SpinesDir => RepoPaths.Data("microns-spines");

    /// <summary>Mask of voxels whose centre satisfies inside(x, y, z) with coordinates in µm relative to the grid centre.</summary>
    public static Volume<byte> Mask(int nz, int ny, int nx, Spacing s, Func<double, double, double, bool> inside)
    {
        var v = new Volume<byte>(nz, ny, nx, s);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                    if (inside((x - 0.5 * (nx - 1)) * s.X, (y - 0.5 * (ny - 1)) * s.Y, (z - 0.5 * (nz - 1)) * s.Z)) v[z, y, x] = 1;
        return v;
    }

    /// <summary>Icosphere of the given radius: 20·4^levels triangles, outward-oriented.</summary>
    public static TriangleMesh Icosphere(double radius, int levels, (double X, double Y, double Z) centre = default)
    {
        double t = (1 + Math.Sqrt(5)) / 2;
        var v = new List<(double X, double Y, double Z)>
        {
            (-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t), (0, 1, -t),
            (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1),
        };
        var f = new List<(int A, int B, int C)>
        {
            (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
            (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
        };
        for (int l = 0; l < levels; l++)
        {
            var mid = new Dictionary<(int, int), int>();
            int Mid(int a, int b)
            {
                var key = a < b ? (a, b) : (b, a);
                if (!mid.TryGetValue(key, out int m))
                {
                    m = v.Count;
                    v.Add(((v[a].X + v[b].X) / 2, (v[a].Y + v[b].Y) / 2, (v[a].Z + v[b].Z) / 2));
                    mid[key] = m;
                }
                return m;
            }
            var nf = new List<(int, int, int)>();
            foreach (var (a, b, c) in f)
            {
                int ab = Mid(a, b), bc = Mid(b, c), ca = Mid(c, a);
                nf.Add((a, ab, ca)); nf.Add((b, bc, ab)); nf.Add((c, ca, bc)); nf.Add((ab, bc, ca));
            }
            f = nf;
        }
        var verts = new double[3 * v.Count];
        for (int i = 0; i < v.Count; i++)
        {
            var (x, y, z) = v[i];
            double n = Math.Sqrt(x * x + y * y + z * z);
            verts[3 * i] = centre.X + radius * x / n;
            verts[3 * i + 1] = centre.Y + radius * y / n;
            verts[3 * i + 2] = centre.Z + radius * z / n;
        }
        var tris = new int[3 * f.Count];
        for (int i = 0; i < f.Count; i++) { tris[3 * i] = f[i].Item1; tris[3 * i + 1] = f[i].Item2; tris[3 * i + 2] = f[i].Item3; }
        return new TriangleMesh(verts, tris);
    }

    /// <summary>Splits a mesh into its vertex-connected components (each with the full vertex array).</summary>
    public static List<TriangleMesh> Components(TriangleMesh mesh)
    {
        int nv = mesh.VertexCount;
        var parent = new int[nv];
        for (int i = 0; i < nv; i++) parent[i] = i;
        int Find(int a) { while (parent[a] != a) { parent[a] = parent[parent[a]]; a = parent[a]; } return a; }
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = Find(t[i]), b = Find(t[i + 1]), c = Find(t[i + 2]);
            parent[b] = a; parent[Find(c)] = a;
        }
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < t.Length; i += 3)
        {
            int root = Find(t[i]);
            if (!groups.TryGetValue(root, out var list)) groups[root] = list = new List<int>();
            list.Add(t[i]); list.Add(t[i + 1]); list.Add(t[i + 2]);
        }
        var result = new List<TriangleMesh>();
        foreach (var list in groups.Values) result.Add(new TriangleMesh(mesh.Vertices, list.ToArray()));
        return result;
    }

    /// <summary>
    /// Same counts as <see cref="TriangleMesh.EdgeTopology"/>, computed by sorting directed edges (fast for large meshes).
    /// </summary>
    public static (int Boundary, int NonManifold, int Misoriented, int Edges) FastTopology(TriangleMesh m)
    {
        var t = m.Triangles;
        var keys = new long[t.Length];
        for (int i = 0; i < t.Length; i += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = t[i + k], b = t[i + (k + 1) % 3];
                int lo = Math.Min(a, b), hi = Math.Max(a, b);
                // undirected key in the high bits, direction in the lowest bit
                keys[i + k] = (((long)lo << 31) | (uint)hi) << 1 | (a < b ? 0L : 1L);
            }
        Array.Sort(keys);
        int boundary = 0, nonManifold = 0, misoriented = 0, edges = 0;
        for (int i = 0; i < keys.Length;)
        {
            int j = i, fwd = 0, rev = 0;
            while (j < keys.Length && keys[j] >> 1 == keys[i] >> 1) { if ((keys[j] & 1) == 0) fwd++; else rev++; j++; }
            edges++;
            int uses = fwd + rev;
            if (uses == 1) boundary++;
            else if (uses > 2) nonManifold++;
            else if (fwd != 1 || rev != 1) misoriented++;
            i = j;
        }
        return (boundary, nonManifold, misoriented, edges);
    }

    /// <summary>V − E + F with <see cref="FastTopology"/>.</summary>
    public static int FastEuler(TriangleMesh m) => new HashSet<int>(m.Triangles).Count - FastTopology(m).Edges + m.TriangleCount;

    public static int CountForeground(Volume<byte> v)
    {
        int n = 0;
        foreach (var b in v.Data) if (b != 0) n++;
        return n;
    }
}
