using ShapeStudy.Physics.Fem;
using ShapeStudy.Physics.Tetrahedral;

namespace ShapeStudy.Physics.Tests.Fem;

public class FemSphereTests
{
    // Zero-flux diffusion in a ball of radius R: the radial eigenfunctions j0(μ r/R), tan μ = μ, decay as exp(−D μ² t/R²),
    // so c(r, t) = C + A j0(μ1 r/R) e^{−D μ1² t/R²} + B j0(μ2 r/R) e^{−D μ2² t/R²} is the series solution for that initial state.
    private const double Mu1 = 4.493409457909064, Mu2 = 7.725251836937707;
    private static double J0(double x) => x < 1e-8 ? 1 - x * x / 6 : Math.Sin(x) / x;

    [Fact]
    public void DiffusionInABallMatchesTheAnalyticSeries()
    {
        Assert.True(Math.Abs(Math.Tan(Mu1) - Mu1) < 1e-9 && Math.Abs(Math.Tan(Mu2) - Mu2) < 1e-9);
        const double R = 1.0, D = 0.5, A = 1.0, B = 0.5, C = 1.0, T = 0.05;
        // tet mesh of the ball by isosurface stuffing of a fine icosphere (5 subdivisions, edges ≈ 0.03 R), lattice h = R/18
        // (≈ 55k vertices: relative L2 error 7.6e-4, of which the P1 interpolant of the exact solution itself accounts for
        // 4.6e-4; at R/14 it was 1.25e-3)
        var mesh = IsosurfaceStuffing.Mesh(TestGeometry.Icosphere(R, 5), null, new StuffingOptions { LatticeSpacingUm = R / 18 });
        double Exact(double x, double y, double z, double t)
        {
            double r = Math.Sqrt(x * x + y * y + z * z);
            return C + A * J0(Mu1 * r / R) * Math.Exp(-D * Mu1 * Mu1 * t / (R * R)) + B * J0(Mu2 * r / R) * Math.Exp(-D * Mu2 * Mu2 * t / (R * R));
        }
        var model = new ReactionDiffusionModel([new Species("c", D, 0) { InitialProfile = (x, y, z) => Exact(x, y, z, 0) }]);
        var sys = new ReactionDiffusionSystem(mesh, model);
        var res = ReactionDiffusionSolver.Run(sys, new TimeIntegrationOptions { Scheme = TimeScheme.Bdf2, DtMs = T / 50 }, [T]);
        var uh = res.FinalFields[0];

        // relative L2 error of the computed nodal values against the series at the same vertices (discrete L2, lumped weights)
        var w = sys.Space.LumpedMass();
        var p = mesh.Vertices;
        double en = 0, un = 0;
        for (int v = 0; v < mesh.VertexCount; v++)
        {
            double ex = Exact(p[3 * v], p[3 * v + 1], p[3 * v + 2], T), e = uh[v] - ex;
            en += w[v] * e * e; un += w[v] * ex * ex;
        }
        Assert.True(Math.Sqrt(en / un) < 1e-3, $"nodal relative L2 error {Math.Sqrt(en / un):E3}");
        // the continuous L2 error of the P1 field (including its interpolation error) on the same mesh
        double l2 = FemErrorNorms.Errors(sys.Space, uh, (x, y, z) => Exact(x, y, z, T), (_, _, _) => (0, 0, 0)).L2;
        double norm = FemErrorNorms.Norm(sys.Space, (x, y, z) => Exact(x, y, z, T));
        Assert.True(l2 / norm <= 1e-3, $"relative L2 error {l2 / norm:E3}");
        // the modes did decay: the solution is far from its initial state
        double moved = FemErrorNorms.Norm(sys.Space, (x, y, z) => Exact(x, y, z, T) - Exact(x, y, z, 0));
        Assert.True(moved / norm > 0.1);
    }
}
