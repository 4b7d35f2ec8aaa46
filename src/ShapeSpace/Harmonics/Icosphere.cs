using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>Unit icospheres: watertight, outward counter-clockwise triangle meshes approximating the unit sphere.</summary>
public static class Icosphere
{
    /// <summary>
    /// The icosahedron refined <paramref name="subdivisions"/> times by edge midpoints pushed to the unit sphere:
    /// 10·4^s + 2 vertices and 20·4^s triangles, centred at the origin, radius 1 (dimensionless).
    /// </summary>
    public static TriangleMesh Create(int subdivisions)
    {
        if (subdivisions < 0 || subdivisions > 8) throw new ArgumentOutOfRangeException(nameof(subdivisions), "0 … 8");
        double g = (1 + Math.Sqrt(5)) / 2;
        var v = new List<double>
        {
            -1, g, 0, 1, g, 0, -1, -g, 0, 1, -g, 0,
            0, -1, g, 0, 1, g, 0, -1, -g, 0, 1, -g,
            g, 0, -1, g, 0, 1, -g, 0, -1, -g, 0, 1,
        };
        for (int i = 0; i < 12; i++) Normalise(v, i);
        int[] tris =
        [
            0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
            1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
            3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
            4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
        ];
        for (int s = 0; s < subdivisions; s++)
        {
            var midpoints = new Dictionary<long, int>(tris.Length);
            var next = new int[tris.Length * 4];
            int Mid(int a, int b)
            {
                long key = a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
                if (midpoints.TryGetValue(key, out int idx)) return idx;
                idx = v.Count / 3;
                v.Add(v[3 * a] + v[3 * b]); v.Add(v[3 * a + 1] + v[3 * b + 1]); v.Add(v[3 * a + 2] + v[3 * b + 2]);
                Normalise(v, idx);
                midpoints[key] = idx;
                return idx;
            }
            for (int i = 0, o = 0; i < tris.Length; i += 3, o += 12)
            {
                int a = tris[i], b = tris[i + 1], c = tris[i + 2];
                int ab = Mid(a, b), bc = Mid(b, c), ca = Mid(c, a);
                next[o] = a; next[o + 1] = ab; next[o + 2] = ca;
                next[o + 3] = b; next[o + 4] = bc; next[o + 5] = ab;
                next[o + 6] = c; next[o + 7] = ca; next[o + 8] = bc;
                next[o + 9] = ab; next[o + 10] = bc; next[o + 11] = ca;
            }
            tris = next;
        }
        return new TriangleMesh(v.ToArray(), tris);
    }

    private static void Normalise(List<double> v, int i)
    {
        double n = Math.Sqrt(v[3 * i] * v[3 * i] + v[3 * i + 1] * v[3 * i + 1] + v[3 * i + 2] * v[3 * i + 2]);
        v[3 * i] /= n; v[3 * i + 1] /= n; v[3 * i + 2] /= n;
    }
}
