using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>
/// Closed, watertight isosurface extraction from a binary voxel mask.
/// </summary>
/// <remarks>
/// Every cube of eight neighbouring voxel centres is split into six tetrahedra along its (0,0,0)–(1,1,1) diagonal
/// (the Freudenthal/Kuhn split). The split is identical in every cube, so shared cube faces are divided by the same
/// diagonal and the tetrahedra form a conforming simplicial complex. The 0.5 level set of the piecewise-linear
/// interpolant on that complex is therefore a closed 2-manifold: every surface edge lies on a tetrahedron face shared by
/// exactly two tetrahedra, and the iso-value never equals a voxel value. One vertex is created per cut tetrahedral edge
/// (at its midpoint, because the data are binary) and shared by all triangles that use it; the vertices are then relaxed
/// along their own edges (see <see cref="Extract"/>), which changes positions only, never connectivity. Foreground voxels are
/// connected through the 14 lattice neighbours ±x, ±y, ±z, ±(1,1,0), ±(1,0,1), ±(0,1,1), ±(1,1,1); the same
/// neighbourhood applies to the background, which keeps the surface manifold for every configuration, including
/// voxels that only touch diagonally.
/// </remarks>
public static class MarchingCubes
{
    // Cube corners are numbered by bits: x = 1, y = 2, z = 4. A Freudenthal edge joins corners a ⊂ b (as bit sets).
    // Local edge id = a * 8 + b.
    private static readonly int[][][] CaseTriangles = BuildTables(); // [tet][inside mask 0..15] → local edge ids (3 per tri)
    private static readonly int[][] Tets = BuildTets();

    /// <summary>Default number of constrained relaxation rounds applied by <see cref="Extract"/>.</summary>
    public const int DefaultRelaxationIterations = 20;

    /// <summary>
    /// Extracts the 0.5 isosurface of <paramref name="mask"/> (non-zero = foreground; voxels outside the grid count as
    /// background, so the surface is always closed). Vertices are in µm: x = Origin.X + i·Spacing.X, and likewise for y and
    /// z, as (x, y, z). Triangles are oriented with outward normals (positive signed volume for each outer surface;
    /// the boundary of an enclosed cavity has negative signed volume, its normals pointing into the cavity).
    /// </summary>
    /// <remarks>
    /// The connectivity is that of the binary level set (vertices at cut-edge midpoints). Binary data put every vertex at a
    /// midpoint, which leaves a staircase whose area exceeds the true area by 10–30 %; unless
    /// <paramref name="relaxationIterations"/> is 0, the vertices are then relaxed along their cut edges (each vertex moved
    /// towards its one-ring's tangent plane and kept strictly inside its edge, then all shifted together along their edges
    /// so that the enclosed volume equals the voxel-count volume, foreground voxels × voxel volume). This removes most of
    /// the excess area (radius-10-voxel sphere: area within 1–2 %) without changing the connectivity, the topology or
    /// which voxel centres are enclosed; on the bundled label volumes every object of at least 1,000 voxels encloses its
    /// voxel-count volume to better than 0.1 % (the raw midpoint surface is up to 2.3 % smaller).
    /// </remarks>
    /// <param name="mask">Binary mask of shape (Z, Y, X).</param>
    /// <param name="relaxationIterations">Rounds of constrained, volume-preserving relaxation (0 = raw midpoints).</param>
    /// <returns>A watertight, edge-manifold, consistently oriented mesh; empty when the mask has no foreground.</returns>
    public static TriangleMesh Extract(Volume<byte> mask, int relaxationIterations = DefaultRelaxationIterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(relaxationIterations);
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        // Padded lattice of voxel centres: lattice index (pz, py, px) = voxel (pz - 1, py - 1, px - 1).
        int pz = nz + 2, py = ny + 2, px = nx + 2;
        int layer = py * px;
        var src = mask.Data;
        var padded = new byte[(long)pz * layer];
        long foreground = 0;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int s = (z * ny + y) * nx, d = ((z + 1) * py + (y + 1)) * px + 1;
                for (int x = 0; x < nx; x++)
                {
                    byte b = src[s + x] != 0 ? (byte)1 : (byte)0;
                    padded[d + x] = b;
                    foreground += b;
                }
            }

        var sp = mask.Spacing;
        var (oz, oy, ox) = mask.Origin;
        var verts = new List<double>(1024);
        var tris = new List<int>(2048);
        var dirs = new List<double>(1024);
        // Vertex caches for the edges starting on lattice layer k (cur) and k + 1 (next); 7 directions per point.
        var cur = new int[layer * 7];
        var next = new int[layer * 7];
        Array.Fill(cur, -1);
        Array.Fill(next, -1);
        Span<int> corner = stackalloc int[8];
        Span<byte> val = stackalloc byte[8];
        Span<int> localVertex = stackalloc int[64];

        for (int k = 0; k < pz - 1; k++)
        {
            for (int j = 0; j < py - 1; j++)
            {
                int rowBase = k * layer + j * px;
                for (int i = 0; i < px - 1; i++)
                {
                    int b = rowBase + i;
                    byte v0 = padded[b], v1 = padded[b + 1], v2 = padded[b + px], v3 = padded[b + px + 1];
                    byte v4 = padded[b + layer], v5 = padded[b + layer + 1], v6 = padded[b + layer + px], v7 = padded[b + layer + px + 1];
                    int sum = v0 + v1 + v2 + v3 + v4 + v5 + v6 + v7;
                    if (sum == 0 || sum == 8) continue;
                    val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3; val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7;
                    localVertex.Fill(-1);
                    for (int t = 0; t < 6; t++)
                    {
                        var tet = Tets[t];
                        int code = val[tet[0]] | (val[tet[1]] << 1) | (val[tet[2]] << 2) | (val[tet[3]] << 3);
                        var list = CaseTriangles[t][code];
                        for (int q = 0; q < list.Length; q++)
                        {
                            int e = list[q];
                            int vi = localVertex[e];
                            if (vi < 0)
                            {
                                int a = e >> 3, bb = e & 7, dir = (a ^ bb) - 1;
                                int ax = a & 1, ay = (a >> 1) & 1, az = (a >> 2) & 1;
                                int[] cache = az == 0 ? cur : next;
                                int slot = (((j + ay) * px) + i + ax) * 7 + dir;
                                vi = cache[slot];
                                if (vi < 0)
                                {
                                    int d = a ^ bb;
                                    double lx = i + ax + 0.5 * (d & 1) - 1;
                                    double ly = j + ay + 0.5 * ((d >> 1) & 1) - 1;
                                    double lz = k + az + 0.5 * ((d >> 2) & 1) - 1;
                                    vi = verts.Count / 3;
                                    verts.Add(ox + lx * sp.X);
                                    verts.Add(oy + ly * sp.Y);
                                    verts.Add(oz + lz * sp.Z);
                                    // Edge direction from the inside lattice point to the outside one, in µm.
                                    double sign = val[a] != 0 ? 1 : -1;
                                    dirs.Add(sign * (d & 1) * sp.X);
                                    dirs.Add(sign * ((d >> 1) & 1) * sp.Y);
                                    dirs.Add(sign * ((d >> 2) & 1) * sp.Z);
                                    cache[slot] = vi;
                                }
                                localVertex[e] = vi;
                            }
                            tris.Add(vi);
                        }
                    }
                }
            }
            (cur, next) = (next, cur);
            Array.Fill(next, -1);
        }
        var vertexArray = verts.ToArray();
        var triangleArray = tris.ToArray();
        if (relaxationIterations > 0 && triangleArray.Length > 0)
            Relax(vertexArray, dirs.ToArray(), triangleArray, relaxationIterations, foreground * sp.VoxelVolume);
        return new TriangleMesh(vertexArray, triangleArray);
    }

    /// <summary>
    /// Constrained relaxation: every vertex moves along its cut lattice edge towards the plane through the centroid of its
    /// one-ring neighbours whose normal is the one-ring's area-weighted normal, and is clamped to the middle
    /// [<see cref="EdgeClamp"/>, 1 − <see cref="EdgeClamp"/>] of the edge. Connectivity is untouched and each vertex stays
    /// strictly between its inside and outside lattice points, so closedness, manifoldness, orientation and the
    /// inside/outside classification of every voxel centre are preserved while the staircase is flattened.
    /// </summary>
    private static void Relax(double[] v, double[] dir, int[] tris, int iterations, double targetVolume)
    {
        int nv = v.Length / 3;
        var inside = new double[v.Length];
        for (int i = 0; i < v.Length; i++) inside[i] = v[i] - 0.5 * dir[i];
        var (start, nbr) = Neighbours(nv, tris);
        var (tStart, tList) = IncidentTriangles(nv, tris);
        double[] cur = v, other = new double[v.Length];
        var t = new double[nv];
        for (int it = 0; it < iterations; it++)
        {
            PlaneStep(cur, other, inside, dir, start, nbr, tStart, tList, tris, Damping);
            (cur, other) = (other, cur);
            // Intermediate rounds only need the volume roughly right; the last one restores it to 1e-10.
            RestoreVolume(cur, inside, dir, tris, t, targetVolume, it == iterations - 1 ? 1e-10 : 1e-4);
        }
        if (!ReferenceEquals(cur, v)) Array.Copy(cur, v, v.Length);
    }

    private const double Damping = 0.5;

    /// <summary>
    /// Shifts every vertex by the same fraction δ of its edge (then clamps) so that the enclosed volume equals
    /// <paramref name="target"/>, the voxel-count volume (foreground voxels × voxel volume): relaxation flattens the
    /// staircase without the shrinkage of curvature flow, and the surface encloses what the mask counts. δ is found by a
    /// few secant steps on the (nearly linear) volume V(δ); when the clamp makes the target unreachable (e.g. a single
    /// voxel) the closest reachable volume is kept.
    /// </summary>
    private static void RestoreVolume(double[] v, double[] inside, double[] dir, int[] tris, double[] t, double target, double relativeTolerance)
    {
        int nv = t.Length;
        for (int i = 0; i < nv; i++)
        {
            int k = 3 * i;
            double dx = dir[k], dy = dir[k + 1], dz = dir[k + 2];
            t[i] = ((v[k] - inside[k]) * dx + (v[k + 1] - inside[k + 1]) * dy + (v[k + 2] - inside[k + 2]) * dz) / (dx * dx + dy * dy + dz * dz);
        }
        double d0 = 0, f0 = SignedVolume(v, tris) - target;
        double tol = relativeTolerance * Math.Abs(target);
        if (Math.Abs(f0) <= tol) return;
        double d1 = f0 > 0 ? -0.01 : 0.01;
        Shift(v, inside, dir, t, d1);
        double f1 = SignedVolume(v, tris) - target;
        for (int iter = 0; iter < 6 && Math.Abs(f1) > tol && f1 != f0; iter++)
        {
            double d2 = d1 - f1 * (d1 - d0) / (f1 - f0);
            d2 = Math.Clamp(d2, -0.5, 0.5);
            d0 = d1; f0 = f1; d1 = d2;
            Shift(v, inside, dir, t, d1);
            f1 = SignedVolume(v, tris) - target;
        }
    }

    private static void Shift(double[] v, double[] inside, double[] dir, double[] t, double delta)
    {
        for (int i = 0; i < t.Length; i++)
        {
            int k = 3 * i;
            double s = Math.Clamp(t[i] + delta, EdgeClamp, 1 - EdgeClamp);
            v[k] = inside[k] + s * dir[k];
            v[k + 1] = inside[k + 1] + s * dir[k + 1];
            v[k + 2] = inside[k + 2] + s * dir[k + 2];
        }
    }

    private static double SignedVolume(double[] p, int[] tris)
    {
        double sum = 0;
        for (int q = 0; q < tris.Length; q += 3)
        {
            int a = 3 * tris[q], b = 3 * tris[q + 1], c = 3 * tris[q + 2];
            sum += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
                 - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
                 + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
        }
        return sum / 6;
    }

    /// <summary>Fraction of a cut edge kept free at each end by the relaxation.</summary>
    public const double EdgeClamp = 0.05;

    private static void PlaneStep(double[] from, double[] to, double[] inside, double[] dir, int[] start, int[] nbr,
        int[] tStart, int[] tList, int[] tris, double damping)
    {
        int nv = from.Length / 3;
        int chunks = (nv + 4095) / 4096;
        if (chunks <= 2) { for (int c = 0; c < chunks; c++) Chunk(c); } // small surfaces: no parallel overhead
        else Parallel.For(0, chunks, Chunk);

        void Chunk(int chunk)
        {
            int end = Math.Min(nv, (chunk + 1) * 4096);
            for (int i = chunk * 4096; i < end; i++)
            {
                double mx = 0, my = 0, mz = 0;
                int s = start[i], e = start[i + 1];
                for (int q = s; q < e; q++)
                {
                    int j = 3 * nbr[q];
                    mx += from[j]; my += from[j + 1]; mz += from[j + 2];
                }
                double inv = 1.0 / (e - s);
                mx *= inv; my *= inv; mz *= inv;
                double nx = 0, ny = 0, nz = 0;
                for (int q = tStart[i]; q < tStart[i + 1]; q++)
                {
                    int t = 3 * tList[q];
                    int a = 3 * tris[t], b = 3 * tris[t + 1], c = 3 * tris[t + 2];
                    double ux = from[b] - from[a], uy = from[b + 1] - from[a + 1], uz = from[b + 2] - from[a + 2];
                    double wx = from[c] - from[a], wy = from[c + 1] - from[a + 1], wz = from[c + 2] - from[a + 2];
                    nx += uy * wz - uz * wy; ny += uz * wx - ux * wz; nz += ux * wy - uy * wx;
                }
                int k = 3 * i;
                double dx = dir[k], dy = dir[k + 1], dz = dir[k + 2];
                double ix = inside[k], iy = inside[k + 1], iz = inside[k + 2];
                double dd = dx * dx + dy * dy + dz * dz;
                double nd = nx * dx + ny * dy + nz * dz;
                double nn = Math.Sqrt((nx * nx + ny * ny + nz * nz) * dd);
                double tNew;
                if (nd > 0.2 * nn)
                    tNew = (nx * (mx - ix) + ny * (my - iy) + nz * (mz - iz)) / nd;
                else
                    tNew = ((mx - ix) * dx + (my - iy) * dy + (mz - iz) * dz) / dd;
                double tOld = ((from[k] - ix) * dx + (from[k + 1] - iy) * dy + (from[k + 2] - iz) * dz) / dd;
                double t2 = Math.Clamp(tOld + damping * (tNew - tOld), EdgeClamp, 1 - EdgeClamp);
                to[k] = ix + t2 * dx;
                to[k + 1] = iy + t2 * dy;
                to[k + 2] = iz + t2 * dz;
            }
        }
    }

    private static (int[] Start, int[] Triangles) IncidentTriangles(int nv, int[] tris)
    {
        var start = new int[nv + 1];
        foreach (var t in tris) start[t + 1]++;
        for (int i = 0; i < nv; i++) start[i + 1] += start[i];
        var fill = (int[])start.Clone();
        var list = new int[tris.Length];
        for (int t = 0; t < tris.Length; t++) list[fill[tris[t]]++] = t / 3;
        return (start, list);
    }

    /// <summary>Vertex adjacency (compressed rows) from triangle edges, without duplicates.</summary>
    private static (int[] Start, int[] Neighbours) Neighbours(int nv, int[] tris)
    {
        var degree = new int[nv + 1];
        for (int t = 0; t < tris.Length; t++) degree[tris[t] + 1] += 2;
        for (int i = 0; i < nv; i++) degree[i + 1] += degree[i];
        var raw = new int[degree[nv]];
        var fill = (int[])degree.Clone();
        for (int t = 0; t < tris.Length; t += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = tris[t + k], b = tris[t + (k + 1) % 3];
                raw[fill[a]++] = b;
                raw[fill[b]++] = a;
            }
        var start = new int[nv + 1];
        var list = new List<int>(raw.Length / 2);
        for (int i = 0; i < nv; i++)
        {
            start[i] = list.Count;
            Array.Sort(raw, degree[i], degree[i + 1] - degree[i]);
            int prev = -1;
            for (int q = degree[i]; q < degree[i + 1]; q++)
                if (raw[q] != prev) { list.Add(raw[q]); prev = raw[q]; }
        }
        start[nv] = list.Count;
        return (start, list.ToArray());
    }

    private static int[][] BuildTets()
    {
        // Six tetrahedra 0 ⊂ e_a ⊂ e_a + e_b ⊂ 7 for the six axis orders (a, b, c).
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        var tets = new int[6][];
        for (int t = 0; t < 6; t++)
        {
            int c1 = 1 << orders[t][0];
            int c2 = c1 | (1 << orders[t][1]);
            tets[t] = [0, c1, c2, 7];
        }
        return tets;
    }

    private static int EdgeId(int a, int b) => a < b ? a * 8 + b : b * 8 + a;

    private static (int X, int Y, int Z) CornerPos(int c) => (c & 1, (c >> 1) & 1, (c >> 2) & 1);

    private static int[][][] BuildTables()
    {
        var tets = BuildTets();
        var tables = new int[6][][];
        for (int t = 0; t < 6; t++)
        {
            tables[t] = new int[16][];
            var tet = tets[t];
            for (int code = 0; code < 16; code++)
            {
                var inside = new List<int>();
                var outside = new List<int>();
                for (int q = 0; q < 4; q++) ((code >> q & 1) != 0 ? inside : outside).Add(tet[q]);
                var result = new List<int>();
                if (inside.Count == 1 || inside.Count == 3)
                {
                    var lone = inside.Count == 1 ? inside[0] : outside[0];
                    var others = inside.Count == 1 ? outside : inside;
                    int[] tri = [EdgeId(lone, others[0]), EdgeId(lone, others[1]), EdgeId(lone, others[2])];
                    AddOriented(result, tri, inside[0], outside[0]);
                }
                else if (inside.Count == 2)
                {
                    // Quad in cyclic order around the tetrahedron: (i0,o0) (i0,o1) (i1,o1) (i1,o0).
                    int a = EdgeId(inside[0], outside[0]), b = EdgeId(inside[0], outside[1]);
                    int c = EdgeId(inside[1], outside[1]), d = EdgeId(inside[1], outside[0]);
                    AddOriented(result, [a, b, c], inside[0], outside[0]);
                    AddOriented(result, [a, c, d], inside[0], outside[0]);
                }
                tables[t][code] = result.ToArray();
            }
        }
        return tables;
    }

    /// <summary>Appends the triangle of edge midpoints, wound so that its normal points from an inside towards an outside corner.</summary>
    private static void AddOriented(List<int> result, int[] tri, int insideCorner, int outsideCorner)
    {
        var p = new (double X, double Y, double Z)[3];
        for (int q = 0; q < 3; q++)
        {
            var (ax, ay, az) = CornerPos(tri[q] >> 3);
            var (bx, by, bz) = CornerPos(tri[q] & 7);
            p[q] = (0.5 * (ax + bx), 0.5 * (ay + by), 0.5 * (az + bz));
        }
        double ux = p[1].X - p[0].X, uy = p[1].Y - p[0].Y, uz = p[1].Z - p[0].Z;
        double vx = p[2].X - p[0].X, vy = p[2].Y - p[0].Y, vz = p[2].Z - p[0].Z;
        double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
        var (ix, iy, iz) = CornerPos(insideCorner);
        var (ox, oy, oz) = CornerPos(outsideCorner);
        double s = nx * (ox - ix) + ny * (oy - iy) + nz * (oz - iz);
        if (s == 0) throw new InvalidOperationException("degenerate marching-tetrahedra table entry");
        if (s > 0) result.AddRange(tri);
        else { result.Add(tri[0]); result.Add(tri[2]); result.Add(tri[1]); }
    }
}
