using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Fem;

public class FemVerificationTests(ITestOutputHelper output)
{
    // u(x, t) = (2 + t)·cos(πx)cos(πy)cos(πz) on the unit cube: zero normal flux on every side; f = u_t − D Δu.
    private static double Phi(double x, double y, double z) => Math.Cos(Math.PI * x) * Math.Cos(Math.PI * y) * Math.Cos(Math.PI * z);

    private static (double L2, double H1) ManufacturedErrors(int cells)
    {
        const double D = 1.0, T = 0.1;
        var mesh = BoxTetMesher.Box(cells, cells, cells);
        var model = new ReactionDiffusionModel(
            [new Species("u", D, 0) { InitialProfile = (x, y, z) => 2 * Phi(x, y, z) }],
            [new VolumeReaction("source", Rates.OfTimeAndPosition(p => Phi(p.X, p.Y, p.Z) * (1 + 3 * Math.PI * Math.PI * D * (2 + p.TMs))), new Dictionary<string, double> { ["u"] = 1 })]);
        var options = new TimeIntegrationOptions { Scheme = TimeScheme.Bdf2, DtMs = T / 50 };
        var sys = new ReactionDiffusionSystem(mesh, model);
        var result = ReactionDiffusionSolver.Run(sys, options, [T]);
        double g = 2 + T, pi = Math.PI;
        return FemErrorNorms.Errors(sys.Space, result.FinalFields[0], (x, y, z) => g * Phi(x, y, z),
            (x, y, z) => (-g * pi * Math.Sin(pi * x) * Math.Cos(pi * y) * Math.Cos(pi * z),
                          -g * pi * Math.Cos(pi * x) * Math.Sin(pi * y) * Math.Cos(pi * z),
                          -g * pi * Math.Cos(pi * x) * Math.Cos(pi * y) * Math.Sin(pi * z)));
    }

    [Fact]
    public void ManufacturedSolutionConvergesAtOrderTwoInL2AndOneInH1()
    {
        var e4 = ManufacturedErrors(4);
        var e8 = ManufacturedErrors(8);
        var e16 = ManufacturedErrors(16);
        double l2a = Math.Log2(e4.L2 / e8.L2), l2b = Math.Log2(e8.L2 / e16.L2);
        double h1a = Math.Log2(e4.H1 / e8.H1), h1b = Math.Log2(e8.H1 / e16.H1);
        output.WriteLine($"L2 errors {e4.L2:E3} {e8.L2:E3} {e16.L2:E3}, orders {l2a:F3} {l2b:F3}; H1 errors {e4.H1:E3} {e8.H1:E3} {e16.H1:E3}, orders {h1a:F3} {h1b:F3}");
        Assert.True(Math.Abs(l2b - 2) <= 0.1, $"L2 orders {l2a:F3}, {l2b:F3}");
        Assert.True(Math.Abs(h1b - 1) <= 0.1, $"H1 orders {h1a:F3}, {h1b:F3}");
    }

    [Fact]
    public void PureDiffusionWithZeroFluxConservesMass()
    {
        var mesh = BoxTetMesher.Box(6, 5, 4, 2.0, 1.5, 1.0);
        var model = new ReactionDiffusionModel([new Species("c", 1.0, 0) { InitialProfile = (x, y, z) => 5 * Math.Exp(-4 * ((x - 0.5) * (x - 0.5) + y * y + z * z)) }]);
        var options = new TimeIntegrationOptions { Scheme = TimeScheme.Bdf2, Adaptive = true, DtMs = 1e-3, LinearRelativeTolerance = 1e-13 };
        var result = ReactionDiffusionSolver.Run(mesh, model, options, [0, 0.5, 2, 10]);
        var amount = result.Amount("c");
        for (int i = 1; i < amount.Length; i++)
            Assert.True(Math.Abs(amount[i] - amount[0]) <= 1e-10 * amount[0], $"amount {amount[i]} vs {amount[0]}");
        // and it does diffuse: the field flattens towards the mean
        var final = result.FinalFields[0];
        double mean = amount[0] / mesh.Volume();
        Assert.True(final.Max() - final.Min() < 0.05 * mean, $"spread {final.Max() - final.Min()} vs mean {mean}");
        Assert.True(result.Statistics.Steps > 5);
    }
}
