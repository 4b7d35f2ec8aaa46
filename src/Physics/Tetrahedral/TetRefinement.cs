using System.Runtime.CompilerServices;
using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tetrahedral;

/// <summary>
/// A refined mesh with its relation to the coarse mesh it came from. Vertices 0 … <see cref="CoarseVertexCount"/> − 1
/// are the coarse vertices (same indices, same coordinates); every later vertex is the midpoint of an edge and
/// <see cref="EdgeParents"/> holds its two endpoints (2 per new vertex; endpoints always have smaller indices).
/// <see cref="ParentTet"/> holds, per fine tetrahedron, the coarse tetrahedron it lies in.
/// </summary>
public sealed record TetRefinementResult(TetMesh Mesh, int CoarseVertexCount, int[] EdgeParents, int[] ParentTet)
{
    /// <summary>
    /// Interpolates a piecewise-linear (P1) field given at the coarse vertices onto the fine vertices (exact for P1:
    /// each midpoint gets the mean of its edge's endpoints).
    /// </summary>
    public double[] Prolong(ReadOnlySpan<double> coarseValues)
    {
        if (coarseValues.Length != CoarseVertexCount)
            throw new ArgumentException($"expected {CoarseVertexCount} coarse values, got {coarseValues.Length}");
        var fine = new double[Mesh.VertexCount];
        coarseValues.CopyTo(fine);
        for (int v = CoarseVertexCount, i = 0; v < fine.Length; v++, i += 2)
            fine[v] = 0.5 * (fine[EdgeParents[i]] + fine[EdgeParents[i + 1]]);
        return fine;
    }
}

/// <summary>
/// Conforming refinement of tetrahedral meshes.
/// <para><see cref="Refine(TetMesh, ReadOnlySpan{int}, int)"/> is newest-vertex bisection in Maubach's tagged-simplex
/// form: a tetrahedron carries an ordered vertex tuple (x0, x1, x2, x3) and a tag k ∈ {1, 2, 3}; it is bisected at
/// x0–x_k into (x0, …, x_{k−1}, z, x_{k+1}, …, x3) and (x1, …, x_k, z, x_{k+1}, …, x3) with tag k − 1 (3 after 1), so its
/// descendants fall into a bounded number of similarity classes and the angles stay bounded under repeated refinement.
/// Initial labelling (a mesh not produced here), after Arnold–Mukherjee–Pouly: every face is marked at its greatest
/// edge in a global edge order (length; equal lengths — as on a lattice — broken by alignment with x, then y, then vertex
/// indices), so both tetrahedra of a face agree; a tetrahedron's refinement edge is its greatest edge. "Opposite" and
/// "planar" mark patterns map to Maubach tags 3 and 2; the "adjacent" pattern (no tagged form) gets one bisection in
/// which every new face is marked at the edge opposite the new vertex, after which both children are tag-2 tetrahedra.
/// Closure: every tetrahedron with an existing midpoint on one of its edges is bisected until none remains; because
/// all tetrahedra sharing a face split it in the same order, the result is conforming. A mesh produced here remembers
/// its labels (weakly, by instance), so repeated calls continue the same bisection sequence.</para>
/// <para><see cref="Uniform(TetMesh)"/> is red refinement: every tetrahedron is split into 8 at its edge midpoints, the
/// inner octahedron along its shortest diagonal; mesh size halves, volume is preserved exactly.</para>
/// Boundary faces are split with their tetrahedra and keep their markers and outward orientation; children keep their
/// parent's subdomain marker. Vertex coordinates in µm.
/// </summary>
public static class TetRefinement
{
    private sealed class Labels(int[] order, byte[] tag)
    {
        public int[] Order { get; } = order;
        public byte[] Tag { get; } = tag;
    }

    private static readonly ConditionalWeakTable<TetMesh, Labels> Remembered = new();

    /// <summary>Bisects each marked tetrahedron <paramref name="bisections"/> times (1 halves its volume; 3 halves its
    /// edge lengths) plus the closure that keeps the mesh conforming; returns the refined mesh.</summary>
    public static TetMesh Refine(TetMesh mesh, ReadOnlySpan<int> markedTets, int bisections = 1) =>
        RefineWithMap(mesh, markedTets, bisections).Mesh;

    /// <summary>As <see cref="Refine(TetMesh, ReadOnlySpan{int}, int)"/>, also returning the coarse-to-fine maps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A marked index is outside 0 … TetCount − 1, or bisections &lt; 1.</exception>
    public static TetRefinementResult RefineWithMap(TetMesh mesh, ReadOnlySpan<int> markedTets, int bisections = 1)
    {
        if (bisections < 1) throw new ArgumentOutOfRangeException(nameof(bisections), "at least one bisection is required");
        foreach (int t in markedTets)
            if ((uint)t >= (uint)mesh.TetCount)
                throw new ArgumentOutOfRangeException(nameof(markedTets), $"marked tetrahedron {t} out of range (mesh has {mesh.TetCount})");
        var labels = Remembered.TryGetValue(mesh, out var known) && known.Tag.Length == mesh.TetCount ? known : InitialLabels(mesh);
        var work = new Bisector(mesh, labels);
        var marked = new List<int>(markedTets.Length);
        var seen = new bool[mesh.TetCount];
        foreach (int t in markedTets)
            if (!seen[t]) { seen[t] = true; marked.Add(t); }
        for (int round = 0; round < bisections; round++)
        {
            var next = new List<int>(2 * marked.Count);
            foreach (int t in marked)
            {
                int s = work.Bisect(t);
                next.Add(t); next.Add(s);
            }
            work.Close();
            marked = next;
        }
        var result = work.Result(mesh.VertexCount);
        Remembered.AddOrUpdate(result.Mesh, work.FinalLabels());
        return result;
    }

    /// <summary>Red refinement: every tetrahedron split into 8 (see the class summary); returns the refined mesh.</summary>
    public static TetMesh Uniform(TetMesh mesh) => UniformWithMap(mesh).Mesh;

    /// <summary>As <see cref="Uniform(TetMesh)"/>, also returning the coarse-to-fine maps.</summary>
    public static TetRefinementResult UniformWithMap(TetMesh mesh)
    {
        int nv = mesh.VertexCount, m = mesh.TetCount;
        var src = mesh.Tetrahedra;
        var mids = new Dictionary<long, int>(7 * m / 6 + 16, EdgeKeyComparer.Instance);
        var edgeParents = new List<int>();
        var verts = new List<double>(mesh.Vertices);
        int Mid(int a, int b)
        {
            long key = EdgeKey(a, b);
            if (mids.TryGetValue(key, out int v)) return v;
            v = verts.Count / 3;
            verts.Add(0.5 * (mesh.Vertices[3 * a] + mesh.Vertices[3 * b]));
            verts.Add(0.5 * (mesh.Vertices[3 * a + 1] + mesh.Vertices[3 * b + 1]));
            verts.Add(0.5 * (mesh.Vertices[3 * a + 2] + mesh.Vertices[3 * b + 2]));
            edgeParents.Add(Math.Min(a, b)); edgeParents.Add(Math.Max(a, b));
            mids[key] = v;
            return v;
        }
        var midIndex = new int[6 * m];
        for (int t = 0; t < m; t++)
        {
            int k = 0;
            for (int i = 0; i < 4; i++)
                for (int j = i + 1; j < 4; j++)
                    midIndex[6 * t + k++] = Mid(src[4 * t + i], src[4 * t + j]);
        }
        var p = verts.ToArray();
        var tets = new int[32 * m];
        var regions = new int[8 * m];
        var parent = new int[8 * m];
        Parallel.For(0, m, t =>
        {
            int v0 = src[4 * t], v1 = src[4 * t + 1], v2 = src[4 * t + 2], v3 = src[4 * t + 3];
            int m01 = midIndex[6 * t], m02 = midIndex[6 * t + 1], m03 = midIndex[6 * t + 2];
            int m12 = midIndex[6 * t + 3], m13 = midIndex[6 * t + 4], m23 = midIndex[6 * t + 5];
            var o = tets.AsSpan(32 * t, 32);
            Set(o, 0, v0, m01, m02, m03);
            Set(o, 1, m01, v1, m12, m13);
            Set(o, 2, m02, m12, v2, m23);
            Set(o, 3, m03, m13, m23, v3);
            // Inner octahedron: opposite pairs (m01, m23), (m02, m13), (m03, m12); split along the shortest of them.
            double d1 = Dist2(p, m01, m23), d2 = Dist2(p, m02, m13), d3 = Dist2(p, m03, m12);
            int a, b, r1, r2, r3, r4;
            if (d1 <= d2 && d1 <= d3) { a = m01; b = m23; r1 = m02; r2 = m03; r3 = m13; r4 = m12; }
            else if (d2 <= d3) { a = m02; b = m13; r1 = m01; r2 = m03; r3 = m23; r4 = m12; }
            else { a = m03; b = m12; r1 = m01; r2 = m02; r3 = m23; r4 = m13; }
            SetOriented(p, o, 4, a, b, r1, r2);
            SetOriented(p, o, 5, a, b, r2, r3);
            SetOriented(p, o, 6, a, b, r3, r4);
            SetOriented(p, o, 7, a, b, r4, r1);
            for (int c = 0; c < 8; c++) { regions[8 * t + c] = mesh.TetRegions[t]; parent[8 * t + c] = t; }
        });
        var bf = mesh.BoundaryFaces;
        var faces = new int[4 * bf.Length];
        var markers = new int[4 * mesh.BoundaryFaceCount];
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            int a = bf[3 * f], b = bf[3 * f + 1], c = bf[3 * f + 2];
            int ab = mids[EdgeKey(a, b)], bc = mids[EdgeKey(b, c)], ca = mids[EdgeKey(c, a)];
            var o = faces.AsSpan(12 * f, 12);
            o[0] = a; o[1] = ab; o[2] = ca;
            o[3] = ab; o[4] = b; o[5] = bc;
            o[6] = ca; o[7] = bc; o[8] = c;
            o[9] = ab; o[10] = bc; o[11] = ca;
            for (int k = 0; k < 4; k++) markers[4 * f + k] = mesh.FaceMarkers[f];
        }
        var fine = new TetMesh(p, tets, regions, faces, markers);
        return new TetRefinementResult(fine, nv, edgeParents.ToArray(), parent);
    }

    private static void Set(Span<int> o, int c, int a, int b, int d, int e)
    {
        o[4 * c] = a; o[4 * c + 1] = b; o[4 * c + 2] = d; o[4 * c + 3] = e;
    }

    private static void SetOriented(double[] p, Span<int> o, int c, int a, int b, int d, int e)
    {
        if (TetMeshQuality.Orient(p, a, b, d, e) < 0) (d, e) = (e, d);
        Set(o, c, a, b, d, e);
    }

    private static double Dist2(double[] p, int a, int b)
    {
        double dx = p[3 * a] - p[3 * b], dy = p[3 * a + 1] - p[3 * b + 1], dz = p[3 * a + 2] - p[3 * b + 2];
        return dx * dx + dy * dy + dz * dz;
    }

    internal static long EdgeKey(int a, int b) => a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;

    /// <summary>Longest-edge initial labelling with tag 3 (see the class summary).</summary>
    private static Labels InitialLabels(TetMesh mesh)
    {
        int m = mesh.TetCount;
        var p = mesh.Vertices;
        var src = mesh.Tetrahedra;
        var order = new int[4 * m];
        var tag = new byte[m];
        Parallel.For(0, m, t =>
        {
            Span<int> v = stackalloc int[4];
            for (int i = 0; i < 4; i++) v[i] = src[4 * t + i];
            // refinement edge: the greatest edge in the global order (length², then smaller index, then larger index)
            int ba = 0, bb = 1;
            for (int i = 0; i < 4; i++)
                for (int j = i + 1; j < 4; j++)
                    if (Greater(p, v[i], v[j], v[ba], v[bb])) { ba = i; bb = j; }
            int ea = v[ba], eb = v[bb];
            int c = -1, d = -1;
            for (int i = 0; i < 4; i++)
                if (i != ba && i != bb) { if (c < 0) c = v[i]; else d = v[i]; }
            // Marked edges of the two faces off the refinement edge: their greatest edges (the same for both tetrahedra
            // sharing a face). Opposite marks (ea–x, eb–y, x ≠ y) are Maubach tag 3 with order (ea, y, x, eb); planar marks
            // (ea–x, eb–x) are tag 2 with order (ea, x, eb, other). Adjacent marks have no Maubach form: tag 4 is
            // (ea, eb, c, d) with both marks c–d, tag 5 is (x0, x1, x2, x3) with marks x0–x2 and x2–x3 (see Bisect).
            var (m1a, m1b) = GreatestOfFace(p, ea, c, d);
            var (m2a, m2b) = GreatestOfFace(p, eb, c, d);
            int x1From1 = m1a == ea ? m1b : m1b == ea ? m1a : -1;  // other end of face-1 mark when it touches ea
            int x1From2 = m2a == eb ? m2b : m2b == eb ? m2a : -1;  // other end of face-2 mark when it touches eb
            int x0, x1, x2, x3;
            byte k;
            if (x1From1 >= 0 && x1From2 >= 0 && x1From1 != x1From2) { x0 = ea; x1 = x1From2; x2 = x1From1; x3 = eb; k = 3; }
            else if (x1From1 >= 0 && x1From2 >= 0) { x0 = ea; x1 = x1From1; x2 = eb; x3 = x1From1 == c ? d : c; k = 2; }
            else if (x1From1 >= 0) { x0 = ea; x1 = eb; x2 = x1From1; x3 = x1From1 == c ? d : c; k = 5; }
            else if (x1From2 >= 0) { x0 = eb; x1 = ea; x2 = x1From2; x3 = x1From2 == c ? d : c; k = 5; }
            else { x0 = ea; x1 = eb; x2 = c; x3 = d; k = 4; }
            order[4 * t] = x0; order[4 * t + 1] = x1; order[4 * t + 2] = x2; order[4 * t + 3] = x3;
            tag[t] = k;
        });
        return new Labels(order, tag);
    }

    private static (int, int) GreatestOfFace(double[] p, int a, int b, int c)
    {
        (int, int) best = (a, b);
        if (Greater(p, a, c, best.Item1, best.Item2)) best = (a, c);
        if (Greater(p, b, c, best.Item1, best.Item2)) best = (b, c);
        return best;
    }

    /// <summary>
    /// True when edge (a, b) is greater than edge (c, d) in the global edge order: longer (lengths equal to a relative
    /// 1e-9 count as equal, so lattice edges that differ by rounding tie), then — between equally long edges — the one
    /// more aligned with x, then with y (so all tetrahedra of a lattice-like mesh around an edge agree on it, which keeps
    /// the closure local), then lexicographically greater in (smaller index, larger index).
    /// </summary>
    private static bool Greater(double[] p, int a, int b, int c, int d)
    {
        double l1 = Dist2(p, a, b), l2 = Dist2(p, c, d);
        double tol = 1e-9 * Math.Max(l1, l2);
        if (Math.Abs(l1 - l2) > tol) return l1 > l2;
        double x1 = Math.Abs(p[3 * a] - p[3 * b]), x2 = Math.Abs(p[3 * c] - p[3 * d]);
        double ltol = 1e-9 * Math.Sqrt(Math.Max(l1, l2));
        if (Math.Abs(x1 - x2) > ltol) return x1 > x2;
        double y1 = Math.Abs(p[3 * a + 1] - p[3 * b + 1]), y2 = Math.Abs(p[3 * c + 1] - p[3 * d + 1]);
        if (Math.Abs(y1 - y2) > ltol) return y1 > y2;
        int a1 = Math.Min(a, b), b1 = Math.Max(a, b), a2 = Math.Min(c, d), b2 = Math.Max(c, d);
        return a1 != a2 ? a1 > a2 : b1 > b2;
    }

    /// <summary>Mutable working state of one bisection refinement.</summary>
    private sealed class Bisector
    {
        private double[] _p;
        private int _nv;
        private int[] _order;     // Maubach order, 4 per tet
        private byte[] _tag;
        private sbyte[] _sign;    // orientation sign of the Maubach order
        private int[] _region;
        private int[] _root;      // coarse ancestor
        private int _nt;
        private List<int>[] _adj; // vertex → tets containing it
        private readonly Dictionary<long, int> _mid = new(EdgeKeyComparer.Instance);
        private readonly List<int> _edgeParents = new();
        private readonly Dictionary<(int, int, int), (int A, int B, int C, int Marker)> _faces;
        private readonly Queue<int> _queue = new();
        private readonly int _limit;

        public Bisector(TetMesh mesh, Labels labels)
        {
            _nv = mesh.VertexCount;
            _p = new double[Math.Max(3 * _nv * 2, 48)];
            Array.Copy(mesh.Vertices, _p, mesh.Vertices.Length);
            int m = mesh.TetCount;
            int cap = Math.Max(2 * m, 16);
            _order = new int[4 * cap];
            Array.Copy(labels.Order, _order, 4 * m);
            _tag = new byte[cap];
            Array.Copy(labels.Tag, _tag, m);
            _sign = new sbyte[cap];
            _region = new int[cap];
            Array.Copy(mesh.TetRegions, _region, m);
            _root = new int[cap];
            _nt = m;
            _adj = new List<int>[Math.Max(2 * _nv, 16)];
            for (int v = 0; v < _nv; v++) _adj[v] = new List<int>(8);
            var src = mesh.Tetrahedra;
            for (int t = 0; t < m; t++)
            {
                _root[t] = t;
                for (int i = 0; i < 4; i++) _adj[src[4 * t + i]].Add(t);
                _sign[t] = (sbyte)PermutationSign(src.AsSpan(4 * t, 4), _order.AsSpan(4 * t, 4));
            }
            _faces = new Dictionary<(int, int, int), (int, int, int, int)>(mesh.BoundaryFaceCount + 16);
            var bf = mesh.BoundaryFaces;
            for (int f = 0; f < mesh.BoundaryFaceCount; f++)
                _faces[TetMeshQuality.Sort(bf[3 * f], bf[3 * f + 1], bf[3 * f + 2])] = (bf[3 * f], bf[3 * f + 1], bf[3 * f + 2], mesh.FaceMarkers[f]);
            _limit = 64 * m + 1_000_000;
        }

        /// <summary>Sign (+1/−1) of the permutation taking <paramref name="stored"/> to <paramref name="order"/> (same vertex set).</summary>
        private static int PermutationSign(ReadOnlySpan<int> stored, ReadOnlySpan<int> order)
        {
            Span<int> pos = stackalloc int[4];
            for (int i = 0; i < 4; i++)
                pos[i] = stored.IndexOf(order[i]);
            int inv = 0;
            for (int i = 0; i < 4; i++)
                for (int j = i + 1; j < 4; j++)
                    if (pos[i] > pos[j]) inv++;
            return (inv & 1) == 0 ? 1 : -1;
        }

        /// <summary>Bisects tetrahedron <paramref name="t"/> at its refinement edge; the first child stays in slot
        /// <paramref name="t"/>, the second's slot is returned.</summary>
        public int Bisect(int t)
        {
            int k = _tag[t];
            Span<int> o = stackalloc int[4];
            for (int i = 0; i < 4; i++) o[i] = _order[4 * t + i];
            // the refinement edge is a–b; the first child keeps a, the second keeps b
            int a = o[0], b = k <= 3 ? o[k] : o[1];
            bool created = !_mid.TryGetValue(EdgeKey(a, b), out int z);
            if (created) z = NewMidpoint(a, b);
            int s = NewTet();
            Span<int> c1 = stackalloc int[4], c2 = stackalloc int[4];
            byte nextTag;
            if (k <= 3)
            {
                // Maubach: (x0, …, x_{k−1}, z, x_{k+1}, …, x3) and (x1, …, x_k, z, x_{k+1}, …, x3), tag k − 1 (3 after 1)
                o.CopyTo(c1);
                c1[k] = z;
                int w = 0;
                for (int i = 1; i <= k; i++) c2[w++] = o[i];
                c2[w++] = z;
                for (int i = k + 1; i < 4; i++) c2[w++] = o[i];
                nextTag = (byte)(k > 1 ? k - 1 : 3);
            }
            else
            {
                // Adjacent type, bisected with every new face marked at the edge opposite the new vertex: each child's
                // refinement edge is the mark of the face it inherits, and both children are planar (Maubach tag 2).
                if (k == 4) { c1[0] = o[2]; c1[1] = o[0]; c1[2] = o[3]; c1[3] = z; }
                else { c1[0] = o[0]; c1[1] = o[3]; c1[2] = o[2]; c1[3] = z; }
                c2[0] = o[2]; c2[1] = o[1]; c2[2] = o[3]; c2[3] = z;
                nextTag = 2;
            }
            // orientation: the first child is a permutation of (o with b replaced by z), the second of (o with a replaced by z)
            Span<int> base1 = stackalloc int[4], base2 = stackalloc int[4];
            o.CopyTo(base1); o.CopyTo(base2);
            base1[k <= 3 ? k : 1] = z;
            base2[0] = z;
            sbyte sign = _sign[t];
            for (int i = 0; i < 4; i++) { _order[4 * t + i] = c1[i]; _order[4 * s + i] = c2[i]; }
            _tag[t] = nextTag; _tag[s] = nextTag;
            _sign[t] = (sbyte)(sign * PermutationSign(base1, c1));
            _sign[s] = (sbyte)(sign * PermutationSign(base2, c2));
            _region[s] = _region[t];
            _root[s] = _root[t];
            // adjacency: b leaves t for s; the vertices other than a and b gain s; z gains both
            _adj[b].Remove(t);
            _adj[b].Add(s);
            for (int i = 0; i < 4; i++)
                if (o[i] != a && o[i] != b) _adj[o[i]].Add(s);
            _adj[z].Add(t); _adj[z].Add(s);
            // boundary faces containing the bisected edge
            for (int i = 0; i < 4; i++)
                if (o[i] != a && o[i] != b) SplitFace(a, b, o[i], z);
            if (created)
            {
                // every other tetrahedron around edge (a, b) now has a hanging midpoint
                foreach (int u in _adj[a])
                    if (Contains(u, b)) _queue.Enqueue(u);
            }
            if (Hanging(t)) _queue.Enqueue(t);
            if (Hanging(s)) _queue.Enqueue(s);
            return s;
        }

        /// <summary>Bisects every tetrahedron with a hanging midpoint until the mesh is conforming.</summary>
        public void Close()
        {
            while (_queue.Count > 0)
            {
                int t = _queue.Dequeue();
                if (Hanging(t)) Bisect(t);
                if (_nt > _limit)
                    throw new InvalidOperationException($"bisection closure did not terminate within {_limit} tetrahedra");
            }
        }

        private bool Contains(int t, int v) =>
            _order[4 * t] == v || _order[4 * t + 1] == v || _order[4 * t + 2] == v || _order[4 * t + 3] == v;

        private bool Hanging(int t)
        {
            int o = 4 * t;
            for (int i = 0; i < 4; i++)
                for (int j = i + 1; j < 4; j++)
                    if (_mid.ContainsKey(EdgeKey(_order[o + i], _order[o + j]))) return true;
            return false;
        }

        private void SplitFace(int a, int b, int c, int z)
        {
            var key = TetMeshQuality.Sort(a, b, c);
            if (!_faces.Remove(key, out var f)) return;
            // rotate the oriented triple so that the bisected edge is its first edge (p → q)
            int p0 = f.A, q0 = f.B, r0 = f.C;
            while (!((p0 == a && q0 == b) || (p0 == b && q0 == a))) (p0, q0, r0) = (q0, r0, p0);
            _faces[TetMeshQuality.Sort(p0, z, r0)] = (p0, z, r0, f.Marker);
            _faces[TetMeshQuality.Sort(z, q0, r0)] = (z, q0, r0, f.Marker);
        }

        private int NewMidpoint(int a, int b)
        {
            if (3 * (_nv + 1) > _p.Length) Array.Resize(ref _p, 2 * _p.Length);
            if (_nv + 1 > _adj.Length) Array.Resize(ref _adj, 2 * _adj.Length);
            int z = _nv++;
            for (int c = 0; c < 3; c++) _p[3 * z + c] = 0.5 * (_p[3 * a + c] + _p[3 * b + c]);
            _adj[z] = new List<int>(8);
            _mid[EdgeKey(a, b)] = z;
            _edgeParents.Add(Math.Min(a, b)); _edgeParents.Add(Math.Max(a, b));
            return z;
        }

        private int NewTet()
        {
            if (_nt + 1 > _tag.Length)
            {
                int cap = 2 * _tag.Length;
                Array.Resize(ref _order, 4 * cap);
                Array.Resize(ref _tag, cap);
                Array.Resize(ref _sign, cap);
                Array.Resize(ref _region, cap);
                Array.Resize(ref _root, cap);
            }
            return _nt++;
        }

        public TetRefinementResult Result(int coarseVertices)
        {
            var tets = new int[4 * _nt];
            for (int t = 0; t < _nt; t++)
            {
                int o = 4 * t;
                tets[o] = _order[o]; tets[o + 1] = _order[o + 1];
                if (_sign[t] > 0) { tets[o + 2] = _order[o + 2]; tets[o + 3] = _order[o + 3]; }
                else { tets[o + 2] = _order[o + 3]; tets[o + 3] = _order[o + 2]; }
            }
            var faces = new int[3 * _faces.Count];
            var markers = new int[_faces.Count];
            int f = 0;
            foreach (var e in _faces.Values)
            {
                faces[3 * f] = e.A; faces[3 * f + 1] = e.B; faces[3 * f + 2] = e.C;
                markers[f++] = e.Marker;
            }
            var mesh = new TetMesh(_p[..(3 * _nv)], tets, _region[.._nt], faces, markers);
            return new TetRefinementResult(mesh, coarseVertices, _edgeParents.ToArray(), _root[.._nt]);
        }

        public Labels FinalLabels() => new(_order[..(4 * _nt)], _tag[.._nt]);
    }
}
