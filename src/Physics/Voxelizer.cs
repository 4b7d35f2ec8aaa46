using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Inside/outside voxelization of closed triangle meshes by ray parity.</summary>
public static class Voxelizer
{
    // Deterministic sub-voxel offset of every ray (fractions of the spacing). It moves rays off the lattice on which
    // mesh vertices and edges often lie; remaining exact hits on shared edges are resolved by a consistent tie rule.
    private const double RayOffsetY = 1.3157e-7, RayOffsetZ = 2.7183e-7;

    /// <summary>
    /// Voxelizes the solid bounded by the closed surface <paramref name="mesh"/> (coordinates in µm, (x, y, z)) on an
    /// isotropic grid of <paramref name="spacingUm"/> µm. For every (z, y) row of voxel centres a ray along +x is
    /// intersected with the mesh and voxels after an odd number of crossings are foreground (1).
    /// The grid covers the mesh bounds plus <paramref name="pad"/> background voxels on each side and is centred on the
    /// bounding box; <see cref="Volume{T}.Origin"/> is the centre of voxel (0, 0, 0) in mesh coordinates (µm, as z, y, x).
    /// </summary>
    /// <returns>A (Z, Y, X) mask with values 0 and 1.</returns>
    public static Volume<byte> Voxelize(TriangleMesh mesh, double spacingUm, int pad = 1)
    {
        if (!(spacingUm > 0) || !double.IsFinite(spacingUm)) throw new ArgumentException($"spacingUm must be positive and finite, got {spacingUm}", nameof(spacingUm));
        if (pad < 0) throw new ArgumentException($"pad must be >= 0, got {pad}", nameof(pad));
        if (mesh.TriangleCount == 0) throw new ArgumentException("cannot voxelize an empty mesh", nameof(mesh));
        var (min, max) = mesh.Bounds();
        double h = spacingUm;
        int Count(int axis) => (int)Math.Ceiling((max[axis] - min[axis]) / h) + 1 + 2 * pad;
        int nx = Count(0), ny = Count(1), nz = Count(2);
        if ((long)nx * ny * nz > Array.MaxLength) throw new ArgumentException($"voxel grid ({nz}, {ny}, {nx}) at {h} µm is too large");
        double Origin(int axis, int n) => 0.5 * (min[axis] + max[axis]) - 0.5 * (n - 1) * h;
        double ox = Origin(0, nx), oy = Origin(1, ny), oz = Origin(2, nz);

        var p = mesh.Vertices;
        var tri = mesh.Triangles;
        int nt = mesh.TriangleCount;
        // Bucket triangles by the z rows their projection can touch.
        var zLo = new int[nt];
        var zHi = new int[nt];
        var bucketCount = new int[nz + 1];
        for (int t = 0; t < nt; t++)
        {
            double a = p[3 * tri[3 * t] + 2], b = p[3 * tri[3 * t + 1] + 2], c = p[3 * tri[3 * t + 2] + 2];
            double lo = Math.Min(a, Math.Min(b, c)), hi = Math.Max(a, Math.Max(b, c));
            int l = Math.Max(0, (int)Math.Floor((lo - oz) / h - RayOffsetZ)), u = Math.Min(nz - 1, (int)Math.Ceiling((hi - oz) / h - RayOffsetZ));
            zLo[t] = l; zHi[t] = u;
            for (int z = l; z <= u; z++) bucketCount[z + 1]++;
        }
        for (int z = 0; z < nz; z++) bucketCount[z + 1] += bucketCount[z];
        var bucket = new int[bucketCount[nz]];
        var fill = (int[])bucketCount.Clone();
        for (int t = 0; t < nt; t++)
            for (int z = zLo[t]; z <= zHi[t]; z++) bucket[fill[z]++] = t;

        var data = new byte[(long)nz * ny * nx];
        Parallel.For(0, nz, () => new List<double>[ny], (z, _, hits) =>
        {
            for (int y = 0; y < ny; y++) (hits[y] ??= new List<double>()).Clear();
            double qz = oz + (z + RayOffsetZ) * h;
            for (int bi = bucketCount[z]; bi < bucketCount[z + 1]; bi++)
            {
                int t = bucket[bi];
                int ia = tri[3 * t], ib = tri[3 * t + 1], ic = tri[3 * t + 2];
                double ya = p[3 * ia + 1], yb = p[3 * ib + 1], yc = p[3 * ic + 1];
                double lo = Math.Min(ya, Math.Min(yb, yc)), hi = Math.Max(ya, Math.Max(yb, yc));
                int yl = Math.Max(0, (int)Math.Floor((lo - oy) / h - RayOffsetY));
                int yu = Math.Min(ny - 1, (int)Math.Ceiling((hi - oy) / h - RayOffsetY));
                for (int y = yl; y <= yu; y++)
                {
                    double qy = oy + (y + RayOffsetY) * h;
                    if (RayHit(p, ia, ib, ic, qy, qz, out double xHit)) hits[y].Add(xHit);
                }
            }
            for (int y = 0; y < ny; y++)
            {
                var list = hits[y];
                if (list.Count == 0) continue;
                list.Sort();
                int row = (z * ny + y) * nx;
                for (int q = 0; q + 1 < list.Count; q += 2)
                {
                    int from = Math.Max(0, (int)Math.Ceiling((list[q] - ox) / h));
                    int to = Math.Min(nx - 1, (int)Math.Floor((list[q + 1] - ox) / h));
                    for (int x = from; x <= to; x++) data[row + x] = 1;
                }
            }
            return hits;
        }, _ => { });
        return new Volume<byte>(nz, ny, nx, Spacing.Isotropic(h), data, (oz, oy, ox));
    }

    /// <summary>
    /// Isotropic spacing in µm at which the volume enclosed by <paramref name="mesh"/> holds about
    /// <paramref name="targetVoxels"/> voxels: (|signed volume| / targetVoxels)^(1/3).
    /// </summary>
    public static double SpacingForTargetVoxels(TriangleMesh mesh, int targetVoxels)
    {
        if (targetVoxels <= 0) throw new ArgumentException($"targetVoxels must be positive, got {targetVoxels}", nameof(targetVoxels));
        double v = Math.Abs(mesh.SignedVolume());
        if (!(v > 0)) throw new ArgumentException("mesh encloses no volume; is it closed?", nameof(mesh));
        return Math.Cbrt(v / targetVoxels);
    }

    /// <summary>
    /// Intersection of the ray {(x, qy, qz): x ∈ ℝ} with triangle (a, b, c). Each edge function is evaluated with the
    /// edge's endpoints in canonical (lower index first) order, so two triangles sharing an edge see bit-identical values;
    /// a ray exactly on an edge is assigned to exactly one of two triangles on opposite sides of it (top-left rule).
    /// </summary>
    private static bool RayHit(double[] p, int a, int b, int c, double qy, double qz, out double x)
    {
        x = 0;
        double wa = EdgeFunction(p, b, c, qy, qz); // opposite vertex a
        double wb = EdgeFunction(p, c, a, qy, qz);
        double wc = EdgeFunction(p, a, b, qy, qz);
        double area = wa + wb + wc;
        if (area == 0) return false; // triangle parallel to the ray: its neighbours account for the crossing
        double s = area > 0 ? 1 : -1;
        if (!Covers(wa * s, p, b, c, s) || !Covers(wb * s, p, c, a, s) || !Covers(wc * s, p, a, b, s)) return false;
        x = (wa * p[3 * a] + wb * p[3 * b] + wc * p[3 * c]) / area;
        return true;
    }

    private static bool Covers(double w, double[] p, int u, int v, double s)
    {
        if (w > 0) return true;
        if (w < 0) return false;
        // Tie: include only "top-left" edges, judged on the edge direction oriented with the triangle's interior on its left.
        double dy = (p[3 * v + 1] - p[3 * u + 1]) * s, dz = (p[3 * v + 2] - p[3 * u + 2]) * s;
        return dz < 0 || (dz == 0 && dy > 0);
    }

    /// <summary>2D cross product (v − u) × (q − u) in the (y, z) plane, computed in canonical vertex order.</summary>
    private static double EdgeFunction(double[] p, int u, int v, double qy, double qz)
    {
        if (u < v) return Cross(p, u, v, qy, qz);
        return -Cross(p, v, u, qy, qz);
    }

    private static double Cross(double[] p, int u, int v, double qy, double qz)
    {
        double uy = p[3 * u + 1], uz = p[3 * u + 2];
        return (p[3 * v + 1] - uy) * (qz - uz) - (p[3 * v + 2] - uz) * (qy - uy);
    }
}
