using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>
/// Self-intersection detection for triangle meshes: an axis-aligned bounding-box tree over the triangles finds candidate
/// pairs, and an orientation-predicate triangle–triangle test decides them. Triangles sharing an edge are adjacent and
/// never tested; triangles sharing one vertex are tested for an intersection beyond that vertex (their opposite edges);
/// coplanar overlaps are not counted.
/// </summary>
public static class SelfIntersection
{
    /// <summary>Number of intersecting triangle pairs (0 for a clean surface).</summary>
    public static int Count(TriangleMesh mesh) => FindPairs(mesh, int.MaxValue).Count;

    /// <summary>
    /// Intersecting triangle pairs (i &lt; j, triangle indices), at most <paramref name="limit"/> of them, in ascending order.
    /// </summary>
    public static IReadOnlyList<(int A, int B)> FindPairs(TriangleMesh mesh, int limit = int.MaxValue)
    {
        var p = mesh.Vertices;
        var t = mesh.Triangles;
        int m = mesh.TriangleCount;
        if (m < 2) return Array.Empty<(int, int)>();
        var tree = new TriangleTree(p, t);
        var perTriangle = new List<int>?[m];
        int found = 0;
        int chunk = Math.Max(64, m / (8 * Environment.ProcessorCount));
        Parallel.For(0, (m + chunk - 1) / chunk, block =>
        {
            var stack = new int[128];
            var candidates = new List<int>(64);
            int end = Math.Min(m, (block + 1) * chunk);
            for (int i = block * chunk; i < end; i++)
            {
                if (Volatile.Read(ref found) >= limit) return;
                candidates.Clear();
                tree.Overlapping(i, ref stack, candidates);
                List<int>? hits = null;
                foreach (int j in candidates)
                    if (j > i && Intersect(p, t, i, j)) (hits ??= new List<int>()).Add(j);
                if (hits != null)
                {
                    hits.Sort();
                    perTriangle[i] = hits;
                    Interlocked.Add(ref found, hits.Count);
                }
            }
        });
        var result = new List<(int, int)>();
        for (int i = 0; i < m && result.Count < limit; i++)
            if (perTriangle[i] is { } list)
                foreach (int j in list)
                {
                    if (result.Count >= limit) break;
                    result.Add((i, j));
                }
        return result;
    }

    /// <summary>
    /// Removes self-intersections by local smoothing: each round finds the intersecting pairs and applies uniform
    /// Laplacian steps (factor 0.5) to the vertices of those triangles and their neighbourhood (k rings in round k, at
    /// most 4), until no pair is left or <paramref name="maxRounds"/> rounds have run. Connectivity is unchanged; the
    /// volume shrinks slightly where the surface is smoothed (restore it with <see cref="MeshSmoothing.RestoreVolume"/>).
    /// </summary>
    /// <returns>The mesh and the number of intersecting pairs left (0 on success).</returns>
    public static (TriangleMesh Mesh, int Remaining) Resolve(TriangleMesh mesh, int maxRounds = 30)
    {
        var x = (double[])mesh.Vertices.Clone();
        var t = mesh.Triangles;
        int nv = mesh.VertexCount;
        var (start, nbr) = MeshGeometry.VertexNeighbours(nv, t);
        var current = mesh;
        var pairs = FindPairs(current);
        var marked = new bool[nv];
        var frontier = new List<int>();
        var next = new double[x.Length];
        for (int round = 0; round < maxRounds && pairs.Count > 0; round++)
        {
            Array.Clear(marked);
            frontier.Clear();
            foreach (var (a, b) in pairs)
                for (int k = 0; k < 3; k++)
                {
                    foreach (int v in new[] { t[3 * a + k], t[3 * b + k] })
                        if (!marked[v]) { marked[v] = true; frontier.Add(v); }
                }
            int rings = Math.Min(4, 1 + round / 3);
            var active = new List<int>(frontier);
            for (int r = 0; r < rings; r++)
            {
                var grown = new List<int>();
                foreach (int v in frontier)
                    for (int i = start[v]; i < start[v + 1]; i++)
                        if (!marked[nbr[i]]) { marked[nbr[i]] = true; grown.Add(nbr[i]); }
                active.AddRange(grown);
                frontier = grown;
            }
            for (int step = 0; step < 3; step++)
            {
                foreach (int v in active)
                {
                    int s = start[v], e = start[v + 1];
                    if (e == s) continue;
                    double mx = 0, my = 0, mz = 0;
                    for (int i = s; i < e; i++) { int w = 3 * nbr[i]; mx += x[w]; my += x[w + 1]; mz += x[w + 2]; }
                    double inv = 1.0 / (e - s);
                    next[3 * v] = x[3 * v] + 0.5 * (mx * inv - x[3 * v]);
                    next[3 * v + 1] = x[3 * v + 1] + 0.5 * (my * inv - x[3 * v + 1]);
                    next[3 * v + 2] = x[3 * v + 2] + 0.5 * (mz * inv - x[3 * v + 2]);
                }
                foreach (int v in active)
                    if (start[v + 1] > start[v]) { x[3 * v] = next[3 * v]; x[3 * v + 1] = next[3 * v + 1]; x[3 * v + 2] = next[3 * v + 2]; }
            }
            current = new TriangleMesh((double[])x.Clone(), t);
            pairs = FindPairs(current);
        }
        return (new TriangleMesh(x, (int[])t.Clone()), pairs.Count);
    }

    /// <summary>Triangle–triangle intersection with the adjacency rules of <see cref="SelfIntersection"/>.</summary>
    internal static bool Intersect(double[] p, int[] t, int i, int j)
    {
        int a0 = t[3 * i], a1 = t[3 * i + 1], a2 = t[3 * i + 2];
        int b0 = t[3 * j], b1 = t[3 * j + 1], b2 = t[3 * j + 2];
        int shared = 0, sa = -1, sb = -1;
        for (int x = 0; x < 3; x++)
            for (int y = 0; y < 3; y++)
                if (t[3 * i + x] == t[3 * j + y]) { shared++; sa = x; sb = y; }
        if (shared >= 2) return false;
        if (shared == 1)
        {
            // Opposite edge of each triangle against the other triangle.
            int ea0 = t[3 * i + (sa + 1) % 3], ea1 = t[3 * i + (sa + 2) % 3];
            int eb0 = t[3 * j + (sb + 1) % 3], eb1 = t[3 * j + (sb + 2) % 3];
            return SegmentCrosses(p, ea0, ea1, b0, b1, b2) || SegmentCrosses(p, eb0, eb1, a0, a1, a2);
        }
        return SegmentCrosses(p, a0, a1, b0, b1, b2) || SegmentCrosses(p, a1, a2, b0, b1, b2) || SegmentCrosses(p, a2, a0, b0, b1, b2)
            || SegmentCrosses(p, b0, b1, a0, a1, a2) || SegmentCrosses(p, b1, b2, a0, a1, a2) || SegmentCrosses(p, b2, b0, a0, a1, a2);
    }

    /// <summary>True when the open segment (s, e) crosses the interior of triangle (a, b, c) transversally.</summary>
    private static bool SegmentCrosses(double[] p, int s, int e, int a, int b, int c)
    {
        double o1 = Orient(p, a, b, c, s), o2 = Orient(p, a, b, c, e);
        if (!(o1 > 0 && o2 < 0) && !(o1 < 0 && o2 > 0)) return false;
        double s1 = Orient(p, s, e, a, b), s2 = Orient(p, s, e, b, c), s3 = Orient(p, s, e, c, a);
        return (s1 > 0 && s2 > 0 && s3 > 0) || (s1 < 0 && s2 < 0 && s3 < 0);
    }

    /// <summary>Orientation determinant of (b − a, c − a, d − a): six times the signed volume of tetrahedron abcd.</summary>
    private static double Orient(double[] p, int a, int b, int c, int d)
    {
        a *= 3; b *= 3; c *= 3; d *= 3;
        double bx = p[b] - p[a], by = p[b + 1] - p[a + 1], bz = p[b + 2] - p[a + 2];
        double cx = p[c] - p[a], cy = p[c + 1] - p[a + 1], cz = p[c + 2] - p[a + 2];
        double dx = p[d] - p[a], dy = p[d + 1] - p[a + 1], dz = p[d + 2] - p[a + 2];
        return bx * (cy * dz - cz * dy) - by * (cx * dz - cz * dx) + bz * (cx * dy - cy * dx);
    }
}

/// <summary>A bounding-volume hierarchy of triangle boxes in flat arrays (median split on the longest axis, leaves ≤ 4).</summary>
internal sealed class TriangleTree
{
    private const int LeafSize = 4;
    private readonly double[] box;      // per triangle: min x, y, z, max x, y, z
    private readonly int[] order;       // triangle indices, leaves are contiguous ranges
    private readonly List<double> nodeBox = new();
    private readonly List<int> nodeLeft = new(), nodeRight = new(), nodeStart = new(), nodeCount = new();

    public TriangleTree(double[] p, int[] t)
    {
        int m = t.Length / 3;
        box = new double[6 * m];
        var centre = new double[3 * m];
        for (int i = 0; i < m; i++)
        {
            for (int k = 0; k < 3; k++) { box[6 * i + k] = double.MaxValue; box[6 * i + 3 + k] = double.MinValue; }
            for (int c = 0; c < 3; c++)
            {
                int v = 3 * t[3 * i + c];
                for (int k = 0; k < 3; k++)
                {
                    box[6 * i + k] = Math.Min(box[6 * i + k], p[v + k]);
                    box[6 * i + 3 + k] = Math.Max(box[6 * i + 3 + k], p[v + k]);
                }
            }
            for (int k = 0; k < 3; k++) centre[3 * i + k] = 0.5 * (box[6 * i + k] + box[6 * i + 3 + k]);
        }
        order = new int[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Build(0, m, centre, new double[m]);
        nb = nodeBox.ToArray(); nl = nodeLeft.ToArray(); nr = nodeRight.ToArray(); ns = nodeStart.ToArray(); nc = nodeCount.ToArray();
    }

    private readonly double[] nb;
    private readonly int[] nl, nr, ns, nc;

    private int Build(int start, int count, double[] centre, double[] keys)
    {
        int node = nodeLeft.Count;
        nodeLeft.Add(-1); nodeRight.Add(-1); nodeStart.Add(start); nodeCount.Add(count);
        Span<double> b = stackalloc double[6];
        for (int k = 0; k < 3; k++) { b[k] = double.MaxValue; b[3 + k] = double.MinValue; }
        for (int i = start; i < start + count; i++)
        {
            int tri = order[i];
            for (int k = 0; k < 3; k++)
            {
                b[k] = Math.Min(b[k], box[6 * tri + k]);
                b[3 + k] = Math.Max(b[3 + k], box[6 * tri + 3 + k]);
            }
        }
        foreach (var x in b) nodeBox.Add(x);
        if (count <= LeafSize) return node;
        int axis = 0;
        double ext = b[3] - b[0];
        if (b[4] - b[1] > ext) { axis = 1; ext = b[4] - b[1]; }
        if (b[5] - b[2] > ext) axis = 2;
        for (int i = start; i < start + count; i++) keys[i] = centre[3 * order[i] + axis];
        Array.Sort(keys, order, start, count);
        int half = count / 2;
        int left = Build(start, half, centre, keys);
        int right = Build(start + half, count - half, centre, keys);
        nodeLeft[node] = left; nodeRight[node] = right; nodeCount[node] = 0;
        return node;
    }

    /// <summary>Appends to <paramref name="into"/> every triangle whose box overlaps triangle <paramref name="tri"/>'s box.</summary>
    public void Overlapping(int tri, ref int[] stack, List<int> into)
    {
        double x0 = box[6 * tri], y0 = box[6 * tri + 1], z0 = box[6 * tri + 2];
        double x1 = box[6 * tri + 3], y1 = box[6 * tri + 4], z1 = box[6 * tri + 5];
        int top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            int n = stack[--top];
            int o = 6 * n;
            if (nb[o] > x1 || nb[o + 3] < x0 || nb[o + 1] > y1 || nb[o + 4] < y0 || nb[o + 2] > z1 || nb[o + 5] < z0)
                continue;
            if (nl[n] < 0)
            {
                for (int i = ns[n], e = ns[n] + nc[n]; i < e; i++)
                {
                    int j = order[i];
                    if (box[6 * j] > x1 || box[6 * j + 3] < x0 || box[6 * j + 1] > y1 || box[6 * j + 4] < y0
                        || box[6 * j + 2] > z1 || box[6 * j + 5] < z0) continue;
                    into.Add(j);
                }
            }
            else
            {
                if (top + 2 > stack.Length) Array.Resize(ref stack, 2 * stack.Length);
                stack[top++] = nl[n];
                stack[top++] = nr[n];
            }
        }
    }
}
