using System.Buffers.Binary;
using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace.Tests;

/// <summary>Geometry and data helpers shared by the tests.</summary>
internal static class TestShapes
{
    /// <summary>
    /// Solid ellipsoid mask: voxel centres p (µm) with |D⁻¹ Rᵀ (p − c)| ≤ 1, semi-axes (µm) along the columns of
    /// <paramref name="rotation"/> (row-major 3 × 3 acting on x, y, z; identity when null).
    /// </summary>
    public static Volume<byte> EllipsoidMask(int nz, int ny, int nx, Spacing spacing, (double X, double Y, double Z) centre,
        (double A, double B, double C) semiAxes, double[]? rotation = null)
    {
        var r = rotation ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var v = new Volume<byte>(nz, ny, nx, spacing);
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int x = 0; x < nx; x++)
                {
                    double px = x * spacing.X - centre.X, py = y * spacing.Y - centre.Y, pz = z * spacing.Z - centre.Z;
                    double u = (r[0] * px + r[3] * py + r[6] * pz) / semiAxes.A;
                    double w = (r[1] * px + r[4] * py + r[7] * pz) / semiAxes.B;
                    double t = (r[2] * px + r[5] * py + r[8] * pz) / semiAxes.C;
                    if (u * u + w * w + t * t <= 1) v[z, y, x] = 1;
                }
        return v;
    }

    /// <summary>Rotation matrix (row-major, acting on x, y, z) from Z-Y-X Euler angles in radians.</summary>
    public static double[] Rotation(double yaw, double pitch, double roll)
    {
        double cz = Math.Cos(yaw), sz = Math.Sin(yaw), cy = Math.Cos(pitch), sy = Math.Sin(pitch), cx = Math.Cos(roll), sx = Math.Sin(roll);
        return
        [
            cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx,
            sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx,
            -sy, cy * sx, cy * cx,
        ];
    }

    /// <summary>Unit icosphere (outward, CCW) refined <paramref name="levels"/> times.</summary>
    public static TriangleMesh Icosphere(int levels)
    {
        double t = (1 + Math.Sqrt(5)) / 2;
        var verts = new List<double>
        {
            -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t, 0,
            0, -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t,
            t, 0, -1, t, 0, 1, -t, 0, -1, -t, 0, 1,
        };
        var tris = new List<int>
        {
            0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
            1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
            3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
            4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
        };
        Normalize(verts, 0, 12);
        for (int l = 0; l < levels; l++)
        {
            var mid = new Dictionary<long, int>();
            var next = new List<int>(tris.Count * 4);
            int Mid(int a, int b)
            {
                long key = a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
                if (mid.TryGetValue(key, out int idx)) return idx;
                idx = verts.Count / 3;
                verts.Add((verts[3 * a] + verts[3 * b]) / 2);
                verts.Add((verts[3 * a + 1] + verts[3 * b + 1]) / 2);
                verts.Add((verts[3 * a + 2] + verts[3 * b + 2]) / 2);
                Normalize(verts, idx, idx + 1);
                mid[key] = idx;
                return idx;
            }
            for (int i = 0; i < tris.Count; i += 3)
            {
                int a = tris[i], b = tris[i + 1], c = tris[i + 2];
                int ab = Mid(a, b), bc = Mid(b, c), ca = Mid(c, a);
                next.AddRange([a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca]);
            }
            tris = next;
        }
        return new TriangleMesh(verts.ToArray(), tris.ToArray());
    }

    private static void Normalize(List<double> v, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            double n = Math.Sqrt(v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]);
            v[3 * i] /= n; v[3 * i + 1] /= n; v[3 * i + 2] /= n;
        }
    }

    /// <summary>An ellipsoid mesh: unit icosphere scaled by (a, b, c) along x, y, z, then rotated and moved to <paramref name="centre"/>.</summary>
    public static TriangleMesh EllipsoidMesh(double a, double b, double c, int levels, double[]? rotation = null, (double X, double Y, double Z) centre = default)
    {
        var r = rotation ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
        return Icosphere(levels).Transformed((x, y, z) =>
        {
            double px = a * x, py = b * y, pz = c * z;
            return (centre.X + r[0] * px + r[1] * py + r[2] * pz,
                    centre.Y + r[3] * px + r[4] * py + r[5] * pz,
                    centre.Z + r[6] * px + r[7] * py + r[8] * pz);
        });
    }

    /// <summary>Minimal reader for uncompressed 8-bit multi-page TIFF stacks (one strip set per page), (Z, Y, X).</summary>
    public static Volume<byte> ReadUInt8Stack(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bool little = bytes[0] == (byte)'I';
        ushort U16(long o) => little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)o)) : BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan((int)o));
        uint U32(long o) => little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)o)) : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)o));
        if (U16(2) != 42) throw new InvalidDataException("not a classic TIFF");
        var pages = new List<byte[]>();
        int width = 0, height = 0;
        long ifd = U32(4);
        while (ifd != 0)
        {
            int n = U16(ifd);
            var offsets = new List<long>();
            var counts = new List<long>();
            for (int i = 0; i < n; i++)
            {
                long e = ifd + 2 + 12 * i;
                int tag = U16(e), type = U16(e + 2);
                long count = U32(e + 4);
                long Value(int k)
                {
                    int size = type == 3 ? 2 : 4;
                    long at = count * size <= 4 ? e + 8 + k * size : U32(e + 8) + k * size;
                    return type == 3 ? U16(at) : U32(at);
                }
                switch (tag)
                {
                    case 256: width = (int)Value(0); break;
                    case 257: height = (int)Value(0); break;
                    case 258: if (Value(0) != 8) throw new InvalidDataException("only 8-bit samples supported"); break;
                    case 259: if (Value(0) != 1) throw new InvalidDataException("only uncompressed TIFF supported"); break;
                    case 273: for (int k = 0; k < count; k++) offsets.Add(Value(k)); break;
                    case 279: for (int k = 0; k < count; k++) counts.Add(Value(k)); break;
                }
            }
            var page = new byte[width * height];
            int pos = 0;
            for (int k = 0; k < offsets.Count; k++)
            {
                Array.Copy(bytes, offsets[k], page, pos, counts[k]);
                pos += (int)counts[k];
            }
            pages.Add(page);
            ifd = U32(ifd + 2 + 12 * n);
        }
        var data = new byte[pages.Count * width * height];
        for (int z = 0; z < pages.Count; z++) pages[z].CopyTo(data, z * width * height);
        return new Volume<byte>(pages.Count, height, width, Spacing.Isotropic(1), data);
    }

    /// <summary>Largest 26-connected component of the non-zero voxels as a 0/1 mask.</summary>
    public static Volume<byte> LargestComponent(Volume<byte> fg)
    {
        int nz = fg.NZ, ny = fg.NY, nx = fg.NX;
        var label = new int[fg.Length];
        var queue = new int[fg.Length];
        int next = 0, best = 0, bestSize = 0;
        for (int start = 0; start < fg.Length; start++)
        {
            if (fg.Data[start] == 0 || label[start] != 0) continue;
            int id = ++next, head = 0, tail = 0;
            label[start] = id; queue[tail++] = start;
            while (head < tail)
            {
                int i = queue[head++];
                int z = i / (ny * nx), y = i / nx % ny, x = i % nx;
                for (int dz = -1; dz <= 1; dz++)
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int zz = z + dz, yy = y + dy, xx = x + dx;
                            if (!fg.Contains(zz, yy, xx)) continue;
                            int j = (zz * ny + yy) * nx + xx;
                            if (fg.Data[j] == 0 || label[j] != 0) continue;
                            label[j] = id; queue[tail++] = j;
                        }
            }
            if (tail > bestSize) { bestSize = tail; best = id; }
        }
        var mask = new byte[fg.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = label[i] == best ? (byte)1 : (byte)0;
        return fg.WithData(mask);
    }
}

/// <summary>Minimal Wavefront OBJ reader (triangular faces, "v x y z" and "f a b c", optional /vt/vn suffixes).</summary>
internal static class Obj
{
    public static TriangleMesh Read(string path)
    {
        var v = new List<double>();
        var f = new List<int>();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (parts[0] == "v")
                for (int k = 1; k <= 3; k++) v.Add(double.Parse(parts[k], System.Globalization.CultureInfo.InvariantCulture));
            else if (parts[0] == "f")
                for (int k = 1; k <= 3; k++) f.Add(int.Parse(parts[k].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture) - 1);
        }
        return new TriangleMesh(v.ToArray(), f.ToArray());
    }
}
