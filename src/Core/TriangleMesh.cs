namespace ShapeStudy.Core;

/// <summary>
/// An indexed triangle surface. <see cref="Vertices"/> holds N × 3 coordinates in µm as (x, y, z) per vertex;
/// <see cref="Triangles"/> holds M × 3 zero-based vertex indices, counter-clockwise seen from outside
/// (outward normals) for a closed surface.
/// </summary>
public sealed class TriangleMesh
{
    public double[] Vertices { get; }
    public int[] Triangles { get; }

    public TriangleMesh(double[] vertices, int[] triangles)
    {
        if (vertices.Length % 3 != 0) throw new ArgumentException("vertex array length must be a multiple of 3");
        if (triangles.Length % 3 != 0) throw new ArgumentException("triangle array length must be a multiple of 3");
        int nv = vertices.Length / 3;
        foreach (var t in triangles)
            if ((uint)t >= (uint)nv) throw new ArgumentException($"triangle index {t} out of range (mesh has {nv} vertices)");
        Vertices = vertices;
        Triangles = triangles;
    }

    public int VertexCount => Vertices.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>Total surface area in µm².</summary>
    public double Area()
    {
        double a = 0;
        for (int t = 0; t < Triangles.Length; t += 3)
        {
            var (ux, uy, uz, vx, vy, vz) = Edges(t);
            double cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
            a += 0.5 * Math.Sqrt(cx * cx + cy * cy + cz * cz);
        }
        return a;
    }

    /// <summary>Signed enclosed volume in µm³ (divergence theorem); positive for outward-oriented closed surfaces.</summary>
    public double SignedVolume()
    {
        double v = 0;
        for (int t = 0; t < Triangles.Length; t += 3)
        {
            int a = 3 * Triangles[t], b = 3 * Triangles[t + 1], c = 3 * Triangles[t + 2];
            v += Det(a, b, c);
        }
        return v / 6.0;
    }

    /// <summary>Centroid of the enclosed solid in µm as (x, y, z); requires a closed surface.</summary>
    public (double X, double Y, double Z) VolumeCentroid()
    {
        double v = 0, cx = 0, cy = 0, cz = 0;
        var p = Vertices;
        for (int t = 0; t < Triangles.Length; t += 3)
        {
            int a = 3 * Triangles[t], b = 3 * Triangles[t + 1], c = 3 * Triangles[t + 2];
            double d = Det(a, b, c);
            v += d;
            cx += d * (p[a] + p[b] + p[c]);
            cy += d * (p[a + 1] + p[b + 1] + p[c + 1]);
            cz += d * (p[a + 2] + p[b + 2] + p[c + 2]);
        }
        if (Math.Abs(v) < 1e-300) return (0, 0, 0);
        return (cx / (4 * v), cy / (4 * v), cz / (4 * v));
    }

    /// <summary>Axis-aligned bounding box in µm: (min x, y, z; max x, y, z).</summary>
    public (double[] Min, double[] Max) Bounds()
    {
        var min = new[] { double.MaxValue, double.MaxValue, double.MaxValue };
        var max = new[] { double.MinValue, double.MinValue, double.MinValue };
        for (int i = 0; i < Vertices.Length; i++)
        {
            int k = i % 3;
            min[k] = Math.Min(min[k], Vertices[i]);
            max[k] = Math.Max(max[k], Vertices[i]);
        }
        return (min, max);
    }

    /// <summary>
    /// Edge topology: counts of boundary edges (used by one triangle), non-manifold edges (used by more than two),
    /// and edges whose two triangles traverse them in the same direction (inconsistent orientation).
    /// </summary>
    public (int Boundary, int NonManifold, int Misoriented, int Edges) EdgeTopology()
    {
        // Count each directed edge (a → b); an undirected edge is looked up under (min, max).
        var directed = new Dictionary<(int, int), int>(Triangles.Length);
        for (int t = 0; t < Triangles.Length; t += 3)
            for (int k = 0; k < 3; k++)
            {
                var key = (Triangles[t + k], Triangles[t + (k + 1) % 3]);
                directed[key] = directed.GetValueOrDefault(key) + 1;
            }
        int boundary = 0, nonManifold = 0, misoriented = 0, edges = 0;
        foreach (var ((a, b), count) in directed)
        {
            int rev = directed.GetValueOrDefault((b, a));
            if (a > b && rev > 0) continue;    // counted with its reverse (b, a)
            edges++;
            int uses = count + rev;
            if (uses == 1) boundary++;
            else if (uses > 2) nonManifold++;
            else if (count != 1 || rev != 1) misoriented++;
        }
        return (boundary, nonManifold, misoriented, edges);
    }

    /// <summary>True when closed, 2-manifold on edges and consistently oriented.</summary>
    public bool IsWatertight()
    {
        var e = EdgeTopology();
        return TriangleCount > 0 && e.Boundary == 0 && e.NonManifold == 0 && e.Misoriented == 0;
    }

    /// <summary>Euler characteristic V − E + F over the vertices referenced by triangles.</summary>
    public int EulerCharacteristic()
    {
        var used = new HashSet<int>(Triangles);
        return used.Count - EdgeTopology().Edges + TriangleCount;
    }

    /// <summary>A copy with every vertex mapped by <paramref name="map"/> (x, y, z) → (x, y, z).</summary>
    public TriangleMesh Transformed(Func<double, double, double, (double X, double Y, double Z)> map)
    {
        var v = new double[Vertices.Length];
        for (int i = 0; i < v.Length; i += 3)
        {
            var (x, y, z) = map(Vertices[i], Vertices[i + 1], Vertices[i + 2]);
            v[i] = x; v[i + 1] = y; v[i + 2] = z;
        }
        return new TriangleMesh(v, (int[])Triangles.Clone());
    }

    private double Det(int a, int b, int c)
    {
        var p = Vertices;
        return p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
             - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
             + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
    }

    private (double, double, double, double, double, double) Edges(int t)
    {
        var p = Vertices;
        int a = 3 * Triangles[t], b = 3 * Triangles[t + 1], c = 3 * Triangles[t + 2];
        return (p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2], p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]);
    }
}
