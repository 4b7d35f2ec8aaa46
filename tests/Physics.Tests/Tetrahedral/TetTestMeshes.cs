using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics.Tests.Tetrahedral;

/// <summary>Small tetrahedral fixtures: a Kuhn-split box with its exterior faces marked.</summary>
internal static class TetTestMeshes
{
    /// <summary>
    /// The cube [0, n·h]³ split into n³ cubes of 6 Kuhn tetrahedra each. Exterior faces on the plane x = 0 are marked
    /// <see cref="BoundaryRegion.Psd"/>, all others <see cref="BoundaryRegion.Membrane"/>; tetrahedra with centroid
    /// z &gt; n·h/2 get subdomain 1.
    /// </summary>
    public static TetMesh KuhnBox(int n, double h)
    {
        int N = n + 1;
        var verts = new double[3 * N * N * N];
        for (int k = 0; k < N; k++)
            for (int j = 0; j < N; j++)
                for (int i = 0; i < N; i++)
                {
                    int v = i + N * (j + N * k);
                    verts[3 * v] = i * h; verts[3 * v + 1] = j * h; verts[3 * v + 2] = k * h;
                }
        int Id(int i, int j, int k) => i + N * (j + N * k);
        var tets = new List<int>();
        int[][] perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for (int k = 0; k < n; k++)
            for (int j = 0; j < n; j++)
                for (int i = 0; i < n; i++)
                    foreach (var perm in perms)
                    {
                        var c = new[] { i, j, k };
                        var t = new int[4];
                        t[0] = Id(c[0], c[1], c[2]);
                        for (int s = 0; s < 3; s++)
                        {
                            c[perm[s]]++;
                            t[s + 1] = Id(c[0], c[1], c[2]);
                        }
                        if (TetMeshQuality.Orient(verts, t[0], t[1], t[2], t[3]) < 0) (t[2], t[3]) = (t[3], t[2]);
                        tets.AddRange(t);
                    }
        var tetArray = tets.ToArray();
        int m = tetArray.Length / 4;
        var regions = new int[m];
        for (int t = 0; t < m; t++)
        {
            double z = 0;
            for (int q = 0; q < 4; q++) z += verts[3 * tetArray[4 * t + q] + 2];
            regions[t] = z / 4 > n * h / 2 ? 1 : 0;
        }
        var (faces, markers) = Exterior(verts, tetArray, (a, b, c) =>
            verts[3 * a] == 0 && verts[3 * b] == 0 && verts[3 * c] == 0 ? BoundaryRegion.Psd : BoundaryRegion.Membrane);
        return new TetMesh(verts, tetArray, regions, faces, markers);
    }

    public static (int, int, int) Sort(int a, int b, int c)
    {
        if (a > b) (a, b) = (b, a);
        if (b > c) (b, c) = (c, b);
        if (a > b) (a, b) = (b, a);
        return (a, b, c);
    }

    /// <summary>Faces used by exactly one tetrahedron, oriented outward, with a marker from <paramref name="marker"/>.</summary>
    public static (int[] Faces, int[] Markers) Exterior(double[] verts, int[] tets, Func<int, int, int, int> marker)
    {
        var count = new Dictionary<(int, int, int), (int N, int A, int B, int C)>();
        int m = tets.Length / 4;
        for (int t = 0; t < m; t++)
            for (int f = 0; f < 4; f++)
            {
                int a = tets[4 * t + (f + 1) % 4], b = tets[4 * t + (f + 2) % 4], c = tets[4 * t + (f + 3) % 4], d = tets[4 * t + f];
                if (TetMeshQuality.Orient(verts, a, b, c, d) > 0) (b, c) = (c, b);
                var key = Sort(a, b, c);
                count[key] = count.TryGetValue(key, out var e) ? (e.N + 1, e.A, e.B, e.C) : (1, a, b, c);
            }
        var faces = new List<int>();
        var markers = new List<int>();
        foreach (var e in count.Values)
            if (e.N == 1)
            {
                faces.Add(e.A); faces.Add(e.B); faces.Add(e.C);
                markers.Add(marker(e.A, e.B, e.C));
            }
        return (faces.ToArray(), markers.ToArray());
    }
}
