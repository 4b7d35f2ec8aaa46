using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>Topology of one edge-connected component of a triangle surface.</summary>
/// <param name="TriangleCount">Triangles in the component.</param>
/// <param name="VertexCount">Vertices referenced by them.</param>
/// <param name="EdgeCount">Distinct undirected edges.</param>
/// <param name="BoundaryLoops">Number of boundary loops (0 for a closed surface).</param>
/// <param name="EulerCharacteristic">χ = V − E + F.</param>
/// <param name="Genus">g = (2 − χ − b) / 2 for an orientable surface with b boundary loops (0 for a sphere, 1 for a torus).</param>
public sealed record SurfaceComponent(int TriangleCount, int VertexCount, int EdgeCount, int BoundaryLoops, int EulerCharacteristic, int Genus);

/// <summary>Connected components, Euler characteristic and genus of triangle surfaces.</summary>
public static class SurfaceTopology
{
    /// <summary>
    /// The components of <paramref name="mesh"/> (triangles sharing a vertex belong together), largest first (by
    /// triangle count, then first triangle index), each with χ = V − E + F and genus from χ = 2 − 2g − b.
    /// </summary>
    public static IReadOnlyList<SurfaceComponent> Components(TriangleMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var tri = mesh.Triangles;
        var parent = new int[mesh.VertexCount];
        for (int i = 0; i < parent.Length; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; }
        void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b); }
        for (int t = 0; t < tri.Length; t += 3) { Union(tri[t], tri[t + 1]); Union(tri[t], tri[t + 2]); }

        var byRoot = new Dictionary<int, int>();
        var firstTriangle = new List<int>();
        var triangleCount = new List<int>();
        var vertexSets = new List<HashSet<int>>();
        var edgeUses = new List<Dictionary<(int, int), int>>();
        for (int t = 0; t < tri.Length; t += 3)
        {
            int root = Find(tri[t]);
            if (!byRoot.TryGetValue(root, out int c))
            {
                c = byRoot.Count; byRoot[root] = c;
                firstTriangle.Add(t / 3); triangleCount.Add(0); vertexSets.Add([]); edgeUses.Add([]);
            }
            triangleCount[c]++;
            for (int k = 0; k < 3; k++)
            {
                int a = tri[t + k], b = tri[t + (k + 1) % 3];
                vertexSets[c].Add(a);
                var key = a < b ? (a, b) : (b, a);
                edgeUses[c][key] = edgeUses[c].GetValueOrDefault(key) + 1;
            }
        }
        var result = new List<(SurfaceComponent Component, int First)>();
        for (int c = 0; c < byRoot.Count; c++)
        {
            int v = vertexSets[c].Count, e = edgeUses[c].Count, f = triangleCount[c];
            int loops = BoundaryLoops(edgeUses[c]);
            int chi = v - e + f;
            result.Add((new SurfaceComponent(f, v, e, loops, chi, (2 - chi - loops) / 2), firstTriangle[c]));
        }
        result.Sort((x, y) => x.Component.TriangleCount != y.Component.TriangleCount
            ? y.Component.TriangleCount.CompareTo(x.Component.TriangleCount) : x.First.CompareTo(y.First));
        return result.Select(r => r.Component).ToArray();
    }

    /// <summary>Total genus over all components of a surface (the number of handles), µm-independent.</summary>
    public static int Genus(TriangleMesh mesh) => Components(mesh).Sum(c => c.Genus);

    /// <summary>Connected components of the graph formed by edges used by exactly one triangle.</summary>
    private static int BoundaryLoops(Dictionary<(int, int), int> edgeUses)
    {
        var parent = new Dictionary<int, int>();
        int Find(int x) { while (parent[x] != x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; }
        foreach (var ((a, b), uses) in edgeUses)
        {
            if (uses != 1) continue;
            parent.TryAdd(a, a); parent.TryAdd(b, b);
            int ra = Find(a), rb = Find(b);
            if (ra != rb) parent[ra] = rb;
        }
        int loops = 0;
        foreach (var k in parent.Keys.ToArray()) if (Find(k) == k) loops++;
        return loops;
    }
}
