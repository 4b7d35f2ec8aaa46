using ShapeStudy.Core;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics.Calcium;

/// <summary>
/// Head / neck / base compartments of a spine mesh, one id per tetrahedron (<see cref="Head"/>, <see cref="Neck"/>,
/// <see cref="Base"/>), for per-compartment phenotypes.
/// </summary>
public static class SpineCompartments
{
    /// <summary>Compartment ids.</summary>
    public const int Head = 0, Neck = 1, Base = 2;

    /// <summary>Compartment names by id (the <c>timeseries</c> table's compartment column).</summary>
    public static IReadOnlyList<string> Names { get; } = ["head", "neck", "base"];

    /// <summary>
    /// From labelled surface regions: each tetrahedron takes the compartment of the surface triangle nearest to its
    /// centroid. <paramref name="faceCompartment"/> holds one compartment id per triangle of <paramref name="surface"/>
    /// (µm; e.g. head and PSD faces → <see cref="Head"/>, neck → <see cref="Neck"/>, dendrite shaft → <see cref="Base"/>).
    /// </summary>
    public static int[] FromSurfaceLabels(TetMesh mesh, TriangleMesh surface, int[] faceCompartment)
    {
        if (faceCompartment.Length != surface.TriangleCount)
            throw new ArgumentException($"expected {surface.TriangleCount} face compartments, got {faceCompartment.Length}", nameof(faceCompartment));
        var locator = new SurfaceLocator(surface);
        var result = new int[mesh.TetCount];
        var p = mesh.Vertices; var tt = mesh.Tetrahedra;
        Parallel.For(0, mesh.TetCount, t =>
        {
            double x = 0, y = 0, z = 0;
            for (int i = 0; i < 4; i++) { int v = 3 * tt[4 * t + i]; x += p[v]; y += p[v + 1]; z += p[v + 2]; }
            result[t] = faceCompartment[locator.Closest(x / 4, y / 4, z / 4).Triangle];
        });
        return result;
    }

    /// <summary>
    /// From geometry alone: the mesh's major principal axis (of its volume), oriented towards the PSD faces
    /// (<see cref="BoundaryRegion.Psd"/>) when there are any, otherwise towards +axis; tetrahedra whose centroid projects
    /// into the top third of the extent are <see cref="Head"/>, the middle third <see cref="Neck"/>, the bottom third <see cref="Base"/>.
    /// </summary>
    public static int[] FromAxis(TetMesh mesh)
    {
        int n = mesh.TetCount;
        var cx = new double[n]; var cy = new double[n]; var cz = new double[n]; var w = new double[n];
        double sw = 0, mx = 0, my = 0, mz = 0;
        var p = mesh.Vertices; var tt = mesh.Tetrahedra;
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < 4; i++) { int v = 3 * tt[4 * t + i]; cx[t] += p[v] / 4; cy[t] += p[v + 1] / 4; cz[t] += p[v + 2] / 4; }
            w[t] = mesh.TetVolume(t); sw += w[t]; mx += w[t] * cx[t]; my += w[t] * cy[t]; mz += w[t] * cz[t];
        }
        mx /= sw; my /= sw; mz /= sw;
        var cov = new double[3, 3];
        for (int t = 0; t < n; t++)
        {
            double[] d = [cx[t] - mx, cy[t] - my, cz[t] - mz];
            for (int a = 0; a < 3; a++) for (int b = 0; b < 3; b++) cov[a, b] += w[t] * d[a] * d[b];
        }
        // major axis by power iteration (the covariance is symmetric positive semi-definite)
        double ax = 1, ay = 0.7, az = 0.3;
        for (int it = 0; it < 200; it++)
        {
            double nx = cov[0, 0] * ax + cov[0, 1] * ay + cov[0, 2] * az;
            double ny = cov[1, 0] * ax + cov[1, 1] * ay + cov[1, 2] * az;
            double nz = cov[2, 0] * ax + cov[2, 1] * ay + cov[2, 2] * az;
            double norm = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            if (!(norm > 0)) break;
            ax = nx / norm; ay = ny / norm; az = nz / norm;
        }
        // orient towards the PSD
        var f = mesh.BoundaryFaces; var fm = mesh.FaceMarkers;
        double px = 0, py = 0, pz = 0; int np = 0;
        for (int k = 0; k < fm.Length; k++)
        {
            if (fm[k] != BoundaryRegion.Psd) continue;
            for (int i = 0; i < 3; i++) { int v = 3 * f[3 * k + i]; px += p[v]; py += p[v + 1]; pz += p[v + 2]; }
            np += 3;
        }
        if (np > 0 && (px / np - mx) * ax + (py / np - my) * ay + (pz / np - mz) * az < 0) { ax = -ax; ay = -ay; az = -az; }
        var s = new double[n];
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int t = 0; t < n; t++) { s[t] = cx[t] * ax + cy[t] * ay + cz[t] * az; lo = Math.Min(lo, s[t]); hi = Math.Max(hi, s[t]); }
        var result = new int[n];
        for (int t = 0; t < n; t++)
        {
            double u = (s[t] - lo) / (hi - lo);
            result[t] = u > 2.0 / 3 ? Head : u > 1.0 / 3 ? Neck : Base;
        }
        return result;
    }

    /// <summary>Number of face-connected components of the tetrahedra (1 for a connected domain; a neck thinner than the
    /// meshing lattice can fall apart into pieces that no diffusion crosses).</summary>
    public static int ConnectedComponents(TetMesh mesh)
    {
        var parent = new int[mesh.TetCount];
        for (int i = 0; i < parent.Length; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        var open = new Dictionary<(int, int, int), int>();
        var tt = mesh.Tetrahedra;
        for (int t = 0; t < mesh.TetCount; t++)
            for (int f = 0; f < 4; f++)
            {
                int a = tt[4 * t + (f + 1) % 4], b = tt[4 * t + (f + 2) % 4], c = tt[4 * t + (f + 3) % 4];
                if (a > b) (a, b) = (b, a);
                if (b > c) (b, c) = (c, b);
                if (a > b) (a, b) = (b, a);
                if (open.Remove((a, b, c), out int s)) parent[Find(s)] = Find(t);
                else open[(a, b, c)] = t;
            }
        int count = 0;
        for (int t = 0; t < parent.Length; t++) if (Find(t) == t) count++;
        return count;
    }
}
