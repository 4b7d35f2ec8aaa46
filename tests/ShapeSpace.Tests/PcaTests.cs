using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace.Tests;

public class PcaTests
{
    /// <summary>Rows x = mean + L·z in standardized space with known orthonormal directions and variances.</summary>
    private static (double[][] Rows, double[][] Directions, double[] Variances, double[] Scale) Synthetic(int n, int seed)
    {
        var rng = new Random(seed);
        // Orthonormal directions in 4-D and variances 6, 2, 0.5, 0.1.
        double s = 0.5;
        var dirs = new[]
        {
            new[] { s, s, s, s }, new[] { s, -s, s, -s }, new[] { s, s, -s, -s }, new[] { s, -s, -s, s },
        };
        var variances = new[] { 6.0, 2.0, 0.5, 0.1 };
        var mean = new[] { 3.0, -1.0, 10.0, 0.5 };
        var scale = new[] { 1.0, 1.0, 1.0, 1.0 };
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var r = (double[])mean.Clone();
            for (int k = 0; k < 4; k++)
            {
                double zk = rng.StandardNormal() * Math.Sqrt(variances[k]);
                for (int j = 0; j < 4; j++) r[j] += zk * dirs[k][j] * scale[j];
            }
            rows[i] = r;
        }
        return (rows, dirs, variances, scale);
    }

    [Fact]
    public void RecoversKnownPrincipalDirections()
    {
        var (rows, dirs, variances, _) = Synthetic(20000, seed: 11);
        // All four features have the same marginal variance (Σ_k λ_k / 4), so standardization keeps the directions.
        var model = DescriptorPca.Fit(rows);
        Assert.Equal(4, model.ModeCount);
        for (int k = 0; k < 2; k++)
        {
            double dot = 0;
            for (int j = 0; j < 4; j++) dot += model.Components[j, k] * dirs[k][j];
            Assert.True(Math.Abs(dot) > 0.995, $"mode {k}: |cos| = {Math.Abs(dot)}");
        }
        double total = variances.Sum();
        for (int k = 0; k < 4; k++)
            Assert.InRange(model.ExplainedVarianceRatio[k], variances[k] / total * 0.95, variances[k] / total * 1.05);
        Assert.Equal(1.0, model.ExplainedVarianceRatio.Sum(), 12);
    }

    [Fact]
    public void ReconstructWithAllModes_IsExact_AndScoresHaveModeVariances()
    {
        var rng = new Random(5);
        var rows = Enumerable.Range(0, 40).Select(_ => new[] { rng.NextDouble() * 10, Math.Log(1 + rng.NextDouble()), rng.StandardNormal(), 100 + 5 * rng.StandardNormal(), rng.NextDouble() }).ToArray();
        var model = DescriptorPca.Fit(rows);
        foreach (var r in rows)
        {
            var back = model.Reconstruct(model.Scores(r));
            for (int j = 0; j < r.Length; j++) Assert.Equal(r[j], back[j], 10);
        }
        for (int k = 0; k < model.ModeCount; k++)
        {
            double ss = rows.Sum(r => model.Scores(r)[k] * model.Scores(r)[k]);
            Assert.Equal(model.ExplainedVariance[k], ss / (rows.Length - 1), 9);
        }
        Assert.Equal(1.0, model.ExplainedVarianceRatio.Sum(), 12);
        // Truncated model: ratios sum to less than 1.
        var truncated = DescriptorPca.Fit(rows, 2);
        Assert.True(truncated.ExplainedVarianceRatio.Sum() < 1.0);
        Assert.Equal(model.ExplainedVarianceRatio[0], truncated.ExplainedVarianceRatio[0], 12);
    }

    [Fact]
    public void SampleGaussian_ReproducesTheTrainingCovariance()
    {
        var (rows, _, _, _) = Synthetic(5000, seed: 3);
        var model = DescriptorPca.Fit(rows);
        var samples = model.SampleGaussian(new Random(9), 20000);
        for (int j = 0; j < 4; j++)
        {
            double m0 = rows.Average(r => r[j]), m1 = samples.Average(r => r[j]);
            double v0 = rows.Sum(r => (r[j] - m0) * (r[j] - m0)) / (rows.Length - 1);
            double v1 = samples.Sum(r => (r[j] - m1) * (r[j] - m1)) / (samples.Length - 1);
            Assert.InRange(m1 - m0, -0.05, 0.05);
            Assert.InRange(v1 / v0, 0.95, 1.05);
        }
        // Covariance of features 0 and 1 (−λ2 ... combination): compare sample to training.
        double Cov(double[][] x, int a, int b)
        {
            double ma = x.Average(r => r[a]), mb = x.Average(r => r[b]);
            return x.Sum(r => (r[a] - ma) * (r[b] - mb)) / (x.Length - 1);
        }
        Assert.InRange(Cov(samples, 0, 1) - Cov(rows, 0, 1), -0.06, 0.06);
        Assert.InRange(Cov(samples, 0, 2) - Cov(rows, 0, 2), -0.06, 0.06);
    }

    [Fact]
    public void ConstantFeature_KeepsUnitScale()
    {
        var rows = new[] { new[] { 1.0, 5.0 }, new[] { 2.0, 5.0 }, new[] { 4.0, 5.0 } };
        var model = DescriptorPca.Fit(rows);
        Assert.Equal(1.0, model.Scale[1]);
        var back = model.Reconstruct(model.Scores(rows[2]));
        Assert.Equal(4.0, back[0], 12);
        Assert.Equal(5.0, back[1], 12);
    }
}
