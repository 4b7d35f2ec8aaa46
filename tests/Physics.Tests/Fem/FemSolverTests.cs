using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;

namespace ShapeStudy.Physics.Tests.Fem;

public class FemSolverTests
{
    private static Dictionary<string, double> Nu(params (string, double)[] x) => x.ToDictionary(t => t.Item1, t => t.Item2);

    private static ReactionDiffusionModel PumpModel(double c0 = 5) => new(
        [new Species("ca", 0.2, c0)],
        Fluxes: Enumerable.Range(1, 6).Select(m => new BoundaryFlux($"pump{m}", m, Rates.Hill("ca", 4.0, 1.0, 2), Nu(("ca", -1)))).ToArray());

    [Fact]
    public void NewtonConvergesQuadraticallyOnANonlinearPumpProblem()
    {
        var mesh = BoxTetMesher.Box(4, 4, 4);
        var options = new TimeIntegrationOptions { Scheme = TimeScheme.BackwardEuler, DtMs = 0.5, NewtonRelativeTolerance = 1e-11, NewtonStepTolerance = 0, RecordNewtonResiduals = true };
        var result = ReactionDiffusionSolver.Run(mesh, PumpModel(), options, [0.5]);
        var r = result.NewtonResiduals![0];
        Assert.True(r.Length >= 4, string.Join(", ", r));
        // quadratic: log(r_{k+1}/r0) ≈ 2 log(r_k/r0) once in the asymptotic range (here: r_k/r0 < 1e-2, above round-off)
        int checkedPairs = 0;
        for (int k = 1; k + 1 < r.Length; k++)
        {
            double ek = r[k] / r[0], ek1 = r[k + 1] / r[0];
            if (ek > 1e-2 || ek1 < 1e-11) continue;
            Assert.True(Math.Log(ek1) / Math.Log(ek) > 1.8, $"residuals {string.Join(", ", r)}");
            checkedPairs++;
        }
        Assert.True(checkedPairs >= 1, $"residuals {string.Join(", ", r)}");
        // and the pump removed calcium
        Assert.True(result.Amount("ca")[0] < 5 * mesh.Volume());
    }

    private static double[] FinalPump(TimeScheme scheme, double dt)
    {
        var mesh = BoxTetMesher.Box(3, 3, 3);
        var options = new TimeIntegrationOptions { Scheme = scheme, DtMs = dt, NewtonRelativeTolerance = 1e-13, LinearSolver = LinearSolverKind.Direct };
        return ReactionDiffusionSolver.Run(mesh, PumpModel(), options, [1.0]).FinalFields[0];
    }

    private static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void Bdf2IsSecondOrderAndBackwardEulerFirstOrderInTime()
    {
        var reference = FinalPump(TimeScheme.Bdf2, 0.1 / 64);
        double e1 = MaxDiff(FinalPump(TimeScheme.Bdf2, 0.05), reference), e2 = MaxDiff(FinalPump(TimeScheme.Bdf2, 0.025), reference);
        double order = Math.Log2(e1 / e2);
        Assert.True(Math.Abs(order - 2) < 0.15, $"BDF2 observed order {order:F3}");
        double b1 = MaxDiff(FinalPump(TimeScheme.BackwardEuler, 0.025), reference), b2 = MaxDiff(FinalPump(TimeScheme.BackwardEuler, 0.0125), reference);
        double orderBe = Math.Log2(b1 / b2);
        Assert.True(Math.Abs(orderBe - 1) < 0.15, $"BE observed order {orderBe:F3}");
    }

    [Fact]
    public void AdaptiveStepsMatchAFineFixedStepRunWithFewerSteps()
    {
        var mesh = BoxTetMesher.Box(3, 3, 3);
        var model = new ReactionDiffusionModel([new Species("ca", 0.2, 0.05)],
            Fluxes: [new BoundaryFlux("influx", 1, Rates.Pulse(50, 0, 1), Nu(("ca", 1))),
                     new BoundaryFlux("pmca", 2, Rates.Hill("ca", 2.0, 0.5, 1), Nu(("ca", -1)))]);
        var times = new[] { 0.5, 1.0, 2.0, 5.0 };
        var fine = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions { DtMs = 0.0025, BreakpointsMs = [1.0] }, times);
        var adaptive = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions { Adaptive = true, DtMs = 1e-3, RelativeTolerance = 1e-5, AbsoluteToleranceUM = 1e-6, BreakpointsMs = [1.0] }, times);
        var a = adaptive.Mean("ca", 0); var f = fine.Mean("ca", 0);
        for (int i = 0; i < times.Length; i++) Assert.True(Math.Abs(a[i] - f[i]) <= 2e-3 * Math.Abs(f[i]), $"t = {times[i]}: {a[i]} vs {f[i]}");
        Assert.True(adaptive.Statistics.Steps < fine.Statistics.Steps / 3, $"{adaptive.Statistics.Steps} vs {fine.Statistics.Steps}");
        Assert.True(adaptive.Statistics.MaxDtMs > 10 * adaptive.Statistics.MinDtMs);
    }

    [Fact]
    public void ConstantInfluxWithDecayFollowsTheExactAmountRecurrence()
    {
        // Backward Euler with consistent mass: 1ᵀM = ∫φ, so the amount obeys M_{n+1} = (M_n + Δt·J·A)/(1 + kΔt) exactly.
        var mesh = BoxTetMesher.Box(4, 3, 5, 1.0, 0.8, 1.2);
        const double J = 3.0, k = 0.2, dt = 0.05;
        var model = new ReactionDiffusionModel([new Species("c", 0.5, 1.0)],
            [new VolumeReaction("decay", Rates.FirstOrder("c", k), Nu(("c", -1)))],
            [new BoundaryFlux("influx", 1, Rates.Constant(J), Nu(("c", 1)))]);
        var result = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions { Scheme = TimeScheme.BackwardEuler, DtMs = dt, LinearRelativeTolerance = 1e-13 }, [0, 0.5, 1.0]);
        double area = 0.8 * 1.2, m = 1.0 * mesh.Volume();
        var amount = result.Amount("c");
        Assert.Equal(m, amount[0], 10);
        for (int n = 1; n <= 20; n++)
        {
            m = (m + dt * J * area) / (1 + k * dt);
            if (n == 10) Assert.True(Math.Abs(amount[1] - m) < 1e-9 * m, $"{amount[1]} vs {m}");
        }
        Assert.True(Math.Abs(amount[2] - m) < 1e-9 * m, $"{amount[2]} vs {m}");
    }

    [Fact]
    public void ProgressIsReportedAtEveryOutputTimeWithTheStepsTakenSoFar()
    {
        var mesh = BoxTetMesher.Box(3, 3, 3);
        var model = new ReactionDiffusionModel([new Species("c", 0.5, 1.0)], Fluxes: [new BoundaryFlux("influx", 1, Rates.Constant(3.0), Nu(("c", 1)))]);
        var seen = new List<IntegrationProgress>();
        var options = new TimeIntegrationOptions { Scheme = TimeScheme.BackwardEuler, DtMs = 0.05, Progress = seen.Add };
        var result = ReactionDiffusionSolver.Run(mesh, model, options, [0, 0.5, 1.0]);
        // fixed steps of 0.05 ms: 10 steps to 0.5 ms, 20 to 1 ms
        Assert.Equal([new(0, 1.0, 0, 0), new(0.5, 1.0, 10, 0), new(1.0, 1.0, 20, 0)], seen);
        Assert.Equal(result.Statistics.Steps, seen[^1].Steps);
    }

    [Fact]
    public void BufferBindingConservesTotalsAndReachesEquilibrium()
    {
        // Ca + B ⇌ CaB (kon 0.1 /µM/ms, koff 0.5 /ms, Kd = 5 µM), different mobilities, zero flux: total Ca and total B are
        // conserved and the uniform equilibrium satisfies Ca·B/CaB = Kd with those totals.
        var mesh = BoxTetMesher.Box(5, 5, 5);
        const double kon = 0.1, koff = 0.5;
        var model = new ReactionDiffusionModel(
            [new Species("ca", 0.3, 0) { InitialProfile = (x, _, _) => 20 * x * x },
             new Species("b", 0.05, 50),
             new Species("cab", 0.05, 0)],
            [new VolumeReaction("buffer", Rates.MassAction(kon, ["ca", "b"], koff, ["cab"]), Nu(("ca", -1), ("b", -1), ("cab", 1)))]);
        var sys = new ReactionDiffusionSystem(mesh, model);
        Assert.False(sys.IsLinear);
        Assert.True(sys.UnknownCount > ReactionDiffusionSolver.AutoDirectUnknowns); // exercises BiCGStab + ILU(0)
        var result = ReactionDiffusionSolver.Run(sys, new TimeIntegrationOptions { Adaptive = true, DtMs = 1e-3, LinearRelativeTolerance = 1e-12, NewtonRelativeTolerance = 1e-12 }, [0, 1, 20]);
        double vol = mesh.Volume();
        var ca = result.Amount("ca"); var b = result.Amount("b"); var cab = result.Amount("cab");
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(ca[i] + cab[i] - ca[0]) < 1e-8 * ca[0], $"total Ca {ca[i] + cab[i]} vs {ca[0]}");
            Assert.True(Math.Abs(b[i] + cab[i] - b[0]) < 1e-8 * b[0], $"total B {b[i] + cab[i]} vs {b[0]}");
        }
        // equilibrium: cab = (T_ca − ca) with ca (T_b − T_ca + ca) = Kd (T_ca − ca)
        double tCa = ca[0] / vol, tB = b[0] / vol, kd = koff / kon;
        double bq = tB - tCa + kd, caEq = (-bq + Math.Sqrt(bq * bq + 4 * kd * tCa)) / 2;
        var caField = result.FinalFields[0];
        Assert.True(caField.All(c => Math.Abs(c - caEq) < 1e-4 * caEq), $"ca range {caField.Min()}..{caField.Max()} vs {caEq}");
        Assert.True(result.Statistics.LinearIterations > 0);
    }

    [Fact]
    public void CompartmentMeansAreExactForLinearFields()
    {
        var mesh = BoxTetMesher.Box(4, 2, 2);
        var comp = new int[mesh.TetCount];
        for (int t = 0; t < mesh.TetCount; t++)
        {
            double cx = 0;
            for (int j = 0; j < 4; j++) cx += mesh.Vertices[3 * mesh.Tetrahedra[4 * t + j]] / 4;
            comp[t] = cx < 0.5 ? 10 : 20;
        }
        var model = new ReactionDiffusionModel([new Species("c", 1, 0) { InitialProfile = (x, _, _) => x }]);
        var result = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions(), [0, 0.1], comp);
        Assert.Equal([10, 20], result.Compartments);
        Assert.Equal(0.25, result.Mean("c", 10)[0], 12);
        Assert.Equal(0.75, result.Mean("c", 20)[0], 12);
        // zero flux: the overall mean stays 0.5 and the halves approach each other
        double total = (result.Mean("c", 10)[1] + result.Mean("c", 20)[1]) / 2;
        Assert.Equal(0.5, total, 9);
        Assert.True(result.Mean("c", 20)[1] - result.Mean("c", 10)[1] < 0.5);
    }

    [Fact]
    public void SpeciesInASubdomainExchangeThroughAnInterfaceFlux()
    {
        // left half = region 0 (cytosol), right half = region 1 (organelle); faces between them marked 3 carry a linear
        // exchange j = p (c_cyt − c_er): the total amount is conserved and both sides equilibrate to one concentration.
        var box = BoxTetMesher.Box(4, 2, 2, sideMarkers: [11, 12, 13, 14, 15, 16]);
        var regions = new int[box.TetCount];
        for (int t = 0; t < box.TetCount; t++)
        {
            double cx = 0;
            for (int j = 0; j < 4; j++) cx += box.Vertices[3 * box.Tetrahedra[4 * t + j]] / 4;
            regions[t] = cx < 0.5 ? 0 : 1;
        }
        var faces = new List<int>(box.BoundaryFaces); var markers = new List<int>(box.FaceMarkers);
        for (int t = 0; t < box.TetCount; t++)
        {
            if (regions[t] != 0) continue;
            int[][] local = [[1, 2, 3], [0, 3, 2], [0, 1, 3], [0, 2, 1]];
            foreach (var f in local)
            {
                var v = f.Select(i => box.Tetrahedra[4 * t + i]).ToArray();
                if (v.All(i => Math.Abs(box.Vertices[3 * i] - 0.5) < 1e-12)) { faces.AddRange(v); markers.Add(BoundaryRegion.Organelle); }
            }
        }
        var mesh = new TetMesh(box.Vertices, box.Tetrahedra, regions, faces.ToArray(), markers.ToArray());
        var exchange = Rates.Custom(["cyt", "er"], (_, c) => 2.0 * (c[0] - c[1]), (_, _, d) => { d[0] = 2.0; d[1] = -2.0; }, constantDerivatives: true);
        var model = new ReactionDiffusionModel(
            [new Species("cyt", 1.0, 4.0) { Subdomains = [0] }, new Species("er", 0.5, 0.0) { Subdomains = [1] }],
            Fluxes: [new BoundaryFlux("exchange", BoundaryRegion.Organelle, exchange, Nu(("cyt", -1), ("er", 1)))]);
        var result = ReactionDiffusionSolver.Run(mesh, model, new TimeIntegrationOptions { Adaptive = true, DtMs = 1e-3, LinearRelativeTolerance = 1e-12 }, [0, 30]);
        double total0 = result.Amount("cyt")[0] + result.Amount("er")[0], total1 = result.Amount("cyt")[1] + result.Amount("er")[1];
        Assert.True(Math.Abs(total1 - total0) < 1e-8 * total0);
        Assert.Equal(2.0, result.Mean("cyt", 0)[1], 4);
        Assert.Equal(2.0, result.Mean("er", 1)[1], 4);
        Assert.True(double.IsNaN(result.Mean("er", 0)[0])); // the species does not live there
    }

    [Fact]
    public void ImpossibleParametersAreRejectedNamingTheParameter()
    {
        var mesh = BoxTetMesher.Box(2, 2, 2);
        var ok = new TimeIntegrationOptions();
        var e1 = Assert.ThrowsAny<ArgumentException>(() => ReactionDiffusionSolver.Run(mesh, new ReactionDiffusionModel([new Species("ca", -0.1, 0)]), ok, [1]));
        Assert.Contains("d_um2_per_ms", e1.Message); Assert.Contains("'ca'", e1.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => ReactionDiffusionSolver.Run(mesh, new ReactionDiffusionModel([new Species("ca", 0.1, 0)]), ok with { DtMs = 0 }, [1]));
        Assert.Contains("dt_ms", e2.Message);
        var e3 = Assert.ThrowsAny<ArgumentException>(() => ReactionDiffusionSolver.Run(mesh,
            new ReactionDiffusionModel([new Species("ca", 0.1, 0)], Fluxes: [new BoundaryFlux("psd influx", 99, Rates.Constant(1), Nu(("ca", 1)))]), ok, [1]));
        Assert.Contains("unknown boundary region marker 99", e3.Message); Assert.Contains("psd influx", e3.Message);
        var e4 = Assert.ThrowsAny<ArgumentException>(() => ReactionDiffusionSolver.Run(mesh,
            new ReactionDiffusionModel([new Species("ca", 0.1, 0)], [new VolumeReaction("decay", Rates.FirstOrder("calcium", 1), Nu(("calcium", -1)))]), ok, [1]));
        Assert.Contains("unknown species 'calcium'", e4.Message);
        var e5 = Assert.ThrowsAny<ArgumentException>(() => ReactionDiffusionSolver.Run(mesh, new ReactionDiffusionModel([new Species("ca", 0.1, 0) { Subdomains = [7] }]), ok, [1]));
        Assert.Contains("unknown subdomain marker 7", e5.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Rates.Hill("ca", 1, 0, 1));
    }

    [Fact]
    public void ARunThatCannotConvergeFailsWithItsReason()
    {
        var mesh = BoxTetMesher.Box(2, 2, 2);
        var options = new TimeIntegrationOptions { DtMs = 0.5, MaxNewtonIterations = 1, MinDtMs = 1e-3, NewtonRelativeTolerance = 1e-14 };
        var e = Assert.Throws<SimulationFailedException>(() => ReactionDiffusionSolver.Run(mesh, PumpModel(), options, [1.0]));
        Assert.Contains("newton", e.Message);
        Assert.True(e.Statistics.RejectedSteps > 0);
        Assert.Equal(0, e.TimeMs);
    }
}
