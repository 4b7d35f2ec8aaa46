using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Adaptivity;

/// <summary>
/// A linear steady reaction–diffusion problem −∇·(D∇u) + k·u = f in Ω with the flux condition D ∂u/∂n = g on ∂Ω
/// (g &gt; 0: influx). D in µm²/ms (&gt; 0), k in 1/ms (≥ 0), f in µM/ms, g in µM·µm/ms; positions in µm; g receives the
/// outward unit normal (nx, ny, nz) and the face's region marker. With k = 0 the data must balance (∫f + ∫g = 0) and the
/// solution is fixed by zero mean.
/// </summary>
public sealed record SteadyProblem(
    double DiffusionUm2PerMs,
    double DecayPerMs,
    Func<double, double, double, double> Source,
    Func<double, double, double, double, double, double, int, double> BoundaryFlux);

/// <summary>P1 finite-element solution of a <see cref="SteadyProblem"/> (CG with incomplete Cholesky; direct LU for small systems).</summary>
public static class SteadyReactionDiffusion
{
    private const double QA = 0.5854101966249685, QB = 0.1381966011250105;

    /// <summary>Solves on <paramref name="mesh"/>; returns one value per vertex (µM). Linear-solver relative tolerance 1e-10.</summary>
    /// <exception cref="ArgumentOutOfRangeException">D ≤ 0 or k &lt; 0.</exception>
    /// <exception cref="InvalidOperationException">The iterative solver did not converge.</exception>
    public static double[] Solve(TetMesh mesh, SteadyProblem problem)
    {
        if (!(problem.DiffusionUm2PerMs > 0)) throw new ArgumentOutOfRangeException(nameof(problem), problem.DiffusionUm2PerMs, "diffusion coefficient must be > 0 µm²/ms");
        if (!(problem.DecayPerMs >= 0)) throw new ArgumentOutOfRangeException(nameof(problem), problem.DecayPerMs, "decay rate must be ≥ 0 /ms");
        var space = P1Space.Create(mesh);
        var k = space.StiffnessMatrix();
        var values = new double[k.NonZeroCount];
        var m = problem.DecayPerMs > 0 ? space.MassMatrix() : null;
        for (int i = 0; i < values.Length; i++) values[i] = problem.DiffusionUm2PerMs * k.Values[i] + (m is null ? 0 : problem.DecayPerMs * m.Values[i]);
        var a = k.WithValues(values);
        var b = LoadVector(space, problem);
        int n = mesh.VertexCount;
        var u = new double[n];
        if (m is null)
        {
            // pure Neumann: fix the constant by a tiny mass shift and remove the mean afterwards
            double shift = 1e-12 * a.Diagonal().Max();
            var lumped = space.LumpedMass();
            for (int v = 0; v < n; v++) a.Values[a.DiagonalPositions[v]] += shift * lumped[v];
        }
        if (n <= 400)
        {
            new DenseLu(a).Solve(b, u);
        }
        else
        {
            var pre = new IncompleteLu(a, requirePositivePivots: true);
            var r = KrylovSolvers.ConjugateGradient(a, b, u, pre, 1e-10, 5000);
            if (!r.Converged) throw new InvalidOperationException($"CG did not converge ({r.Iterations} iterations, relative residual {r.RelativeResidual:G3})");
        }
        if (m is null)
        {
            double mean = space.Integral(u) / space.Integral(Enumerable.Repeat(1.0, n).ToArray());
            for (int v = 0; v < n; v++) u[v] -= mean;
        }
        return u;
    }

    /// <summary>∫ f φ_i dx + ∫ g φ_i ds by degree-2 rules (4 points per tet, 3 per face).</summary>
    private static double[] LoadVector(P1Space space, SteadyProblem problem)
    {
        var mesh = space.Mesh; var p = mesh.Vertices; var tt = mesh.Tetrahedra;
        var b = new double[mesh.VertexCount];
        for (int t = 0; t < mesh.TetCount; t++)
        {
            double w = space.TetVolumes[t] / 4;
            for (int q = 0; q < 4; q++)
            {
                double x = 0, y = 0, z = 0;
                for (int j = 0; j < 4; j++)
                {
                    double l = j == q ? QA : QB; int v = 3 * tt[4 * t + j];
                    x += l * p[v]; y += l * p[v + 1]; z += l * p[v + 2];
                }
                double f = problem.Source(x, y, z) * w;
                for (int j = 0; j < 4; j++) b[tt[4 * t + j]] += f * (j == q ? QA : QB);
            }
        }
        var faces = mesh.BoundaryFaces;
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            var (area, nx, ny, nz) = FaceGeometry(p, faces[3 * f], faces[3 * f + 1], faces[3 * f + 2]);
            for (int q = 0; q < 3; q++)
            {
                double x = 0, y = 0, z = 0;
                for (int j = 0; j < 3; j++)
                {
                    double l = j == q ? 2.0 / 3 : 1.0 / 6; int v = 3 * faces[3 * f + j];
                    x += l * p[v]; y += l * p[v + 1]; z += l * p[v + 2];
                }
                double g = problem.BoundaryFlux(x, y, z, nx, ny, nz, mesh.FaceMarkers[f]) * area / 3;
                for (int j = 0; j < 3; j++) b[faces[3 * f + j]] += g * (j == q ? 2.0 / 3 : 1.0 / 6);
            }
        }
        return b;
    }

    /// <summary>Area (µm²) and outward unit normal of the triangle (a, b, c) (counter-clockwise seen from outside).</summary>
    internal static (double Area, double Nx, double Ny, double Nz) FaceGeometry(double[] p, int a, int b, int c)
    {
        a *= 3; b *= 3; c *= 3;
        double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
        double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
        double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
        double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
        return (0.5 * len, nx / len, ny / len, nz / len);
    }
}
