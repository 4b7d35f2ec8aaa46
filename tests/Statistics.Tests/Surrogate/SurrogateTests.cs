using MathNet.Numerics.Distributions;
using ShapeStudy.Core;

namespace ShapeStudy.Statistics.Tests.Surrogate;

public class LatinHypercubeTests
{
    private static void AssertStratified(double[] unitColumn)
    {
        int n = unitColumn.Length;
        var strata = unitColumn.Select(u => (int)Math.Floor(u * n)).OrderBy(v => v).ToArray();
        Assert.Equal(Enumerable.Range(0, n), strata);
    }

    [Fact]
    public void UnitDesign_HasOnePointPerStratumInEveryColumn_AndIsSeeded()
    {
        var design = LatinHypercube.UnitDesign(37, 4, seed: 11);
        for (int j = 0; j < 4; j++) AssertStratified(design.Select(r => r[j]).ToArray());
        Assert.Equal(design, LatinHypercube.UnitDesign(37, 4, seed: 11));
        Assert.NotEqual(design, LatinHypercube.UnitDesign(37, 4, seed: 12));
    }

    [Fact]
    public void MaximinSearch_SpreadsPointsFurtherThanPlainLatinHypercubes()
    {
        // Median over seeds of the smallest pairwise distance: maximin-optimized versus plain random Latin hypercubes.
        var plain = new List<double>();
        var maximin = new List<double>();
        for (ulong seed = 1; seed <= 9; seed++)
        {
            plain.Add(LatinHypercube.MinimumDistance(LatinHypercube.UnitDesign(30, 3, seed, new LatinHypercubeOptions(Candidates: 1, ExchangeIterations: 0, Centered: true))));
            maximin.Add(LatinHypercube.MinimumDistance(LatinHypercube.UnitDesign(30, 3, seed, new LatinHypercubeOptions(Centered: true))));
        }
        double plainMedian = Quantiles.Of(plain, 0.5), maximinMedian = Quantiles.Of(maximin, 0.5);
        Assert.True(maximinMedian > 1.5 * plainMedian, $"maximin median min-distance {maximinMedian} vs plain {plainMedian}");
    }

    [Fact]
    public void PhysicalDesign_IsStratifiedInPriorProbability()
    {
        var priors = new Prior[] { new UniformPrior(2, 5), new LogNormalPrior(Math.Log(0.05), 0.6), new NormalPrior(1, 0.2),
            new TruncatedPrior(new NormalPrior(0, 1), 0, 2), new HalfNormalPrior(0.3) };
        var design = LatinHypercube.Design(priors, 25, seed: 3);
        Func<double, double>[] cdf =
        [
            x => (x - 2) / 3,
            x => LogNormal.CDF(Math.Log(0.05), 0.6, x),
            x => Normal.CDF(1, 0.2, x),
            x => (Normal.CDF(0, 1, x) - 0.5) / (Normal.CDF(0, 1, 2) - 0.5),
            x => 2 * Normal.CDF(0, 0.3, x) - 1,
        ];
        for (int j = 0; j < priors.Length; j++)
        {
            AssertStratified(design.Select(r => Math.Clamp(cdf[j](r[j]), 0, 1 - 1e-12)).ToArray());
            Assert.All(design, r => Assert.True(r[j] >= priors[j].Lower && r[j] <= priors[j].Upper));
        }
        // A quantile of a prior without a closed form (Student-t-like mixture) falls back to seeded draws: median of N(0, 1) mixture.
        Assert.Equal(0.0, LatinHypercube.PriorQuantile(new NormalPrior(0, 1), 0.5), 12);
    }
}

public class GaussianProcessTests
{
    [Theory]
    [InlineData(GpKernel.Matern52)]
    [InlineData(GpKernel.SquaredExponential)]
    public void InterpolatesSmoothFunction_AndLeaveOneOutIsAccurateAndCalibrated(GpKernel kernel)
    {
        // f(x, y) = sin(3x)·cos(2y) + x² on [0, 2]², 40-point maximin design, checked at 400 held-out points.
        static double F(double[] p) => Math.Sin(3 * p[0]) * Math.Cos(2 * p[1]) + p[0] * p[0];
        var priors = new Prior[] { new UniformPrior(0, 2), new UniformPrior(0, 2) };
        var x = LatinHypercube.Design(priors, 40, seed: 5);
        var gp = GaussianProcess.Fit(x, x.Select(F).ToArray(), new GaussianProcessOptions(kernel));
        var rng = new Random(2);
        double se = 0, sd = 0;
        int inside = 0;
        for (int i = 0; i < 400; i++)
        {
            var p = new[] { 0.05 + 1.9 * rng.NextDouble(), 0.05 + 1.9 * rng.NextDouble() };
            var (m, v) = gp.Predict(p);
            Assert.True(Math.Abs(m - gp.PredictMean(p)) < 1e-9);
            double err = m - F(p);
            se += err * err;
            if (Math.Abs(err) <= 1.96 * Math.Sqrt(v + gp.NoiseVariance)) inside++;
            sd += F(p) * F(p);
        }
        double rmse = Math.Sqrt(se / 400);
        Assert.True(rmse < 0.05, $"{kernel}: held-out RMSE {rmse}");
        var loo = gp.LeaveOneOut();
        Assert.True(loo.RelativeRmse < 0.1, $"{kernel}: LOO relative RMSE {loo.RelativeRmse}");
        Assert.True(loo.Coverage95 >= 0.8, $"{kernel}: LOO coverage {loo.Coverage95}");
        Assert.True(inside >= 0.8 * 400, $"{kernel}: held-out 95 % coverage {inside / 400.0}");
    }

    [Fact]
    public void LeaveOneOut_EqualsExplicitRefits()
    {
        static double F(double[] p) => Math.Exp(-p[0]) * (1 + 0.5 * p[1]);
        var x = LatinHypercube.Design([new UniformPrior(0, 3), new UniformPrior(-1, 1)], 15, seed: 8);
        var y = x.Select(F).ToArray();
        var gp = GaussianProcess.Fit(x, y);
        var loo = gp.LeaveOneOut();
        // The closed form holds for fixed hyperparameters: rebuild the LOO mean at point 4 by conditioning on the others.
        int k = 4;
        var xs = x.Where((_, i) => i != k).ToArray();
        var ys = y.Where((_, i) => i != k).ToArray();
        var len = gp.LengthScales;
        // Same kernel, same hyperparameters, 14 points: mean = k*ᵀ (K + σ²I)⁻¹ (y − ȳ) + ȳ, with ȳ the full design's mean (standardization).
        double ybar = y.Average();
        int n = xs.Length;
        var kmat = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(n, n, (i, j) => Cov(xs[i], xs[j], len, gp.SignalVariance) + (i == j ? gp.NoiseVariance : 0));
        var kstar = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(n, i => Cov(xs[i], x[k], len, gp.SignalVariance));
        var w = kmat.Solve(MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(n, i => ys[i] - ybar));
        double mean = ybar + kstar.DotProduct(w);
        double variance = gp.SignalVariance + gp.NoiseVariance - kstar.DotProduct(kmat.Solve(kstar));
        Assert.Equal(mean, loo.Mean[k], 7);
        Assert.Equal(variance, loo.Variance[k], 7);

        static double Cov(double[] a, double[] b, double[] len, double signal)
        {
            double r2 = 0;
            for (int m = 0; m < a.Length; m++) { double t = (a[m] - b[m]) / len[m]; r2 += t * t; }
            double sr = Math.Sqrt(5 * r2);
            return signal * (1 + sr + 5.0 / 3.0 * r2) * Math.Exp(-sr);
        }
    }

    [Fact]
    public void FittedHyperparameters_MaximizeMarginalLikelihood_AndDetectIrrelevantInput()
    {
        // y depends on x0 strongly, weakly on x1 and not at all on x2 (ARD: ℓ0 < ℓ1 and ℓ2 long).
        var rng = new Random(4);
        var x = LatinHypercube.Design([new UniformPrior(0, 1), new UniformPrior(0, 1), new UniformPrior(0, 1)], 60, seed: 9);
        var y = x.Select(p => Math.Sin(6 * p[0]) + 0.3 * p[1] * p[1] + 0.01 * rng.StandardNormal()).ToArray();
        var gp = GaussianProcess.Fit(x, y, new GaussianProcessOptions(GpKernel.SquaredExponential));
        var len = gp.LengthScales;
        Assert.True(len[0] < len[1] && len[2] > 5 * len[0], $"length scales {string.Join(", ", len)}");
        double best = GaussianProcess.LogMarginalLikelihoodAt(x, y, len, gp.SignalVariance, gp.NoiseVariance, GpKernel.SquaredExponential);
        Assert.Equal(gp.LogMarginalLikelihood, best, 6);
        // Every one-at-a-time perturbation of a free hyperparameter by ±10 % lowers the likelihood (ℓ2 may sit at its bound).
        for (int m = 0; m < 2; m++)
            foreach (double f in new[] { 0.9, 1.1 })
            {
                var l2 = (double[])len.Clone();
                l2[m] *= f;
                Assert.True(GaussianProcess.LogMarginalLikelihoodAt(x, y, l2, gp.SignalVariance, gp.NoiseVariance, GpKernel.SquaredExponential) < best);
            }
        foreach (double f in new[] { 0.9, 1.1 })
        {
            Assert.True(GaussianProcess.LogMarginalLikelihoodAt(x, y, len, f * gp.SignalVariance, gp.NoiseVariance, GpKernel.SquaredExponential) < best);
            Assert.True(GaussianProcess.LogMarginalLikelihoodAt(x, y, len, gp.SignalVariance, f * gp.NoiseVariance, GpKernel.SquaredExponential) < best);
        }
        // The fitted noise sd is near the 0.01 that was added.
        Assert.InRange(Math.Sqrt(gp.NoiseVariance), 0.004, 0.02);
    }
}

public class SurrogateFitTests
{
    /// <summary>A Ca²⁺ transient c(t) = A (1 − e^{−t/τ_r}) e^{−k t} (µM) at t = 0, 2, …, 60 ms; θ = (A µM, k 1/ms, τ_r ms).</summary>
    internal static double[] RiseDecay(double[] theta)
    {
        var c = new double[31];
        for (int i = 0; i < c.Length; i++)
        {
            double t = 2.0 * i;
            c[i] = theta[0] * (1 - Math.Exp(-t / theta[2])) * Math.Exp(-theta[1] * t);
        }
        return c;
    }

    private static readonly Prior[] Priors = [new UniformPrior(0.5, 3), new LogNormalPrior(Math.Log(0.05), 0.5), new UniformPrior(1, 8)];

    [Fact]
    public void SurrogateFit_RecoversParameters_MatchesExactPosterior_AndPassesSimulatorCheck()
    {
        var truth = new[] { 1.6, 0.06, 3.5 };
        const double noise = 0.03;
        var rng = new Random(21);
        var observed = RiseDecay(truth).Select(v => v + noise * rng.StandardNormal()).ToArray();
        var options = new SurrogateFitOptions(DesignPoints: 60, Seed: 3,
            Posterior: new SurrogatePosteriorOptions(Walkers: 16, Steps: 1500, Burn: 500));
        var fit = SurrogateFit.Run(Priors, RiseDecay, observed, noise, options);

        // Design: the points the fit ran are exactly the published design (a cluster can precompute them).
        Assert.Equal(SurrogateFit.DesignFor(Priors, options), fit.Design);
        // Surrogate validation (LOO over the 60 runs): small relative error and roughly calibrated intervals.
        Assert.True(fit.Validation.RelativeRmse < 0.05, $"LOO relative RMSE {fit.Validation.RelativeRmse}");
        Assert.True(fit.Validation.Coverage95 > 0.8, $"LOO coverage {fit.Validation.Coverage95}");
        // Held-out runs agree too.
        var held = LatinHypercube.Design(Priors, 30, seed: 99);
        var heldValidation = fit.Surrogate.Validate(held, held.Select(RiseDecay).ToArray());
        Assert.True(heldValidation.RelativeRmse < 0.08, $"held-out relative RMSE {heldValidation.RelativeRmse}");
        // Posterior covers the truth, converged.
        for (int j = 0; j < 3; j++)
        {
            Assert.True(fit.Posterior.Covers(j, truth[j]), $"parameter {j}: truth {truth[j]} outside {fit.Posterior.Interval95[j]}");
            Assert.True(fit.Posterior.Summaries[j].RHat < 1.1, $"R̂ {fit.Posterior.Summaries[j].RHat}");
        }
        // The exact posterior (MCMC on the simulator itself) has the same means within 0.35 posterior sd.
        var gauss = new GaussianLikelihood(observed, noise);
        var exact = SurrogatePosterior.SampleEnsembles(Priors, th => gauss.LogDensity(RiseDecay(th)), new SurrogatePosteriorOptions(Walkers: 16, Steps: 1500, Burn: 500, Seed: 5));
        for (int j = 0; j < 3; j++)
        {
            double sd = exact.Summaries[j].Sd;
            Assert.True(Math.Abs(exact.PosteriorMean[j] - fit.Posterior.PosteriorMean[j]) < 0.35 * sd,
                $"parameter {j}: surrogate mean {fit.Posterior.PosteriorMean[j]} vs exact {exact.PosteriorMean[j]} (sd {sd})");
            Assert.InRange(fit.Posterior.Summaries[j].Sd / sd, 0.7, 1.5);
        }
        // Final check with the true simulator: residual RMS at the posterior mean ≈ noise sd; surrogate ≈ simulator there.
        Assert.InRange(fit.Check.NormalizedRmse, 0.7, 1.3);
        Assert.True(fit.Check.RmseSurrogateVsSimulator < 0.3 * noise, $"surrogate vs simulator at the posterior mean: {fit.Check.RmseSurrogateVsSimulator}");
    }

    [Fact]
    public void IndependentAndPcaBases_AgreeOnSmoothTimeCourses()
    {
        // Every third time point (11 outputs) keeps the 11 independent fits cheap.
        static double[] Coarse(double[] theta) => RiseDecay(theta).Where((_, i) => i % 3 == 0).ToArray();
        var design = LatinHypercube.Design(Priors, 40, seed: 4);
        var outputs = design.Select(Coarse).ToArray();
        var gp = new GaussianProcessOptions(Restarts: 2);
        var pca = TimeCourseSurrogate.Fit(design, outputs, new SurrogateOptions(gp));
        var ind = TimeCourseSurrogate.Fit(design, outputs, new SurrogateOptions(gp, Basis: SurrogateBasis.Independent));
        Assert.True(pca.Processes.Count < 10, $"PCA kept {pca.Processes.Count} components");
        Assert.Equal(11, ind.Processes.Count);
        var held = LatinHypercube.Design(Priors, 20, seed: 77);
        var truth = held.Select(Coarse).ToArray();
        var vp = pca.Validate(held, truth);
        var vi = ind.Validate(held, truth);
        Assert.True(vp.RelativeRmse < 0.1 && vi.RelativeRmse < 0.1, $"PCA {vp.RelativeRmse}, independent {vi.RelativeRmse}");
        // t = 0 is exactly 0 for every θ: both surrogates reproduce it.
        Assert.True(Math.Abs(vp.RmsePerOutput[0]) < 1e-6 && Math.Abs(vi.RmsePerOutput[0]) < 1e-6);
    }
}
