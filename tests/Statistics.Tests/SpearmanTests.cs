using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Testing;

namespace ShapeStudy.Statistics.Tests;

public class SpearmanTests
{
    [Fact]
    public void MatchesScipySpearmanr_WithTies()
    {
        var path = Path.Combine(RepoPaths.Root, "tests", "Statistics.Tests", "reference", "spearman_reference.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int checkedCases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var x = c.GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var y = c.GetProperty("y").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var ranks = c.GetProperty("rank_x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(ranks, Ranks.Average(x));
            double rho = Spearman.Correlate(x, y);
            Assert.Equal(c.GetProperty("rho").GetDouble(), rho, 12);
            double p = c.GetProperty("p_value").GetDouble();
            var est = Spearman.WithBootstrap(x, y, 200, new Random(1));
            Assert.True(Math.Abs(est.PValue - p) <= 1e-9 * p, $"{c.GetProperty("name")}: p {est.PValue} vs scipy {p}");
            Assert.Equal(rho, est.Rho, 15);
            Assert.Equal(x.Length, est.N);
            Assert.True(est.CiLow <= est.CiHigh);
            checkedCases++;
        }
        Assert.Equal(3, checkedCases);
    }

    [Fact]
    public void PerfectMonotoneRelation_GivesOne_AndConstantGivesNaN()
    {
        var x = new[] { 1.0, 2, 3, 4, 5, 6 };
        Assert.Equal(1.0, Spearman.Correlate(x, x.Select(v => Math.Exp(v)).ToArray()), 14);
        Assert.Equal(-1.0, Spearman.Correlate(x, x.Select(v => -v * v).ToArray()), 14);
        Assert.True(double.IsNaN(Spearman.Correlate(x, new double[6])));
        Assert.Equal(0.0, Spearman.PValue(1.0, 6));
    }

    [Fact]
    public void BenjaminiHochberg_MatchesHandComputedValues()
    {
        // Sorted: 0.005, 0.01, 0.03, 0.04, 0.04, 0.2 (m = 6); p·m/rank = 0.03, 0.03, 0.06, 0.06, 0.048, 0.2;
        // running minimum from the top: 0.2, 0.048, 0.048, 0.048, 0.03, 0.03.
        var p = new[] { 0.01, 0.04, 0.03, 0.005, 0.2, 0.04 };
        var q = MultipleTesting.BenjaminiHochberg(p);
        var expected = new[] { 0.03, 0.048, 0.048, 0.03, 0.2, 0.048 };
        for (int i = 0; i < p.Length; i++) Assert.Equal(expected[i], q[i], 14);
        // NaN stays NaN and does not count towards m; all-large p-values are capped at 1.
        var q2 = MultipleTesting.BenjaminiHochberg([0.9, double.NaN, 0.95, 0.99]);
        Assert.True(double.IsNaN(q2[1]));
        Assert.Equal(0.99, q2[0], 14);
        Assert.Equal(0.99, q2[2], 14);
        Assert.Equal(0.99, q2[3], 14);
        // Monotone in p and never below p.
        var rng = new Random(3);
        var pr = Enumerable.Range(0, 200).Select(_ => Math.Pow(rng.NextDouble(), 3)).ToArray();
        var qr = MultipleTesting.BenjaminiHochberg(pr);
        var order = Enumerable.Range(0, pr.Length).OrderBy(i => pr[i]).ToArray();
        for (int k = 1; k < order.Length; k++) Assert.True(qr[order[k]] >= qr[order[k - 1]]);
        for (int i = 0; i < pr.Length; i++) Assert.InRange(qr[i], pr[i], 1.0);
    }

    private static (double[] X, double[] Y) Bivariate(Random rng, int n, double r)
    {
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double a = rng.StandardNormal(), b = rng.StandardNormal();
            x[i] = a;
            y[i] = r * a + Math.Sqrt(1 - r * r) * b;
        }
        return (x, y);
    }

    [Fact]
    public void BootstrapInterval_CoversTheTrueRho_AndShrinksWithSampleSize()
    {
        // Population Spearman correlation of a bivariate normal with Pearson r: (6/π)·asin(r/2).
        double r = 0.6, rhoTrue = 6 / Math.PI * Math.Asin(r / 2);
        var rng = new Random(20261125);
        int reps = 150, covered = 0;
        double widthSmall = 0, widthLarge = 0;
        for (int rep = 0; rep < reps; rep++)
        {
            var (x, y) = Bivariate(rng, 60, r);
            var e = Spearman.WithBootstrap(x, y, 400, rng);
            if (e.CiLow <= rhoTrue && rhoTrue <= e.CiHigh) covered++;
            widthSmall += e.CiHigh - e.CiLow;
            var (x4, y4) = Bivariate(rng, 240, r);
            var e4 = Spearman.WithBootstrap(x4, y4, 400, rng);
            widthLarge += e4.CiHigh - e4.CiLow;
        }
        double coverage = (double)covered / reps;
        Assert.InRange(coverage, 0.88, 0.99);
        // Width scales like 1/sqrt(n): four times the data halves the interval.
        Assert.InRange(widthSmall / widthLarge, 1.7, 2.3);
        // Asymptotic width ≈ 2·1.96·sd, sd of Spearman's ρ for the normal ≈ sqrt(1.06 / (n − 3))·(1 − ρ²) (Fieller et al.).
        double sdApprox = Math.Sqrt(1.06 / (60 - 3)) * (1 - rhoTrue * rhoTrue);
        Assert.InRange(widthSmall / reps / (2 * 1.96 * sdApprox), 0.8, 1.25);
    }
}
