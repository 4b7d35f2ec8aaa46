using ShapeStudy.Core;

namespace ShapeStudy.Physics.Conditioning;

/// <summary>
/// Raises the smallest triangle angles of a closed surface without changing its shape much: edge flips that increase the
/// smaller minimum angle of the two triangles (the 3-D analogue of a Delaunay flip) on edges no sharper than a feature
/// angle, and tangential vertex relocation towards the ring centroid, accepted only when the smallest angle around the
/// vertex rises and no triangle normal turns by more than the feature angle. Vertices on features (an incident normal
/// more than the feature angle away from the vertex normal) stay in place.
/// </summary>
public static class MeshAngleImprovement
{
    /// <summary>
    /// Runs <paramref name="rounds"/> rounds of: sliver removal (a triangle with an angle below 20° loses its shortest
    /// edge by a collapse when that edge is under half the next one, or its longest edge by a flip when it is a cap with
    /// an angle above 120°; each only when the smallest angle around it rises, the link condition holds and no normal
    /// turns beyond the feature angle; a valence-3 vertex is dissolved, its three triangles becoming one, when that raises
    /// the smallest angle and the new triangle lies within the feature angle of the old ones),
    /// <see cref="FlipEdges(TriangleMesh, double)"/> and
    /// <see cref="Relocate(TriangleMesh, double)"/>. Topology (genus, components) is unchanged; sliver collapses remove
    /// vertices.
    /// </summary>
    public static TriangleMesh Improve(TriangleMesh mesh, int rounds = 4, double featureAngleDeg = 30)
    {
        var wm = new WorkingMesh(mesh);
        for (int r = 0; r < rounds; r++)
        {
            int collapses = CollapseSlivers(wm, featureAngleDeg) + RemoveValenceThree(wm, featureAngleDeg);
            int flips = FlipSweeps(wm, featureAngleDeg);
            int moves = RelocateSweep(wm, featureAngleDeg);
            if (collapses == 0 && flips == 0 && moves == 0) break;
        }
        return wm.ToMesh();
    }

    /// <summary>Edge-flip sweeps until no flip raises the minimum angle (at most 10 sweeps).</summary>
    public static TriangleMesh FlipEdges(TriangleMesh mesh, double featureAngleDeg = 30)
    {
        var wm = new WorkingMesh(mesh);
        FlipSweeps(wm, featureAngleDeg);
        return wm.ToMesh();
    }

    /// <summary>Three Gauss–Seidel sweeps of tangential vertex relocation.</summary>
    public static TriangleMesh Relocate(TriangleMesh mesh, double featureAngleDeg = 30)
    {
        var wm = new WorkingMesh(mesh);
        for (int s = 0; s < 3; s++) if (RelocateSweep(wm, featureAngleDeg) == 0) break;
        return wm.ToMesh();
    }

    internal static int CollapseSlivers(WorkingMesh wm, double featureAngleDeg, double sliverAngleDeg = 20)
    {
        double cosFeature = Math.Cos(featureAngleDeg * Math.PI / 180);
        var p = wm.P;
        var ringA = new List<int>();
        var ringB = new List<int>();
        Span<int> pair = stackalloc int[3];
        Span<double> len = stackalloc double[3];
        int changes = 0;
        for (int f = 0; f < wm.TriangleSlots; f++)
        {
            if (!wm.Alive(f)) continue;
            int i = 3 * f;
            if (MeshGeometry.MinAngleDeg(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]) >= sliverAngleDeg) continue;
            for (int k = 0; k < 3; k++) len[k] = Math.Sqrt(MeshGeometry.Dist2(p, wm.T[i + k], wm.T[i + (k + 1) % 3]));
            int s = 0, l = 0;
            for (int k = 1; k < 3; k++) { if (len[k] < len[s]) s = k; if (len[k] > len[l]) l = k; }
            int mid = 3 - s - l;
            if (len[s] < 0.5 * len[mid])
            {
                int a = wm.T[i + s], b = wm.T[i + (s + 1) % 3];
                if (!wm.CanCollapseTopologically(a, b, ringA, ringB, out int t1, out int t2)) continue;
                double x = 0.5 * (p[3 * a] + p[3 * b]), y = 0.5 * (p[3 * a + 1] + p[3 * b + 1]), z = 0.5 * (p[3 * a + 2] + p[3 * b + 2]);
                double before = 180, after = 180;
                bool ok = true;
                foreach (int v in new[] { a, b })
                    foreach (int t in wm.VT[v])
                    {
                        before = Math.Min(before, MeshGeometry.MinAngleDeg(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
                        if (t == t1 || t == t2) continue;
                        after = Math.Min(after, wm.MinAngleWith(t, v, x, y, z));
                        var old = Unit(MeshGeometry.Normal(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
                        var moved = Unit(wm.NormalWith(t, v, x, y, z));
                        if (Dot(moved, moved) == 0 || (Dot(old, old) > 0 && Dot(old, moved) < cosFeature)) ok = false;
                    }
                if (!ok || after <= before) continue;
                wm.Collapse(a, b, t1, t2, x, y, z);
                changes++;
            }
            else if (MaxAngleDeg(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]) > 120)
            {
                int a = wm.T[i + l], b = wm.T[i + (l + 1) % 3], c = wm.T[i + (l + 2) % 3];
                if (wm.EdgeTriangles(a, b, pair) != 2 || wm.VT[a].Count <= 3 || wm.VT[b].Count <= 3) continue;
                int g = pair[0] == f ? pair[1] : pair[0];
                var (d, forward) = wm.Opposite(g, a, b);
                if (forward || d == c || wm.HasEdge(c, d)) continue;
                double before = Math.Min(MeshGeometry.MinAngleDeg(p, a, b, c), MeshGeometry.MinAngleDeg(p, b, a, d));
                double after = Math.Min(MeshGeometry.MinAngleDeg(p, a, d, c), MeshGeometry.MinAngleDeg(p, d, b, c));
                if (after <= before) continue;
                var n2 = Unit(MeshGeometry.Normal(p, b, a, d));
                var n3 = Unit(MeshGeometry.Normal(p, a, d, c));
                var n4 = Unit(MeshGeometry.Normal(p, d, b, c));
                // The cap is nearly flat, so the flip must keep the new triangles close to the neighbour's plane.
                if (Dot(n3, n2) < cosFeature || Dot(n4, n2) < cosFeature) continue;
                wm.SetTriangle(f, a, d, c);
                wm.SetTriangle(g, d, b, c);
                changes++;
            }
        }
        return changes;
    }

    internal static int RemoveValenceThree(WorkingMesh wm, double featureAngleDeg)
    {
        double cosFeature = Math.Cos(featureAngleDeg * Math.PI / 180);
        var p = wm.P;
        int removed = 0;
        Span<int> ring = stackalloc int[3];
        for (int v = 0; v < wm.VertexCount; v++)
        {
            var tris = wm.VT[v];
            if (tris.Count != 3) continue;
            // Ring in fan order: in each triangle (v, x, y) the edge x → y; chain them.
            int t0 = tris[0];
            var (x0, y0) = AfterVertex(wm, t0, v);
            ring[0] = x0; ring[1] = y0;
            int third = -1;
            foreach (int t in tris)
            {
                var (x, y) = AfterVertex(wm, t, v);
                if (x == y0) third = y;
            }
            if (third < 0 || third == x0 || third == y0) continue;
            ring[2] = third;
            if (wm.VT[ring[0]].Count <= 3 || wm.VT[ring[1]].Count <= 3 || wm.VT[ring[2]].Count <= 3) continue;
            // The triangle (a, b, c) must not exist already (that would close a tetrahedron-like pocket).
            bool exists = false;
            foreach (int t in wm.VT[ring[0]])
            {
                int i = 3 * t;
                if (wm.T[i] != v && wm.T[i + 1] != v && wm.T[i + 2] != v
                    && (wm.T[i] == ring[1] || wm.T[i + 1] == ring[1] || wm.T[i + 2] == ring[1])
                    && (wm.T[i] == ring[2] || wm.T[i + 1] == ring[2] || wm.T[i + 2] == ring[2])) exists = true;
            }
            if (exists) continue;
            double before = 180;
            var n = Unit(MeshGeometry.Normal(p, ring[0], ring[1], ring[2]));
            if (Dot(n, n) == 0) continue;
            bool ok = true;
            foreach (int t in tris)
            {
                int i = 3 * t;
                before = Math.Min(before, MeshGeometry.MinAngleDeg(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]));
                var old = Unit(MeshGeometry.Normal(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]));
                if (Dot(old, old) > 0 && Dot(old, n) < cosFeature) ok = false;
            }
            if (!ok || MeshGeometry.MinAngleDeg(p, ring[0], ring[1], ring[2]) <= before) continue;
            int keep = tris[0], drop1 = tris[1], drop2 = tris[2];
            wm.RemoveTriangle(drop1);
            wm.RemoveTriangle(drop2);
            wm.SetTriangle(keep, ring[0], ring[1], ring[2]);
            removed++;
        }
        return removed;
    }

    private static (int X, int Y) AfterVertex(WorkingMesh wm, int t, int v)
    {
        int i = 3 * t;
        int k = wm.T[i] == v ? 0 : wm.T[i + 1] == v ? 1 : 2;
        return (wm.T[i + (k + 1) % 3], wm.T[i + (k + 2) % 3]);
    }

    private static double MaxAngleDeg(double[] p, int a, int b, int c)
    {
        double ab = Math.Sqrt(MeshGeometry.Dist2(p, a, b)), bc = Math.Sqrt(MeshGeometry.Dist2(p, b, c)), ca = Math.Sqrt(MeshGeometry.Dist2(p, c, a));
        double l = Math.Max(ab, Math.Max(bc, ca));
        double q = l == ab ? bc : ab, r = l == ca ? bc : ca;
        if (l == bc) { q = ab; r = ca; }
        if (!(q > 0) || !(r > 0)) return 180;
        return Math.Acos(Math.Clamp((q * q + r * r - l * l) / (2 * q * r), -1, 1)) * 180 / Math.PI;
    }

    internal static int FlipSweeps(WorkingMesh wm, double featureAngleDeg)
    {
        double cosFeature = Math.Cos(featureAngleDeg * Math.PI / 180);
        var p = wm.P;
        Span<int> pair = stackalloc int[3];
        int total = 0;
        for (int sweep = 0; sweep < 10; sweep++)
        {
            int flips = 0;
            for (int t = 0; t < wm.TriangleSlots; t++)
            {
                for (int k = 0; k < 3; k++)
                {
                    if (!wm.Alive(t)) break;
                    int a = wm.T[3 * t + k], b = wm.T[3 * t + (k + 1) % 3];
                    if (a > b) continue;
                    if (wm.EdgeTriangles(a, b, pair) != 2) continue;
                    int t1 = pair[0], t2 = pair[1];
                    var (c, fwd1) = wm.Opposite(t1, a, b);
                    var (d, fwd2) = wm.Opposite(t2, a, b);
                    if (fwd1 == fwd2 || c == d) continue;
                    if (!fwd1) { (t1, t2) = (t2, t1); (c, d) = (d, c); }   // t1 traverses a → b, c opposite in t1
                    if (wm.VT[a].Count <= 3 || wm.VT[b].Count <= 3 || wm.HasEdge(c, d)) continue;
                    double before = Math.Min(MeshGeometry.MinAngleDeg(p, a, b, c), MeshGeometry.MinAngleDeg(p, b, a, d));
                    double after = Math.Min(MeshGeometry.MinAngleDeg(p, a, d, c), MeshGeometry.MinAngleDeg(p, d, b, c));
                    if (after <= before + 1e-6) continue;
                    var n1 = Unit(MeshGeometry.Normal(p, a, b, c));
                    var n2 = Unit(MeshGeometry.Normal(p, b, a, d));
                    if (Dot(n1, n2) < cosFeature) continue;
                    var n3 = Unit(MeshGeometry.Normal(p, a, d, c));
                    var n4 = Unit(MeshGeometry.Normal(p, d, b, c));
                    if (Dot(n3, n4) < cosFeature) continue;
                    var avg = Unit((n1.X + n2.X, n1.Y + n2.Y, n1.Z + n2.Z));
                    if (Dot(n3, avg) < cosFeature || Dot(n4, avg) < cosFeature) continue;
                    // Flip: (a, b, c) + (b, a, d) → (a, d, c) + (d, b, c).
                    wm.SetTriangle(t1, a, d, c);
                    wm.SetTriangle(t2, d, b, c);
                    flips++;
                }
            }
            total += flips;
            if (flips == 0) break;
        }
        return total;
    }

    internal static int RelocateSweep(WorkingMesh wm, double featureAngleDeg)
    {
        double cosFeature = Math.Cos(featureAngleDeg * Math.PI / 180);
        var p = wm.P;
        int moves = 0;
        for (int v = 0; v < wm.VertexCount; v++)
        {
            var tris = wm.VT[v];
            if (tris.Count < 3) continue;
            // Vertex normal and feature test.
            double nx = 0, ny = 0, nz = 0, cx = 0, cy = 0, cz = 0, wsum = 0;
            foreach (int t in tris)
            {
                int i = 3 * t;
                var (fx, fy, fz) = MeshGeometry.Normal(p, wm.T[i], wm.T[i + 1], wm.T[i + 2]);
                nx += fx; ny += fy; nz += fz;
                double area = MeshGeometry.Len(fx, fy, fz);
                for (int k = 0; k < 3; k++)
                {
                    int w = 3 * wm.T[i + k];
                    cx += area * p[w] / 3; cy += area * p[w + 1] / 3; cz += area * p[w + 2] / 3;
                }
                wsum += area;
            }
            double nl = MeshGeometry.Len(nx, ny, nz);
            if (!(nl > 0) || !(wsum > 0)) continue;
            nx /= nl; ny /= nl; nz /= nl;
            bool feature = false;
            foreach (int t in tris)
            {
                var f = Unit(MeshGeometry.Normal(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
                if (f.X * nx + f.Y * ny + f.Z * nz < cosFeature) { feature = true; break; }
            }
            if (feature) continue;
            cx /= wsum; cy /= wsum; cz /= wsum;
            int o = 3 * v;
            double dx = cx - p[o], dy = cy - p[o + 1], dz = cz - p[o + 2];
            double dn = dx * nx + dy * ny + dz * nz;
            dx -= dn * nx; dy -= dn * ny; dz -= dn * nz;
            double before = 180;
            foreach (int t in tris) before = Math.Min(before, MeshGeometry.MinAngleDeg(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
            for (double step = 1; step >= 0.25; step *= 0.5)
            {
                double x = p[o] + step * dx, y = p[o + 1] + step * dy, z = p[o + 2] + step * dz;
                double after = 180;
                bool ok = true;
                foreach (int t in tris)
                {
                    var old = Unit(MeshGeometry.Normal(p, wm.T[3 * t], wm.T[3 * t + 1], wm.T[3 * t + 2]));
                    var moved = Unit(wm.NormalWith(t, v, x, y, z));
                    if (Dot(old, moved) < cosFeature) { ok = false; break; }
                    after = Math.Min(after, wm.MinAngleWith(t, v, x, y, z));
                }
                if (ok && after > before + 1e-6)
                {
                    p[o] = x; p[o + 1] = y; p[o + 2] = z;
                    moves++;
                    break;
                }
            }
        }
        return moves;
    }

    private static (double X, double Y, double Z) Unit((double X, double Y, double Z) v)
    {
        double l = MeshGeometry.Len(v.X, v.Y, v.Z);
        return l > 0 ? (v.X / l, v.Y / l, v.Z / l) : (0, 0, 0);
    }

    private static double Dot((double X, double Y, double Z) a, (double X, double Y, double Z) b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
}
