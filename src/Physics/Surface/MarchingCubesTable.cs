namespace ShapeStudy.Physics;

/// <summary>
/// The marching-cubes case table, generated at start-up from the cube's geometry rather than copied from a publication.
/// </summary>
/// <remarks>
/// Cube corners are numbered by bits (x = 1, y = 2, z = 4); a case index has bit c set when corner c is inside
/// (value above the iso value). Edges are numbered by axis: x edges 0–3 (lower corner 0, 2, 4, 6), y edges 4–7 (lower
/// corner 0, 1, 4, 5), z edges 8–11 (lower corner 0, 1, 2, 3).
/// <para>Generation: on each cube face, walked counter-clockwise as seen from outside the cube, every cut edge that goes
/// from an outside to an inside corner is joined to the next cut edge along the walk. On a face with two diagonal inside
/// corners this separates the inside corners (the fixed face-ambiguity rule); because the rule depends only on the face's
/// four values, the two cubes sharing a face draw the same segments, traversed in opposite directions. Every cut edge
/// then has exactly one outgoing and one incoming segment inside the cube, so the segments form closed loops; each loop
/// becomes one polygon, wound so that its normal points from the inside to the outside corners. Each polygon of n cut
/// edges is triangulated into n − 2 triangles by the minimum total chord length (chord lengths between edge midpoints),
/// never using a chord between two cut edges of the same cube face: such a chord could be drawn again by the neighbour
/// sharing that face, while every other chord belongs to this cube alone. The surface is therefore edge-manifold and
/// consistently oriented, and closed wherever it does not reach the grid boundary.</para>
/// </remarks>
public static class MarchingCubesTable
{
    /// <summary>Corners (a, b) of each of the 12 edges, a &lt; b, b = a + axis bit.</summary>
    public static IReadOnlyList<(int A, int B)> Edges => EdgeCorners;

    private static readonly (int A, int B)[] EdgeCorners = BuildEdges();

    /// <summary>Triangles of each case as edge indices, 3 per triangle, wound with outward normals (inside → outside).</summary>
    internal static readonly byte[][] Triangles;

    /// <summary>Bit e set when edge e is cut in that case.</summary>
    internal static readonly ushort[] CutEdges;

    static MarchingCubesTable()
    {
        Triangles = new byte[256][];
        CutEdges = new ushort[256];
        for (int c = 0; c < 256; c++)
        {
            Triangles[c] = BuildCase(c);
            ushort cut = 0;
            for (int e = 0; e < 12; e++)
                if (((c >> EdgeCorners[e].A) & 1) != ((c >> EdgeCorners[e].B) & 1)) cut |= (ushort)(1 << e);
            CutEdges[c] = cut;
        }
    }

    /// <summary>The triangles of case <paramref name="caseIndex"/> (0–255) as edge indices, 3 per triangle.</summary>
    public static ReadOnlySpan<byte> TrianglesOf(int caseIndex) => Triangles[caseIndex];

    /// <summary>Number of triangles of each case.</summary>
    public static int TriangleCount(int caseIndex) => Triangles[caseIndex].Length / 3;

    /// <summary>Edge index of the edge joining corners <paramref name="a"/> and <paramref name="b"/> (adjacent corners).</summary>
    public static int EdgeIndex(int a, int b)
    {
        if (a > b) (a, b) = (b, a);
        int d = a ^ b;
        return d switch
        {
            1 => a >> 1,
            2 => 4 + ((a & 1) | ((a >> 2) << 1)),
            4 => 8 + a,
            _ => throw new ArgumentException($"corners {a} and {b} are not joined by a cube edge"),
        };
    }

    private static (int A, int B)[] BuildEdges()
    {
        var edges = new (int, int)[12];
        for (int a = 0; a < 8; a++)
            for (int axis = 0; axis < 3; axis++)
            {
                int bit = 1 << axis;
                if ((a & bit) != 0) continue;
                edges[EdgeIndex(a, a | bit)] = (a, a | bit);
            }
        return edges;
    }

    private static (double X, double Y, double Z) Corner(int c) => (c & 1, (c >> 1) & 1, (c >> 2) & 1);

    /// <summary>The 6 faces, each as its 4 corners counter-clockwise seen from outside the cube.</summary>
    private static int[][] Faces()
    {
        var faces = new int[6][];
        for (int axis = 0; axis < 3; axis++)
            for (int side = 0; side < 2; side++)
            {
                int u = 1 << ((axis + 1) % 3), v = 1 << ((axis + 2) % 3), n = side == 1 ? 1 << axis : 0;
                // (u, v, axis) is right-handed, so the order (0,0),(1,0),(1,1),(0,1) in (u, v) is counter-clockwise about
                // +axis; the face at side 0 looks along −axis and takes the reverse order.
                int[] ring = [n, n | u, n | u | v, n | v];
                if (side == 0) Array.Reverse(ring);
                faces[2 * axis + side] = ring;
            }
        return faces;
    }

    private static byte[] BuildCase(int c)
    {
        bool Inside(int corner) => ((c >> corner) & 1) != 0;
        var faces = Faces();
        var next = new int[12];
        var prev = new int[12];
        Array.Fill(next, -1);
        Array.Fill(prev, -1);
        var edgeFaces = new List<int>[12];
        for (int e = 0; e < 12; e++) edgeFaces[e] = new List<int>(2);
        for (int f = 0; f < 6; f++)
        {
            var ring = faces[f];
            var cut = new List<(int Edge, bool OutToIn)>(4);
            for (int i = 0; i < 4; i++)
            {
                int a = ring[i], b = ring[(i + 1) % 4];
                edgeFaces[EdgeIndex(a, b)].Add(f);
                if (Inside(a) != Inside(b)) cut.Add((EdgeIndex(a, b), Inside(b)));
            }
            for (int i = 0; i < cut.Count; i++)
            {
                if (!cut[i].OutToIn) continue;
                int from = cut[i].Edge, to = cut[(i + 1) % cut.Count].Edge;
                if (next[from] >= 0 || prev[to] >= 0) throw new InvalidOperationException($"case {c}: edge used twice");
                next[from] = to;
                prev[to] = from;
            }
        }
        var result = new List<byte>();
        var done = new bool[12];
        for (int e = 0; e < 12; e++)
        {
            bool cutEdge = Inside(EdgeCorners[e].A) != Inside(EdgeCorners[e].B);
            if (!cutEdge || done[e]) continue;
            if (next[e] < 0 || prev[e] < 0) throw new InvalidOperationException($"case {c}: cut edge {e} is not on a loop");
            var loop = new List<int>();
            for (int q = e; !done[q]; q = next[q]) { done[q] = true; loop.Add(q); }
            if (loop[0] != e || next[loop[^1]] != e) throw new InvalidOperationException($"case {c}: open loop");
            Triangulate(c, loop, edgeFaces, result);
        }
        return result.ToArray();
    }

    /// <summary>Minimum-total-chord triangulation of one loop (edge midpoints), forbidding chords within one cube face.</summary>
    private static void Triangulate(int c, List<int> loop, List<int>[] edgeFaces, List<byte> result)
    {
        int n = loop.Count;
        if (n < 3) throw new InvalidOperationException($"case {c}: loop of {n} edges");
        var mid = new (double X, double Y, double Z)[n];
        for (int i = 0; i < n; i++)
        {
            var (a, b) = EdgeCorners[loop[i]];
            var (ax, ay, az) = Corner(a);
            var (bx, by, bz) = Corner(b);
            mid[i] = (0.5 * (ax + bx), 0.5 * (ay + by), 0.5 * (az + bz));
        }
        double Chord(int i, int j)
        {
            if (j == i + 1 || (i == 0 && j == n - 1)) return 0; // a loop side, not a chord
            foreach (var f in edgeFaces[loop[i]])
                if (edgeFaces[loop[j]].Contains(f)) return double.PositiveInfinity;
            double dx = mid[i].X - mid[j].X, dy = mid[i].Y - mid[j].Y, dz = mid[i].Z - mid[j].Z;
            return Math.Sqrt(dx * dx + dy * dy + dz * dz);
        }
        // cost[i, j]: best triangulation of the sub-polygon i..j (i < j) including the chord (i, j).
        var cost = new double[n, n];
        var split = new int[n, n];
        for (int len = 2; len < n; len++)
            for (int i = 0; i + len < n; i++)
            {
                int j = i + len;
                cost[i, j] = double.PositiveInfinity;
                for (int k = i + 1; k < j; k++)
                {
                    double s = cost[i, k] + cost[k, j];
                    if (s < cost[i, j]) { cost[i, j] = s; split[i, j] = k; }
                }
                cost[i, j] += Chord(i, j);
            }
        if (double.IsPositiveInfinity(cost[0, n - 1]))
            throw new InvalidOperationException($"case {c}: no triangulation avoids same-face chords");
        Emit(0, n - 1);

        void Emit(int i, int j)
        {
            if (j - i < 2) return;
            int k = split[i, j];
            result.Add((byte)loop[i]); result.Add((byte)loop[k]); result.Add((byte)loop[j]);
            Emit(i, k);
            Emit(k, j);
        }
    }
}
