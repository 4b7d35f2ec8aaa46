using System.Text.Json;
using ShapeStudy.Testing;

namespace ShapeStudy.Statistics.Tests.Sampling;

public class AutocorrelationTests
{
    private static double[] SplitMixUniforms(ulong seed, int n)
    {
        var u = new double[n];
        ulong x = seed;
        for (int i = 0; i < n; i++)
        {
            x += 0x9E3779B97F4A7C15UL;
            ulong z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            u[i] = (z >> 11) * (1.0 / (1UL << 53));
        }
        return u;
    }

    private static double[] Ar1(ulong seed, int n, double phi)
    {
        var e = SplitMixUniforms(seed, n);
        var x = new double[n];
        double prev = 0;
        for (int t = 0; t < n; t++) { prev = phi * prev + (e[t] - 0.5); x[t] = prev; }
        return x;
    }

    [Fact]
    public void IntegratedTime_MatchesEmcee()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Statistics.Tests/reference/emcee_autocorr.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            int walkers = c.GetProperty("walkers").GetInt32(), steps = c.GetProperty("steps").GetInt32();
            double phi = c.GetProperty("phi").GetDouble();
            ulong seed = c.GetProperty("seed").GetUInt64();
            var chains = new double[walkers][];
            for (int w = 0; w < walkers; w++) chains[w] = Ar1(seed + (ulong)w, steps, phi);
            double tau5 = Diagnostics.AutocorrelationTime(chains);
            double tau2 = Diagnostics.AutocorrelationTime(chains, c: 2);
            Assert.Equal(c.GetProperty("tau_c5").GetDouble(), tau5, 1e-9 * tau5);
            Assert.Equal(c.GetProperty("tau_c2").GetDouble(), tau2, 1e-9 * tau2);
            var acf = Diagnostics.AutocorrelationFunction(chains[0]);
            int k = 0;
            foreach (var v in c.GetProperty("acf_walker0_first10").EnumerateArray()) Assert.Equal(v.GetDouble(), acf[k++], 1e-10);
        }
    }

    [Fact]
    public void IntegratedTime_OfLongAr1_IsAnalytic()
    {
        // τ of an AR(1) process is (1 + φ)/(1 − φ) = 19 for φ = 0.9.
        var chains = new double[8][];
        for (int w = 0; w < chains.Length; w++) chains[w] = Ar1(1000 + (ulong)w, 20000, 0.9);
        double tau = Diagnostics.AutocorrelationTime(chains);
        Assert.InRange(tau, 19 * 0.93, 19 * 1.07);
        // MCSE of the mean: the AR(1) marginal variance is Var(e)/(1 − φ²) = (1/12)/(0.19).
        double sd = Math.Sqrt(1.0 / 12 / 0.19);
        Assert.InRange(Diagnostics.McseMean(chains), 0.9 * sd * Math.Sqrt(19.0 / 160000), 1.1 * sd * Math.Sqrt(19.0 / 160000));
    }
}
