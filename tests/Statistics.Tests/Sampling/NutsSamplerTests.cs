namespace ShapeStudy.Statistics.Tests.Sampling;

public class NutsSamplerTests
{
    private static double[][] Overdispersed(int chains, int d, double scale, ulong seed)
    {
        var rng = new ResumableRandom(seed);
        return Enumerable.Range(0, chains).Select(_ => Enumerable.Range(0, d).Select(_ => scale * rng.NextStandardNormal()).ToArray()).ToArray();
    }

    [Fact]
    public void CorrelatedGaussian_MomentsWithinMonteCarloError()
    {
        // N(μ, Σ) with μ = (1, −2), sds (1, 3), correlation 0.9.
        double m0 = 1, m1 = -2, s0 = 1, s1 = 3, rho = 0.9, det = 1 - rho * rho;
        (double, double[]) F(double[] x)
        {
            double a = (x[0] - m0) / s0, b = (x[1] - m1) / s1;
            double lp = -0.5 * (a * a - 2 * rho * a * b + b * b) / det;
            return (lp, [-(a - rho * b) / (det * s0), -(b - rho * a) / (det * s1)]);
        }
        var r = new NutsSampler(F, Overdispersed(4, 2, 5, 1), new NutsOptions(Chains: 4, Warmup: 1000, Draws: 1500, Seed: 11)).Run(2500);
        double[] mu = [m0, m1], sd = [s0, s1];
        for (int j = 0; j < 2; j++)
        {
            var s = Diagnostics.Summary(r.Parameter(j));
            Assert.True(s.RHat < 1.01, $"R̂ {s.RHat}");
            Assert.True(s.EssBulk > 800, $"ESS {s.EssBulk}");
            Assert.InRange(s.Mean, mu[j] - 4 * sd[j] / Math.Sqrt(s.EssBulk), mu[j] + 4 * sd[j] / Math.Sqrt(s.EssBulk));
            Assert.InRange(s.Sd, sd[j] * (1 - 4 / Math.Sqrt(2 * s.EssBulk)), sd[j] * (1 + 4 / Math.Sqrt(2 * s.EssBulk)));
        }
        Assert.All(r.Divergences, d => Assert.Equal(0, d));
        Assert.All(r.MeanAcceptStat, a => Assert.InRange(a, 0.65, 0.97));
        // The adapted diagonal inverse mass matrix approximates the marginal variances (1, 9).
        Assert.All(r.InverseMass, m => { Assert.InRange(m[0], 0.6, 1.5); Assert.InRange(m[1], 5.5, 13.5); });
    }

    [Fact]
    public void StandardNormal10d_MomentsWithinMonteCarloError()
    {
        static (double, double[]) F(double[] x)
        {
            double lp = 0;
            var g = new double[x.Length];
            for (int i = 0; i < x.Length; i++) { lp -= 0.5 * x[i] * x[i]; g[i] = -x[i]; }
            return (lp, g);
        }
        var r = new NutsSampler(F, Overdispersed(4, 10, 3, 2), new NutsOptions(Chains: 4, Warmup: 1000, Draws: 1000, Seed: 12)).Run(2000);
        for (int j = 0; j < 10; j++)
        {
            var s = Diagnostics.Summary(r.Parameter(j));
            Assert.True(s.RHat < 1.01, $"R̂[{j}] {s.RHat}");
            Assert.InRange(s.Mean, -4 / Math.Sqrt(s.EssBulk), 4 / Math.Sqrt(s.EssBulk));
            Assert.InRange(s.Sd, 1 - 4 / Math.Sqrt(2 * s.EssBulk), 1 + 4 / Math.Sqrt(2 * s.EssBulk));
        }
        Assert.All(r.Divergences, d => Assert.Equal(0, d));
        Assert.All(r.StepSizes, e => Assert.InRange(e, 0.3, 1.5));
    }

    [Fact]
    public void CheckpointAndResume_GiveBitIdenticalDraws()
    {
        // Interrupt inside warmup (during a mass-matrix window) and resume from JSON in a new sampler object.
        static (double, double[]) F(double[] x) => (-0.5 * (x[0] * x[0] / 4 + (x[1] - 1) * (x[1] - 1) + x[2] * x[2] * 9),
            [-x[0] / 4, -(x[1] - 1), -9 * x[2]]);
        var init = Overdispersed(2, 3, 2, 3);
        var o = new NutsOptions(Chains: 2, Warmup: 200, Draws: 100, Seed: 5);
        var whole = new NutsSampler(F, init, o).Run(300);
        NutsSampler? first = new NutsSampler(F, init, o);
        first.Run(100);
        var json = CheckpointJson.Serialize(first.Checkpoint());
        // Through a checkpoint file, as a killed process would: the first sampler object is dropped.
        string path = Path.Combine(Path.GetTempPath(), $"nuts-checkpoint-{Guid.NewGuid():N}.json");
        CheckpointJson.Save(first.Checkpoint(), path);
        first = null;
        NutsSampler resumed;
        try { resumed = NutsSampler.Resume(F, CheckpointJson.Load<NutsState>(path)); }
        finally { File.Delete(path); }
        Assert.Equal(100, resumed.Iteration);
        var rest = resumed.Run(200);
        Assert.True(resumed.IsComplete);
        for (int c = 0; c < 2; c++)
        {
            Assert.Equal(whole.StepSizes[c], rest.StepSizes[c]);
            Assert.Equal(whole.InverseMass[c], rest.InverseMass[c]);
            Assert.Equal(100, rest.Draws[c].Length);
            for (int i = 0; i < 100; i++)
                for (int j = 0; j < 3; j++)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(whole.Draws[c][i][j]), BitConverter.DoubleToInt64Bits(rest.Draws[c][i][j]));
        }
        // Checkpoints taken by Run's callback equal Checkpoint() at the same iteration.
        string? at100 = null;
        new NutsSampler(F, init, o).Run(300, 50, s => { if (s.Chains[0].Iteration == 100) at100 = CheckpointJson.Serialize(s); });
        Assert.Equal(json, at100);
    }
}
