using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics.Adaptivity;

/// <summary>
/// Residual-based a posteriori error estimator for P1 solutions of a <see cref="SteadyProblem"/> (Babuška–Rheinboldt /
/// Verfürth): per tetrahedron T,
/// η_T² = h_T²/D·‖f − k·u_h‖²_T + ½ Σ_{interior faces F ⊂ ∂T} h_F/D·‖[D ∂u_h/∂n]‖²_F + Σ_{boundary faces F ⊂ ∂T} h_F/D·‖g − D ∂u_h/∂n‖²_F
/// (h = diameter; ∇·(D∇u_h) = 0 inside each element for P1). Σ η_T² bounds the energy-norm error D·|u − u_h|²_H1 from
/// above up to a constant. Integrals by degree-2 rules.
/// </summary>
public static class ResidualEstimator
{
    private const double QA = 0.5854101966249685, QB = 0.1381966011250105;

    /// <summary>η_T² per tetrahedron (units of D·|u|²_H1: µM²·µm³/ms) for the P1 field <paramref name="u"/> (one value per vertex).</summary>
    public static double[] Estimate(TetMesh mesh, double[] u, SteadyProblem problem)
    {
        var space = P1Space.Create(mesh);
        var p = mesh.Vertices; var tt = mesh.Tetrahedra; var g = space.Gradients;
        int m = mesh.TetCount;
        double d = problem.DiffusionUm2PerMs;
        var grad = new double[3 * m];
        var diam = new double[m];
        var eta = new double[m];
        Parallel.For(0, m, t =>
        {
            double gx = 0, gy = 0, gz = 0;
            for (int j = 0; j < 4; j++) { double c = u[tt[4 * t + j]]; gx += c * g[12 * t + 3 * j]; gy += c * g[12 * t + 3 * j + 1]; gz += c * g[12 * t + 3 * j + 2]; }
            grad[3 * t] = gx; grad[3 * t + 1] = gy; grad[3 * t + 2] = gz;
            double h = 0;
            for (int i = 0; i < 4; i++)
                for (int j = i + 1; j < 4; j++)
                {
                    int a = 3 * tt[4 * t + i], b = 3 * tt[4 * t + j];
                    double dx = p[a] - p[b], dy = p[a + 1] - p[b + 1], dz = p[a + 2] - p[b + 2];
                    h = Math.Max(h, dx * dx + dy * dy + dz * dz);
                }
            diam[t] = Math.Sqrt(h);
            // element residual f − k u_h
            double vol = space.TetVolumes[t], r2 = 0;
            for (int q = 0; q < 4; q++)
            {
                double x = 0, y = 0, z = 0, uh = 0;
                for (int j = 0; j < 4; j++)
                {
                    double l = j == q ? QA : QB; int v = tt[4 * t + j];
                    x += l * p[3 * v]; y += l * p[3 * v + 1]; z += l * p[3 * v + 2]; uh += l * u[v];
                }
                double r = problem.Source(x, y, z) - problem.DecayPerMs * uh;
                r2 += r * r * vol / 4;
            }
            eta[t] = h * r2 / d;
        });
        // interior faces: jumps of the normal flux
        var faces = new Dictionary<(int, int, int), (int T, int Local)>();
        for (int t = 0; t < m; t++)
            for (int f = 0; f < 4; f++)
            {
                int a = tt[4 * t + (f + 1) % 4], b = tt[4 * t + (f + 2) % 4], c = tt[4 * t + (f + 3) % 4];
                var key = Sorted(a, b, c);
                if (faces.Remove(key, out var other))
                {
                    var (area, nx, ny, nz) = SteadyReactionDiffusion.FaceGeometry(p, a, b, c);
                    int s = other.T;
                    double jump = d * ((grad[3 * t] - grad[3 * s]) * nx + (grad[3 * t + 1] - grad[3 * s + 1]) * ny + (grad[3 * t + 2] - grad[3 * s + 2]) * nz);
                    double hf = FaceDiameter(p, a, b, c);
                    double contribution = 0.5 * hf / d * jump * jump * area;
                    eta[t] += contribution; eta[s] += contribution;
                }
                else faces[key] = (t, f);
            }
        // boundary faces: flux residual g − D ∂u_h/∂n
        var boundaryTet = new Dictionary<(int, int, int), int>(faces.Count);
        foreach (var (key, value) in faces) boundaryTet[key] = value.T;
        var bf = mesh.BoundaryFaces;
        for (int f = 0; f < mesh.BoundaryFaceCount; f++)
        {
            int a = bf[3 * f], b = bf[3 * f + 1], c = bf[3 * f + 2];
            if (!boundaryTet.TryGetValue(Sorted(a, b, c), out int t)) continue; // an interface face, not on the outer boundary
            var (area, nx, ny, nz) = SteadyReactionDiffusion.FaceGeometry(p, a, b, c);
            double dn = d * (grad[3 * t] * nx + grad[3 * t + 1] * ny + grad[3 * t + 2] * nz);
            double r2 = 0;
            for (int q = 0; q < 3; q++)
            {
                double x = 0, y = 0, z = 0;
                int[] fv = [a, b, c];
                for (int j = 0; j < 3; j++) { double l = j == q ? 2.0 / 3 : 1.0 / 6; x += l * p[3 * fv[j]]; y += l * p[3 * fv[j] + 1]; z += l * p[3 * fv[j] + 2]; }
                double r = problem.BoundaryFlux(x, y, z, nx, ny, nz, mesh.FaceMarkers[f]) - dn;
                r2 += r * r * area / 3;
            }
            eta[t] += FaceDiameter(p, a, b, c) / d * r2;
        }
        return eta;
    }

    private static (int, int, int) Sorted(int a, int b, int c)
    {
        if (a > b) (a, b) = (b, a);
        if (b > c) (b, c) = (c, b);
        if (a > b) (a, b) = (b, a);
        return (a, b, c);
    }

    private static double FaceDiameter(double[] p, int a, int b, int c)
    {
        static double D2(double[] p, int i, int j) { i *= 3; j *= 3; double x = p[i] - p[j], y = p[i + 1] - p[j + 1], z = p[i + 2] - p[j + 2]; return x * x + y * y + z * z; }
        return Math.Sqrt(Math.Max(D2(p, a, b), Math.Max(D2(p, b, c), D2(p, a, c))));
    }
}

/// <summary>Dörfler (bulk) marking.</summary>
public static class DorflerMarking
{
    /// <summary>
    /// The smallest set of elements (largest indicators first) whose indicators sum to at least
    /// <paramref name="theta"/> (0 &lt; θ ≤ 1) of the total Σ η_T²; <paramref name="eta2"/> holds η_T² per element.
    /// </summary>
    public static int[] Mark(double[] eta2, double theta)
    {
        if (!(theta > 0 && theta <= 1)) throw new ArgumentOutOfRangeException(nameof(theta), theta, "Dörfler parameter θ must be in (0, 1]");
        var order = new int[eta2.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = (double[])eta2.Clone();
        for (int i = 0; i < keys.Length; i++) keys[i] = -keys[i];
        Array.Sort(keys, order);
        double total = 0;
        foreach (var e in eta2) total += e;
        double target = theta * total, sum = 0;
        int count = 0;
        while (count < order.Length && sum < target) sum += eta2[order[count++]];
        return order[..Math.Max(count, 1)];
    }
}

/// <summary>Settings of <see cref="AdaptiveRefinement.Run"/>.</summary>
public sealed record AdaptiveOptions
{
    /// <summary>Dörfler bulk parameter θ ∈ (0, 1].</summary>
    public double Theta { get; init; } = 0.5;
    /// <summary>Stop when the estimate √Σ η_T² falls to or below this value.</summary>
    public double Tolerance { get; init; }
    /// <summary>Stop before a solve on more than this many vertices (unknowns).</summary>
    public int MaxDofs { get; init; } = 200_000;
    /// <summary>Stop after this many solve–estimate–mark–refine rounds.</summary>
    public int MaxIterations { get; init; } = 30;
}

/// <summary>One round of the adaptive loop: unknowns, tetrahedra, the estimate √Σ η_T², and the true error when a measure was given.</summary>
public sealed record AdaptiveStep(int Dofs, int Tetrahedra, double Estimate, double? Error);

/// <summary>Result of the adaptive loop: the rounds, the final mesh and its solution.</summary>
public sealed record AdaptiveResult(IReadOnlyList<AdaptiveStep> Steps, TetMesh Mesh, double[] Solution);

/// <summary>
/// The Babuška–Rheinboldt loop: solve → estimate (<see cref="ResidualEstimator"/>) → mark (<see cref="DorflerMarking"/>)
/// → refine (<see cref="TetRefinement.Refine"/>, conforming newest-vertex bisection) → repeat until the estimate meets the
/// tolerance or the size/iteration limits are reached.
/// </summary>
public static class AdaptiveRefinement
{
    /// <summary>Runs the loop from <paramref name="initial"/>. <paramref name="error"/> (optional) measures the true error of
    /// a solution on a mesh, e.g. against an analytic solution, and is recorded per round.</summary>
    public static AdaptiveResult Run(TetMesh initial, SteadyProblem problem, AdaptiveOptions options, Func<TetMesh, double[], double>? error = null)
    {
        var steps = new List<AdaptiveStep>();
        var mesh = initial;
        for (int it = 0; ; it++)
        {
            var u = SteadyReactionDiffusion.Solve(mesh, problem);
            var eta = ResidualEstimator.Estimate(mesh, u, problem);
            double est = Math.Sqrt(eta.Sum());
            steps.Add(new AdaptiveStep(mesh.VertexCount, mesh.TetCount, est, error?.Invoke(mesh, u)));
            if (est <= options.Tolerance || it + 1 >= options.MaxIterations) return new AdaptiveResult(steps, mesh, u);
            var refined = TetRefinement.Refine(mesh, DorflerMarking.Mark(eta, options.Theta));
            if (refined.VertexCount > options.MaxDofs) return new AdaptiveResult(steps, mesh, u);
            mesh = refined;
        }
    }
}
