using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>
/// Quadric-error-metric edge-collapse decimation (Garland &amp; Heckbert 1997) towards a target edge length, preserving
/// topology: every collapse passes the link condition, keeps the two opposite vertices at valence ≥ 3, flips no triangle
/// normal by more than a set angle, creates no edge longer than 1.5 × the target and no triangle sharper than the
/// sharper of 10° and the patch's previous smallest angle.
/// </summary>
public static class MeshDecimation
{
    /// <summary>
    /// Collapses edges shorter than <paramref name="targetEdgeUm"/> (µm) in order of increasing quadric error, the merged
    /// vertex placed at the quadric's minimiser (or the best of the two ends and the midpoint when the quadric is singular),
    /// until no short edge can be collapsed. Expects a closed, 2-manifold, consistently oriented mesh; boundary and
    /// non-manifold edges are never collapsed.
    /// </summary>
    /// <param name="mesh">Input surface, µm.</param>
    /// <param name="targetEdgeUm">Target edge length, µm (&gt; 0).</param>
    /// <param name="maxNormalChangeDeg">Largest rotation of any affected triangle's normal a collapse may cause, degrees.</param>
    public static TriangleMesh Decimate(TriangleMesh mesh, double targetEdgeUm, double maxNormalChangeDeg = 45)
    {
        if (!(targetEdgeUm > 0) || !double.IsFinite(targetEdgeUm)) throw new ArgumentOutOfRangeException(nameof(targetEdgeUm), "target edge length must be a positive number of µm");
        var wm = new WorkingMesh(mesh);
        int nv = wm.VertexCount;
        var p = wm.P;
        var q = new double[10 * nv];
        Span<double> k = stackalloc double[10];
        for (int f = 0; f < wm.TriangleSlots; f++)
        {
            int a = wm.T[3 * f], b = wm.T[3 * f + 1], c = wm.T[3 * f + 2];
            var (nx, ny, nz) = MeshGeometry.Normal(p, a, b, c);
            double l = MeshGeometry.Len(nx, ny, nz);
            if (!(l > 0)) continue;
            double area = 0.5 * l;
            nx /= l; ny /= l; nz /= l;
            double d = -(nx * p[3 * a] + ny * p[3 * a + 1] + nz * p[3 * a + 2]);
            k[0] = nx * nx; k[1] = nx * ny; k[2] = nx * nz; k[3] = nx * d; k[4] = ny * ny;
            k[5] = ny * nz; k[6] = ny * d; k[7] = nz * nz; k[8] = nz * d; k[9] = d * d;
            for (int i = 0; i < 10; i++) { q[10 * a + i] += area * k[i]; q[10 * b + i] += area * k[i]; q[10 * c + i] += area * k[i]; }
        }
        var stamp = new int[nv];
        var dead = new bool[nv];
        var queue = new PriorityQueue<(int A, int B, int StampA, int StampB), double>();
        double target2 = targetEdgeUm * targetEdgeUm;
        double maxEdge2 = 2.25 * target2;
        double cosMax = Math.Cos(maxNormalChangeDeg * Math.PI / 180);

        void Push(int a, int b)
        {
            if (MeshGeometry.Dist2(p, a, b) >= target2) return;
            var (_, _, _, cost) = Placement(q, p, a, b);
            queue.Enqueue((a, b, stamp[a], stamp[b]), cost);
        }

        for (int f = 0; f < wm.TriangleSlots; f++)
            for (int j = 0; j < 3; j++)
            {
                int a = wm.T[3 * f + j], b = wm.T[3 * f + (j + 1) % 3];
                if (a < b) Push(a, b);
            }

        var ringA = new List<int>();
        var ringB = new List<int>();
        while (queue.TryDequeue(out var e, out _))
        {
            int a = e.A, b = e.B;
            if (dead[a] || dead[b] || stamp[a] != e.StampA || stamp[b] != e.StampB) continue;
            if (!wm.CanCollapseTopologically(a, b, ringA, ringB, out int t1, out int t2)) continue;
            var (x, y, z, _) = Placement(q, p, a, b);
            if (!CanCollapse(wm, a, b, t1, t2, x, y, z, cosMax, maxEdge2, ringA, ringB)) continue;
            wm.Collapse(a, b, t1, t2, x, y, z);
            for (int i = 0; i < 10; i++) q[10 * b + i] += q[10 * a + i];
            dead[a] = true;
            stamp[a]++; stamp[b]++;
            wm.Ring(b, ringB);
            foreach (int w in ringB) Push(Math.Min(b, w), Math.Max(b, w));
        }
        return wm.ToMesh();
    }

    private static bool CanCollapse(WorkingMesh wm, int a, int b, int t1, int t2, double x, double y, double z,
        double cosMax, double maxEdge2, List<int> ringA, List<int> ringB)
    {
        // The rings were filled by CanCollapseTopologically.
        var p = wm.P;
        foreach (int w in ringA)
            if (w != b && Dist2To(p, w, x, y, z) > maxEdge2) return false;
        foreach (int w in ringB)
            if (w != a && Dist2To(p, w, x, y, z) > maxEdge2) return false;
        double oldMin = 180;
        foreach (int t in wm.VT[a]) oldMin = Math.Min(oldMin, MeshGeometry.MinAngleDeg(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
        foreach (int t in wm.VT[b]) oldMin = Math.Min(oldMin, MeshGeometry.MinAngleDeg(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
        double floor = Math.Min(oldMin, 10);
        return Acceptable(wm, a, b, t1, t2, x, y, z, cosMax, floor) && Acceptable(wm, b, a, t1, t2, x, y, z, cosMax, floor);
    }

    /// <summary>Checks every triangle of <paramref name="moved"/> that survives the collapse, with moved at (x, y, z).</summary>
    private static bool Acceptable(WorkingMesh wm, int moved, int other, int t1, int t2, double x, double y, double z, double cosMax, double floor)
    {
        var p = wm.P;
        foreach (int t in wm.VT[moved])
        {
            if (t == t1 || t == t2) continue;
            int i = 3 * t;
            var (ox, oy, oz) = MeshGeometry.Normal(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]);
            var (nx, ny, nz) = wm.NormalWith(t, moved, x, y, z);
            double lo = MeshGeometry.Len(ox, oy, oz), ln = MeshGeometry.Len(nx, ny, nz);
            if (!(ln > 0) || !(lo > 0)) return false;
            if ((ox * nx + oy * ny + oz * nz) < cosMax * lo * ln) return false;
            if (wm.MinAngleWith(t, moved, x, y, z) < floor) return false;
        }
        return true;
    }

    private static double Dist2To(double[] p, int w, double x, double y, double z)
    {
        double dx = p[3 * w] - x, dy = p[3 * w + 1] - y, dz = p[3 * w + 2] - z;
        return dx * dx + dy * dy + dz * dz;
    }

    /// <summary>Position minimising the summed quadric of a and b, and its cost.</summary>
    private static (double X, double Y, double Z, double Cost) Placement(double[] q, double[] p, int a, int b)
    {
        Span<double> k = stackalloc double[10];
        for (int i = 0; i < 10; i++) k[i] = q[10 * a + i] + q[10 * b + i];
        // k: aa ab ac ad bb bc bd cc cd dd
        double m00 = k[0], m01 = k[1], m02 = k[2], m11 = k[4], m12 = k[5], m22 = k[7];
        double det = m00 * (m11 * m22 - m12 * m12) - m01 * (m01 * m22 - m12 * m02) + m02 * (m01 * m12 - m11 * m02);
        double scale = m00 + m11 + m22;
        double mx = 0.5 * (p[3 * a] + p[3 * b]), my = 0.5 * (p[3 * a + 1] + p[3 * b + 1]), mz = 0.5 * (p[3 * a + 2] + p[3 * b + 2]);
        double len2 = MeshGeometry.Dist2(p, a, b);
        if (Math.Abs(det) > 1e-9 * scale * scale * scale)
        {
            double r0 = -k[3], r1 = -k[6], r2 = -k[8];
            double x = (r0 * (m11 * m22 - m12 * m12) - m01 * (r1 * m22 - m12 * r2) + m02 * (r1 * m12 - m11 * r2)) / det;
            double y = (m00 * (r1 * m22 - m12 * r2) - r0 * (m01 * m22 - m12 * m02) + m02 * (m01 * r2 - r1 * m02)) / det;
            double z = (m00 * (m11 * r2 - r1 * m12) - m01 * (m01 * r2 - r1 * m02) + r0 * (m01 * m12 - m11 * m02)) / det;
            double dx = x - mx, dy = y - my, dz = z - mz;
            if (dx * dx + dy * dy + dz * dz <= len2) return (x, y, z, Cost(k, x, y, z));
        }
        double best = double.MaxValue, bx = mx, by = my, bz = mz;
        for (int s = 0; s < 3; s++)
        {
            double x = s == 0 ? p[3 * a] : s == 1 ? p[3 * b] : mx;
            double y = s == 0 ? p[3 * a + 1] : s == 1 ? p[3 * b + 1] : my;
            double z = s == 0 ? p[3 * a + 2] : s == 1 ? p[3 * b + 2] : mz;
            double c = Cost(k, x, y, z);
            if (c < best) { best = c; bx = x; by = y; bz = z; }
        }
        return (bx, by, bz, best);
    }

    private static double Cost(ReadOnlySpan<double> k, double x, double y, double z) =>
        Math.Max(0, k[0] * x * x + 2 * k[1] * x * y + 2 * k[2] * x * z + 2 * k[3] * x
                  + k[4] * y * y + 2 * k[5] * y * z + 2 * k[6] * y + k[7] * z * z + 2 * k[8] * z + k[9]);
}
