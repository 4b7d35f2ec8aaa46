namespace ShapeStudy.Statistics.Tests.Sampling;

public class PosteriorToolsTests
{
    [Fact]
    public void ParallelEnsembles_MixAcrossEnsembles_AndAreDeterministic()
    {
        static double F(double[] x) => -0.5 * (x[0] * x[0] + (x[1] - 3) * (x[1] - 3) / 4 + x[2] * x[2] * 16);
        var rng = new ResumableRandom(8);
        var init = Enumerable.Range(0, 4).Select(e => Enumerable.Range(0, 12)
            .Select(_ => new[] { 5 * e + rng.NextStandardNormal(), -5 * e + rng.NextStandardNormal(), rng.NextStandardNormal() }).ToArray()).ToArray();
        var a = ParallelEnsembles.Run(F, init, 12000, new EnsembleOptions(Seed: 3, Thin: 10));
        var b = ParallelEnsembles.Run(F, init, 12000, new EnsembleOptions(Seed: 3, Thin: 10));
        for (int e = 0; e < 4; e++) Assert.Equal(a[e].Parameter(1), b[e].Parameter(1));
        double[] mean = [0, 3, 0], sd = [1, 2, 0.25];
        for (int j = 0; j < 3; j++)
        {
            var chains = ParallelEnsembles.Parameter(a, j, 200);
            Assert.Equal(48, chains.Length);
            var s = Diagnostics.Summary(chains);
            Assert.True(s.RHat < 1.01, $"R̂[{j}] = {s.RHat}");
            Assert.InRange(s.Mean, mean[j] - 4 * sd[j] / Math.Sqrt(s.EssBulk), mean[j] + 4 * sd[j] / Math.Sqrt(s.EssBulk));
        }
    }

    [Fact]
    public void PriorGradients_MatchFiniteDifferences()
    {
        Prior[] priors = [new UniformPrior(0, 2), new NormalPrior(1, 0.5), new LogNormalPrior(0.2, 0.7), new HalfNormalPrior(3),
            new TruncatedPrior(new NormalPrior(0, 1), -1, 1), new TruncatedPrior(new TruncatedPrior(new LogNormalPrior(0, 1), 0.1, 9), 0.5, 3)];
        foreach (var p in priors)
            foreach (var x in new[] { 0.55, 0.7, 0.95 })
            {
                double h = 1e-5;
                double fd = (p.LogPdf(x + h) - p.LogPdf(x - h)) / (2 * h);
                Assert.Equal(fd, PriorGradients.LogPdfDerivative(p, x), 1e-6);
            }
    }

    [Fact]
    public void NutsAndEnsemble_AgreeOnATimeCoursePosterior()
    {
        // y(t) = A·exp(−k t) (µM, t in ms) with Gaussian noise σ = 0.1 µM; priors A ~ half-normal(5), k ~ log-normal(ln 0.3, 1).
        double aTrue = 1.5, kTrue = 0.25, sigma = 0.1;
        var t = Enumerable.Range(0, 20).Select(i => 0.5 * i).ToArray();
        var rng = new ResumableRandom(77);
        var y = t.Select(ti => aTrue * Math.Exp(-kTrue * ti) + sigma * rng.NextStandardNormal()).ToArray();
        var like = new GaussianLikelihood(y, sigma);
        Prior[] priors = [new HalfNormalPrior(5), new LogNormalPrior(Math.Log(0.3), 1)];
        double[] Model(double[] th) => t.Select(ti => th[0] * Math.Exp(-th[1] * ti)).ToArray();
        (double, double[]) LogLikAndGrad(double[] th)
        {
            var f = Model(th);
            var dLdf = new double[f.Length];
            like.GradientWrtModel(f, sigma, dLdf);
            double ga = 0, gk = 0;
            for (int i = 0; i < f.Length; i++) { ga += dLdf[i] * f[i] / th[0]; gk += dLdf[i] * (-t[i] * f[i]); }
            return (like.LogDensity(f), [ga, gk]);
        }
        var nuts = new NutsSampler(LogPosterior.WithGradient(priors, LogLikAndGrad), [[1.0, 0.2], [2.0, 0.3], [1.2, 0.35], [1.8, 0.2]],
            new NutsOptions(Chains: 4, Warmup: 500, Draws: 1000, Seed: 9)).Run(1500);
        var ens = ParallelEnsembles.ForPosterior(priors, th => like.LogDensity(Model(th)), 16, new EnsembleOptions(Seed: 10)).Run(4000);
        for (int j = 0; j < 2; j++)
        {
            var sn = Diagnostics.Summary(nuts.Parameter(j));
            var draws = ens.Parameter(j, 1000);
            var se = Diagnostics.Summary(draws);
            double mcseN = sn.Sd / Math.Sqrt(sn.EssBulk), mcseE = Diagnostics.McseMean(draws);
            Assert.True(sn.RHat < 1.01, $"R̂ {sn.RHat}");
            Assert.True(Math.Abs(sn.Mean - se.Mean) < 4 * Math.Sqrt(mcseN * mcseN + mcseE * mcseE), $"param {j}: NUTS {sn.Mean} vs ensemble {se.Mean}");
            Assert.InRange(sn.Sd / se.Sd, 0.9, 1.1);
            Assert.InRange(j == 0 ? aTrue : kTrue, sn.Mean - 3 * sn.Sd, sn.Mean + 3 * sn.Sd);
        }
    }

    [Fact]
    public void PosteriorPredictiveCheck_FlagsOutliers_NotAWellSpecifiedModel()
    {
        // y_i ~ N(θ, 1), prior θ ~ N(0, 10²): posterior N(ȳ·n/(n + 0.01), 1/(n + 0.01)); statistic max |y − θ|.
        static double[][] Posterior(double[] y, int draws, ulong seed)
        {
            double n = y.Length, prec = n + 0.01, mean = y.Sum() / prec;
            var r = new ResumableRandom(seed);
            return Enumerable.Range(0, draws).Select(_ => new[] { mean + r.NextStandardNormal() / Math.Sqrt(prec) }).ToArray();
        }
        static double[] Simulate(double[] th, Random r, int n) => Enumerable.Range(0, n).Select(_ => th[0] + ShapeStudy.Core.RandomExtensions.StandardNormal(r)).ToArray();
        static double MaxDev(double[] y, double[] th) => y.Max(v => Math.Abs(v - th[0]));
        var rng = new ResumableRandom(4);
        var good = Enumerable.Range(0, 50).Select(_ => 2 + rng.NextStandardNormal()).ToArray();
        var bad = (double[])good.Clone();
        bad[3] += 9;
        var okCheck = PosteriorPredictive.Check(Posterior(good, 2000, 1), good, (th, r) => Simulate(th, r, 50), MaxDev, 5);
        var badCheck = PosteriorPredictive.Check(Posterior(bad, 2000, 1), bad, (th, r) => Simulate(th, r, 50), MaxDev, 5);
        Assert.InRange(okCheck.PValue, 0.05, 0.95);
        Assert.True(badCheck.PValue < 0.01, $"p = {badCheck.PValue}");
        Assert.Equal(2000, okCheck.Replicated.Length);
    }
}
