using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests.Conditioning;

/// <summary>Analytic meshes and mesh edits for the conditioning tests (lengths in µm).</summary>
internal static class ConditioningFixtures
{
    /// <summary>Torus around the z axis: major radius R, minor radius r, nu × nv quads split into triangles, outward.</summary>
    public static TriangleMesh Torus(double major, double minor, int nu, int nv)
    {
        var v = new double[3 * nu * nv];
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                double u = 2 * Math.PI * i / nu, w = 2 * Math.PI * j / nv;
                int k = 3 * (i * nv + j);
                v[k] = (major + minor * Math.Cos(w)) * Math.Cos(u);
                v[k + 1] = (major + minor * Math.Cos(w)) * Math.Sin(u);
                v[k + 2] = minor * Math.Sin(w);
            }
        var t = new List<int>();
        for (int i = 0; i < nu; i++)
            for (int j = 0; j < nv; j++)
            {
                int a = i * nv + j, b = (i + 1) % nu * nv + j, c = (i + 1) % nu * nv + (j + 1) % nv, d = i * nv + (j + 1) % nv;
                t.AddRange(new[] { a, b, c, a, c, d });
            }
        return new TriangleMesh(v, t.ToArray());
    }

    /// <summary>Axis-aligned cube of edge 2·half centred at the origin, each face an n × n grid of quads, outward.</summary>
    public static TriangleMesh Cube(double half, int n)
    {
        var index = new Dictionary<(long, long, long), int>();
        var verts = new List<double>();
        var tris = new List<int>();
        int Vertex(double x, double y, double z)
        {
            var key = ((long)Math.Round(x * 1e9), (long)Math.Round(y * 1e9), (long)Math.Round(z * 1e9));
            if (!index.TryGetValue(key, out int id)) { id = verts.Count / 3; index[key] = id; verts.Add(x); verts.Add(y); verts.Add(z); }
            return id;
        }
        // Each face: origin o, in-plane axes e1, e2 with e1 × e2 = outward normal.
        var faces = new (double[] O, double[] E1, double[] E2)[]
        {
            (new[] { 1.0, -1, -1 }, new[] { 0.0, 1, 0 }, new[] { 0.0, 0, 1 }),
            (new[] { -1.0, -1, -1 }, new[] { 0.0, 0, 1 }, new[] { 0.0, 1, 0 }),
            (new[] { -1.0, 1, -1 }, new[] { 0.0, 0, 1 }, new[] { 1.0, 0, 0 }),
            (new[] { -1.0, -1, -1 }, new[] { 1.0, 0, 0 }, new[] { 0.0, 0, 1 }),
            (new[] { -1.0, -1, 1 }, new[] { 1.0, 0, 0 }, new[] { 0.0, 1, 0 }),
            (new[] { -1.0, -1, -1 }, new[] { 0.0, 1, 0 }, new[] { 1.0, 0, 0 }),
        };
        foreach (var (o, e1, e2) in faces)
        {
            int Id(int i, int j)
            {
                double s = 2.0 * i / n, r = 2.0 * j / n;
                return Vertex(half * (o[0] + s * e1[0] + r * e2[0]), half * (o[1] + s * e1[1] + r * e2[1]), half * (o[2] + s * e1[2] + r * e2[2]));
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    int a = Id(i, j), b = Id(i + 1, j), c = Id(i + 1, j + 1), d = Id(i, j + 1);
                    tris.AddRange(new[] { a, b, c, a, c, d });
                }
        }
        return new TriangleMesh(verts.ToArray(), tris.ToArray());
    }

    /// <summary>Both meshes in one (vertices of <paramref name="b"/> appended).</summary>
    public static TriangleMesh Merge(TriangleMesh a, TriangleMesh b)
    {
        var v = a.Vertices.Concat(b.Vertices).ToArray();
        var t = a.Triangles.Concat(b.Triangles.Select(i => i + a.VertexCount)).ToArray();
        return new TriangleMesh(v, t);
    }

    /// <summary>Every vertex moved radially by a uniform random fraction in [−amplitude, amplitude] of its radius.</summary>
    public static TriangleMesh RadialNoise(TriangleMesh m, double amplitude, int seed)
    {
        var rng = new Random(seed);
        return m.Transformed((x, y, z) =>
        {
            double f = 1 + amplitude * (2 * rng.NextDouble() - 1);
            return (x * f, y * f, z * f);
        });
    }

    /// <summary>Every vertex moved by a uniform random offset in [−amplitude, amplitude]³ (µm).</summary>
    public static TriangleMesh Jitter(TriangleMesh m, double amplitude, int seed)
    {
        var rng = new Random(seed);
        return m.Transformed((x, y, z) => (x + amplitude * (2 * rng.NextDouble() - 1), y + amplitude * (2 * rng.NextDouble() - 1),
            z + amplitude * (2 * rng.NextDouble() - 1)));
    }

    /// <summary>RMS of |p| − r over the vertices (µm).</summary>
    public static double RadiusRmsError(TriangleMesh m, double r)
    {
        double s = 0;
        var v = m.Vertices;
        for (int i = 0; i < v.Length; i += 3)
        {
            double e = Math.Sqrt(v[i] * v[i] + v[i + 1] * v[i + 1] + v[i + 2] * v[i + 2]) - r;
            s += e * e;
        }
        return Math.Sqrt(s / m.VertexCount);
    }

    /// <summary>The mesh with the listed triangles removed.</summary>
    public static TriangleMesh WithoutTriangles(TriangleMesh m, ISet<int> remove)
    {
        var t = new List<int>();
        for (int i = 0; i < m.TriangleCount; i++)
            if (!remove.Contains(i)) t.AddRange(new[] { m.Triangles[3 * i], m.Triangles[3 * i + 1], m.Triangles[3 * i + 2] });
        return new TriangleMesh(m.Vertices, t.ToArray());
    }

    /// <summary>The mesh with the listed triangles' corner order reversed.</summary>
    public static TriangleMesh WithFlipped(TriangleMesh m, Func<int, bool> flip)
    {
        var t = (int[])m.Triangles.Clone();
        for (int i = 0; i < m.TriangleCount; i++)
            if (flip(i)) (t[3 * i + 1], t[3 * i + 2]) = (t[3 * i + 2], t[3 * i + 1]);
        return new TriangleMesh(m.Vertices, t);
    }

    /// <summary>Triangle soup: every triangle gets its own three vertex copies.</summary>
    public static TriangleMesh Soup(TriangleMesh m)
    {
        var v = new double[9 * m.TriangleCount];
        var t = new int[3 * m.TriangleCount];
        for (int i = 0; i < t.Length; i++)
        {
            int s = m.Triangles[i];
            v[3 * i] = m.Vertices[3 * s]; v[3 * i + 1] = m.Vertices[3 * s + 1]; v[3 * i + 2] = m.Vertices[3 * s + 2];
            t[i] = i;
        }
        return new TriangleMesh(v, t);
    }

    /// <summary>Volume of a sphere of radius r, µm³.</summary>
    public static double SphereVolume(double r) => 4.0 / 3.0 * Math.PI * r * r * r;
}
