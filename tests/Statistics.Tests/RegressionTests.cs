using System.Globalization;
using System.Text.Json;
using ShapeStudy.Testing;

namespace ShapeStudy.Statistics.Tests;

public class RegressionTests
{
    private static readonly string Dir = Path.Combine(RepoPaths.Root, "tests", "Statistics.Tests", "reference");

    private static Dictionary<string, double[]> Fixture()
    {
        var lines = File.ReadAllLines(Path.Combine(Dir, "regression_fixture.csv"));
        var header = lines[0].Split(',');
        var cols = header.ToDictionary(h => h, _ => new List<double>());
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var parts = line.Split(',');
            for (int j = 0; j < header.Length; j++) cols[header[j]].Add(double.Parse(parts[j], CultureInfo.InvariantCulture));
        }
        return cols.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    private static JsonElement Reference(string name)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "regression_reference.json")));
        return doc.RootElement.GetProperty(name).Clone();
    }

    private static void Near(double expected, double actual, double relTol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= relTol * Math.Max(1e-300, Math.Abs(expected)) + 1e-14, $"{what}: {actual} vs reference {expected}");

    [Theory]
    [InlineData("ols_peak_on_volume_neck", new[] { "volume_um3", "neck_length_um" })]
    [InlineData("ols_peak_on_all", new[] { "volume_um3", "neck_length_um", "head_diameter_um" })]
    public void Ols_MatchesStatsmodelsReference(string caseName, string[] predictors)
    {
        var data = Fixture();
        var fit = LinearRegression.Ols(predictors.Select(p => data[p]).ToArray(), data["peak_ca_um"], predictors);
        var r = Reference(caseName);
        var coefs = r.GetProperty("coefficients").EnumerateArray().ToArray();
        Assert.Equal(coefs.Length, fit.Coefficients.Length);
        for (int j = 0; j < coefs.Length; j++)
        {
            var c = fit.Coefficients[j];
            Assert.Equal(coefs[j].GetProperty("name").GetString(), c.Name);
            Near(coefs[j].GetProperty("estimate").GetDouble(), c.Estimate, 1e-9, $"{c.Name} estimate");
            Near(coefs[j].GetProperty("se").GetDouble(), c.StandardError, 1e-9, $"{c.Name} se");
            Near(coefs[j].GetProperty("t").GetDouble(), c.T, 1e-9, $"{c.Name} t");
            Near(coefs[j].GetProperty("p").GetDouble(), c.PValue, 1e-7, $"{c.Name} p");
            Near(coefs[j].GetProperty("ci_low").GetDouble(), c.CiLow, 1e-9, $"{c.Name} ci low");
            Near(coefs[j].GetProperty("ci_high").GetDouble(), c.CiHigh, 1e-9, $"{c.Name} ci high");
        }
        Near(r.GetProperty("r2").GetDouble(), fit.RSquared, 1e-10, "R²");
        Near(r.GetProperty("adj_r2").GetDouble(), fit.AdjustedRSquared, 1e-10, "adjusted R²");
        Near(r.GetProperty("residual_sd").GetDouble(), fit.ResidualSd, 1e-10, "residual sd");
        Assert.Equal(r.GetProperty("dof").GetInt32(), fit.DegreesOfFreedom);
        Near(r.GetProperty("f").GetDouble(), fit.FStatistic, 1e-9, "F");
        Near(r.GetProperty("f_p").GetDouble(), fit.FPValue, 1e-6, "F p");

        // MathNet's normal-equation fit gives the same coefficients.
        int n = data["peak_ca_um"].Length;
        var rows = Enumerable.Range(0, n).Select(i => predictors.Select(p => data[p][i]).ToArray()).ToArray();
        var mathNet = MathNet.Numerics.Fit.MultiDim(rows, data["peak_ca_um"], intercept: true);
        for (int j = 0; j < mathNet.Length; j++) Near(mathNet[j], fit.Coefficients[j].Estimate, 1e-8, $"MathNet coefficient {j}");
    }

    [Fact]
    public void Pearson_MatchesScipyAndMathNet()
    {
        var data = Fixture();
        foreach (var (name, x) in new[] { ("pearson_peak_neck", "neck_length_um"), ("pearson_peak_volume", "volume_um3") })
        {
            var est = Correlation.Pearson(data[x], data["peak_ca_um"]);
            var r = Reference(name);
            Near(r.GetProperty("r").GetDouble(), est.Rho, 1e-12, $"{name} r");
            Near(r.GetProperty("p").GetDouble(), est.PValue, 1e-8, $"{name} p");
            Near(r.GetProperty("ci_low").GetDouble(), est.CiLow, 1e-10, $"{name} ci low");
            Near(r.GetProperty("ci_high").GetDouble(), est.CiHigh, 1e-10, $"{name} ci high");
            Near(MathNet.Numerics.Statistics.Correlation.Pearson(data[x], data["peak_ca_um"]), est.Rho, 1e-12, $"{name} MathNet r");
        }
    }

    [Fact]
    public void PartialCorrelation_ControllingForVolume_MatchesScipyReference_AndRevealsHiddenNeckEffect()
    {
        var data = Fixture();
        var partial = Correlation.Partial(data["neck_length_um"], data["peak_ca_um"], [data["volume_um3"]]);
        var r = Reference("partial_peak_neck_given_volume");
        Near(r.GetProperty("r").GetDouble(), partial.Rho, 1e-10, "partial r");
        Near(r.GetProperty("p").GetDouble(), partial.PValue, 1e-7, "partial p");
        Near(r.GetProperty("ci_low").GetDouble(), partial.CiLow, 1e-9, "partial ci low");
        Near(r.GetProperty("ci_high").GetDouble(), partial.CiHigh, 1e-9, "partial ci high");
        var two = Correlation.Partial(data["neck_length_um"], data["peak_ca_um"], [data["volume_um3"], data["head_diameter_um"]]);
        var r2 = Reference("partial_peak_neck_given_volume_head");
        Near(r2.GetProperty("r").GetDouble(), two.Rho, 1e-10, "partial (2 covariates) r");
        Near(r2.GetProperty("p").GetDouble(), two.PValue, 1e-7, "partial (2 covariates) p");
        Near(r2.GetProperty("ci_low").GetDouble(), two.CiLow, 1e-9, "partial (2 covariates) ci low");
        // The fixture hides the neck effect behind volume: marginally uncorrelated, clearly positive once volume is held fixed.
        Assert.True(Math.Abs(Correlation.Pearson(data["neck_length_um"], data["peak_ca_um"]).Rho) < 0.1);
        Assert.True(partial.CiLow > 0.2 && partial.PValue < 0.01);
    }

    [Fact]
    public void Ols_RecoversExactLinearRelation_AndRejectsCollinearDesign()
    {
        var x1 = Enumerable.Range(0, 20).Select(i => (double)i).ToArray();
        var x2 = x1.Select(v => Math.Sin(v)).ToArray();
        var noise = x1.Select(v => 1e-3 * Math.Cos(3.7 * v)).ToArray();
        var y = x1.Select((v, i) => 1.5 - 0.25 * v + 2 * x2[i] + noise[i]).ToArray();
        var fit = LinearRegression.Ols([x1, x2], y);
        Assert.Equal(1.5, fit["intercept"].Estimate, 2);
        Assert.Equal(-0.25, fit["x0"].Estimate, 3);
        Assert.Equal(2.0, fit["x1"].Estimate, 2);
        Assert.True(fit.RSquared > 0.999999);
        Assert.Throws<ArgumentException>(() => LinearRegression.Ols([x1, x1.Select(v => 2 * v + 1).ToArray()], y));
    }

    [Fact]
    public void Huber_MatchesStatsmodelsRlm_OnFixtureAndOnOutliers()
    {
        var data = Fixture();
        var cases = new (string Name, double[][] X, double[] Y, string[] Names)[]
        {
            ("huber_peak_on_volume_neck", [data["volume_um3"], data["neck_length_um"]], data["peak_ca_um"], ["volume_um3", "neck_length_um"]),
            ("huber_outliers", [Reference("huber_outliers").GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray()],
                Reference("huber_outliers").GetProperty("y").EnumerateArray().Select(e => e.GetDouble()).ToArray(), ["x"]),
        };
        foreach (var (name, x, y, names) in cases)
        {
            var fit = RobustRegression.Huber(x, y, names);
            var r = Reference(name);
            Near(r.GetProperty("scale").GetDouble(), fit.Scale, 1e-8, $"{name} scale");
            var coefs = r.GetProperty("coefficients").EnumerateArray().ToArray();
            for (int j = 0; j < coefs.Length; j++)
            {
                var c = fit.Coefficients[j];
                Near(coefs[j].GetProperty("estimate").GetDouble(), c.Estimate, 1e-8, $"{name} {c.Name} estimate");
                Near(coefs[j].GetProperty("se").GetDouble(), c.StandardError, 1e-7, $"{name} {c.Name} se");
                Near(coefs[j].GetProperty("ci_low").GetDouble(), c.CiLow, 1e-7, $"{name} {c.Name} ci low");
                Near(coefs[j].GetProperty("ci_high").GetDouble(), c.CiHigh, 1e-7, $"{name} {c.Name} ci high");
            }
        }
        // With 4 gross outliers among 30 points the Huber slope stays at the true 0.5; OLS is pulled away.
        var (_, xo, yo, _) = cases[1];
        var huber = RobustRegression.Huber(xo, yo);
        var ols = LinearRegression.Ols(xo, yo);
        Assert.True(huber["x0"].CiLow < 0.5 && huber["x0"].CiHigh > 0.5);
        Assert.True(Math.Abs(huber["x0"].Estimate - 0.5) < Math.Abs(ols["x0"].Estimate - 0.5) / 3);
        Assert.True(huber.Weights.Count(w => w < 0.5) >= 4);
    }

    [Fact]
    public void PearsonBootstrap_IntervalIsNearTheFisherInterval_ForBivariateNormalData()
    {
        var rng = new Random(5);
        int n = 400;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double a = ShapeStudy.Core.RandomExtensions.StandardNormal(rng), b = ShapeStudy.Core.RandomExtensions.StandardNormal(rng);
            x[i] = a;
            y[i] = 0.6 * a + 0.8 * b;
        }
        var fisher = Correlation.Pearson(x, y);
        var boot = Correlation.PearsonBootstrap(x, y, 2000, new Random(1));
        Assert.Equal(fisher.Rho, boot.Rho);
        Assert.Equal(fisher.PValue, boot.PValue);
        Assert.True(Math.Abs(boot.CiLow - fisher.CiLow) < 0.02 && Math.Abs(boot.CiHigh - fisher.CiHigh) < 0.02,
            $"bootstrap [{boot.CiLow}, {boot.CiHigh}] vs Fisher [{fisher.CiLow}, {fisher.CiHigh}]");
        Assert.True(boot.CiLow < 0.6 && boot.CiHigh > 0.6);
    }
}
