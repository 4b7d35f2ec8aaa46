using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics.Tests.Sampling;

public class PriorsAndLikelihoodsTests
{
    private static double Mass(Prior p, double lo, double hi) =>
        MathNet.Numerics.Integrate.DoubleExponential(x => Math.Exp(p.LogPdf(x)), lo, hi, 1e-12);

    [Fact]
    public void HalfNormal_IsTwiceTheNormalDensity_AndNormalized()
    {
        var p = new HalfNormalPrior(2.5);
        foreach (var x in new[] { 0.0, 0.3, 1.7, 6.0 })
            Assert.Equal(Math.Log(2 * Normal.PDF(0, 2.5, x)), p.LogPdf(x), 1e-12);
        Assert.Equal(double.NegativeInfinity, p.LogPdf(-1e-9));
        Assert.Equal(1.0, Mass(p, 0, 40), 1e-9);
        var rng = new ResumableRandom(1);
        double mean = Enumerable.Range(0, 100_000).Select(_ => p.Sample(rng)).Average();
        Assert.Equal(2.5 * Math.Sqrt(2 / Math.PI), mean, 0.02);
    }

    [Fact]
    public void LogTransformed_IsTheChangeOfVariables_NormalForALogNormal_AndExponentialForAUniform()
    {
        // ln θ of a log-normal θ is exactly normal
        var ln = new LogTransformedPrior(new LogNormalPrior(-1.5, 0.7));
        foreach (var u in new[] { -3.0, -1.5, 0.2 })
            Assert.Equal(new NormalPrior(-1.5, 0.7).LogPdf(u), ln.LogPdf(u), 1e-12);
        Assert.Equal(0.7, ln.Scale);
        // ln θ of θ ~ U(0.02, 2): density eᵘ/(2 − 0.02) on [ln 0.02, ln 2], normalized, with mean E[ln θ]
        var lu = new LogTransformedPrior(new UniformPrior(0.02, 2.0));
        Assert.Equal(Math.Log(0.02), lu.Lower, 1e-15);
        Assert.Equal(Math.Log(2.0), lu.Upper, 1e-15);
        Assert.Equal(1.0, Mass(lu, lu.Lower, lu.Upper), 1e-9);
        Assert.Equal(double.NegativeInfinity, lu.LogPdf(Math.Log(2.1)));
        double expected = (2 * Math.Log(2) - 2 - (0.02 * Math.Log(0.02) - 0.02)) / 1.98;   // ∫ ln θ dθ / (b − a)
        var rng = new ResumableRandom(3);
        Assert.Equal(expected, Enumerable.Range(0, 100_000).Select(_ => lu.Sample(rng)).Average(), 0.01);
        Assert.Throws<ArgumentException>(() => new LogTransformedPrior(new NormalPrior(0, 1)));
    }

    [Fact]
    public void TruncatedNormal_IsNormalized_WithTheAnalyticMean()
    {
        var t = new TruncatedPrior(new NormalPrior(1, 2), -1, 4);
        double a = (-1 - 1) / 2.0, b = (4 - 1) / 2.0;
        double z = Normal.CDF(0, 1, b) - Normal.CDF(0, 1, a);
        Assert.Equal(z, t.Mass, 1e-12);
        Assert.Equal(1.0, Mass(t, -1, 4), 1e-9);
        Assert.Equal(double.NegativeInfinity, t.LogPdf(4.0001));
        Assert.Equal(new NormalPrior(1, 2).LogPdf(0.5) - Math.Log(z), t.LogPdf(0.5), 1e-12);
        var rng = new ResumableRandom(2);
        var draws = Enumerable.Range(0, 100_000).Select(_ => t.Sample(rng)).ToArray();
        Assert.All(draws, d => Assert.InRange(d, -1.0, 4.0));
        double mean = 1 + 2 * (Normal.PDF(0, 1, a) - Normal.PDF(0, 1, b)) / z;
        Assert.Equal(mean, draws.Average(), 0.015);
    }

    [Fact]
    public void TruncationOfAnArbitraryPrior_UsesQuadrature_AndAgreesWithTheClosedForm()
    {
        // A truncated prior has no closed-form CDF here, so truncating it again takes the quadrature path.
        var inner = new TruncatedPrior(new LogNormalPrior(0, 0.5), 0.2, 5);
        var twice = new TruncatedPrior(inner, 0.5, 2);
        var once = new TruncatedPrior(new LogNormalPrior(0, 0.5), 0.5, 2);
        foreach (var x in new[] { 0.5, 0.8, 1.3, 2.0 }) Assert.Equal(once.LogPdf(x), twice.LogPdf(x), 1e-8);
        Assert.Equal(1.0, Mass(twice, 0.5, 2), 1e-9);
        // Half-infinite truncation of a uniform and of a half-normal.
        Assert.Equal(1.0, Mass(new TruncatedPrior(new UniformPrior(0, 10), 2, double.PositiveInfinity), 2, 10), 1e-9);
        var hn = new TruncatedPrior(new HalfNormalPrior(1), 1, double.PositiveInfinity);
        Assert.Equal(2 * (1 - Normal.CDF(0, 1, 1)), hn.Mass, 1e-12);
        Assert.Throws<ArgumentException>(() => new TruncatedPrior(new HalfNormalPrior(1), -3, -1));
    }

    [Fact]
    public void GaussianAndStudentT_LogLikelihoods_MatchMathNet_AndTheirGradients()
    {
        double[] y = [0.1, 1.3, 2.2, 2.9, 5.0];
        double[] f = [0.0, 1.0, 2.0, 3.0, 4.0];
        var g = new GaussianLikelihood(y, 0.7);
        Assert.Equal(y.Zip(f).Sum(p => Normal.PDFLn(p.Second, 0.7, p.First)), g.LogDensity(f), 1e-12);
        Assert.Equal(double.NegativeInfinity, g.LogDensity(f, 0));
        var t = new StudentTLikelihood(y, 3.5, 0.4);
        Assert.Equal(y.Zip(f).Sum(p => StudentT.PDFLn(p.Second, 0.4, 3.5, p.First)), t.LogDensity(f), 1e-12);
        var gg = new double[5];
        var gt = new double[5];
        g.GradientWrtModel(f, 0.7, gg);
        t.GradientWrtModel(f, 3.5, 0.4, gt);
        for (int i = 0; i < 5; i++)
        {
            var up = (double[])f.Clone(); up[i] += 1e-6;
            var dn = (double[])f.Clone(); dn[i] -= 1e-6;
            Assert.Equal((g.LogDensity(up) - g.LogDensity(dn)) / 2e-6, gg[i], 1e-5);
            Assert.Equal((t.LogDensity(up) - t.LogDensity(dn)) / 2e-6, gt[i], 1e-5);
        }
    }

    [Fact]
    public void DecayTimeCourse_StudentTFitRecoversParameters_DespiteOutliers_WhereGaussianIsBiased()
    {
        // y(t) = A·exp(−k t) in µM, t in ms; A = 2 µM, k = 0.4 /ms, noise σ = 0.05 µM, plus three large outliers.
        double aTrue = 2, kTrue = 0.4, sigma = 0.05;
        var t = Enumerable.Range(0, 30).Select(i => 0.25 * i).ToArray();
        var rng = new ResumableRandom(2026);
        var y = t.Select(ti => aTrue * Math.Exp(-kTrue * ti) + sigma * rng.NextStandardNormal()).ToArray();
        y[5] += 1.0; y[6] += 0.8; y[7] += 0.9;
        Prior[] priors = [new HalfNormalPrior(5), new TruncatedPrior(new LogNormalPrior(Math.Log(0.3), 1), 0.01, 5)];
        double[] Model(double[] th) => t.Select(ti => th[0] * Math.Exp(-th[1] * ti)).ToArray();
        var robust = new StudentTLikelihood(y, 2, sigma);
        var gauss = new GaussianLikelihood(y, sigma);
        EnsembleResult Fit(Func<double[], double> ll)
        {
            var init = LogPosterior.DrawInitial(priors, 16, new ResumableRandom(5));
            return new EnsembleSampler(LogPosterior.Of(priors, ll), init, new EnsembleOptions(Seed: 6)).Run(3000);
        }
        var r = Fit(th => robust.LogDensity(Model(th)));
        var n = Fit(th => gauss.LogDensity(Model(th)));
        double[] truth = [aTrue, kTrue];
        for (int j = 0; j < 2; j++)
        {
            var draws = r.Parameter(j, 1000).SelectMany(x => x).ToArray();
            Array.Sort(draws);
            Assert.InRange(truth[j], Quantiles.Sorted(draws, 0.025), Quantiles.Sorted(draws, 0.975));
        }
        // The Gaussian fit is pulled up by the outliers: its 95 % interval for k excludes the truth.
        var kGauss = n.Parameter(1, 1000).SelectMany(x => x).ToArray();
        Array.Sort(kGauss);
        Assert.False(kTrue >= Quantiles.Sorted(kGauss, 0.025) && kTrue <= Quantiles.Sorted(kGauss, 0.975),
            $"Gaussian 95 % interval [{Quantiles.Sorted(kGauss, 0.025)}, {Quantiles.Sorted(kGauss, 0.975)}] should exclude k = {kTrue}");
    }
}
