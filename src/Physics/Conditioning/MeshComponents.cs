using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>Connected components of a triangle mesh (triangles connected through shared vertices).</summary>
public static class MeshComponents
{
    /// <summary>
    /// Component index of every triangle (M entries, 0-based, numbered in order of each component's first triangle) and the
    /// number of components.
    /// </summary>
    public static (int[] TriangleComponent, int Count) Label(TriangleMesh mesh)
    {
        var t = mesh.Triangles;
        int nv = mesh.VertexCount;
        var parent = new int[nv];
        for (int i = 0; i < nv; i++) parent[i] = i;
        int Find(int a)
        {
            while (parent[a] != a) { parent[a] = parent[parent[a]]; a = parent[a]; }
            return a;
        }
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = Find(t[i]), b = Find(t[i + 1]);
            if (a != b) parent[b] = a;
            int c = Find(t[i + 2]);
            a = Find(a);
            if (a != c) parent[c] = a;
        }
        var id = new int[nv];
        Array.Fill(id, -1);
        var label = new int[t.Length / 3];
        int count = 0;
        for (int i = 0; i < label.Length; i++)
        {
            int root = Find(t[3 * i]);
            if (id[root] < 0) id[root] = count++;
            label[i] = id[root];
        }
        return (label, count);
    }

    /// <summary>Number of connected components.</summary>
    public static int Count(TriangleMesh mesh) => Label(mesh).Count;

    /// <summary>
    /// Splits a mesh into its connected components, each a compact mesh (only its own vertices), in the order of
    /// <see cref="Label"/>. Triangle orientation and coordinates (µm) are kept.
    /// </summary>
    public static IReadOnlyList<TriangleMesh> Split(TriangleMesh mesh)
    {
        var (label, count) = Label(mesh);
        var result = new List<TriangleMesh>(count);
        if (count == 1) { result.Add(MeshGeometry.Compact(mesh.Vertices, mesh.VertexCount, mesh.Triangles)); return result; }
        var t = mesh.Triangles;
        var size = new int[count];
        foreach (int c in label) size[c]++;
        var parts = new int[count][];
        for (int c = 0; c < count; c++) parts[c] = new int[3 * size[c]];
        var fill = new int[count];
        for (int i = 0; i < label.Length; i++)
        {
            int c = label[i], j = fill[c];
            parts[c][j] = t[3 * i]; parts[c][j + 1] = t[3 * i + 1]; parts[c][j + 2] = t[3 * i + 2];
            fill[c] = j + 3;
        }
        for (int c = 0; c < count; c++) result.Add(MeshGeometry.Compact(mesh.Vertices, mesh.VertexCount, parts[c]));
        return result;
    }
}
