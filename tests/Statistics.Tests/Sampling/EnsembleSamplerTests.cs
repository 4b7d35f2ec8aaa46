using System.Text.Json;
using ShapeStudy.Testing;

namespace ShapeStudy.Statistics.Tests.Sampling;

public class EnsembleSamplerTests
{
    private static double[][] Ball(int walkers, double[] center, double radius, ulong seed)
    {
        var rng = new ResumableRandom(seed);
        var p = new double[walkers][];
        for (int w = 0; w < walkers; w++)
        {
            p[w] = new double[center.Length];
            for (int j = 0; j < center.Length; j++) p[w][j] = center[j] + radius * rng.NextStandardNormal();
        }
        return p;
    }

    private static Func<double[], double> Gaussian(double[] mu, double[,] precision) => x =>
    {
        int d = mu.Length;
        double s = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                s += (x[i] - mu[i]) * precision[i, j] * (x[j] - mu[j]);
        return -0.5 * s;
    };

    /// <summary>MCSE of the mean and of the sd (via the centred squares), from emcee's τ, as in the reference script.</summary>
    private static (double Mean, double Sd, double McseMean, double McseSd, double Tau) Moments(double[][] chains)
    {
        long n = chains.Length * (long)chains[0].Length;
        double mean = 0;
        foreach (var ch in chains) foreach (var v in ch) mean += v;
        mean /= n;
        var sq = new double[chains.Length][];
        double ss = 0;
        for (int w = 0; w < chains.Length; w++)
        {
            sq[w] = new double[chains[w].Length];
            for (int i = 0; i < sq[w].Length; i++) { double e = chains[w][i] - mean; sq[w][i] = e * e; ss += e * e; }
        }
        double sd = Math.Sqrt(ss / (n - 1));
        double meanSq = ss / n, ssSq = 0;
        foreach (var ch in sq) foreach (var v in ch) ssSq += (v - meanSq) * (v - meanSq);
        double sdSq = Math.Sqrt(ssSq / (n - 1));
        double tau = Diagnostics.AutocorrelationTime(chains), tauSq = Diagnostics.AutocorrelationTime(sq);
        return (mean, sd, sd * Math.Sqrt(tau / n), sdSq * Math.Sqrt(tauSq / n) / (2 * sd), tau);
    }

    [Fact]
    public void CorrelatedGaussian_MatchesEmceeAndTheAnalyticMoments()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/Statistics.Tests/reference/emcee_parity.json")));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        double[] mu = model.GetProperty("mu").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] sdTrue = model.GetProperty("sd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var prec = new double[3, 3];
        int r = 0;
        foreach (var row in model.GetProperty("precision").EnumerateArray())
        {
            int c = 0;
            foreach (var v in row.EnumerateArray()) prec[r, c++] = v.GetDouble();
            r++;
        }
        int walkers = root.GetProperty("walkers").GetInt32(), burn = root.GetProperty("burn").GetInt32(), steps = root.GetProperty("steps").GetInt32();
        // Our run is shorter than the reference's (8000 vs 20000 kept steps) to keep the test fast; the tolerance
        // combines both runs' Monte-Carlo standard errors.
        const int ourSteps = 8000;
        var sampler = new EnsembleSampler(Gaussian(mu, prec), Ball(walkers, [0, 0, 0], 1e-2, 5), new EnsembleOptions(Seed: 99));
        var result = sampler.Run(burn + ourSteps);
        Assert.Equal(walkers, result.Chain.Length);
        Assert.Equal(burn + ourSteps, result.Chain[0].Length);
        Assert.True(steps > ourSteps);
        double accEmcee = root.GetProperty("acceptance_fraction_mean").GetDouble();
        Assert.InRange(result.AcceptanceFraction.Average(), accEmcee - 0.02, accEmcee + 0.02);
        var emceeMean = root.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var emceeSd = root.GetProperty("sd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var emceeTau = root.GetProperty("tau").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var emceeMcseMean = root.GetProperty("mcse_mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var emceeMcseSd = root.GetProperty("mcse_sd").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int j = 0; j < 3; j++)
        {
            var (mean, sd, mcseMean, mcseSd, tau) = Moments(result.Parameter(j, burn));
            // Same algorithm, so the autocorrelation time agrees with emcee's (each estimate scatters by ~10 %).
            Assert.InRange(tau, 0.75 * emceeTau[j], 1.33 * emceeTau[j]);
            // Ours vs emcee within 4 combined Monte-Carlo standard errors; each vs the analytic moments within 4 of its own.
            Assert.True(Math.Abs(mean - emceeMean[j]) < 4 * Math.Sqrt(mcseMean * mcseMean + emceeMcseMean[j] * emceeMcseMean[j]), $"mean {j}: {mean} vs emcee {emceeMean[j]}");
            Assert.True(Math.Abs(sd - emceeSd[j]) < 4 * Math.Sqrt(mcseSd * mcseSd + emceeMcseSd[j] * emceeMcseSd[j]), $"sd {j}: {sd} vs emcee {emceeSd[j]}");
            Assert.True(Math.Abs(mean - mu[j]) < 4 * mcseMean, $"mean {j}: {mean} vs {mu[j]}");
            Assert.True(Math.Abs(sd - sdTrue[j]) < 4 * mcseSd, $"sd {j}: {sd} vs {sdTrue[j]}");
            Assert.True(Math.Abs(emceeMean[j] - mu[j]) < 4 * emceeMcseMean[j]);
            Assert.True(Math.Abs(emceeSd[j] - sdTrue[j]) < 4 * emceeMcseSd[j]);
        }
    }

    [Fact]
    public void CheckpointAndResume_GiveBitIdenticalDraws()
    {
        var prec = new double[,] { { 2, 0.5, 0 }, { 0.5, 1, 0.2 }, { 0, 0.2, 0.5 } };
        var f = Gaussian([1, 2, 3], prec);
        var init = Ball(12, [0, 0, 0], 0.5, 3);
        var options = new EnsembleOptions(Seed: 17, Thin: 2, MaxDegreeOfParallelism: 1);
        const int n = 600;
        string? jsonAt200 = null;
        var uninterrupted = new EnsembleSampler(f, init, options).Run(n, checkpointEvery: 200,
            onCheckpoint: s => { if (s.Step == 200) jsonAt200 = CheckpointJson.Serialize(s); });
        // Interrupted: n/3 steps, checkpoint through JSON, a new sampler object resumes the rest.
        var first = new EnsembleSampler(f, init, options);
        first.Run(n / 3);
        var json = CheckpointJson.Serialize(first.Checkpoint());
        Assert.Equal(jsonAt200, json);
        var resumed = EnsembleSampler.Resume(f, CheckpointJson.Deserialize<EnsembleState>(json));
        Assert.Equal(n / 3, resumed.Step);
        var rest = resumed.Run(n - n / 3);
        AssertSame(uninterrupted, rest);
        // Parallel evaluation of each half gives the same draws as serial.
        var parallel = new EnsembleSampler(f, init, options with { MaxDegreeOfParallelism = 2 }).Run(n);
        AssertSame(uninterrupted, parallel);
        // A different seed does not.
        var other = new EnsembleSampler(f, init, options with { Seed = 18 }).Run(n);
        Assert.NotEqual(uninterrupted.Chain[0][^1][0], other.Chain[0][^1][0]);
    }

    private static void AssertSame(EnsembleResult a, EnsembleResult b)
    {
        Assert.Equal(a.Steps, b.Steps);
        Assert.Equal(a.Chain.Length, b.Chain.Length);
        for (int w = 0; w < a.Chain.Length; w++)
        {
            Assert.Equal(a.Chain[w].Length, b.Chain[w].Length);
            for (int k = 0; k < a.Chain[w].Length; k++)
            {
                Assert.Equal(a.LogProb[w][k], b.LogProb[w][k]);
                for (int j = 0; j < a.Chain[w][k].Length; j++)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(a.Chain[w][k][j]), BitConverter.DoubleToInt64Bits(b.Chain[w][k][j]));
            }
            Assert.Equal(a.AcceptanceFraction[w], b.AcceptanceFraction[w]);
        }
    }

    [Fact]
    public void StretchMove_IsAffineInvariant()
    {
        // Sampling p(A x + b) from A x₀ + b with the same seed reproduces A·(draws of p) + b: the stretch move only forms
        // affine combinations of walkers, and the acceptance ratio is unchanged by the constant Jacobian.
        var prec = new double[,] { { 1, 0.3 }, { 0.3, 2 } };
        var f = Gaussian([0.5, -1], prec);
        double a00 = 3, a01 = 1, a10 = -2, a11 = 0.5, b0 = 10, b1 = -4;
        double det = a00 * a11 - a01 * a10;
        double[] Forward(double[] x) => [a00 * x[0] + a01 * x[1] + b0, a10 * x[0] + a11 * x[1] + b1];
        double[] Inverse(double[] y)
        {
            double u = y[0] - b0, v = y[1] - b1;
            return [(a11 * u - a01 * v) / det, (-a10 * u + a00 * v) / det];
        }
        var init = Ball(8, [0, 0], 1, 4);
        var options = new EnsembleOptions(Seed: 5);
        var plain = new EnsembleSampler(f, init, options).Run(300);
        var mapped = new EnsembleSampler(y => f(Inverse(y)), init.Select(Forward).ToArray(), options).Run(300);
        for (int w = 0; w < 8; w++)
            for (int k = 0; k < 300; k++)
            {
                var expected = Forward(plain.Chain[w][k]);
                // Rounding differences are amplified by the products of stretch factors, so allow 1e-6 (positions are O(10)).
                Assert.Equal(expected[0], mapped.Chain[w][k][0], 1e-6);
                Assert.Equal(expected[1], mapped.Chain[w][k][1], 1e-6);
            }
    }

    [Fact]
    public void RejectsTooFewOrOddWalkers()
    {
        Func<double[], double> f = x => -0.5 * x.Sum(v => v * v);
        Assert.Throws<ArgumentException>(() => new EnsembleSampler(f, Ball(5, [0, 0], 1, 1)));
        Assert.Throws<ArgumentException>(() => new EnsembleSampler(f, Ball(4, [0, 0, 0], 1, 1)));
    }
}
