using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>A unit direction in physical space, components along (x, y, z).</summary>
public readonly record struct Direction3(double X, double Y, double Z);

/// <summary>
/// Size and shape descriptors of one solid object, all in µm-based units.
/// Axis lengths follow scikit-image's 3D <c>regionprops</c> convention: the full length of the solid ellipsoid with
/// the same second moments, <c>sqrt(20 · λ)</c> for a covariance eigenvalue λ (µm²), i.e. <c>2a</c> for a solid
/// ellipsoid of semi-axis <c>a</c>. The principal axes are the covariance eigenvectors, ordered major, mid, minor,
/// each with its largest-magnitude component positive except that the minor axis may be flipped so that
/// (major, mid, minor) is a right-handed frame.
/// </summary>
/// <param name="VolumeUm3">Enclosed volume in µm³.</param>
/// <param name="SurfaceAreaUm2">Surface area in µm².</param>
/// <param name="CentroidXUm">Centroid x in µm.</param>
/// <param name="CentroidYUm">Centroid y in µm.</param>
/// <param name="CentroidZUm">Centroid z in µm.</param>
/// <param name="MajorAxisUm">Full major axis length in µm.</param>
/// <param name="MidAxisUm">Full middle axis length in µm.</param>
/// <param name="MinorAxisUm">Full minor axis length in µm.</param>
/// <param name="Sphericity">π^{1/3} (6V)^{2/3} / A; 1 for a sphere, smaller otherwise (dimensionless).</param>
/// <param name="EquivalentDiameterUm">Diameter of the sphere with the same volume, (6V/π)^{1/3}, in µm.</param>
/// <param name="Elongation">Major / mid axis length (≥ 1).</param>
/// <param name="Flatness">Mid / minor axis length (≥ 1).</param>
/// <param name="MajorDirection">Unit vector (x, y, z) of the major axis.</param>
/// <param name="MidDirection">Unit vector (x, y, z) of the middle axis.</param>
/// <param name="MinorDirection">Unit vector (x, y, z) of the minor axis.</param>
public sealed record ShapeDescriptors(
    double VolumeUm3,
    double SurfaceAreaUm2,
    double CentroidXUm,
    double CentroidYUm,
    double CentroidZUm,
    double MajorAxisUm,
    double MidAxisUm,
    double MinorAxisUm,
    double Sphericity,
    double EquivalentDiameterUm,
    double Elongation,
    double Flatness,
    Direction3 MajorDirection,
    Direction3 MidDirection,
    Direction3 MinorDirection);

/// <summary>Computes <see cref="ShapeDescriptors"/> from voxel masks or closed triangle meshes.</summary>
public static class Descriptors
{
    /// <summary>
    /// Descriptors of the foreground (non-zero voxels) of <paramref name="mask"/> (shape (Z, Y, X), spacing in µm).
    /// Volume = voxel count × voxel volume; centroid and second moments are those of the voxel centres in µm
    /// (anisotropic spacing honoured, positions include the volume origin), exactly as scikit-image's regionprops
    /// computes them for unit spacing. The surface area is taken from <paramref name="surface"/> (µm²), normally the
    /// mesh extracted from the same mask; when it is null, area and sphericity are NaN.
    /// </summary>
    public static ShapeDescriptors FromMask(Volume<byte> mask, TriangleMesh? surface)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var data = mask.Data;
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        // Pass 1: count and index-space centroid (exact integer sums).
        long count = 0, sz = 0, sy = 0, sx = 0;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    if (data[row + x] == 0) continue;
                    count++; sz += z; sy += y; sx += x;
                }
            }
        if (count == 0) throw new ArgumentException("mask has no foreground voxels");
        double cz = (double)sz / count, cy = (double)sy / count, cx = (double)sx / count;
        // Pass 2: central second moments in index units.
        double mzz = 0, myy = 0, mxx = 0, mzy = 0, mzx = 0, myx = 0;
        for (int z = 0; z < nz; z++)
        {
            double dz = z - cz;
            for (int y = 0; y < ny; y++)
            {
                double dy = y - cy;
                int row = (z * ny + y) * nx;
                double rowX = 0, rowXX = 0; long rowN = 0;
                for (int x = 0; x < nx; x++)
                {
                    if (data[row + x] == 0) continue;
                    double dx = x - cx;
                    rowN++; rowX += dx; rowXX += dx * dx;
                }
                if (rowN == 0) continue;
                mzz += rowN * dz * dz; myy += rowN * dy * dy; mzy += rowN * dz * dy;
                mxx += rowXX; mzx += dz * rowX; myx += dy * rowX;
            }
        }
        var s = mask.Spacing;
        double n = count;
        // Covariance in µm², ordered (x, y, z).
        var cov = new double[9];
        cov[0] = mxx / n * s.X * s.X;
        cov[4] = myy / n * s.Y * s.Y;
        cov[8] = mzz / n * s.Z * s.Z;
        cov[1] = cov[3] = myx / n * s.Y * s.X;
        cov[2] = cov[6] = mzx / n * s.Z * s.X;
        cov[5] = cov[7] = mzy / n * s.Z * s.Y;
        double volume = count * s.VoxelVolume;
        var o = mask.Origin;
        return Build(volume, surface?.Area() ?? double.NaN, o.X + cx * s.X, o.Y + cy * s.Y, o.Z + cz * s.Z, cov);
    }

    /// <summary>
    /// Descriptors of the solid enclosed by a closed, consistently oriented <paramref name="mesh"/> (µm). Volume,
    /// centroid and second moments are exact integrals over the polyhedron (sum of signed tetrahedra to a reference
    /// point), treating it as a uniform solid; either orientation is accepted. Area is the mesh area.
    /// </summary>
    public static ShapeDescriptors FromMesh(TriangleMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var p = mesh.Vertices;
        var tri = mesh.Triangles;
        if (tri.Length == 0) throw new ArgumentException("mesh has no triangles");
        // Reference point: vertex mean, to limit cancellation far from the origin.
        double rx = 0, ry = 0, rz = 0;
        int nv = mesh.VertexCount;
        for (int i = 0; i < p.Length; i += 3) { rx += p[i]; ry += p[i + 1]; rz += p[i + 2]; }
        rx /= nv; ry /= nv; rz /= nv;
        double v6 = 0, m1x = 0, m1y = 0, m1z = 0;
        double mxx = 0, myy = 0, mzz = 0, mxy = 0, mxz = 0, myz = 0;
        for (int t = 0; t < tri.Length; t += 3)
        {
            int a = 3 * tri[t], b = 3 * tri[t + 1], c = 3 * tri[t + 2];
            double ax = p[a] - rx, ay = p[a + 1] - ry, az = p[a + 2] - rz;
            double bx = p[b] - rx, by = p[b + 1] - ry, bz = p[b + 2] - rz;
            double cx = p[c] - rx, cy = p[c + 1] - ry, cz = p[c + 2] - rz;
            double d = ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
            double sx = ax + bx + cx, sy = ay + by + cy, sz = az + bz + cz;
            v6 += d;
            m1x += d * sx; m1y += d * sy; m1z += d * sz;
            // ∫ u_i u_j dV over the tetrahedron (0, a, b, c) = d/120 · (Σ_k v_k,i v_k,j + s_i s_j).
            mxx += d * (ax * ax + bx * bx + cx * cx + sx * sx);
            myy += d * (ay * ay + by * by + cy * cy + sy * sy);
            mzz += d * (az * az + bz * bz + cz * cz + sz * sz);
            mxy += d * (ax * ay + bx * by + cx * cy + sx * sy);
            mxz += d * (ax * az + bx * bz + cx * cz + sx * sz);
            myz += d * (ay * az + by * bz + cy * cz + sy * sz);
        }
        double volume = v6 / 6.0;
        if (!(Math.Abs(volume) > 0)) throw new ArgumentException("mesh encloses no volume (open or degenerate surface)");
        // Centroid relative to the reference point: (1/V) ∫ u dV with ∫ u dV over a tetrahedron = d/24 · s.
        double gx = m1x / 24.0 / volume, gy = m1y / 24.0 / volume, gz = m1z / 24.0 / volume;
        var cov = new double[9];
        cov[0] = mxx / 120.0 / volume - gx * gx;
        cov[4] = myy / 120.0 / volume - gy * gy;
        cov[8] = mzz / 120.0 / volume - gz * gz;
        cov[1] = cov[3] = mxy / 120.0 / volume - gx * gy;
        cov[2] = cov[6] = mxz / 120.0 / volume - gx * gz;
        cov[5] = cov[7] = myz / 120.0 / volume - gy * gz;
        return Build(Math.Abs(volume), mesh.Area(), rx + gx, ry + gy, rz + gz, cov);
    }

    /// <summary>Assembles descriptors from volume (µm³), area (µm²), centroid (µm) and covariance (µm², x-y-z, row-major 3 × 3).</summary>
    private static ShapeDescriptors Build(double volume, double area, double cx, double cy, double cz, double[] cov)
    {
        var (values, vectors) = SymmetricEigen3.Decompose(cov);
        OrientFrame(vectors);
        double major = Math.Sqrt(20.0 * Math.Max(values[0], 0));
        double mid = Math.Sqrt(20.0 * Math.Max(values[1], 0));
        double minor = Math.Sqrt(20.0 * Math.Max(values[2], 0));
        double sphericity = area > 0 ? Math.Cbrt(Math.PI) * Math.Pow(6.0 * volume, 2.0 / 3.0) / area : double.NaN;
        double eqd = Math.Cbrt(6.0 * volume / Math.PI);
        return new ShapeDescriptors(
            volume, area, cx, cy, cz, major, mid, minor, sphericity, eqd,
            mid > 0 ? major / mid : double.PositiveInfinity,
            minor > 0 ? mid / minor : double.PositiveInfinity,
            Column(vectors, 0), Column(vectors, 1), Column(vectors, 2));
    }

    private static Direction3 Column(double[] v, int c) => new(v[c], v[3 + c], v[6 + c]);

    /// <summary>
    /// Fixes the signs of the eigenvector columns of a row-major 3 × 3 array in place: each column's largest-magnitude
    /// component (first on ties) becomes positive, then the third column is flipped if needed so that the frame is
    /// right-handed (the first two keep their convention).
    /// </summary>
    private static void OrientFrame(double[] vectors)
    {
        for (int c = 0; c < 3; c++)
        {
            int big = 0;
            for (int r = 1; r < 3; r++) if (Math.Abs(vectors[3 * r + c]) > Math.Abs(vectors[3 * big + c])) big = r;
            if (vectors[3 * big + c] < 0) for (int r = 0; r < 3; r++) vectors[3 * r + c] = -vectors[3 * r + c];
        }
        double det = vectors[0] * (vectors[4] * vectors[8] - vectors[5] * vectors[7])
                   - vectors[1] * (vectors[3] * vectors[8] - vectors[5] * vectors[6])
                   + vectors[2] * (vectors[3] * vectors[7] - vectors[4] * vectors[6]);
        if (det < 0) for (int r = 0; r < 3; r++) vectors[3 * r + 2] = -vectors[3 * r + 2];
    }
}
