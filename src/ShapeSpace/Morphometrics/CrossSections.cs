using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>Planar sections and half-space volumes of closed, outward-oriented triangle surfaces (µm).</summary>
public static class CrossSections
{
    /// <summary>
    /// Areas (µm²) and area centroids (µm, x, y, z) of the sections of the solid by the planes a·x = t for each t in
    /// <paramref name="positions"/> (µm), with <paramref name="axis"/> a direction (x, y, z; normalised here). A section
    /// made of several loops sums them. Exact for a closed, consistently outward-oriented surface: each triangle cut by
    /// the plane contributes its segment, oriented by a × n, to Green's formula in the plane.
    /// </summary>
    public static (double[] Areas, double[] Centroids) Profile(TriangleMesh mesh, (double X, double Y, double Z) axis, ReadOnlySpan<double> positions)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var (ax, ay, az) = Unit(axis);
        var p = mesh.Vertices;
        var tri = mesh.Triangles;
        int nv = mesh.VertexCount;
        var h = new double[nv];
        for (int i = 0; i < nv; i++) h[i] = ax * p[3 * i] + ay * p[3 * i + 1] + az * p[3 * i + 2];
        var pos = positions.ToArray();
        var areas = new double[pos.Length];
        var centroids = new double[3 * pos.Length];
        Parallel.For(0, pos.Length, k =>
        {
            double t = pos[k], ox = t * ax, oy = t * ay, oz = t * az;
            double area = 0, cx = 0, cy = 0, cz = 0;
            Span<double> seg = stackalloc double[6];
            for (int f = 0; f < tri.Length; f += 3)
            {
                int found = 0;
                for (int e = 0; e < 3 && found < 2; e++)
                {
                    int i = tri[f + e], j = tri[f + (e + 1) % 3];
                    double si = h[i] - t, sj = h[j] - t;
                    if ((si > 0) == (sj > 0)) continue;
                    double lam = si / (si - sj);
                    seg[3 * found] = p[3 * i] + lam * (p[3 * j] - p[3 * i]);
                    seg[3 * found + 1] = p[3 * i + 1] + lam * (p[3 * j + 1] - p[3 * i + 1]);
                    seg[3 * found + 2] = p[3 * i + 2] + lam * (p[3 * j + 2] - p[3 * i + 2]);
                    found++;
                }
                if (found != 2) continue;
                int a = 3 * tri[f], b = 3 * tri[f + 1], c = 3 * tri[f + 2];
                double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
                double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
                double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
                // Tangent a × n gives the counter-clockwise direction (seen from +a) of the section boundary.
                double tx = ay * nz - az * ny, ty = az * nx - ax * nz, tz = ax * ny - ay * nx;
                double p1x = seg[0] - ox, p1y = seg[1] - oy, p1z = seg[2] - oz, p2x = seg[3] - ox, p2y = seg[4] - oy, p2z = seg[5] - oz;
                if (tx * (p2x - p1x) + ty * (p2y - p1y) + tz * (p2z - p1z) < 0) { (p1x, p2x) = (p2x, p1x); (p1y, p2y) = (p2y, p1y); (p1z, p2z) = (p2z, p1z); }
                double w = 0.5 * (ax * (p1y * p2z - p1z * p2y) + ay * (p1z * p2x - p1x * p2z) + az * (p1x * p2y - p1y * p2x));
                area += w;
                cx += w * (p1x + p2x) / 3; cy += w * (p1y + p2y) / 3; cz += w * (p1z + p2z) / 3;
            }
            areas[k] = area;
            if (area != 0) { centroids[3 * k] = ox + cx / area; centroids[3 * k + 1] = oy + cy / area; centroids[3 * k + 2] = oz + cz / area; }
            else { centroids[3 * k] = ox; centroids[3 * k + 1] = oy; centroids[3 * k + 2] = oz; }
        });
        return (areas, centroids);
    }

    /// <summary>
    /// Volume (µm³) of the part of the solid on the side a·x ≥ <paramref name="t"/> of the plane, exact for a closed,
    /// outward-oriented surface: the clipped surface is closed by a planar cap through a reference point on the plane,
    /// whose tetrahedra have zero volume.
    /// </summary>
    public static double VolumeBeyond(TriangleMesh mesh, (double X, double Y, double Z) axis, double t)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var (ax, ay, az) = Unit(axis);
        var p = mesh.Vertices;
        var tri = mesh.Triangles;
        double ox = t * ax, oy = t * ay, oz = t * az;
        double volume = 0;
        Span<double> poly = stackalloc double[12];
        for (int f = 0; f < tri.Length; f += 3)
        {
            int n = 0;
            for (int e = 0; e < 3; e++)
            {
                int i = 3 * tri[f + e], j = 3 * tri[f + (e + 1) % 3];
                double si = ax * p[i] + ay * p[i + 1] + az * p[i + 2] - t, sj = ax * p[j] + ay * p[j + 1] + az * p[j + 2] - t;
                if (si >= 0) { poly[3 * n] = p[i] - ox; poly[3 * n + 1] = p[i + 1] - oy; poly[3 * n + 2] = p[i + 2] - oz; n++; }
                if ((si >= 0) != (sj >= 0))
                {
                    double lam = si / (si - sj);
                    poly[3 * n] = p[i] + lam * (p[j] - p[i]) - ox; poly[3 * n + 1] = p[i + 1] + lam * (p[j + 1] - p[i + 1]) - oy;
                    poly[3 * n + 2] = p[i + 2] + lam * (p[j + 2] - p[i + 2]) - oz; n++;
                }
            }
            for (int k = 1; k + 1 < n; k++)
            {
                int b = 3 * k, c = 3 * (k + 1);
                volume += poly[0] * (poly[b + 1] * poly[c + 2] - poly[b + 2] * poly[c + 1])
                        - poly[1] * (poly[b] * poly[c + 2] - poly[b + 2] * poly[c])
                        + poly[2] * (poly[b] * poly[c + 1] - poly[b + 1] * poly[c]);
            }
        }
        return volume / 6.0;
    }

    private static (double, double, double) Unit((double X, double Y, double Z) a)
    {
        double n = Math.Sqrt(a.X * a.X + a.Y * a.Y + a.Z * a.Z);
        if (!(n > 0)) throw new ArgumentException("axis must be a non-zero vector");
        return (a.X / n, a.Y / n, a.Z / n);
    }
}
