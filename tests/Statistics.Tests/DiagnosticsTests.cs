namespace ShapeStudy.Statistics.Tests;

public class DiagnosticsTests
{
    [Fact]
    public void IidChains_RHatNearOne_EssNearN()
    {
        var chains = Helpers.Ar1Chains(4, 1000, 0.0, seed: 1);
        Assert.InRange(Diagnostics.RHat(chains), 0.99, 1.01);
        Assert.InRange(Diagnostics.EssBulk(chains), 4000 * 0.85, 4000 * 1.15);
        Assert.InRange(Diagnostics.Ess(chains), 4000 * 0.85, 4000 * 1.15);
        Assert.InRange(Diagnostics.EssTail(chains), 4000 * 0.75, 4000 * 1.25);
    }

    [Fact]
    public void ShiftedChains_RHatAboveThreshold()
    {
        var chains = Helpers.Ar1Chains(4, 1000, 0.0, seed: 2, offsets: [0, 0, 1.0, 1.0]);
        Assert.True(Diagnostics.RHat(chains) > 1.1);
        // A drifting chain (trend within chains) is caught by splitting.
        var drift = Helpers.Ar1Chains(4, 1000, 0.0, seed: 3);
        foreach (var c in drift) for (int i = 0; i < c.Length; i++) c[i] += 2.0 * i / c.Length;
        Assert.True(Diagnostics.RHat(drift) > 1.1);
        // Same location, different scale: bulk R̂ misses it, the folded (tail) R̂ catches it.
        var scaled = Helpers.Ar1Chains(4, 1000, 0.0, seed: 4);
        foreach (var v in new[] { 0, 1 }) for (int i = 0; i < scaled[v].Length; i++) scaled[v][i] *= 3;
        Assert.True(Diagnostics.BasicRHat(Diagnostics.RankNormalize(Diagnostics.Split(scaled))) < 1.02);
        Assert.True(Diagnostics.RHat(scaled) > 1.05);
    }

    [Fact]
    public void Ar1Chains_EssMatchesAnalyticValue()
    {
        double phi = 0.9;
        int m = 4, n = 5000;
        var chains = Helpers.Ar1Chains(m, n, phi, seed: 5);
        double expected = m * n * (1 - phi) / (1 + phi);
        Assert.InRange(Diagnostics.Ess(chains), expected * 0.8, expected * 1.2);
        Assert.InRange(Diagnostics.EssBulk(chains), expected * 0.8, expected * 1.2);
        Assert.InRange(Diagnostics.RHat(chains), 0.99, 1.01);
    }

    [Fact]
    public void Summary_OfStandardNormalDraws()
    {
        var chains = Helpers.Ar1Chains(4, 5000, 0.0, seed: 6);
        var s = Diagnostics.Summary(chains);
        Assert.InRange(s.Mean, -0.03, 0.03);
        Assert.InRange(s.Sd, 0.98, 1.02);
        Assert.InRange(s.Q5, -1.645 - 0.05, -1.645 + 0.05);
        Assert.InRange(s.Q50, -0.04, 0.04);
        Assert.InRange(s.Q95, 1.645 - 0.05, 1.645 + 0.05);
        // 94 % HDI of N(0, 1) = ±Φ⁻¹(0.97) = ±1.8808.
        Assert.InRange(s.HdiLow, -1.8808 - 0.07, -1.8808 + 0.07);
        Assert.InRange(s.HdiHigh, 1.8808 - 0.07, 1.8808 + 0.07);
        Assert.True(s.RHat < 1.01);
    }

    [Fact]
    public void Quantiles_AndHdi_FollowNumpyAndArvizDefinitions()
    {
        var a = new[] { 1.0, 2, 3, 4 };
        Assert.Equal(1.75, Quantiles.Sorted(a, 0.25), 14);   // numpy.quantile([1,2,3,4], 0.25)
        Assert.Equal(3.4, Quantiles.Sorted(a, 0.8), 14);     // numpy.quantile([1,2,3,4], 0.8)
        // Skewed sample: the HDI is the narrowest window of floor(0.5·10) + 1 = 6 points.
        var sorted = new[] { 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 2, 4, 8, 16 };
        Assert.Equal((0.0, 0.5), Diagnostics.Hdi(sorted, 0.5));
    }
}
