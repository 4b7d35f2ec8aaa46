using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Edge and vertex counts of a triangle surface (see <see cref="SurfaceCheck.Of"/>).</summary>
/// <param name="Vertices">Vertices referenced by at least one triangle.</param>
/// <param name="Edges">Distinct undirected edges.</param>
/// <param name="Triangles">Triangles.</param>
/// <param name="BoundaryEdges">Edges used by one triangle.</param>
/// <param name="NonManifoldEdges">Edges used by more than two triangles.</param>
/// <param name="MisorientedEdges">Edges used by two triangles traversing it in the same direction.</param>
/// <param name="Components">Vertex-connected components of the triangles.</param>
public readonly record struct SurfaceCheckReport(int Vertices, int Edges, int Triangles, int BoundaryEdges, int NonManifoldEdges,
    int MisorientedEdges, int Components)
{
    /// <summary>Euler characteristic V − E + F (2 per sphere-like closed component, 2 − 2g for genus g).</summary>
    public int EulerCharacteristic => Vertices - Edges + Triangles;

    /// <summary>Closed, edge-manifold and consistently oriented, with at least one triangle.</summary>
    public bool IsWatertight => Triangles > 0 && BoundaryEdges == 0 && NonManifoldEdges == 0 && MisorientedEdges == 0;
}

/// <summary>Fast edge topology of triangle surfaces (sorting of packed edge keys, no hash maps).</summary>
public static class SurfaceCheck
{
    /// <summary>Counts edges, boundary / non-manifold / misoriented edges and components of <paramref name="mesh"/>.</summary>
    public static SurfaceCheckReport Of(TriangleMesh mesh)
    {
        var t = mesh.Triangles;
        int nt = t.Length / 3, nv = mesh.VertexCount;
        // Key = (min << 32 | max) << 1 | (direction is max → min); sorting groups the uses of each undirected edge.
        var keys = new long[t.Length];
        for (int q = 0; q < nt; q++)
            for (int k = 0; k < 3; k++)
            {
                long a = t[3 * q + k], b = t[3 * q + (k + 1) % 3];
                keys[3 * q + k] = a < b ? ((a << 32 | b) << 1) : ((b << 32 | a) << 1) | 1;
            }
        Array.Sort(keys);
        int edges = 0, boundary = 0, nonManifold = 0, misoriented = 0;
        for (int i = 0; i < keys.Length;)
        {
            long e = keys[i] >> 1;
            int j = i, forward = 0;
            while (j < keys.Length && keys[j] >> 1 == e) { if ((keys[j] & 1) == 0) forward++; j++; }
            int uses = j - i;
            edges++;
            if (uses == 1) boundary++;
            else if (uses > 2) nonManifold++;
            else if (forward != 1) misoriented++;
            i = j;
        }
        var used = new bool[nv];
        foreach (var v in t) used[v] = true;
        int vertices = 0;
        foreach (var u in used) if (u) vertices++;
        // Components: union-find over vertices of each triangle.
        var parent = new int[nv];
        for (int i = 0; i < nv; i++) parent[i] = i;
        int Find(int a) { while (parent[a] != a) { parent[a] = parent[parent[a]]; a = parent[a]; } return a; }
        for (int q = 0; q < t.Length; q += 3)
        {
            int r0 = Find(t[q]), r1 = Find(t[q + 1]), r2 = Find(t[q + 2]);
            parent[r1] = r0;
            parent[Find(r2)] = r0;
        }
        int components = 0;
        for (int i = 0; i < nv; i++) if (used[i] && Find(i) == i) components++;
        return new SurfaceCheckReport(vertices, edges, nt, boundary, nonManifold, misoriented, components);
    }
}
