namespace ShapeStudy.Physics.Fem;

/// <summary>Errors of a P1 field against an exact solution, by a 4-point (degree-2) Gauss rule per tetrahedron.</summary>
public static class FemErrorNorms
{
    private const double QA = 0.5854101966249685, QB = 0.1381966011250105;

    /// <summary>
    /// ‖u_h − u‖_L2 and |u_h − u|_H1 (= ‖∇u_h − ∇u‖_L2) over the mesh of <paramref name="space"/>, for the P1 field
    /// <paramref name="uh"/> (one value per vertex) and exact solution <paramref name="exact"/>(x, y, z) with gradient
    /// <paramref name="exactGradient"/>(x, y, z) (µm units; norms in value·µm^{3/2} and value·µm^{1/2}).
    /// </summary>
    public static (double L2, double H1Seminorm) Errors(P1Space space, double[] uh, Func<double, double, double, double> exact, Func<double, double, double, (double X, double Y, double Z)> exactGradient)
    {
        var mesh = space.Mesh; var p = mesh.Vertices; var tt = mesh.Tetrahedra; var g = space.Gradients;
        double l2 = 0, h1 = 0;
        Span<double> lam = stackalloc double[4];
        for (int t = 0; t < mesh.TetCount; t++)
        {
            double vol = space.TetVolumes[t];
            double gx = 0, gy = 0, gz = 0;
            for (int i = 0; i < 4; i++)
            {
                double ui = uh[tt[4 * t + i]];
                gx += ui * g[12 * t + 3 * i]; gy += ui * g[12 * t + 3 * i + 1]; gz += ui * g[12 * t + 3 * i + 2];
            }
            for (int q = 0; q < 4; q++)
            {
                for (int i = 0; i < 4; i++) lam[i] = i == q ? QA : QB;
                double x = 0, y = 0, z = 0, u = 0;
                for (int i = 0; i < 4; i++)
                {
                    int v = tt[4 * t + i];
                    x += lam[i] * p[3 * v]; y += lam[i] * p[3 * v + 1]; z += lam[i] * p[3 * v + 2]; u += lam[i] * uh[v];
                }
                double e = u - exact(x, y, z);
                var (ex, ey, ez) = exactGradient(x, y, z);
                l2 += 0.25 * vol * e * e;
                h1 += 0.25 * vol * ((gx - ex) * (gx - ex) + (gy - ey) * (gy - ey) + (gz - ez) * (gz - ez));
            }
        }
        return (Math.Sqrt(l2), Math.Sqrt(h1));
    }

    /// <summary>‖f‖_L2 of a function by the same rule (for relative errors).</summary>
    public static double Norm(P1Space space, Func<double, double, double, double> f)
    {
        var zero = new double[space.VertexCount];
        return Errors(space, zero, f, (_, _, _) => (0, 0, 0)).L2;
    }
}
