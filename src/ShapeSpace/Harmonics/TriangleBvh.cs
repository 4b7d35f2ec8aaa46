using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// Bounding-volume hierarchy (axis-aligned boxes, median split) over the triangles of a <see cref="TriangleMesh"/>
/// for ray–surface intersection and closest-point queries; coordinates in µm. Immutable and thread-safe after construction.
/// </summary>
public sealed class TriangleBvh
{
    private const int LeafSize = 4;
    private readonly double[] _v;
    private readonly int[] _tri;
    private readonly int[] _order;          // triangle ids, grouped by leaf
    private readonly double[] _boxes;       // per node: min x, y, z, max x, y, z
    private readonly int[] _left;           // child index, or −1 for a leaf
    private readonly int[] _right;
    private readonly int[] _start;          // leaf range in _order
    private readonly int[] _count;
    private int _nodes;

    /// <summary>Builds the hierarchy over all triangles of <paramref name="mesh"/>.</summary>
    public TriangleBvh(TriangleMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        _v = mesh.Vertices;
        _tri = mesh.Triangles;
        int m = mesh.TriangleCount;
        if (m == 0) throw new ArgumentException("mesh has no triangles");
        _order = new int[m];
        var centres = new double[3 * m];
        for (int t = 0; t < m; t++)
        {
            _order[t] = t;
            for (int k = 0; k < 3; k++)
                centres[3 * t + k] = (_v[3 * _tri[3 * t] + k] + _v[3 * _tri[3 * t + 1] + k] + _v[3 * _tri[3 * t + 2] + k]) / 3.0;
        }
        int cap = 2 * m + 1;
        _boxes = new double[6 * cap];
        _left = new int[cap]; _right = new int[cap]; _start = new int[cap]; _count = new int[cap];
        Build(0, m, centres);
    }

    private int Build(int from, int to, double[] centres)
    {
        int node = _nodes++;
        double[] min = [double.MaxValue, double.MaxValue, double.MaxValue], max = [double.MinValue, double.MinValue, double.MinValue];
        double[] cmin = [double.MaxValue, double.MaxValue, double.MaxValue], cmax = [double.MinValue, double.MinValue, double.MinValue];
        for (int i = from; i < to; i++)
        {
            int t = _order[i];
            for (int c = 0; c < 3; c++)
            {
                int vi = 3 * _tri[3 * t + c];
                for (int k = 0; k < 3; k++) { double p = _v[vi + k]; if (p < min[k]) min[k] = p; if (p > max[k]) max[k] = p; }
            }
            for (int k = 0; k < 3; k++) { double p = centres[3 * t + k]; if (p < cmin[k]) cmin[k] = p; if (p > cmax[k]) cmax[k] = p; }
        }
        for (int k = 0; k < 3; k++) { _boxes[6 * node + k] = min[k]; _boxes[6 * node + 3 + k] = max[k]; }
        int n = to - from;
        int axis = 0;
        for (int k = 1; k < 3; k++) if (cmax[k] - cmin[k] > cmax[axis] - cmin[axis]) axis = k;
        if (n <= LeafSize || cmax[axis] - cmin[axis] <= 0)
        {
            _left[node] = _right[node] = -1; _start[node] = from; _count[node] = n;
            return node;
        }
        int mid = from + n / 2;
        var keys = new double[n];
        var ids = new int[n];
        for (int i = 0; i < n; i++) { ids[i] = _order[from + i]; keys[i] = centres[3 * ids[i] + axis]; }
        Array.Sort(keys, ids);
        Array.Copy(ids, 0, _order, from, n);
        _left[node] = Build(from, mid, centres);
        _right[node] = Build(mid, to, centres);
        return node;
    }

    /// <summary>
    /// Ray parameters t &gt; <paramref name="tMin"/> of every intersection of the ray o + t·d with the surface
    /// (Möller–Trumbore, edges inclusive), appended to <paramref name="hits"/> unsorted. d need not be unit length.
    /// </summary>
    public void IntersectAll(double ox, double oy, double oz, double dx, double dy, double dz, double tMin, List<double> hits)
    {
        double ix = 1.0 / dx, iy = 1.0 / dy, iz = 1.0 / dz;
        Span<int> stack = stackalloc int[128];
        int sp = 0;
        stack[sp++] = 0;
        while (sp > 0)
        {
            int node = stack[--sp];
            if (!RayHitsBox(node, ox, oy, oz, ix, iy, iz)) continue;
            if (_left[node] < 0)
            {
                for (int i = _start[node], e = _start[node] + _count[node]; i < e; i++)
                {
                    double t = RayTriangle(_order[i], ox, oy, oz, dx, dy, dz);
                    if (t > tMin) hits.Add(t);
                }
                continue;
            }
            stack[sp++] = _left[node];
            stack[sp++] = _right[node];
        }
    }

    private bool RayHitsBox(int node, double ox, double oy, double oz, double ix, double iy, double iz)
    {
        int b = 6 * node;
        double t0 = (_boxes[b] - ox) * ix, t1 = (_boxes[b + 3] - ox) * ix;
        double lo = Math.Min(t0, t1), hi = Math.Max(t0, t1);
        t0 = (_boxes[b + 1] - oy) * iy; t1 = (_boxes[b + 4] - oy) * iy;
        lo = Math.Max(lo, Math.Min(t0, t1)); hi = Math.Min(hi, Math.Max(t0, t1));
        t0 = (_boxes[b + 2] - oz) * iz; t1 = (_boxes[b + 5] - oz) * iz;
        lo = Math.Max(lo, Math.Min(t0, t1)); hi = Math.Min(hi, Math.Max(t0, t1));
        // Tolerate NaN from 0 · ∞ (ray in a box face plane) by treating the box as hit.
        return !(hi < 0 || lo > hi * (1 + 1e-12) + 1e-12);
    }

    private double RayTriangle(int t, double ox, double oy, double oz, double dx, double dy, double dz)
    {
        int a = 3 * _tri[3 * t], b = 3 * _tri[3 * t + 1], c = 3 * _tri[3 * t + 2];
        double e1x = _v[b] - _v[a], e1y = _v[b + 1] - _v[a + 1], e1z = _v[b + 2] - _v[a + 2];
        double e2x = _v[c] - _v[a], e2y = _v[c + 1] - _v[a + 1], e2z = _v[c + 2] - _v[a + 2];
        double px = dy * e2z - dz * e2y, py = dz * e2x - dx * e2z, pz = dx * e2y - dy * e2x;
        double det = e1x * px + e1y * py + e1z * pz;
        if (det == 0 || !double.IsFinite(det)) return double.NaN;
        double inv = 1.0 / det;
        double sx = ox - _v[a], sy = oy - _v[a + 1], sz = oz - _v[a + 2];
        double u = (sx * px + sy * py + sz * pz) * inv;
        const double eps = 1e-12;
        if (u < -eps || u > 1 + eps) return double.NaN;
        double qx = sy * e1z - sz * e1y, qy = sz * e1x - sx * e1z, qz = sx * e1y - sy * e1x;
        double v = (dx * qx + dy * qy + dz * qz) * inv;
        if (v < -eps || u + v > 1 + eps) return double.NaN;
        return (e2x * qx + e2y * qy + e2z * qz) * inv;
    }

    /// <summary>Distance in µm from the point (x, y, z) to the nearest point of the surface.</summary>
    public double Distance(double x, double y, double z)
    {
        double best = double.MaxValue;
        Span<int> stack = stackalloc int[128];
        int sp = 0;
        stack[sp++] = 0;
        while (sp > 0)
        {
            int node = stack[--sp];
            if (BoxDistanceSquared(node, x, y, z) >= best) continue;
            if (_left[node] < 0)
            {
                for (int i = _start[node], e = _start[node] + _count[node]; i < e; i++)
                {
                    double d = PointTriangleDistanceSquared(_order[i], x, y, z);
                    if (d < best) best = d;
                }
                continue;
            }
            int l = _left[node], r = _right[node];
            double dl = BoxDistanceSquared(l, x, y, z), dr = BoxDistanceSquared(r, x, y, z);
            if (dl < dr) { stack[sp++] = r; stack[sp++] = l; }
            else { stack[sp++] = l; stack[sp++] = r; }
        }
        return Math.Sqrt(best);
    }

    private double BoxDistanceSquared(int node, double x, double y, double z)
    {
        int b = 6 * node;
        double dx = Math.Max(Math.Max(_boxes[b] - x, 0), x - _boxes[b + 3]);
        double dy = Math.Max(Math.Max(_boxes[b + 1] - y, 0), y - _boxes[b + 4]);
        double dz = Math.Max(Math.Max(_boxes[b + 2] - z, 0), z - _boxes[b + 5]);
        return dx * dx + dy * dy + dz * dz;
    }

    /// <summary>Squared distance from p to triangle t, by the Voronoi-region case analysis of the closest point.</summary>
    private double PointTriangleDistanceSquared(int t, double px, double py, double pz)
    {
        int ia = 3 * _tri[3 * t], ib = 3 * _tri[3 * t + 1], ic = 3 * _tri[3 * t + 2];
        double ax = _v[ia], ay = _v[ia + 1], az = _v[ia + 2];
        double abx = _v[ib] - ax, aby = _v[ib + 1] - ay, abz = _v[ib + 2] - az;
        double acx = _v[ic] - ax, acy = _v[ic + 1] - ay, acz = _v[ic + 2] - az;
        double apx = px - ax, apy = py - ay, apz = pz - az;
        double d1 = abx * apx + aby * apy + abz * apz, d2 = acx * apx + acy * apy + acz * apz;
        if (d1 <= 0 && d2 <= 0) return apx * apx + apy * apy + apz * apz;                        // vertex a
        double bpx = px - _v[ib], bpy = py - _v[ib + 1], bpz = pz - _v[ib + 2];
        double d3 = abx * bpx + aby * bpy + abz * bpz, d4 = acx * bpx + acy * bpy + acz * bpz;
        if (d3 >= 0 && d4 <= d3) return bpx * bpx + bpy * bpy + bpz * bpz;                        // vertex b
        double vc = d1 * d4 - d3 * d2;
        if (vc <= 0 && d1 >= 0 && d3 <= 0)
        {
            double s = d1 / (d1 - d3);                                                             // edge ab
            return Sq(apx - s * abx, apy - s * aby, apz - s * abz);
        }
        double cpx = px - _v[ic], cpy = py - _v[ic + 1], cpz = pz - _v[ic + 2];
        double d5 = abx * cpx + aby * cpy + abz * cpz, d6 = acx * cpx + acy * cpy + acz * cpz;
        if (d6 >= 0 && d5 <= d6) return cpx * cpx + cpy * cpy + cpz * cpz;                        // vertex c
        double vb = d5 * d2 - d1 * d6;
        if (vb <= 0 && d2 >= 0 && d6 <= 0)
        {
            double s = d2 / (d2 - d6);                                                             // edge ac
            return Sq(apx - s * acx, apy - s * acy, apz - s * acz);
        }
        double va = d3 * d6 - d5 * d4;
        if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0)
        {
            double s = (d4 - d3) / (d4 - d3 + (d5 - d6));                                         // edge bc
            double bcx = _v[ic] - _v[ib], bcy = _v[ic + 1] - _v[ib + 1], bcz = _v[ic + 2] - _v[ib + 2];
            return Sq(bpx - s * bcx, bpy - s * bcy, bpz - s * bcz);
        }
        double denom = va + vb + vc;
        if (!(Math.Abs(denom) > 0)) return Math.Min(apx * apx + apy * apy + apz * apz, Math.Min(bpx * bpx + bpy * bpy + bpz * bpz, cpx * cpx + cpy * cpy + cpz * cpz));
        double v = vb / denom, w = vc / denom;                                                     // interior
        return Sq(apx - v * abx - w * acx, apy - v * aby - w * acy, apz - v * abz - w * acz);
    }

    private static double Sq(double x, double y, double z) => x * x + y * y + z * z;
}
