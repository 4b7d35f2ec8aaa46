using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>A repaired mesh and what was changed, one human-readable line per kind of repair (empty when none).</summary>
public sealed record RepairResult(TriangleMesh Mesh, IReadOnlyList<string> Repairs);

/// <summary>A mesh that cannot be conditioned; the message says why and what to change.</summary>
public sealed class MeshConditioningException(string message) : Exception(message);

/// <summary>
/// Repair of defective input surfaces, in this order: weld coincident vertices on open edges (within 10⁻⁹ of the
/// bounding-box diagonal; triangle soup), drop triangles with a repeated corner and duplicated triangles, split
/// non-manifold edges and vertices (each edge-connected fan of triangles around a vertex gets its own copy of it), orient
/// every component consistently, remove zero-area triangles (collapse a zero-length edge when the link condition allows,
/// else flip the longest edge of a cap; coincident vertices inside a closed sheet are never welded, which would pinch the
/// surface), close holes (boundary loops) by a centroid fan, remove components enclosing no volume, turn inside-out
/// components outward, drop unreferenced vertices. Zero-area triangles left at pinch points are stated and are separated
/// by the smoothing stages of <see cref="SurfaceConditioning"/>.
/// </summary>
public static class MeshRepair
{
    /// <summary>Repairs <paramref name="mesh"/> into a closed, 2-manifold, outward surface.</summary>
    /// <param name="mesh">Input surface, µm.</param>
    /// <param name="maxHoleEdges">Largest boundary loop (edges) that is closed; a larger hole means the input is an open
    /// patch, not the surface of a solid, and is an error.</param>
    /// <exception cref="MeshConditioningException">Empty or non-finite input, a hole larger than
    /// <paramref name="maxHoleEdges"/>, a non-orientable surface, or nothing left after repair.</exception>
    public static RepairResult Repair(TriangleMesh mesh, int maxHoleEdges = 256)
    {
        var repairs = new List<string>();
        if (mesh.TriangleCount == 0) throw new MeshConditioningException("mesh has no triangles");
        foreach (var c in mesh.Vertices)
            if (!double.IsFinite(c)) throw new MeshConditioningException("mesh has a non-finite vertex coordinate (NaN or infinity)");
        var (min, max) = mesh.Bounds();
        double diag = MeshGeometry.Len(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
        if (!(diag > 0)) throw new MeshConditioningException("all mesh vertices coincide (zero extent)");

        var verts = new List<double>(mesh.Vertices);
        var tris = MergeVertices(mesh, diag, repairs);
        tris = DropDegenerateAndDuplicate(tris, repairs);
        if (tris.Count == 0) throw new MeshConditioningException("no triangle is left after removing degenerate and duplicated triangles");
        SplitNonManifold(verts, tris, repairs);
        Orient(tris, repairs);
        tris = FixZeroArea(verts, tris, diag, repairs);
        FillHoles(verts, tris, maxHoleEdges, repairs);
        var result = OutwardComponents(verts, tris, diag, repairs);
        int unused = mesh.VertexCount - new HashSet<int>(mesh.Triangles).Count;
        if (unused > 0) repairs.Add($"dropped {unused} unreferenced vertices");
        return new RepairResult(result, repairs);
    }

    private static List<int> MergeVertices(TriangleMesh mesh, double diag, List<string> repairs)
    {
        double tol = 1e-9 * diag;
        var p = mesh.Vertices;
        var map = new int[mesh.VertexCount];
        var seen = new Dictionary<(long, long, long), int>(mesh.VertexCount);
        int merged = 0;
        // Only vertices on open edges are welded (triangle soup, STL-like input). Coincident vertices inside a closed sheet
        // are distinct vertices of a pinched surface; welding them would make it non-manifold, so they are left to the
        // degenerate-edge collapses and to smoothing.
        var open = new bool[mesh.VertexCount];
        var uses = new Dictionary<long, int>(mesh.Triangles.Length, Tetrahedral.EdgeKeyComparer.Instance);
        var t0 = mesh.Triangles;
        for (int i = 0; i < t0.Length; i++)
        {
            long key = MeshGeometry.EdgeKey(t0[i], t0[Next(i)]);
            uses[key] = uses.GetValueOrDefault(key) + 1;
        }
        foreach (var (key, count) in uses)
            if (count == 1) { var (a, b) = MeshGeometry.FromKey(key); open[a] = open[b] = true; }
        for (int v = 0; v < map.Length; v++)
        {
            if (!open[v]) { map[v] = v; continue; }
            var key = ((long)Math.Round(p[3 * v] / tol), (long)Math.Round(p[3 * v + 1] / tol), (long)Math.Round(p[3 * v + 2] / tol));
            if (seen.TryGetValue(key, out int first)) { map[v] = first; merged++; }
            else { seen[key] = v; map[v] = v; }
        }
        if (merged > 0) repairs.Add($"merged {merged} duplicate vertices on open edges");
        var t = new List<int>(mesh.Triangles.Length);
        foreach (int v in mesh.Triangles) t.Add(map[v]);
        return t;
    }

    private static List<int> DropDegenerateAndDuplicate(List<int> t, List<string> repairs)
    {
        var result = new List<int>(t.Count);
        var seen = new HashSet<(int, int, int)>();
        int repeated = 0, duplicate = 0;
        for (int i = 0; i < t.Count; i += 3)
        {
            int a = t[i], b = t[i + 1], c = t[i + 2];
            if (a == b || b == c || c == a) { repeated++; continue; }
            int lo = Math.Min(a, Math.Min(b, c)), hi = Math.Max(a, Math.Max(b, c)), mid = a + b + c - lo - hi;
            if (!seen.Add((lo, mid, hi))) { duplicate++; continue; }
            result.Add(a); result.Add(b); result.Add(c);
        }
        if (repeated > 0) repairs.Add($"removed {repeated} triangles with a repeated corner (zero area)");
        if (duplicate > 0) repairs.Add($"removed {duplicate} duplicated triangles");
        return result;
    }

    /// <summary>Directed edges sorted by undirected key: (key, corner index) pairs; corner c is edge t[c] → t[next(c)].</summary>
    private static (long[] Keys, int[] Corner) SortedEdges(List<int> t)
    {
        int n = t.Count;
        var keys = new long[n];
        var corner = new int[n];
        for (int i = 0; i < n; i++)
        {
            int a = t[i], b = t[Next(i)];
            keys[i] = MeshGeometry.EdgeKey(a, b);
            corner[i] = i;
        }
        Array.Sort(keys, corner);
        return (keys, corner);
    }

    private static int Next(int c) => c - c % 3 + (c + 1) % 3;

    private static void SplitNonManifold(List<double> verts, List<int> t, List<string> repairs)
    {
        int n = t.Count;
        var (keys, corner) = SortedEdges(t);
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int a)
        {
            while (parent[a] != a) { parent[a] = parent[parent[a]]; a = parent[a]; }
            return a;
        }
        void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) parent[b] = a; }
        int CornerOf(int triStart, int v) => t[triStart] == v ? triStart : t[triStart + 1] == v ? triStart + 1 : triStart + 2;
        int nonManifoldEdges = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j < n && keys[j] == keys[i]) j++;
            int uses = j - i;
            if (uses > 2) nonManifoldEdges++;
            else if (uses == 2)
            {
                var (lo, hi) = MeshGeometry.FromKey(keys[i]);
                int t0 = corner[i] - corner[i] % 3, t1 = corner[i + 1] - corner[i + 1] % 3;
                Union(CornerOf(t0, lo), CornerOf(t1, lo));
                Union(CornerOf(t0, hi), CornerOf(t1, hi));
            }
            i = j;
        }
        int nv = verts.Count / 3;
        var firstRoot = new int[nv];
        Array.Fill(firstRoot, -1);
        var copies = new Dictionary<int, int>();   // corner root → vertex copy
        var splitVertices = new HashSet<int>();
        for (int c = 0; c < n; c++)
        {
            int v = t[c], r = Find(c);
            if (firstRoot[v] < 0) { firstRoot[v] = r; continue; }
            if (firstRoot[v] == r) continue;
            if (!copies.TryGetValue(r, out int copy))
            {
                copy = verts.Count / 3;
                verts.Add(verts[3 * v]); verts.Add(verts[3 * v + 1]); verts.Add(verts[3 * v + 2]);
                copies[r] = copy;
                splitVertices.Add(v);
            }
            t[c] = copy;
        }
        if (nonManifoldEdges > 0) repairs.Add($"split {nonManifoldEdges} non-manifold edges (used by more than two triangles)");
        if (splitVertices.Count > 0)
            repairs.Add($"split {splitVertices.Count} non-manifold vertices into {splitVertices.Count + copies.Count} manifold ones");
    }

    private static void Orient(List<int> t, List<string> repairs)
    {
        int m = t.Count / 3;
        var (keys, corner) = SortedEdges(t);
        // Neighbour across each corner's edge (−1 when boundary or non-manifold).
        var across = new int[t.Count];
        Array.Fill(across, -1);
        for (int i = 0; i < keys.Length;)
        {
            int j = i;
            while (j < keys.Length && keys[j] == keys[i]) j++;
            if (j - i == 2) { across[corner[i]] = corner[i + 1]; across[corner[i + 1]] = corner[i]; }
            i = j;
        }
        var state = new sbyte[m];   // 0 unvisited, 1 kept, 2 flipped
        var stack = new Stack<int>();
        int flipped = 0;
        for (int seed = 0; seed < m; seed++)
        {
            if (state[seed] != 0) continue;
            state[seed] = 1;
            stack.Push(seed);
            while (stack.Count > 0)
            {
                int f = stack.Pop();
                for (int k = 0; k < 3; k++)
                {
                    int c = 3 * f + k, o = across[c];
                    if (o < 0) continue;
                    int g = o / 3;
                    // Effective direction of the shared edge in f and in g (flipping reverses every edge of a triangle).
                    bool fForward = t[c] < t[Next(c)];
                    if (state[f] == 2) fForward = !fForward;
                    bool gForward = t[o] < t[Next(o)];
                    if (state[g] == 0)
                    {
                        bool flip = gForward == fForward;
                        state[g] = (sbyte)(flip ? 2 : 1);
                        stack.Push(g);
                    }
                    else
                    {
                        if (state[g] == 2) gForward = !gForward;
                        if (gForward == fForward)
                            throw new MeshConditioningException("surface is not orientable (a Möbius-like strip): no consistent outward normal exists");
                    }
                }
            }
        }
        for (int f = 0; f < m; f++)
            if (state[f] == 2) { (t[3 * f + 1], t[3 * f + 2]) = (t[3 * f + 2], t[3 * f + 1]); flipped++; }
        if (flipped > 0) repairs.Add($"re-oriented {flipped} triangles for a consistent orientation");
    }

    private static List<int> FixZeroArea(List<double> verts, List<int> t, double diag, List<string> repairs)
    {
        var mesh = new TriangleMesh(verts.ToArray(), t.ToArray());
        var wm = new WorkingMesh(mesh);
        var p = wm.P;
        double tiny2 = 1e-12 * diag * diag;   // edges up to 10⁻⁶ of the diagonal count as zero length
        int collapsed = 0, flipped = 0;
        var ringA = new List<int>();
        var ringB = new List<int>();
        Span<int> pair = stackalloc int[3];
        for (int sweep = 0; sweep < 20; sweep++)
        {
            int changes = 0;
            for (int f = 0; f < wm.TriangleSlots; f++)
            {
                if (!wm.Alive(f) || !IsDegenerate(p, wm.T[3 * f], wm.T[3 * f + 1], wm.T[3 * f + 2])) continue;
                int shortest = 0, longest = 0;
                double minLen = double.MaxValue, maxLen = -1;
                for (int k = 0; k < 3; k++)
                {
                    double l = MeshGeometry.Dist2(p, wm.T[3 * f + k], wm.T[3 * f + (k + 1) % 3]);
                    if (l < minLen) { minLen = l; shortest = k; }
                    if (l > maxLen) { maxLen = l; longest = k; }
                }
                if (minLen <= tiny2)
                {
                    // A (near) zero-length edge: merge its ends, if that keeps the surface a manifold.
                    int a = wm.T[3 * f + shortest], b = wm.T[3 * f + (shortest + 1) % 3];
                    if (wm.CanCollapseTopologically(a, b, ringA, ringB, out int t1, out int t2))
                    {
                        wm.Collapse(a, b, t1, t2, 0.5 * (p[3 * a] + p[3 * b]), 0.5 * (p[3 * a + 1] + p[3 * b + 1]), 0.5 * (p[3 * a + 2] + p[3 * b + 2]));
                        collapsed++; changes++;
                    }
                    continue;
                }
                // A cap (one corner on the opposite edge): flip the longest edge.
                {
                    int a = wm.T[3 * f + longest], b = wm.T[3 * f + (longest + 1) % 3], c = wm.T[3 * f + (longest + 2) % 3];
                    if (wm.EdgeTriangles(a, b, pair) != 2 || wm.VT[a].Count <= 3 || wm.VT[b].Count <= 3) continue;
                    int g = pair[0] == f ? pair[1] : pair[0];
                    var (d, forward) = wm.Opposite(g, a, b);
                    if (forward || d == c || wm.HasEdge(c, d) || IsDegenerate(p, a, d, c) || IsDegenerate(p, d, b, c)) continue;
                    wm.SetTriangle(f, a, d, c);
                    wm.SetTriangle(g, d, b, c);
                    flipped++; changes++;
                }
            }
            if (changes == 0) break;
        }
        int remaining = 0;
        for (int f = 0; f < wm.TriangleSlots; f++)
            if (wm.Alive(f) && IsDegenerate(p, wm.T[3 * f], wm.T[3 * f + 1], wm.T[3 * f + 2])) remaining++;
        if (collapsed > 0) repairs.Add($"collapsed {collapsed} zero-length edges (coincident vertices joined by an edge)");
        if (flipped > 0) repairs.Add($"flipped the longest edge of {flipped} zero-area triangles");
        if (remaining > 0) repairs.Add($"{remaining} zero-area triangles remain at pinch points (coincident vertices not joined by a collapsible edge)");
        var result = new List<int>(wm.T.Length);
        foreach (int v in wm.T) if (v >= 0) result.Add(v);
        for (int i = 0; i < verts.Count; i++) verts[i] = p[i];
        return result;
    }

    /// <summary>Zero area: twice the area below 10⁻¹⁰ of the longest edge squared.</summary>
    private static bool IsDegenerate(double[] p, int a, int b, int c)
    {
        var (x, y, z) = MeshGeometry.Normal(p, a, b, c);
        double l2 = Math.Max(MeshGeometry.Dist2(p, a, b), Math.Max(MeshGeometry.Dist2(p, b, c), MeshGeometry.Dist2(p, c, a)));
        return MeshGeometry.Len(x, y, z) <= 1e-10 * l2;
    }

    private static void FillHoles(List<double> verts, List<int> t, int maxHoleEdges, List<string> repairs)
    {
        var (keys, corner) = SortedEdges(t);
        var next = new Dictionary<int, int>();   // boundary edge a → b (direction of its triangle)
        for (int i = 0; i < keys.Length;)
        {
            int j = i;
            while (j < keys.Length && keys[j] == keys[i]) j++;
            if (j - i == 1)
            {
                int c = corner[i];
                if (!next.TryAdd(t[c], t[Next(c)]))
                    throw new MeshConditioningException("boundary vertex with two outgoing boundary edges remained after the non-manifold split");
            }
            i = j;
        }
        if (next.Count == 0) return;
        int holes = 0, added = 0, largest = 0;
        var loop = new List<int>();
        var starts = next.Keys.ToList();
        starts.Sort();
        foreach (int s in starts)
        {
            if (!next.ContainsKey(s)) continue;
            loop.Clear();
            int v = s;
            while (next.Remove(v, out int w))
            {
                loop.Add(v);
                v = w;
            }
            if (v != s) throw new MeshConditioningException("an open boundary chain does not close into a loop");
            if (loop.Count > maxHoleEdges)
                throw new MeshConditioningException($"open mesh: a hole bounded by {loop.Count} edges exceeds max_hole_edges = {maxHoleEdges}; "
                    + "the input looks like an open surface patch rather than the boundary of a solid (raise max_hole_edges to close it anyway)");
            largest = Math.Max(largest, loop.Count);
            holes++;
            // The fill traverses each boundary edge in the opposite direction.
            if (loop.Count == 3) { t.Add(loop[2]); t.Add(loop[1]); t.Add(loop[0]); added++; continue; }
            double cx = 0, cy = 0, cz = 0;
            foreach (int u in loop) { cx += verts[3 * u]; cy += verts[3 * u + 1]; cz += verts[3 * u + 2]; }
            int centre = verts.Count / 3;
            verts.Add(cx / loop.Count); verts.Add(cy / loop.Count); verts.Add(cz / loop.Count);
            for (int k = 0; k < loop.Count; k++)
            {
                t.Add(loop[(k + 1) % loop.Count]); t.Add(loop[k]); t.Add(centre);
                added++;
            }
        }
        repairs.Add($"closed {holes} holes (largest {largest} boundary edges) with {added} triangles");
    }

    private static TriangleMesh OutwardComponents(List<double> verts, List<int> t, double diag, List<string> repairs)
    {
        var mesh = new TriangleMesh(verts.ToArray(), t.ToArray());
        var (label, count) = MeshComponents.Label(mesh);
        var volume = new double[count];
        var p = mesh.Vertices;
        for (int f = 0; f < label.Length; f++)
        {
            int a = 3 * t[3 * f], b = 3 * t[3 * f + 1], c = 3 * t[3 * f + 2];
            volume[label[f]] += (p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
                               - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
                               + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c])) / 6;
        }
        double tiny = 1e-12 * diag * diag * diag;
        int inverted = 0, empty = 0;
        var tris = new List<int>(t.Count);
        for (int f = 0; f < label.Length; f++)
        {
            double v = volume[label[f]];
            if (Math.Abs(v) <= tiny) continue;
            if (v < 0) { tris.Add(t[3 * f]); tris.Add(t[3 * f + 2]); tris.Add(t[3 * f + 1]); }
            else { tris.Add(t[3 * f]); tris.Add(t[3 * f + 1]); tris.Add(t[3 * f + 2]); }
        }
        foreach (var v in volume) { if (Math.Abs(v) <= tiny) empty++; else if (v < 0) inverted++; }
        if (inverted > 0) repairs.Add($"turned {inverted} inside-out components outward");
        if (empty > 0) repairs.Add($"removed {empty} components enclosing no volume");
        if (tris.Count == 0) throw new MeshConditioningException("no component encloses a volume (the surface is flat or folded onto itself)");
        return MeshGeometry.Compact(mesh.Vertices, mesh.VertexCount, tris.ToArray());
    }
}
