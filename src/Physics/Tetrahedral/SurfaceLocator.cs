using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tetrahedral;

/// <summary>
/// Spatial queries on a closed, outward-oriented triangle surface (coordinates in µm): inside test by ray parity along
/// +x, closest triangle and point, signed distance (negative inside), and segment crossings. Triangles are binned in a
/// uniform 3-D grid (closest point, segments) and a uniform (y, z) grid (rays along x). Thread-safe after construction.
/// </summary>
public sealed class SurfaceLocator
{
    private readonly double[] _p;
    private readonly int[] _t;
    private readonly double _cell;
    private readonly double _ox, _oy, _oz;
    private readonly int _nx, _ny, _nz;
    private readonly int[] _cellStart, _cellTris;   // 3-D bins (CSR)
    private readonly int[] _yzStart, _yzTris;       // (y, z) bins (CSR)

    /// <summary>The indexed surface.</summary>
    public TriangleMesh Surface { get; }

    /// <summary>Builds the bins; <paramref name="cellSizeUm"/> defaults to twice the mean edge length.</summary>
    public SurfaceLocator(TriangleMesh surface, double? cellSizeUm = null)
    {
        if (surface.TriangleCount == 0) throw new ArgumentException("surface has no triangles");
        Surface = surface;
        _p = surface.Vertices;
        _t = surface.Triangles;
        var (min, max) = surface.Bounds();
        double meanEdge = 0;
        for (int f = 0; f < _t.Length; f += 3)
            meanEdge += Math.Sqrt(Dist2(_t[f], _t[f + 1]));
        meanEdge /= surface.TriangleCount;
        double cell = cellSizeUm ?? 2 * meanEdge;
        double ext = Math.Max(max[0] - min[0], Math.Max(max[1] - min[1], max[2] - min[2]));
        if (!(cell > 0)) cell = ext > 0 ? ext / 16 : 1;
        // at most ~2M cells
        while ((max[0] - min[0]) / cell * ((max[1] - min[1]) / cell) * ((max[2] - min[2]) / cell) > 2e6) cell *= 1.25;
        _cell = cell;
        _ox = min[0] - 1e-9 * (1 + ext); _oy = min[1] - 1e-9 * (1 + ext); _oz = min[2] - 1e-9 * (1 + ext);
        _nx = Math.Max(1, (int)Math.Ceiling((max[0] - _ox) / cell) + 1);
        _ny = Math.Max(1, (int)Math.Ceiling((max[1] - _oy) / cell) + 1);
        _nz = Math.Max(1, (int)Math.Ceiling((max[2] - _oz) / cell) + 1);
        (_cellStart, _cellTris) = Bin3D();
        (_yzStart, _yzTris) = BinYz();
    }

    private double Dist2(int a, int b)
    {
        double dx = _p[3 * a] - _p[3 * b], dy = _p[3 * a + 1] - _p[3 * b + 1], dz = _p[3 * a + 2] - _p[3 * b + 2];
        return dx * dx + dy * dy + dz * dz;
    }

    private (int Lo, int Hi) Range(int f, int axis, double origin, int n)
    {
        double lo = double.MaxValue, hi = double.MinValue;
        for (int k = 0; k < 3; k++)
        {
            double c = _p[3 * _t[f + k] + axis];
            lo = Math.Min(lo, c); hi = Math.Max(hi, c);
        }
        return (Math.Clamp((int)Math.Floor((lo - origin) / _cell), 0, n - 1), Math.Clamp((int)Math.Floor((hi - origin) / _cell), 0, n - 1));
    }

    private (int[], int[]) Bin3D()
    {
        int cells = _nx * _ny * _nz;
        var count = new int[cells + 1];
        for (int pass = 0; pass < 2; pass++)
        {
            int[]? tris = pass == 1 ? new int[count[cells]] : null;
            var fill = pass == 1 ? (int[])count.Clone() : null;
            for (int f = 0; f < _t.Length; f += 3)
            {
                var (x0, x1) = Range(f, 0, _ox, _nx);
                var (y0, y1) = Range(f, 1, _oy, _ny);
                var (z0, z1) = Range(f, 2, _oz, _nz);
                for (int z = z0; z <= z1; z++)
                    for (int y = y0; y <= y1; y++)
                        for (int x = x0; x <= x1; x++)
                        {
                            int c = x + _nx * (y + _ny * z);
                            if (pass == 0) count[c + 1]++;
                            else tris![fill![c]++] = f / 3;
                        }
            }
            if (pass == 0) for (int c = 0; c < cells; c++) count[c + 1] += count[c];
            else return (count, tris!);
        }
        throw new InvalidOperationException("unreachable");
    }

    private (int[], int[]) BinYz()
    {
        int cells = _ny * _nz;
        var count = new int[cells + 1];
        for (int pass = 0; pass < 2; pass++)
        {
            int[]? tris = pass == 1 ? new int[count[cells]] : null;
            var fill = pass == 1 ? (int[])count.Clone() : null;
            for (int f = 0; f < _t.Length; f += 3)
            {
                var (y0, y1) = Range(f, 1, _oy, _ny);
                var (z0, z1) = Range(f, 2, _oz, _nz);
                for (int z = z0; z <= z1; z++)
                    for (int y = y0; y <= y1; y++)
                    {
                        int c = y + _ny * z;
                        if (pass == 0) count[c + 1]++;
                        else tris![fill![c]++] = f / 3;
                    }
            }
            if (pass == 0) for (int c = 0; c < cells; c++) count[c + 1] += count[c];
            else return (count, tris!);
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// The x coordinates (µm) where the line {y, z} crosses the surface, appended to <paramref name="xs"/> unsorted.
    /// </summary>
    public void LineCrossings(double y, double z, List<double> xs)
    {
        int cy = (int)Math.Floor((y - _oy) / _cell), cz = (int)Math.Floor((z - _oz) / _cell);
        if ((uint)cy >= (uint)_ny || (uint)cz >= (uint)_nz) return;
        int c = cy + _ny * cz;
        for (int k = _yzStart[c]; k < _yzStart[c + 1]; k++)
        {
            int f = 3 * _yzTris[k];
            int a = 3 * _t[f], b = 3 * _t[f + 1], d = 3 * _t[f + 2];
            double ay = _p[a + 1] - y, az = _p[a + 2] - z, by = _p[b + 1] - y, bz = _p[b + 2] - z, dy = _p[d + 1] - y, dz = _p[d + 2] - z;
            double wa = by * dz - bz * dy;   // twice the signed area of (P, B, D)
            double wb = dy * az - dz * ay;   // (P, D, A)
            double wd = ay * bz - az * by;   // (P, A, B)
            if ((wa < 0 || wb < 0 || wd < 0) && (wa > 0 || wb > 0 || wd > 0)) continue;
            double s = wa + wb + wd;
            if (s == 0) continue;
            xs.Add((wa * _p[a] + wb * _p[b] + wd * _p[d]) / s);
        }
    }

    /// <summary>True when the point (µm) lies inside the closed surface (odd number of crossings along +x).</summary>
    public bool IsInside(double x, double y, double z)
    {
        var xs = new List<double>(8);
        LineCrossings(y, z, xs);
        int n = 0;
        foreach (double c in xs) if (c > x) n++;
        return (n & 1) == 1;
    }

    /// <summary>The closest surface triangle to the point (µm), the closest point on it and the distance (µm).</summary>
    public (int Triangle, double Distance, double X, double Y, double Z) Closest(double x, double y, double z)
    {
        int cx = Math.Clamp((int)Math.Floor((x - _ox) / _cell), 0, _nx - 1);
        int cy = Math.Clamp((int)Math.Floor((y - _oy) / _cell), 0, _ny - 1);
        int cz = Math.Clamp((int)Math.Floor((z - _oz) / _cell), 0, _nz - 1);
        // distance from the point to the boundary of the box of cells within ring r is at least (r + gap) · cell
        double outside = Math.Max(0, Math.Max(Math.Max(_ox - x, x - (_ox + _nx * _cell)), Math.Max(Math.Max(_oy - y, y - (_oy + _ny * _cell)), Math.Max(_oz - z, z - (_oz + _nz * _cell)))));
        double best = double.MaxValue;
        int bestTri = -1;
        double bx = 0, by = 0, bz = 0;
        int maxRing = Math.Max(_nx, Math.Max(_ny, _nz));
        for (int r = 0; r <= maxRing; r++)
        {
            for (int k = cz - r; k <= cz + r; k++)
            {
                if ((uint)k >= (uint)_nz) continue;
                for (int j = cy - r; j <= cy + r; j++)
                {
                    if ((uint)j >= (uint)_ny) continue;
                    bool shellJk = Math.Abs(k - cz) == r || Math.Abs(j - cy) == r;
                    for (int i = cx - r; i <= cx + r; i++)
                    {
                        if ((uint)i >= (uint)_nx) continue;
                        if (!shellJk && Math.Abs(i - cx) != r) continue;
                        int c = i + _nx * (j + _ny * k);
                        for (int q = _cellStart[c]; q < _cellStart[c + 1]; q++)
                        {
                            int f = _cellTris[q];
                            var (px, py, pz) = ClosestOnTriangle(f, x, y, z);
                            double d2 = (px - x) * (px - x) + (py - y) * (py - y) + (pz - z) * (pz - z);
                            if (d2 < best || (d2 == best && f < bestTri)) { best = d2; bestTri = f; bx = px; by = py; bz = pz; }
                        }
                    }
                }
            }
            // every triangle not yet seen lies outside the (2r + 1)³ block of cells around the point's cell
            double reach = Math.Max(outside, Math.Min(
                Math.Min(Math.Min(x - (_ox + (cx - r) * _cell), _ox + (cx + r + 1) * _cell - x), Math.Min(y - (_oy + (cy - r) * _cell), _oy + (cy + r + 1) * _cell - y)),
                Math.Min(z - (_oz + (cz - r) * _cell), _oz + (cz + r + 1) * _cell - z)));
            if (bestTri >= 0 && best <= reach * reach) break;
        }
        return (bestTri, Math.Sqrt(best), bx, by, bz);
    }

    /// <summary>Signed distance in µm: negative inside, positive outside.</summary>
    public double SignedDistance(double x, double y, double z)
    {
        double d = Closest(x, y, z).Distance;
        return IsInside(x, y, z) ? -d : d;
    }

    /// <summary>
    /// Parameters t ∈ [0, 1] (and triangles) where the segment p + t (q − p) crosses the surface, appended unsorted.
    /// </summary>
    public void SegmentCrossings(double px, double py, double pz, double qx, double qy, double qz, List<(double T, int Triangle)> hits)
    {
        int x0 = Math.Clamp((int)Math.Floor((Math.Min(px, qx) - _ox) / _cell), 0, _nx - 1), x1 = Math.Clamp((int)Math.Floor((Math.Max(px, qx) - _ox) / _cell), 0, _nx - 1);
        int y0 = Math.Clamp((int)Math.Floor((Math.Min(py, qy) - _oy) / _cell), 0, _ny - 1), y1 = Math.Clamp((int)Math.Floor((Math.Max(py, qy) - _oy) / _cell), 0, _ny - 1);
        int z0 = Math.Clamp((int)Math.Floor((Math.Min(pz, qz) - _oz) / _cell), 0, _nz - 1), z1 = Math.Clamp((int)Math.Floor((Math.Max(pz, qz) - _oz) / _cell), 0, _nz - 1);
        double dx = qx - px, dy = qy - py, dz = qz - pz;
        int start = hits.Count;
        for (int k = z0; k <= z1; k++)
            for (int j = y0; j <= y1; j++)
                for (int i = x0; i <= x1; i++)
                {
                    int c = i + _nx * (j + _ny * k);
                    for (int q = _cellStart[c]; q < _cellStart[c + 1]; q++)
                    {
                        int f = _cellTris[q];
                        bool seen = false;
                        for (int h = start; h < hits.Count; h++) if (hits[h].Triangle == f) { seen = true; break; }
                        if (seen) continue;
                        int a = 3 * _t[3 * f], b = 3 * _t[3 * f + 1], e = 3 * _t[3 * f + 2];
                        double e1x = _p[b] - _p[a], e1y = _p[b + 1] - _p[a + 1], e1z = _p[b + 2] - _p[a + 2];
                        double e2x = _p[e] - _p[a], e2y = _p[e + 1] - _p[a + 1], e2z = _p[e + 2] - _p[a + 2];
                        double hx = dy * e2z - dz * e2y, hy = dz * e2x - dx * e2z, hz = dx * e2y - dy * e2x;
                        double det = e1x * hx + e1y * hy + e1z * hz;
                        if (det == 0) continue;
                        double inv = 1 / det;
                        double sx = px - _p[a], sy = py - _p[a + 1], sz = pz - _p[a + 2];
                        double u = (sx * hx + sy * hy + sz * hz) * inv;
                        if (u < 0 || u > 1) continue;
                        double rx = sy * e1z - sz * e1y, ry = sz * e1x - sx * e1z, rz = sx * e1y - sy * e1x;
                        double v = (dx * rx + dy * ry + dz * rz) * inv;
                        if (v < 0 || u + v > 1) continue;
                        double t = (e2x * rx + e2y * ry + e2z * rz) * inv;
                        if (t < 0 || t > 1) continue;
                        hits.Add((t, f));
                    }
                }
    }

    /// <summary>Closest point on triangle <paramref name="f"/> to (x, y, z) (Ericson's region test).</summary>
    private (double, double, double) ClosestOnTriangle(int f, double x, double y, double z)
    {
        int ia = 3 * _t[3 * f], ib = 3 * _t[3 * f + 1], ic = 3 * _t[3 * f + 2];
        double ax = _p[ia], ay = _p[ia + 1], az = _p[ia + 2];
        double abx = _p[ib] - ax, aby = _p[ib + 1] - ay, abz = _p[ib + 2] - az;
        double acx = _p[ic] - ax, acy = _p[ic + 1] - ay, acz = _p[ic + 2] - az;
        double apx = x - ax, apy = y - ay, apz = z - az;
        double d1 = abx * apx + aby * apy + abz * apz, d2 = acx * apx + acy * apy + acz * apz;
        if (d1 <= 0 && d2 <= 0) return (ax, ay, az);
        double bpx = x - _p[ib], bpy = y - _p[ib + 1], bpz = z - _p[ib + 2];
        double d3 = abx * bpx + aby * bpy + abz * bpz, d4 = acx * bpx + acy * bpy + acz * bpz;
        if (d3 >= 0 && d4 <= d3) return (_p[ib], _p[ib + 1], _p[ib + 2]);
        double vc = d1 * d4 - d3 * d2;
        if (vc <= 0 && d1 >= 0 && d3 <= 0)
        {
            double v = d1 / (d1 - d3);
            return (ax + v * abx, ay + v * aby, az + v * abz);
        }
        double cpx = x - _p[ic], cpy = y - _p[ic + 1], cpz = z - _p[ic + 2];
        double d5 = abx * cpx + aby * cpy + abz * cpz, d6 = acx * cpx + acy * cpy + acz * cpz;
        if (d6 >= 0 && d5 <= d6) return (_p[ic], _p[ic + 1], _p[ic + 2]);
        double vb = d5 * d2 - d1 * d6;
        if (vb <= 0 && d2 >= 0 && d6 <= 0)
        {
            double w = d2 / (d2 - d6);
            return (ax + w * acx, ay + w * acy, az + w * acz);
        }
        double va = d3 * d6 - d5 * d4;
        if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0)
        {
            double w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
            return (_p[ib] + w * (_p[ic] - _p[ib]), _p[ib + 1] + w * (_p[ic + 1] - _p[ib + 1]), _p[ib + 2] + w * (_p[ic + 2] - _p[ib + 2]));
        }
        double denom = 1 / (va + vb + vc);
        double vv = vb * denom, ww = vc * denom;
        return (ax + abx * vv + acx * ww, ay + aby * vv + acy * ww, az + abz * vv + acz * ww);
    }
}
