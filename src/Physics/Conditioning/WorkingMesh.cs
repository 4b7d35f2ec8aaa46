using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>
/// A mutable triangle mesh for local operations (edge flips, collapses, vertex moves): flat coordinates (µm, x, y, z per
/// vertex), flat triangles (a removed triangle has −1 as its first index) and the live triangles incident to each vertex.
/// </summary>
internal sealed class WorkingMesh
{
    public readonly double[] P;
    public readonly int[] T;
    public readonly List<int>[] VT;

    public WorkingMesh(TriangleMesh mesh)
    {
        P = (double[])mesh.Vertices.Clone();
        T = (int[])mesh.Triangles.Clone();
        int nv = mesh.VertexCount;
        var count = new int[nv];
        foreach (var v in T) count[v]++;
        VT = new List<int>[nv];
        for (int v = 0; v < nv; v++) VT[v] = new List<int>(count[v]);
        for (int i = 0; i < T.Length; i += 3)
            for (int k = 0; k < 3; k++) VT[T[i + k]].Add(i / 3);
    }

    public int VertexCount => VT.Length;
    public int TriangleSlots => T.Length / 3;
    public bool Alive(int t) => T[3 * t] >= 0;

    /// <summary>Live triangles containing both <paramref name="a"/> and <paramref name="b"/> (at most <paramref name="buf"/>.Length).</summary>
    public int EdgeTriangles(int a, int b, Span<int> buf)
    {
        int n = 0;
        foreach (int t in VT[a])
        {
            int i = 3 * t;
            if (T[i] == b || T[i + 1] == b || T[i + 2] == b)
            {
                if (n < buf.Length) buf[n] = t;
                n++;
            }
        }
        return n;
    }

    /// <summary>True when an edge between the two vertices exists.</summary>
    public bool HasEdge(int a, int b)
    {
        foreach (int t in VT[a])
        {
            int i = 3 * t;
            if (T[i] == b || T[i + 1] == b || T[i + 2] == b) return true;
        }
        return false;
    }

    /// <summary>The corner of triangle <paramref name="t"/> that is neither a nor b, and whether t traverses a → b.</summary>
    public (int Third, bool Forward) Opposite(int t, int a, int b)
    {
        int i = 3 * t;
        for (int k = 0; k < 3; k++)
            if (T[i + k] == a)
            {
                int next = T[i + (k + 1) % 3], prev = T[i + (k + 2) % 3];
                return next == b ? (prev, true) : (next, false);
            }
        throw new InvalidOperationException("vertex not in triangle");
    }

    /// <summary>Unique ring (neighbour) vertices of <paramref name="v"/>, appended to <paramref name="into"/> after clearing it.</summary>
    public void Ring(int v, List<int> into)
    {
        into.Clear();
        foreach (int t in VT[v])
        {
            int i = 3 * t;
            for (int k = 0; k < 3; k++)
            {
                int w = T[i + k];
                if (w != v && !into.Contains(w)) into.Add(w);
            }
        }
    }

    /// <summary>Replaces the corners of a live triangle, keeping the incidence lists in step.</summary>
    public void SetTriangle(int t, int a, int b, int c)
    {
        int i = 3 * t;
        for (int k = 0; k < 3; k++) VT[T[i + k]].Remove(t);
        T[i] = a; T[i + 1] = b; T[i + 2] = c;
        VT[a].Add(t); VT[b].Add(t); VT[c].Add(t);
    }

    public void RemoveTriangle(int t)
    {
        int i = 3 * t;
        for (int k = 0; k < 3; k++) VT[T[i + k]].Remove(t);
        T[i] = -1; T[i + 1] = -1; T[i + 2] = -1;
    }

    /// <summary>The three corners (x, y, z each) of triangle t into <paramref name="c"/>, with vertex <paramref name="moved"/> placed at (x, y, z).</summary>
    private void CornersWith(int t, int moved, double x, double y, double z, Span<double> c)
    {
        int i = 3 * t;
        for (int k = 0; k < 3; k++)
        {
            int v = T[i + k];
            if (v == moved) { c[3 * k] = x; c[3 * k + 1] = y; c[3 * k + 2] = z; }
            else { c[3 * k] = P[3 * v]; c[3 * k + 1] = P[3 * v + 1]; c[3 * k + 2] = P[3 * v + 2]; }
        }
    }

    /// <summary>Smallest angle (degrees) of triangle t, with vertex <paramref name="moved"/> placed at (x, y, z).</summary>
    public double MinAngleWith(int t, int moved, double x, double y, double z)
    {
        Span<double> c = stackalloc double[9];
        CornersWith(t, moved, x, y, z, c);
        return MeshGeometry.MinAngleDeg(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    }

    /// <summary>Unnormalised normal of triangle t with vertex <paramref name="moved"/> placed at (x, y, z).</summary>
    public (double X, double Y, double Z) NormalWith(int t, int moved, double x, double y, double z)
    {
        Span<double> c = stackalloc double[9];
        CornersWith(t, moved, x, y, z, c);
        return MeshGeometry.Normal(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    }

    /// <summary>
    /// True when edge (a, b) is interior with two triangles whose opposite corners c ≠ d, the rings of a and b share
    /// exactly {c, d} (link condition), and c and d keep valence ≥ 3 after a collapse; outputs the two triangles.
    /// </summary>
    public bool CanCollapseTopologically(int a, int b, List<int> ringA, List<int> ringB, out int t1, out int t2)
    {
        Span<int> pair = stackalloc int[3];
        t1 = t2 = -1;
        if (EdgeTriangles(a, b, pair) != 2) return false;
        t1 = pair[0]; t2 = pair[1];
        int c = Opposite(t1, a, b).Third, d = Opposite(t2, a, b).Third;
        if (c == d) return false;
        Ring(a, ringA);
        Ring(b, ringB);
        int common = 0;
        foreach (int w in ringA) if (ringB.Contains(w)) common++;
        if (common != 2) return false;
        return VT[c].Count > 3 && VT[d].Count > 3;
    }

    /// <summary>Collapses vertex a into b (b moves to (x, y, z)), removing the two triangles t1, t2 of edge (a, b).</summary>
    public void Collapse(int a, int b, int t1, int t2, double x, double y, double z)
    {
        RemoveTriangle(t1);
        RemoveTriangle(t2);
        foreach (int t in VT[a].ToArray())
        {
            int i = 3 * t;
            SetTriangle(t, T[i] == a ? b : T[i], T[i + 1] == a ? b : T[i + 1], T[i + 2] == a ? b : T[i + 2]);
        }
        P[3 * b] = x; P[3 * b + 1] = y; P[3 * b + 2] = z;
    }

    public TriangleMesh ToMesh() => MeshGeometry.Compact(P, VertexCount, T);
}
