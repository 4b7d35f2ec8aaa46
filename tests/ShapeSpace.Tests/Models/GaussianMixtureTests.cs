using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace.Tests.Models;

/// <summary>Gaussian mixtures by EM with BIC model choice.</summary>
public class GaussianMixtureTests
{
    /// <summary>n draws from 0.3·N((−3, 1), diag(0.5², 1)) + 0.7·N((2, −1), [[1, 0.6], [0.6, 1]]·0.64).</summary>
    private static double[][] TwoClusters(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n][];
        double l11 = 0.8, l21 = 0.6 * 0.8, l22 = 0.8 * 0.8;   // Cholesky of 0.64·[[1, 0.6], [0.6, 1]]
        for (int i = 0; i < n; i++)
        {
            double e1 = rng.StandardNormal(), e2 = rng.StandardNormal();
            x[i] = rng.NextDouble() < 0.3 ? [-3 + 0.5 * e1, 1 + e2] : [2 + l11 * e1, -1 + l21 * e1 + l22 * e2];
        }
        return x;
    }

    [Fact]
    public void Em_RecoversKnownMixtureParameters_AndBicChoosesTwoComponents()
    {
        var x = TwoClusters(1200, 7);
        var (best, bic) = GaussianMixture.SelectByBic(x, 3, 42, tolerance: 1e-6);
        Assert.Equal(2, best.Components);
        Assert.True(bic[1] < bic[0] && bic[1] < bic[2], string.Join(", ", bic));
        Assert.True(best.Converged);
        int small = best.Weights[0] < best.Weights[1] ? 0 : 1, large = 1 - small;
        // About 4 standard errors of 1200 draws (360 / 840 per component).
        Assert.Equal(0.3, best.Weights[small], 0.055);
        Assert.Equal(-3, best.Means[small][0], 0.11);
        Assert.Equal(1, best.Means[small][1], 0.21);
        Assert.Equal(2, best.Means[large][0], 0.11);
        Assert.Equal(-1, best.Means[large][1], 0.11);
        Assert.Equal(0.25, best.Covariances[small][0], 0.08);
        Assert.Equal(1.0, best.Covariances[small][3], 0.3);
        Assert.Equal(0.64, best.Covariances[large][0], 0.13);
        Assert.Equal(0.384, best.Covariances[large][1], 0.1);
        Assert.Equal(0.64, best.Covariances[large][3], 0.13);
    }

    [Fact]
    public void OneComponent_IsTheMaximumLikelihoodGaussian()
    {
        var x = TwoClusters(200, 3);
        var g = GaussianMixture.Fit(x, 1, new Random(1), regularization: 0);
        double mx = x.Average(p => p[0]), my = x.Average(p => p[1]);
        double sxx = x.Average(p => (p[0] - mx) * (p[0] - mx)), sxy = x.Average(p => (p[0] - mx) * (p[1] - my)), syy = x.Average(p => (p[1] - my) * (p[1] - my));
        Assert.Equal(mx, g.Means[0][0], 12);
        Assert.Equal(my, g.Means[0][1], 12);
        Assert.Equal(sxx, g.Covariances[0][0], 12);
        Assert.Equal(sxy, g.Covariances[0][1], 12);
        Assert.Equal(syy, g.Covariances[0][3], 12);
        // Mean log-likelihood of the ML Gaussian: −(d/2)(1 + ln 2π) − ½ ln det Σ.
        double det = sxx * syy - sxy * sxy;
        Assert.Equal(-(1 + Math.Log(2 * Math.PI)) - 0.5 * Math.Log(det), g.MeanLogLikelihood, 10);
        Assert.Equal(5, g.ParameterCount);
        Assert.Equal(-2 * g.MeanLogLikelihood * 200 + 5 * Math.Log(200), g.Bic, 9);
        // Diagonal: the off-diagonal term is dropped, the variances are the same.
        var diag = GaussianMixture.Fit(x, 1, new Random(1), CovarianceKind.Diagonal, regularization: 0);
        Assert.Equal(0, diag.Covariances[0][1]);
        Assert.Equal(sxx, diag.Covariances[0][0], 12);
        Assert.Equal(4, diag.ParameterCount);
    }

    [Fact]
    public void Samples_FollowTheComponentMomentsAndMahalanobisIsChiSquared()
    {
        var x = TwoClusters(2000, 11);
        var g = GaussianMixture.Fit(x, 2, new Random(5));
        var rng = new Random(99);
        int n = 40000;
        double[] sum = new double[2];
        int inside = 0;
        for (int i = 0; i < n; i++)
        {
            var (c, p) = g.Sample(rng);
            sum[0] += p[0]; sum[1] += p[1];
            // P(χ²₂ ≤ 2 ln 10) = 0.9 under the drawing component.
            if (g.ComponentMahalanobisSquared(c, p) <= 2 * Math.Log(10)) inside++;
        }
        double ex = g.Weights[0] * g.Means[0][0] + g.Weights[1] * g.Means[1][0];
        Assert.Equal(ex, sum[0] / n, 0.03);
        Assert.Equal(0.9, (double)inside / n, 0.006);
    }

    [Fact]
    public void SaveAndLoad_AreBitIdentical_AndFitsAreSeedDeterministic()
    {
        var x = TwoClusters(500, 2);
        var a = GaussianMixture.SelectByBic(x, 3, 17).Best;
        var b = GaussianMixture.SelectByBic(x, 3, 17).Best;
        Assert.Equal(a.ContentHash, b.ContentHash);
        var r = GaussianMixture.Deserialize(a.Serialize(), a.ContentHash);
        Assert.Equal(a.ContentHash, r.ContentHash);
        Assert.Equal(a.Weights, r.Weights);
        for (int c = 0; c < a.Components; c++) { Assert.Equal(a.Means[c], r.Means[c]); Assert.Equal(a.Covariances[c], r.Covariances[c]); }
        Assert.Equal(a.LogDensity(x[0]), r.LogDensity(x[0]));
        Assert.Throws<InvalidDataException>(() => ShapeModes.Deserialize(a.Serialize()));   // wrong format name
    }
}
