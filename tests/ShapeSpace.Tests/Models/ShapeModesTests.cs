using Xunit.Abstractions;

namespace ShapeStudy.ShapeSpace.Tests.Models;

/// <summary>PCA shape modes over SH coefficient vectors.</summary>
public class ShapeModesTests(ITestOutputHelper output)
{
    private const int Lmax = 2;   // 9 coefficients

    /// <summary>Orthonormal directions v1, v2 in R⁹ and the design mean ± a v1, mean ± b v2 (n = 4).</summary>
    private static (double[] Mean, double[] V1, double[] V2, double[][] Rows) Design(double a, double b)
    {
        double[] mean = [5, 0.1, -0.2, 0.3, 0.05, 0, -0.1, 0.2, 0.02];
        var v1 = new double[9]; var v2 = new double[9];
        v1[1] = 0.6; v1[4] = 0.8;                                       // unit, largest entry positive
        v2[2] = -0.48; v2[3] = 0.64; v2[7] = 0.6;                        // unit, orthogonal to v1, largest entry positive
        double[] Add(double s, double[] v) => mean.Select((m, j) => m + s * v[j]).ToArray();
        return (mean, v1, v2, [Add(a, v1), Add(-a, v1), Add(b, v2), Add(-b, v2)]);
    }

    [Fact]
    public void Fit_RecoversKnownModesAndVariances()
    {
        var (mean, v1, v2, rows) = Design(0.9, 0.4);
        var m = ShapeModes.Fit(rows, Lmax, 2);
        // Sample covariance (n − 1 = 3): λ1 = 2a²/3, λ2 = 2b²/3, and no other variance.
        Assert.Equal(2 * 0.81 / 3, m.Variance[0], 12);
        Assert.Equal(2 * 0.16 / 3, m.Variance[1], 12);
        Assert.Equal(0.81 / 0.97, m.ExplainedVarianceRatio[0], 12);
        Assert.Equal(0.16 / 0.97, m.ExplainedVarianceRatio[1], 12);
        for (int j = 0; j < 9; j++)
        {
            Assert.Equal(mean[j], m.Mean[j], 12);
            Assert.Equal(v1[j], m.Modes[0][j], 10);   // sign convention: largest-magnitude entry positive
            Assert.Equal(v2[j], m.Modes[1][j], 10);
        }
        // Latent codes are in σ units: the first row sits at a / σ1 = sqrt(3/2) on mode 0.
        var z = m.Encode(rows[0]);
        Assert.Equal(Math.Sqrt(1.5), z[0], 10);
        Assert.Equal(0, z[1], 10);
        Assert.Equal(Math.Sqrt(1.5), m.Mahalanobis(rows[0]), 10);
        // Vectors in the span round-trip; ±kσ shapes are mean ± kσ v.
        var back = m.Decode(z);
        for (int j = 0; j < 9; j++) Assert.Equal(rows[0][j], back[j], 12);
        var plus2 = m.ModeShape(1, 2);
        double s2 = Math.Sqrt(2 * 0.16 / 3);
        for (int j = 0; j < 9; j++) Assert.Equal(mean[j] + 2 * s2 * v2[j], plus2[j], 12);
        var meanShape = m.MeanShape();
        for (int j = 0; j < 9; j++) Assert.Equal(mean[j], meanShape[j], 14);
    }

    [Fact]
    public void Fit_RejectsMoreModesThanTheDataSupport()
    {
        var (_, _, _, rows) = Design(0.9, 0.4);
        Assert.Throws<ArgumentOutOfRangeException>(() => ShapeModes.Fit(rows, Lmax, 4));   // n − 1 = 3
        Assert.Throws<ArgumentException>(() => ShapeModes.Fit(rows, Lmax, 3));             // rank 2
    }

    [Fact]
    public void SaveAndLoad_AreBitIdenticalAndHashChecked()
    {
        var vectors = SpinePopulation.Vectors(8);
        var m = ShapeModes.Fit(vectors, 8, 6, SpinePopulation.Ids);
        var path = Path.Combine(Path.GetTempPath(), $"modes-{Guid.NewGuid():N}.json");
        try
        {
            string hash = m.Save(path);
            Assert.Equal(64, hash.Length);
            var r = ShapeModes.Load(path, hash);
            Assert.Equal(m.ContentHash, r.ContentHash);
            Assert.Equal(m.Mean, r.Mean);
            for (int k = 0; k < m.LatentSize; k++) Assert.Equal(m.Modes[k], r.Modes[k]);
            Assert.Equal(m.Variance, r.Variance);
            Assert.Equal(m.TrainingIds, r.TrainingIds);
            var z = m.Encode(vectors[3]);
            Assert.Equal(m.Decode(z), r.Decode(r.Encode(vectors[3])));
            // A flipped digit in the payload is caught by the hash.
            var bytes = File.ReadAllBytes(path);
            int at = Array.IndexOf(bytes, (byte)'7', 120);
            bytes[at] = (byte)'8';
            Assert.Throws<InvalidDataException>(() => ShapeModes.Deserialize(bytes));
            Assert.Throws<InvalidDataException>(() => ShapeModes.Load(path, new string('0', 64)));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MicronsSpines_ModesExplainTheVarianceAndMeanShapeIsValid()
    {
        var vectors = SpinePopulation.Vectors(SpinePopulation.Lmax);
        var m = ShapeModes.Fit(vectors, SpinePopulation.Lmax, 8, SpinePopulation.Ids);
        double cumulative = 0;
        for (int k = 0; k < 8; k++)
        {
            cumulative += m.ExplainedVarianceRatio[k];
            output.WriteLine(FormattableString.Invariant($"mode {k}: σ = {m.StandardDeviation(k):F4} µm, ratio {m.ExplainedVarianceRatio[k]:F3}, cumulative {cumulative:F3}"));
            if (k > 0) Assert.True(m.Variance[k] <= m.Variance[k - 1]);
        }
        Assert.InRange(cumulative, 0.5, 1.0);
        // Reconstruction error of a training shape cannot increase with more modes (nested least squares).
        double previous = double.MaxValue;
        for (int modes = 1; modes <= 8; modes++)
        {
            var mk = ShapeModes.Fit(vectors, SpinePopulation.Lmax, modes);
            double e = ShVectors.RmsRadialDifference(vectors[5], mk.Decode(mk.Encode(vectors[5])));
            Assert.True(e <= previous + 1e-12);
            previous = e;
        }
        var ranges = PlausibleRanges.FromPopulation(SpinePopulation.Descriptors);
        var validator = new ShapeValidator(ranges);
        var mean = validator.Check(m.MeanShape(), SpinePopulation.Lmax);
        Assert.True(mean.IsValid, mean.Reason);
        Assert.True(mean.Mesh!.IsWatertight());
        // The mean shape's volume lies inside the population's range.
        Assert.InRange(mean.Descriptors!.VolumeUm3, SpinePopulation.Descriptors.Min(d => d.VolumeUm3), SpinePopulation.Descriptors.Max(d => d.VolumeUm3));
        for (int k = 0; k < 3; k++)
            foreach (var s in new[] { -2.0, 2.0 })
            {
                var c = validator.Check(m.ModeShape(k, s), SpinePopulation.Lmax);
                output.WriteLine(FormattableString.Invariant($"mode {k} {s:+0;-0}σ: valid={c.IsValid} {c.Reason} minR={c.MinRadiusUm:F4}"));
            }
    }
}
