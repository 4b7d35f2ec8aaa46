using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class DiffusionDecaySimulatorTests
{
    private static Volume<byte> Box(int nz, int ny, int nx, Spacing s)
    {
        var v = new Volume<byte>(nz, ny, nx, s);
        Array.Fill(v.Data, (byte)1);
        return v;
    }

    private static Volume<byte> Capsule() =>
        TestGeometry.Mask(12, 12, 40, new Spacing(0.06, 0.05, 0.05), (x, y, z) =>
        {
            double ax = Math.Max(0, Math.Abs(x) - 0.6);
            return ax * ax + y * y + z * z <= 0.27 * 0.27;
        });

    [Fact]
    public void TotalAmountEqualsInjectedAmountWithoutDecay()
    {
        var domain = Capsule();
        var p = new DiffusionDecayParameters(0.3, 0.0, 2.5, PulseMs: 3.3);
        var r = DiffusionDecaySimulator.Run(domain, p, new TimeGrid(10, 0.5));
        Assert.Equal(20, r.Steps);
        Assert.Equal(21, r.TimesMs.Length);
        Assert.Equal(TestGeometry.CountForeground(domain), r.DomainVoxels);
        Assert.Equal(r.DomainVoxels * domain.Spacing.VoxelVolume, r.DomainVolumeUm3, 1e-12);
        Assert.True(r.SourceAreaUm2 > 0);
        var whole = r.CompartmentMeansUM["whole"];
        double final = p.InfluxUmUMPerMs * r.SourceAreaUm2 * p.PulseMs;
        for (int n = 0; n <= r.Steps; n++)
        {
            double expected = p.InfluxUmUMPerMs * r.SourceAreaUm2 * Math.Min(r.TimesMs[n], p.PulseMs);
            Assert.True(Math.Abs(whole[n] * r.DomainVolumeUm3 - expected) <= 1e-6 * final, $"step {n}");
        }
        Assert.True(r.MaxResidual <= DiffusionDecaySimulator.RelativeTolerance);
        Assert.True(r.TotalCgIterations > 0);
        // The source end fills first; the far end lags behind.
        Assert.True(r.CompartmentMeansUM["source"][6] > whole[6]);
        Assert.True(r.CompartmentMeansUM["far"][6] < whole[6]);
    }

    [Fact]
    public void TotalAmountFollowsTheBackwardEulerDecayRecursion()
    {
        var domain = Capsule();
        var p = new DiffusionDecayParameters(0.2, 0.15, 1.7, PulseMs: 2.25);
        var g = new TimeGrid(12, 0.5);
        var r = DiffusionDecaySimulator.Run(domain, p, g);
        var whole = r.CompartmentMeansUM["whole"];
        double m = 0, scale = p.InfluxUmUMPerMs * r.SourceAreaUm2 * p.PulseMs;
        for (int n = 0; n < r.Steps; n++)
        {
            double t0 = n * g.DtMs, t1 = t0 + g.DtMs;
            double jMean = p.InfluxUmUMPerMs * Math.Max(0, Math.Min(t1, p.PulseMs) - t0) / g.DtMs;
            m = (m + g.DtMs * jMean * r.SourceAreaUm2) / (1 + p.DecayPerMs * g.DtMs);
            Assert.True(Math.Abs(whole[n + 1] * r.DomainVolumeUm3 - m) <= 1e-6 * scale, $"step {n + 1}");
        }
    }

    [Fact]
    public void SourceAreaAndCompartmentsOfABoxAreExact()
    {
        var prepared = DiffusionDecaySimulator.Prepare(Box(4, 4, 40, Spacing.Isotropic(1)));
        // Axis +x; threshold 19.5 − 0.1·39 = 15.6 above the centroid: the x+ end (16 faces) and the side faces of the
        // last four slices (4 × 16 faces), 1 µm² each.
        Assert.Equal(80.0, prepared.SourceAreaUm2, 1e-9);
        Assert.Equal((1.0, 0.0, 0.0), (Math.Round(prepared.MajorAxis.X, 12), Math.Round(prepared.MajorAxis.Y, 12), Math.Round(prepared.MajorAxis.Z, 12)));
        Assert.Equal((160, 160), prepared.CompartmentVoxels); // 10 slices of 16 voxels at each end
    }

    /// <summary>Per-step factor of the cos(π x/L) mode under backward Euler with the finite-volume Neumann Laplacian.</summary>
    private static double DiscreteFactor(double d, double k, double h, int n, double dt)
    {
        double s = Math.Sin(Math.PI / (2 * n));
        double lambda = 4 / (h * h) * s * s;
        return 1 / (1 + dt * (d * lambda + k));
    }

    private static double[] CosineInitial(int nz, int ny, int nx, int axis, int n)
    {
        var c = new double[nz * ny * nx];
        for (int z = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++)
        {
            int i = axis == 0 ? x : axis == 1 ? y : z;
            c[(z * ny + y) * nx + x] = Math.Cos(Math.PI * (i + 0.5) / n);
        }
        return c;
    }

    [Fact]
    public void CosineModeDecaysAtTheDiscreteAndAnalyticRate()
    {
        const int N = 40;
        double h = 0.25, D = 0.4, k = 0.05, L = N * h;
        var domain = Box(4, 4, N, new Spacing(h, h, h));
        var initial = CosineInitial(4, 4, N, 0, N);
        var p = new DiffusionDecayParameters(D, k, 0, 0);

        // Exact discrete eigenvalue of the FV/backward-Euler operator.
        var coarse = DiffusionDecaySimulator.Run(domain, p, new TimeGrid(20, 1.0), initial);
        double rho = DiscreteFactor(D, k, h, N, 1.0);
        var src = coarse.CompartmentMeansUM["source"];
        var far = coarse.CompartmentMeansUM["far"];
        for (int n = 1; n <= coarse.Steps; n++)
        {
            Assert.Equal(Math.Pow(rho, n), src[n] / src[0], 1e-6 * Math.Pow(rho, n));
            Assert.Equal(Math.Pow(rho, n), far[n] / far[0], 1e-6 * Math.Pow(rho, n));
        }
        Assert.Equal(0.0, coarse.CompartmentMeansUM["whole"][coarse.Steps], 1e-9); // the mode has zero mean

        // Continuous rate D (π/L)² + k from a fine time step.
        var fine = DiffusionDecaySimulator.Run(domain, p, new TimeGrid(10, 0.01), initial);
        var s = fine.CompartmentMeansUM["source"];
        double rate = -Math.Log(s[fine.Steps] / s[0]) / fine.TimesMs[fine.Steps];
        double analytic = D * (Math.PI / L) * (Math.PI / L) + k;
        Assert.InRange(rate / analytic, 0.98, 1.02);
    }

    [Fact]
    public void PermutingTheBoxAxesGivesTheSameCurves()
    {
        var p = new DiffusionDecayParameters(0.3, 0.1, 2.0, 4.0);
        var g = new TimeGrid(15, 0.5);
        var s = new Spacing(0.1, 0.1, 0.1);
        var alongX = DiffusionDecaySimulator.Run(Box(5, 4, 30, s), p, g);
        var alongY = DiffusionDecaySimulator.Run(Box(4, 30, 5, s), p, g);
        var alongZ = DiffusionDecaySimulator.Run(Box(30, 5, 4, s), p, g);
        foreach (var other in new[] { alongY, alongZ })
        {
            Assert.Equal(alongX.SourceAreaUm2, other.SourceAreaUm2, 1e-12);
            foreach (var name in new[] { "whole", "source", "far" })
            {
                var a = alongX.CompartmentMeansUM[name];
                var b = other.CompartmentMeansUM[name];
                double scale = a.Max();
                for (int n = 0; n < a.Length; n++) Assert.Equal(a[n], b[n], 1e-9 * scale);
            }
        }
    }

    [Fact]
    public void ScalingSpacingBySAndDBySSquaredGivesIdenticalCurves()
    {
        // With lengths × s, D × s² keeps D/h² and the flux density × s keeps J·A/V: the discrete systems coincide.
        var mask = Capsule();
        double sc = 3.7;
        var scaled = new Volume<byte>(mask.NZ, mask.NY, mask.NX,
            new Spacing(mask.Spacing.Z * sc, mask.Spacing.Y * sc, mask.Spacing.X * sc), mask.Data, (1.0, 2.0, -3.0));
        var g = new TimeGrid(8, 0.25);
        var a = DiffusionDecaySimulator.Run(mask, new DiffusionDecayParameters(0.25, 0.08, 1.5, 2.0), g);
        var b = DiffusionDecaySimulator.Run(scaled, new DiffusionDecayParameters(0.25 * sc * sc, 0.08, 1.5 * sc, 2.0), g);
        Assert.Equal(a.SourceAreaUm2 * sc * sc, b.SourceAreaUm2, 1e-9 * b.SourceAreaUm2);
        foreach (var name in new[] { "whole", "source", "far" })
        {
            var x = a.CompartmentMeansUM[name];
            var y = b.CompartmentMeansUM[name];
            double scale = x.Max();
            for (int n = 0; n < x.Length; n++) Assert.Equal(x[n], y[n], 1e-8 * scale);
        }
    }

    [Fact]
    public void PreparedDomainReproducesTheOneShotRun()
    {
        var mask = Capsule();
        var p = new DiffusionDecayParameters(0.2, 0.05, 1.0, 1.0, SourceFraction: 0.2);
        var g = new TimeGrid(5, 0.25);
        var prepared = DiffusionDecaySimulator.Prepare(mask, 0.2);
        var a = prepared.Run(p, g);
        var b = prepared.Run(p, g);
        var c = DiffusionDecaySimulator.Run(mask, p, g);
        Assert.Equal(a.CompartmentMeansUM["source"], b.CompartmentMeansUM["source"]);
        Assert.Equal(a.CompartmentMeansUM["far"], c.CompartmentMeansUM["far"]);
        Assert.Throws<ArgumentException>(() => prepared.Run(p with { SourceFraction = 0.1 }, g));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void TinyAndDisconnectedDomainsConserveMass(double diffusion)
    {
        // A single voxel (one multigrid level) and two separate blobs (several levels, zero coupling between them).
        var single = new Volume<byte>(1, 1, 1, Spacing.Isotropic(0.2), [1]);
        var blobs = TestGeometry.Mask(10, 10, 30, Spacing.Isotropic(0.1), (x, y, z) =>
            (x - 0.8) * (x - 0.8) + y * y + z * z <= 0.16 || (x + 0.9) * (x + 0.9) + y * y + z * z <= 0.09);
        foreach (var domain in new[] { single, blobs })
        {
            var p = new DiffusionDecayParameters(diffusion, 0, 1.3, 1.0);
            var r = DiffusionDecaySimulator.Run(domain, p, new TimeGrid(3, 0.25));
            double injected = p.InfluxUmUMPerMs * r.SourceAreaUm2 * p.PulseMs;
            Assert.True(r.SourceAreaUm2 > 0);
            Assert.Equal(injected, r.CompartmentMeansUM["whole"][^1] * r.DomainVolumeUm3, 1e-6 * injected);
        }
    }

    [Fact]
    public void ImpossibleParametersAreRejectedWithClearMessages()
    {
        var mask = Capsule();
        var g = new TimeGrid(5, 0.5);
        var ok = new DiffusionDecayParameters(0.2, 0.1, 1, 1);
        Assert.Contains("DiffusionUm2PerMs", Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(mask, ok with { DiffusionUm2PerMs = -1 }, g)).Message);
        Assert.Contains("DecayPerMs", Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(mask, ok with { DecayPerMs = -0.1 }, g)).Message);
        Assert.Contains("DtMs", Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(mask, ok, new TimeGrid(5, 0))).Message);
        Assert.Contains("no foreground", Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(new Volume<byte>(3, 3, 3, Spacing.Isotropic(1)), ok, g)).Message);
        Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(mask, ok, g, new double[3]));
        Assert.Throws<ArgumentException>(() => DiffusionDecaySimulator.Run(mask, ok with { SourceFraction = 0 }, g));
    }
}
