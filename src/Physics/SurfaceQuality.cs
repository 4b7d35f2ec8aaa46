using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;

namespace ShapeStudy.Physics;

/// <summary>
/// Quality and topology figures of one triangle surface mesh. Lengths in µm, areas µm², volumes µm³, angles degrees.
/// The aspect ratio of a triangle is circumradius / (2 · inradius): 1 for an equilateral triangle, growing without bound
/// as the triangle degenerates; triangles whose ratio exceeds 10⁶ (or is undefined) are counted in
/// <see cref="DegenerateTriangles"/> and left out of the aspect statistics (their angles are still counted).
/// </summary>
/// <param name="Vertices">Vertices referenced by at least one triangle.</param>
/// <param name="Triangles">Triangle count.</param>
/// <param name="Edges">Undirected edges.</param>
/// <param name="Components">Connected components (triangles connected through shared vertices).</param>
/// <param name="BoundaryEdges">Edges used by exactly one triangle.</param>
/// <param name="BoundaryLoops">Connected chains of boundary edges (holes).</param>
/// <param name="NonManifoldEdges">Edges used by more than two triangles.</param>
/// <param name="NonManifoldVertices">Vertices whose triangles form more than one fan (edge-connected around the vertex).</param>
/// <param name="MisorientedEdges">Two-triangle edges traversed in the same direction by both triangles.</param>
/// <param name="DegenerateTriangles">Triangles of (near) zero area: aspect ratio above 10⁶ or undefined.</param>
/// <param name="Watertight">Closed, every edge shared by exactly two triangles, consistently oriented.</param>
/// <param name="Manifold">No non-manifold edges and no non-manifold vertices.</param>
/// <param name="ConsistentlyOriented">No misoriented edges.</param>
/// <param name="Outward">Consistently oriented, and every component oriented by its nesting: outer shells enclose a positive signed volume, the boundary of a cavity (a component inside another) a negative one.</param>
/// <param name="EulerCharacteristic">V − E + F.</param>
/// <param name="Genus">Total genus Σ g over components, from χ = 2C − 2g − (boundary loops); −1 when not manifold.</param>
/// <param name="SelfIntersections">Intersecting pairs of non-adjacent triangles (see <see cref="SelfIntersection"/>).</param>
/// <param name="AreaUm2">Surface area, µm².</param>
/// <param name="VolumeUm3">Signed enclosed volume, µm³ (positive for outward closed surfaces).</param>
/// <param name="MinAngleDeg">Smallest triangle angle, degrees.</param>
/// <param name="MaxAngleDeg">Largest triangle angle, degrees.</param>
/// <param name="MeanMinAngleDeg">Mean over triangles of each triangle's smallest angle, degrees (60 for equilateral).</param>
/// <param name="AngleHistogram">Counts of all 3·M triangle angles in 18 bins of 10° ([0°, 10°), …, [170°, 180°]).</param>
/// <param name="MinAspectRatio">Smallest circumradius / (2 · inradius).</param>
/// <param name="MeanAspectRatio">Mean circumradius / (2 · inradius).</param>
/// <param name="MaxAspectRatio">Largest circumradius / (2 · inradius) among non-degenerate triangles.</param>
/// <param name="MinEdgeUm">Shortest edge, µm.</param>
/// <param name="MeanEdgeUm">Mean undirected edge length, µm.</param>
/// <param name="MaxEdgeUm">Longest edge, µm.</param>
public sealed record MeshQualityReport(
    int Vertices, int Triangles, int Edges, int Components,
    int BoundaryEdges, int BoundaryLoops, int NonManifoldEdges, int NonManifoldVertices, int MisorientedEdges, int DegenerateTriangles,
    bool Watertight, bool Manifold, bool ConsistentlyOriented, bool Outward,
    int EulerCharacteristic, int Genus, int SelfIntersections,
    double AreaUm2, double VolumeUm3,
    double MinAngleDeg, double MaxAngleDeg, double MeanMinAngleDeg, int[] AngleHistogram,
    double MinAspectRatio, double MeanAspectRatio, double MaxAspectRatio,
    double MinEdgeUm, double MeanEdgeUm, double MaxEdgeUm)
{
    /// <summary>Width of one <see cref="AngleHistogram"/> bin, degrees.</summary>
    public const double AngleBinDeg = 10;

    /// <summary>
    /// The report as ordered (snake_case column name, value) pairs for a table row; the histogram becomes
    /// <c>angle_hist_00 … angle_hist_17</c> (bin k counts angles in [10k°, 10k + 10°)).
    /// </summary>
    public IReadOnlyList<(string Name, object Value)> ToColumns()
    {
        var c = new List<(string, object)>
        {
            ("vertices", Vertices), ("triangles", Triangles), ("edges", Edges), ("components", Components),
            ("boundary_edges", BoundaryEdges), ("boundary_loops", BoundaryLoops), ("non_manifold_edges", NonManifoldEdges),
            ("non_manifold_vertices", NonManifoldVertices), ("misoriented_edges", MisorientedEdges),
            ("degenerate_triangles", DegenerateTriangles), ("watertight", Watertight), ("manifold", Manifold),
            ("consistently_oriented", ConsistentlyOriented), ("outward", Outward), ("euler_characteristic", EulerCharacteristic),
            ("genus", Genus), ("self_intersections", SelfIntersections), ("area_um2", AreaUm2), ("volume_um3", VolumeUm3),
            ("min_angle_deg", MinAngleDeg), ("max_angle_deg", MaxAngleDeg), ("mean_min_angle_deg", MeanMinAngleDeg),
            ("min_aspect_ratio", MinAspectRatio), ("mean_aspect_ratio", MeanAspectRatio), ("max_aspect_ratio", MaxAspectRatio),
            ("min_edge_um", MinEdgeUm), ("mean_edge_um", MeanEdgeUm), ("max_edge_um", MaxEdgeUm),
        };
        for (int k = 0; k < AngleHistogram.Length; k++) c.Add(($"angle_hist_{k:00}", AngleHistogram[k]));
        return c;
    }
}

/// <summary>Measures <see cref="MeshQualityReport"/> for a triangle mesh (any input: open, non-manifold or inconsistent).</summary>
public static class SurfaceQuality
{
    /// <summary>Number of 10° bins of the angle histogram.</summary>
    public const int AngleBins = 18;

    /// <summary>Topology, angle, aspect-ratio, edge-length, self-intersection, area and volume figures of <paramref name="mesh"/>.</summary>
    public static MeshQualityReport Measure(TriangleMesh mesh)
    {
        var p = mesh.Vertices;
        var t = mesh.Triangles;
        int m = mesh.TriangleCount, nv = mesh.VertexCount;
        var topo = Topology(t, nv);

        // Angles and aspect ratios.
        var hist = new int[AngleBins];
        double minAngle = m > 0 ? 180 : 0, maxAngle = 0, minAngleSum = 0;
        double minAspect = double.MaxValue, maxAspect = 0, aspectSum = 0;
        int aspectCount = 0, degenerate = 0;
        Span<double> ang = stackalloc double[3];
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = 3 * t[i], b = 3 * t[i + 1], c = 3 * t[i + 2];
            double la = Dist(p, b, c), lb = Dist(p, c, a), lc = Dist(p, a, b); // side opposite each corner
            ang[0] = Angle(lb, lc, la); ang[1] = Angle(lc, la, lb); ang[2] = Angle(la, lb, lc);
            double triMin = 180;
            foreach (var x in ang)
            {
                int bin = Math.Clamp((int)(x / MeshQualityReport.AngleBinDeg), 0, AngleBins - 1);
                hist[bin]++;
                minAngle = Math.Min(minAngle, x); maxAngle = Math.Max(maxAngle, x);
                triMin = Math.Min(triMin, x);
            }
            minAngleSum += triMin;
            double s = 0.5 * (la + lb + lc);
            double den = 8 * (s - la) * (s - lb) * (s - lc);
            double aspect = den > 0 ? la * lb * lc / den : double.PositiveInfinity;
            if (!(aspect <= 1e6)) { degenerate++; continue; }
            minAspect = Math.Min(minAspect, aspect); maxAspect = Math.Max(maxAspect, aspect);
            aspectSum += aspect; aspectCount++;
        }

        // Edge lengths over unique edges.
        double minEdge = double.MaxValue, maxEdge = 0, edgeSum = 0;
        foreach (long key in topo.EdgeKeys)
        {
            var (a, b) = MeshGeometry.FromKey(key);
            double l = Math.Sqrt(MeshGeometry.Dist2(p, a, b));
            minEdge = Math.Min(minEdge, l); maxEdge = Math.Max(maxEdge, l); edgeSum += l;
        }
        int edges = topo.EdgeKeys.Length;

        // Components, per-component signed volume, Euler characteristic and genus.
        var (label, components) = MeshComponents.Label(mesh);
        var compVolume = new double[components];
        for (int i = 0; i < m; i++)
        {
            int a = 3 * t[3 * i], b = 3 * t[3 * i + 1], c = 3 * t[3 * i + 2];
            compVolume[label[i]] += (p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
                                   - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
                                   + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c])) / 6;
        }
        double volume = 0;
        foreach (var v in compVolume) volume += v;
        bool positive = components > 0 && NestingConsistent(mesh, label, compVolume);
        int euler = topo.UsedVertices - edges + m;
        bool manifold = topo.NonManifoldEdges == 0 && topo.NonManifoldVertices == 0;
        int genus = manifold ? (2 * components - euler - topo.BoundaryLoops) / 2 : -1;
        bool consistent = topo.Misoriented == 0;
        bool watertight = m > 0 && topo.Boundary == 0 && topo.NonManifoldEdges == 0 && consistent;

        return new MeshQualityReport(
            topo.UsedVertices, m, edges, components,
            topo.Boundary, topo.BoundaryLoops, topo.NonManifoldEdges, topo.NonManifoldVertices, topo.Misoriented, degenerate,
            watertight, manifold, consistent, consistent && positive,
            euler, genus, SelfIntersection.Count(mesh),
            mesh.Area(), volume,
            minAngle, maxAngle, m > 0 ? minAngleSum / m : 0, hist,
            aspectCount > 0 ? minAspect : 0, aspectCount > 0 ? aspectSum / aspectCount : 0, maxAspect,
            edges > 0 ? minEdge : 0, edges > 0 ? edgeSum / edges : 0, maxEdge);
    }

    /// <summary>
    /// True when every component's orientation matches its nesting: a component with positive volume is an outer
    /// shell, one with negative volume must lie inside another component (the boundary of a cavity, normals pointing
    /// into the cavity), decided by the generalized winding number of one of its vertices with respect to the other
    /// components (≥ ½ inside).
    /// </summary>
    private static bool NestingConsistent(TriangleMesh mesh, int[] triangleComponent, double[] componentVolume)
    {
        var p = mesh.Vertices;
        var t = mesh.Triangles;
        for (int c = 0; c < componentVolume.Length; c++)
        {
            if (componentVolume[c] > 0) continue;
            if (!(componentVolume[c] < 0)) return false;
            int first = Array.IndexOf(triangleComponent, c);
            int q = 3 * t[3 * first];
            double x = p[q], y = p[q + 1], z = p[q + 2], solid = 0;
            for (int i = 0; i < triangleComponent.Length; i++)
            {
                if (triangleComponent[i] == c) continue;
                int a = 3 * t[3 * i], b = 3 * t[3 * i + 1], d = 3 * t[3 * i + 2];
                solid += SolidAngle(p[a] - x, p[a + 1] - y, p[a + 2] - z, p[b] - x, p[b + 1] - y, p[b + 2] - z, p[d] - x, p[d + 1] - y, p[d + 2] - z);
            }
            if (solid / (4 * Math.PI) < 0.5) return false;
        }
        return true;
    }

    /// <summary>Signed solid angle of triangle (a, b, c) seen from the origin (Van Oosterom &amp; Strackee 1983).</summary>
    private static double SolidAngle(double ax, double ay, double az, double bx, double by, double bz, double cx, double cy, double cz)
    {
        double la = Math.Sqrt(ax * ax + ay * ay + az * az), lb = Math.Sqrt(bx * bx + by * by + bz * bz), lc = Math.Sqrt(cx * cx + cy * cy + cz * cz);
        double det = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
        double den = la * lb * lc + (ax * bx + ay * by + az * bz) * lc + (ax * cx + ay * cy + az * cz) * lb + (bx * cx + by * cy + bz * cz) * la;
        return 2 * Math.Atan2(det, den);
    }

    internal readonly record struct TopologyCounts(long[] EdgeKeys, int UsedVertices, int Boundary, int NonManifoldEdges,
        int Misoriented, int NonManifoldVertices, int BoundaryLoops);

    /// <summary>Edge and vertex topology by sorting the 3M directed edges (with their triangle corners).</summary>
    internal static TopologyCounts Topology(int[] t, int nv)
    {
        int n = t.Length;
        var keys = new long[n];
        var corner = new int[n];
        for (int i = 0; i < n; i += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = t[i + k], b = t[i + (k + 1) % 3];
                keys[i + k] = MeshGeometry.EdgeKey(a, b) << 1 | (a < b ? 0L : 1L);
                corner[i + k] = i + k;
            }
        // EdgeKey keeps lo below bit 63, so the shifted key loses nothing; decode with the logical shift >>>.
        Array.Sort(keys, corner);
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int a)
        {
            while (parent[a] != a) { parent[a] = parent[parent[a]]; a = parent[a]; }
            return a;
        }
        void Union(int a, int b) { a = Find(a); b = Find(b); if (a != b) parent[b] = a; }

        var edgeKeys = new List<long>(n / 2 + 1);
        var boundaryParent = new Dictionary<int, int>();
        int FindB(int a)
        {
            while (boundaryParent[a] != a) { boundaryParent[a] = boundaryParent[boundaryParent[a]]; a = boundaryParent[a]; }
            return a;
        }
        int boundary = 0, nonManifold = 0, misoriented = 0;
        for (int i = 0; i < n;)
        {
            int j = i, fwd = 0, rev = 0;
            while (j < n && keys[j] >>> 1 == keys[i] >>> 1) { if ((keys[j] & 1) == 0) fwd++; else rev++; j++; }
            long key = keys[i] >>> 1;
            edgeKeys.Add(key);
            int uses = fwd + rev;
            var (lo, hi) = MeshGeometry.FromKey(key);
            if (uses == 1)
            {
                boundary++;
                boundaryParent.TryAdd(lo, lo); boundaryParent.TryAdd(hi, hi);
                int ra = FindB(lo), rb = FindB(hi);
                if (ra != rb) boundaryParent[rb] = ra;
            }
            else if (uses > 2) nonManifold++;
            else
            {
                if (fwd != 1 || rev != 1) misoriented++;
                // Link the two corners at lo and the two corners at hi (fans around each end vertex).
                int c0 = corner[i], c1 = corner[i + 1];
                int t0 = c0 - c0 % 3, t1 = c1 - c1 % 3;
                Union(CornerOf(t, t0, lo), CornerOf(t, t1, lo));
                Union(CornerOf(t, t0, hi), CornerOf(t, t1, hi));
            }
            i = j;
        }
        // Fans per vertex: distinct corner roots.
        var firstRoot = new int[nv];
        Array.Fill(firstRoot, -1);
        var nonManifoldVertex = new bool[nv];
        int used = 0, nmv = 0;
        for (int c = 0; c < n; c++)
        {
            int v = t[c], r = Find(c);
            if (firstRoot[v] < 0) { firstRoot[v] = r; used++; }
            else if (firstRoot[v] != r && !nonManifoldVertex[v]) { nonManifoldVertex[v] = true; nmv++; }
        }
        int loops = 0;
        foreach (var (v, par) in boundaryParent) if (v == par) loops++;
        return new TopologyCounts(edgeKeys.ToArray(), used, boundary, nonManifold, misoriented, nmv, loops);
    }

    private static int CornerOf(int[] t, int triStart, int v) =>
        t[triStart] == v ? triStart : t[triStart + 1] == v ? triStart + 1 : triStart + 2;

    /// <summary>Angle (degrees) between sides p and q, opposite side <paramref name="opposite"/>; 0 for a degenerate corner.</summary>
    private static double Angle(double p, double q, double opposite)
    {
        if (p <= 0 || q <= 0) return 0;
        double cos = Math.Clamp((p * p + q * q - opposite * opposite) / (2 * p * q), -1, 1);
        return Math.Acos(cos) * 180 / Math.PI;
    }

    private static double Dist(double[] v, int a, int b)
    {
        double dx = v[a] - v[b], dy = v[a + 1] - v[b + 1], dz = v[a + 2] - v[b + 2];
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }
}
