using ShapeStudy.Core;
using ShapeStudy.Physics.Adaptivity;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Adaptivity;

public class AdaptiveRefinementTests(ITestOutputHelper output)
{
    // Localized influx: u = exp(−|x − x0|²/(2σ²)) centred just outside the top face of the unit cube, so D ∂u/∂n > 0 only on a
    // small patch of that face; f = −DΔu + k·u and g = D ∇u·n make it the exact solution.
    private const double D = 1, K = 1, Sigma = 0.07, X0 = 0.5, Y0 = 0.5, Z0 = 1.04;

    private static double Exact(double x, double y, double z)
    {
        double r2 = (x - X0) * (x - X0) + (y - Y0) * (y - Y0) + (z - Z0) * (z - Z0);
        return Math.Exp(-r2 / (2 * Sigma * Sigma));
    }

    private static (double, double, double) Gradient(double x, double y, double z)
    {
        double u = Exact(x, y, z), s = -u / (Sigma * Sigma);
        return (s * (x - X0), s * (y - Y0), s * (z - Z0));
    }

    private static readonly SteadyProblem Problem = new(D, K,
        (x, y, z) =>
        {
            double r2 = (x - X0) * (x - X0) + (y - Y0) * (y - Y0) + (z - Z0) * (z - Z0), s2 = Sigma * Sigma;
            return Exact(x, y, z) * (K - D * (r2 / (s2 * s2) - 3 / s2));
        },
        (x, y, z, nx, ny, nz, marker) =>
        {
            var (gx, gy, gz) = Gradient(x, y, z);
            return D * (gx * nx + gy * ny + gz * nz);
        });

    private static double EnergyError(TetMesh mesh, double[] u) => FemErrorNorms.Errors(P1Space.Create(mesh), u, Exact, Gradient).H1Seminorm;

    [Fact]
    public void Adaptive_refinement_reaches_the_uniform_error_with_at_least_three_times_fewer_dofs()
    {
        var coarse = BoxTetMesher.Box(4, 4, 4);
        var uniform = new List<(int Dofs, double Error)>();
        var mesh = coarse;
        for (int level = 0; level <= 3; level++)
        {
            if (level > 0) mesh = TetRefinement.Uniform(mesh);
            uniform.Add((mesh.VertexCount, EnergyError(mesh, SteadyReactionDiffusion.Solve(mesh, Problem))));
        }
        var target = uniform[^1];
        var adaptive = AdaptiveRefinement.Run(coarse, Problem, new AdaptiveOptions { Theta = 0.5, MaxDofs = 3000, MaxIterations = 40 }, EnergyError);

        output.WriteLine("uniform (red refinement):");
        output.WriteLine("  dofs       |u−u_h|_H1");
        foreach (var (dofs, err) in uniform) output.WriteLine($"  {dofs,8}   {err:E4}");
        output.WriteLine("adaptive (residual estimator, Dörfler θ = 0.5, newest-vertex bisection):");
        output.WriteLine("  dofs       tets     estimate     |u−u_h|_H1   estimate/error");
        foreach (var s in adaptive.Steps) output.WriteLine($"  {s.Dofs,8} {s.Tetrahedra,8}   {s.Estimate:E4}   {s.Error:E4}   {s.Estimate / s.Error:F2}");

        var reached = adaptive.Steps.FirstOrDefault(s => s.Error <= target.Error);
        Assert.NotNull(reached);
        output.WriteLine($"uniform error {target.Error:E4} at {target.Dofs} dofs; adaptive {reached!.Error:E4} at {reached.Dofs} dofs: {(double)target.Dofs / reached.Dofs:F1}× fewer");
        Assert.True(target.Dofs >= 3 * reached.Dofs, $"adaptive needed {reached.Dofs} dofs vs uniform {target.Dofs}");
        // the estimator is reliable and efficient: estimate/error stays within a bounded band over the rounds
        foreach (var s in adaptive.Steps.Skip(2)) Assert.InRange(s.Estimate / s.Error!.Value, 0.5, 20);
        // uniform refinement converges at the expected rate O(h) = O(N^{-1/3}) in H1 once the bump is resolved
        double rate = Math.Log(uniform[^2].Error / uniform[^1].Error) / Math.Log(2);
        Assert.InRange(rate, 0.8, 1.2);
    }

    [Fact]
    public void Steady_solver_converges_at_second_order_in_L2_for_a_smooth_problem()
    {
        var errors = new List<double>();
        for (int n = 4; n <= 16; n *= 2)
        {
            var mesh = BoxTetMesher.Box(n, n, n);
            var u = SteadyReactionDiffusion.Solve(mesh, Problem with { });
            errors.Add(FemErrorNorms.Errors(P1Space.Create(mesh), u, Exact, Gradient).L2);
        }
        Assert.InRange(Math.Log(errors[^2] / errors[^1]) / Math.Log(2), 1.7, 2.4);
    }

    [Fact]
    public void Dorfler_marks_the_smallest_bulk_set()
    {
        double[] eta = [1, 5, 2, 2, 10];
        Assert.Equal([4], DorflerMarking.Mark(eta, 0.5));
        Assert.Equal([4, 1], DorflerMarking.Mark(eta, 0.7).Order().Reverse().ToArray());
        Assert.Equal(5, DorflerMarking.Mark(eta, 1.0).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => DorflerMarking.Mark(eta, 0));
    }
}
