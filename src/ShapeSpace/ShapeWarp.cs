using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// Synthetic shape variants by an affine stretch about the centroid along the principal axes:
/// p' = c + R · diag(s_major, s_mid, s_minor) · Rᵀ · (p − c), with R the (major, mid, minor) axis frame of the
/// parent's <see cref="ShapeDescriptors"/>. Volume scales by s_major · s_mid · s_minor and each axis length by its
/// own factor; the rest of the shape (surface detail, protrusions) is carried along.
/// </summary>
public static class ShapeWarp
{
    /// <summary>
    /// Warps a binary mask (shape (Z, Y, X), non-zero = inside). The output has the same spacing, a grid sized to
    /// the warped shape plus one voxel of padding on every side, on the input's voxel lattice (origin shifted by whole
    /// voxels, µm). Each output
    /// voxel is inside iff its preimage under the map, rounded to the nearest input voxel, is a foreground voxel.
    /// </summary>
    public static Volume<byte> WarpMask(Volume<byte> mask, ShapeDescriptors d, double scaleMajor, double scaleMid, double scaleMinor)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(d);
        var fwd = Matrix(d, scaleMajor, scaleMid, scaleMinor);
        var inv = Matrix(d, 1 / scaleMajor, 1 / scaleMid, 1 / scaleMinor);
        var s = mask.Spacing;
        var o = mask.Origin;
        double cx = d.CentroidXUm, cy = d.CentroidYUm, cz = d.CentroidZUm;

        // Bounding box (x, y, z) of the input foreground voxel centres.
        int minX = int.MaxValue, minY = int.MaxValue, minZ = int.MaxValue, maxX = -1, maxY = -1, maxZ = -1;
        var data = mask.Data;
        for (int z = 0; z < mask.NZ; z++)
            for (int y = 0; y < mask.NY; y++)
            {
                int row = (z * mask.NY + y) * mask.NX;
                for (int x = 0; x < mask.NX; x++)
                {
                    if (data[row + x] == 0) continue;
                    if (x < minX) minX = x; if (x > maxX) maxX = x;
                    if (y < minY) minY = y; if (y > maxY) maxY = y;
                    if (z < minZ) minZ = z; if (z > maxZ) maxZ = z;
                }
            }
        if (maxX < 0) throw new ArgumentException("mask has no foreground voxels");

        // Map the 8 corners of the foreground box (voxel faces, so half a voxel beyond the centres) forward.
        var lo = new[] { double.MaxValue, double.MaxValue, double.MaxValue };
        var hi = new[] { double.MinValue, double.MinValue, double.MinValue };
        for (int k = 0; k < 8; k++)
        {
            double px = o.X + ((k & 1) == 0 ? minX - 0.5 : maxX + 0.5) * s.X - cx;
            double py = o.Y + ((k & 2) == 0 ? minY - 0.5 : maxY + 0.5) * s.Y - cy;
            double pz = o.Z + ((k & 4) == 0 ? minZ - 0.5 : maxZ + 0.5) * s.Z - cz;
            for (int i = 0; i < 3; i++)
            {
                double q = fwd[3 * i] * px + fwd[3 * i + 1] * py + fwd[3 * i + 2] * pz;
                lo[i] = Math.Min(lo[i], q);
                hi[i] = Math.Max(hi[i], q);
            }
        }
        // Output grid: same spacing and lattice as the input (origin shifted by whole voxels, so an identity warp
        // reproduces the mask exactly), covering the warped box plus one voxel on every side.
        int x0 = (int)Math.Floor((cx + lo[0] - o.X) / s.X) - 1, x1 = (int)Math.Ceiling((cx + hi[0] - o.X) / s.X) + 1;
        int y0 = (int)Math.Floor((cy + lo[1] - o.Y) / s.Y) - 1, y1 = (int)Math.Ceiling((cy + hi[1] - o.Y) / s.Y) + 1;
        int z0 = (int)Math.Floor((cz + lo[2] - o.Z) / s.Z) - 1, z1 = (int)Math.Ceiling((cz + hi[2] - o.Z) / s.Z) + 1;
        int nx = x1 - x0 + 1, ny = y1 - y0 + 1, nz = z1 - z0 + 1;
        double ox = o.X + x0 * s.X, oy = o.Y + y0 * s.Y, oz = o.Z + z0 * s.Z;
        var output = new byte[(long)nz * ny * nx];
        int inNx = mask.NX, inNy = mask.NY, inNz = mask.NZ;
        Parallel.For(0, nz, z =>
        {
            double pz = oz + z * s.Z - cz;
            for (int y = 0; y < ny; y++)
            {
                double py = oy + y * s.Y - cy;
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    double px = ox + x * s.X - cx;
                    double qx = inv[0] * px + inv[1] * py + inv[2] * pz + cx;
                    double qy = inv[3] * px + inv[4] * py + inv[5] * pz + cy;
                    double qz = inv[6] * px + inv[7] * py + inv[8] * pz + cz;
                    int ix = (int)Math.Round((qx - o.X) / s.X, MidpointRounding.AwayFromZero);
                    int iy = (int)Math.Round((qy - o.Y) / s.Y, MidpointRounding.AwayFromZero);
                    int iz = (int)Math.Round((qz - o.Z) / s.Z, MidpointRounding.AwayFromZero);
                    if ((uint)ix < (uint)inNx && (uint)iy < (uint)inNy && (uint)iz < (uint)inNz
                        && data[(iz * inNy + iy) * inNx + ix] != 0)
                        output[row + x] = 1;
                }
            }
        });
        return new Volume<byte>(nz, ny, nx, s, output, (oz, oy, ox));
    }

    /// <summary>Warps a surface mesh (µm) by the same principal-axis stretch about the centroid; triangles are unchanged.</summary>
    public static TriangleMesh WarpMesh(TriangleMesh mesh, ShapeDescriptors d, double scaleMajor, double scaleMid, double scaleMinor)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(d);
        var m = Matrix(d, scaleMajor, scaleMid, scaleMinor);
        double cx = d.CentroidXUm, cy = d.CentroidYUm, cz = d.CentroidZUm;
        return mesh.Transformed((x, y, z) =>
        {
            double px = x - cx, py = y - cy, pz = z - cz;
            return (cx + m[0] * px + m[1] * py + m[2] * pz,
                    cy + m[3] * px + m[4] * py + m[5] * pz,
                    cz + m[6] * px + m[7] * py + m[8] * pz);
        });
    }

    /// <summary>Row-major 3 × 3 matrix R · diag(s) · Rᵀ acting on (x, y, z).</summary>
    private static double[] Matrix(ShapeDescriptors d, double sMajor, double sMid, double sMinor)
    {
        foreach (var sc in new[] { sMajor, sMid, sMinor })
            if (!(sc > 0) || !double.IsFinite(sc)) throw new ArgumentOutOfRangeException(nameof(sMajor), $"scale factors must be positive and finite, got {sc}");
        var axes = new[] { d.MajorDirection, d.MidDirection, d.MinorDirection };
        var scales = new[] { sMajor, sMid, sMinor };
        var m = new double[9];
        for (int k = 0; k < 3; k++)
        {
            var a = axes[k];
            var v = new[] { a.X, a.Y, a.Z };
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    m[3 * i + j] += scales[k] * v[i] * v[j];
        }
        return m;
    }
}
