using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tetrahedral;

/// <summary>
/// Quality and validity of a tetrahedral mesh. Angles in degrees, volume in µm³. The radius ratio of a tetrahedron is
/// 3·r_in / r_circ (1 for the regular tetrahedron, 0 for a degenerate one).
/// </summary>
/// <param name="VertexCount">Number of vertices.</param>
/// <param name="TetCount">Number of tetrahedra.</param>
/// <param name="BoundaryFaceCount">Number of listed boundary faces (exterior plus marked interfaces).</param>
/// <param name="VolumeUm3">Sum of the signed tetrahedron volumes in µm³.</param>
/// <param name="MinDihedralDeg">Smallest dihedral angle over all tetrahedra, degrees.</param>
/// <param name="MaxDihedralDeg">Largest dihedral angle over all tetrahedra, degrees.</param>
/// <param name="MinRadiusRatio">Smallest radius ratio.</param>
/// <param name="MeanRadiusRatio">Mean radius ratio.</param>
/// <param name="DihedralHistogram">Counts of the 6 dihedral angles of every tetrahedron in 18 bins of 10° (0–10°, …, 170–180°).</param>
/// <param name="NonPositiveTets">Tetrahedra with signed volume ≤ 0 (must be 0).</param>
/// <param name="OverSharedFaces">Faces shared by more than two tetrahedra (must be 0).</param>
/// <param name="ExteriorFaces">Faces that belong to exactly one tetrahedron (the solid's boundary).</param>
/// <param name="UnlistedExteriorFaces">Exterior faces missing from <see cref="TetMesh.BoundaryFaces"/> (must be 0).</param>
/// <param name="StrayBoundaryFaces">Listed boundary faces that are neither an exterior face nor an interface between two subdomains (must be 0).</param>
/// <param name="InwardBoundaryFaces">Listed exterior faces whose normal points into their tetrahedron (must be 0).</param>
/// <param name="BoundaryWatertight">True when the exterior faces form a closed, edge-manifold, consistently oriented surface.</param>
public sealed record TetQualityReport(
    int VertexCount, int TetCount, int BoundaryFaceCount, double VolumeUm3,
    double MinDihedralDeg, double MaxDihedralDeg, double MinRadiusRatio, double MeanRadiusRatio, int[] DihedralHistogram,
    int NonPositiveTets, int OverSharedFaces, int ExteriorFaces, int UnlistedExteriorFaces, int StrayBoundaryFaces,
    int InwardBoundaryFaces, bool BoundaryWatertight)
{
    /// <summary>True when every tetrahedron is positively oriented, every face is shared by one or two tetrahedra, the
    /// boundary list matches the exterior faces (plus interfaces), all exterior faces point outward and the boundary is watertight.</summary>
    public bool IsValid => NonPositiveTets == 0 && OverSharedFaces == 0 && UnlistedExteriorFaces == 0 && StrayBoundaryFaces == 0
                           && InwardBoundaryFaces == 0 && BoundaryWatertight;
}

/// <summary>Measures dihedral angles, radius ratios, volume and conformity of a <see cref="TetMesh"/>.</summary>
public static class TetMeshQuality
{
    /// <summary>Smallest and largest dihedral angle (degrees) of tetrahedron <paramref name="t"/>.</summary>
    public static (double Min, double Max) DihedralRange(TetMesh mesh, int t)
    {
        Span<double> a = stackalloc double[6];
        Dihedrals(mesh.Vertices, mesh.Tetrahedra, t, a);
        double lo = a[0], hi = a[0];
        for (int i = 1; i < 6; i++) { lo = Math.Min(lo, a[i]); hi = Math.Max(hi, a[i]); }
        return (lo, hi);
    }

    /// <summary>Full quality and conformity report.</summary>
    public static TetQualityReport Measure(TetMesh mesh)
    {
        int m = mesh.TetCount;
        var p = mesh.Vertices;
        var tets = mesh.Tetrahedra;
        var minD = new double[m];
        var maxD = new double[m];
        var rr = new double[m];
        var vol = new double[m];
        var hist = new int[18];
        object histLock = new();
        Parallel.For(0, m, () => new int[18], (t, _, local) =>
        {
            Span<double> a = stackalloc double[6];
            Dihedrals(p, tets, t, a);
            double lo = 180, hi = 0;
            for (int i = 0; i < 6; i++)
            {
                lo = Math.Min(lo, a[i]); hi = Math.Max(hi, a[i]);
                local[Math.Clamp((int)(a[i] / 10), 0, 17)]++;
            }
            minD[t] = lo; maxD[t] = hi;
            vol[t] = mesh.TetVolume(t);
            rr[t] = RadiusRatio(p, tets, t);
            return local;
        }, local => { lock (histLock) for (int i = 0; i < 18; i++) hist[i] += local[i]; });

        double minDih = m > 0 ? double.MaxValue : double.NaN, maxDih = m > 0 ? double.MinValue : double.NaN;
        double minRr = m > 0 ? double.MaxValue : double.NaN, sumRr = 0, volume = 0;
        int nonPositive = 0;
        for (int t = 0; t < m; t++)
        {
            minDih = Math.Min(minDih, minD[t]); maxDih = Math.Max(maxDih, maxD[t]);
            minRr = Math.Min(minRr, rr[t]); sumRr += rr[t];
            volume += vol[t];
            if (!(vol[t] > 0)) nonPositive++;
        }

        // Face incidence: key (sorted triple) → (count, first tet, local face index of first tet).
        var faces = new Dictionary<(int, int, int), (int Count, int Tet, int Tet2)>(2 * m + 16);
        for (int t = 0; t < m; t++)
            for (int f = 0; f < 4; f++)
            {
                var key = FaceKey(tets, t, f);
                if (faces.TryGetValue(key, out var e)) faces[key] = (e.Count + 1, e.Tet, t);
                else faces[key] = (1, t, -1);
            }
        int overShared = 0, exterior = 0;
        foreach (var e in faces.Values)
        {
            if (e.Count > 2) overShared++;
            else if (e.Count == 1) exterior++;
        }
        var bf = mesh.BoundaryFaces;
        var listed = new HashSet<(int, int, int)>();
        int stray = 0, inward = 0;
        var exteriorTris = new List<int>(3 * exterior);
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            int a = bf[3 * f], b = bf[3 * f + 1], c = bf[3 * f + 2];
            var key = Sort(a, b, c);
            listed.Add(key);
            if (!faces.TryGetValue(key, out var e)) { stray++; continue; }
            if (e.Count == 1)
            {
                exteriorTris.Add(a); exteriorTris.Add(b); exteriorTris.Add(c);
                int opposite = tets[4 * e.Tet] + tets[4 * e.Tet + 1] + tets[4 * e.Tet + 2] + tets[4 * e.Tet + 3] - a - b - c;
                if (!(Orient(p, a, b, c, opposite) < 0)) inward++;
            }
            else if (e.Count != 2 || mesh.TetRegions[e.Tet] == mesh.TetRegions[e.Tet2]) stray++;
        }
        int unlisted = 0;
        foreach (var (key, e) in faces)
            if (e.Count == 1 && !listed.Contains(key)) unlisted++;
        bool watertight = exterior > 0 && unlisted == 0 && new TriangleMesh(p, exteriorTris.ToArray()).IsWatertight();
        return new TetQualityReport(mesh.VertexCount, m, mesh.BoundaryFaceCount, volume, minDih, maxDih, minRr,
            m > 0 ? sumRr / m : double.NaN, hist, nonPositive, overShared, exterior, unlisted, stray, inward, watertight);
    }

    /// <summary>The six dihedral angles (degrees) of tetrahedron <paramref name="t"/>, written to <paramref name="angles"/>.</summary>
    internal static void Dihedrals(double[] p, int[] tets, int t, Span<double> angles)
    {
        Span<double> q = stackalloc double[12];
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 3; c++) q[3 * i + c] = p[3 * tets[4 * t + i] + c];
        Dihedrals(q, angles);
    }

    /// <summary>The six dihedral angles (degrees) of the tetrahedron with corners (x, y, z) × 4 in <paramref name="q"/>.</summary>
    internal static void Dihedrals(ReadOnlySpan<double> q, Span<double> angles)
    {
        Span<int> v = stackalloc int[4];
        for (int i = 0; i < 4; i++) v[i] = 3 * i;
        var p = q;
        Span<double> n = stackalloc double[12];
        for (int i = 0; i < 4; i++)
        {
            int a = v[(i + 1) % 4], b = v[(i + 2) % 4], c = v[(i + 3) % 4], d = v[i];
            double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            double wx = p[c] - p[a], wy = p[c + 1] - p[a + 1], wz = p[c + 2] - p[a + 2];
            double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
            // orient outward: away from the opposite vertex d
            double s = nx * (p[d] - p[a]) + ny * (p[d + 1] - p[a + 1]) + nz * (p[d + 2] - p[a + 2]);
            if (s > 0) { nx = -nx; ny = -ny; nz = -nz; }
            double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            if (len > 0) { nx /= len; ny /= len; nz /= len; }
            n[3 * i] = nx; n[3 * i + 1] = ny; n[3 * i + 2] = nz;
        }
        int k = 0;
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++)
            {
                double c = -(n[3 * i] * n[3 * j] + n[3 * i + 1] * n[3 * j + 1] + n[3 * i + 2] * n[3 * j + 2]);
                angles[k++] = Math.Acos(Math.Clamp(c, -1, 1)) * (180 / Math.PI);
            }
    }

    /// <summary>3·r_in / r_circ of tetrahedron <paramref name="t"/>.</summary>
    internal static double RadiusRatio(double[] p, int[] tets, int t)
    {
        int a = 3 * tets[4 * t], b = 3 * tets[4 * t + 1], c = 3 * tets[4 * t + 2], d = 3 * tets[4 * t + 3];
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double wx = p[d] - p[a], wy = p[d + 1] - p[a + 1], wz = p[d + 2] - p[a + 2];
        double det = ux * (vy * wz - vz * wy) - uy * (vx * wz - vz * wx) + uz * (vx * wy - vy * wx);
        double vol6 = Math.Abs(det);
        if (vol6 == 0) return 0;
        // Circumradius: |u|²(v×w) + |v|²(w×u) + |w|²(u×v) / (2 det)
        double uu = ux * ux + uy * uy + uz * uz, vv = vx * vx + vy * vy + vz * vz, ww = wx * wx + wy * wy + wz * wz;
        double vwx = vy * wz - vz * wy, vwy = vz * wx - vx * wz, vwz = vx * wy - vy * wx;
        double wux = wy * uz - wz * uy, wuy = wz * ux - wx * uz, wuz = wx * uy - wy * ux;
        double uvx = uy * vz - uz * vy, uvy = uz * vx - ux * vz, uvz = ux * vy - uy * vx;
        double cx = uu * vwx + vv * wux + ww * uvx, cy = uu * vwy + vv * wuy + ww * uvy, cz = uu * vwz + vv * wuz + ww * uvz;
        double rCirc = Math.Sqrt(cx * cx + cy * cy + cz * cz) / (2 * vol6);
        // Inradius: 3V / total face area = vol6 / (2 · area sum) ... with face areas = |cross|/2.
        double area = Norm(uvx, uvy, uvz) + Norm(vwx, vwy, vwz) + Norm(wux, wuy, wuz);
        double px = vx - ux, py = vy - uy, pz = vz - uz, qx = wx - ux, qy = wy - uy, qz = wz - uz;
        area += Norm(py * qz - pz * qy, pz * qx - px * qz, px * qy - py * qx);
        double rIn = vol6 / area; // 3V / (A_total) with V = vol6/6 and A_total = area/2
        return 3 * rIn / rCirc;
    }

    private static double Norm(double x, double y, double z) => Math.Sqrt(x * x + y * y + z * z);

    /// <summary>Six times the signed volume (µm³) of the tetrahedron (a, b, c, d) of the flat x, y, z array <paramref name="p"/>; positive when positively oriented.</summary>
    public static double Orient(double[] p, int a, int b, int c, int d)
    {
        a *= 3; b *= 3; c *= 3; d *= 3;
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double wx = p[d] - p[a], wy = p[d + 1] - p[a + 1], wz = p[d + 2] - p[a + 2];
        return ux * (vy * wz - vz * wy) - uy * (vx * wz - vz * wx) + uz * (vx * wy - vy * wx);
    }

    internal static (int, int, int) FaceKey(int[] tets, int t, int f)
    {
        int a = tets[4 * t + (f + 1) % 4], b = tets[4 * t + (f + 2) % 4], c = tets[4 * t + (f + 3) % 4];
        return Sort(a, b, c);
    }

    internal static (int, int, int) Sort(int a, int b, int c)
    {
        if (a > b) (a, b) = (b, a);
        if (b > c) (b, c) = (c, b);
        if (a > b) (a, b) = (b, a);
        return (a, b, c);
    }
}
