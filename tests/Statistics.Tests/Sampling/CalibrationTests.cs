using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics.Tests.Sampling;

/// <summary>Simulation-based calibration (Talts et al. 2018) of the ensemble sampler on a conjugate model.</summary>
public class CalibrationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void EnsembleSampler_PassesSimulationBasedCalibration()
    {
        // Model: intercept a ~ N(0, 1), slope b ~ N(0, 1); y_i ~ N(a + b x_i, 0.5²) at x = −1 … 1 (8 points).
        // Each replication draws (a, b) from the prior, simulates y, and samples the posterior with 40 walkers for 200
        // steps from prior draws. At stationarity the walkers at one step are independent posterior draws, so the last
        // step gives L = 39 draws (walker 0 dropped): the rank of the truth among them is uniform on 0..39 for a
        // calibrated sampler, and the interval [min, max] of the 39 draws is an exact 95 % interval (ranks 1..38 of 40).
        // 2000 replications: the coverage's standard error is 0.49 %, so 93–97 % is a ±4 SE band.
        const int reps = 2000, walkers = 40, steps = 200, bins = 10;
        double sigma = 0.5;
        var x = Enumerable.Range(0, 8).Select(i => -1 + 2.0 * i / 7).ToArray();
        var ranks = new int[reps, 2];
        Parallel.For(0, reps, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
        {
            var rng = ResumableRandom.ForStream(2026, $"sbc/{r}");
            double a = rng.NextStandardNormal(), b = rng.NextStandardNormal();
            // Sufficient statistics of the Gaussian likelihood.
            double n = x.Length, sx = 0, sxx = 0, sy = 0, sxy = 0;
            foreach (var xi in x)
            {
                double yi = a + b * xi + sigma * rng.NextStandardNormal();
                sx += xi; sxx += xi * xi; sy += yi; sxy += xi * yi;
            }
            double inv = 1 / (sigma * sigma);
            double LogPost(double[] th)
            {
                double p = th[0], q = th[1];
                double quad = n * p * p + 2 * p * q * sx + q * q * sxx - 2 * p * sy - 2 * q * sxy;
                return -0.5 * quad * inv - 0.5 * (p * p + q * q);
            }
            var init = new double[walkers][];
            for (int w = 0; w < walkers; w++) init[w] = [rng.NextStandardNormal(), rng.NextStandardNormal()];
            var sampler = new EnsembleSampler(LogPost, init, new EnsembleOptions(Seed: (ulong)r + 1, Thin: steps, MaxDegreeOfParallelism: 1));
            var result = sampler.Run(steps);
            double[] truth = [a, b];
            for (int j = 0; j < 2; j++)
            {
                int rank = 0;
                for (int w = 1; w < walkers; w++) if (result.Chain[w][0][j] < truth[j]) rank++;
                ranks[r, j] = rank;
            }
        });
        for (int j = 0; j < 2; j++)
        {
            var hist = new int[bins];
            int covered = 0;
            for (int r = 0; r < reps; r++)
            {
                hist[ranks[r, j] * bins / walkers]++;
                if (ranks[r, j] >= 1 && ranks[r, j] <= walkers - 2) covered++;
            }
            double expected = (double)reps / bins;
            double chi2 = hist.Sum(h => (h - expected) * (h - expected) / expected);
            double p = 1 - ChiSquared.CDF(bins - 1, chi2);
            output.WriteLine($"parameter {j}: χ² = {chi2:F1} (p = {p:F3}), 95 % coverage {covered / (double)reps:P1}, ranks per bin [{string.Join(",", hist)}]");
            Assert.True(p > 0.01, $"parameter {j}: rank histogram χ² = {chi2:F1}, p = {p:F4} [{string.Join(",", hist)}]");
            Assert.InRange(covered / (double)reps, 0.93, 0.97);
        }
    }

    [Fact]
    public void Nuts_PassesSimulationBasedCalibration()
    {
        // Same conjugate regression as above. One NUTS chain per replication (150 warmup, 195 draws); every 5th draw gives
        // L = 39 nearly independent draws, so ranks lie in 0..39 and [min, max] is the 95 % interval (ranks 1..38 of 40).
        // 1000 replications: coverage standard error 0.69 %, so 93–97 % is a ±2.9 SE band.
        const int reps = 1000, draws = 39, thin = 5, bins = 10;
        double sigma = 0.5;
        var x = Enumerable.Range(0, 8).Select(i => -1 + 2.0 * i / 7).ToArray();
        var ranks = new int[reps, 2];
        Parallel.For(0, reps, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
        {
            var rng = ResumableRandom.ForStream(4049, $"nuts-sbc/{r}");
            double a = rng.NextStandardNormal(), b = rng.NextStandardNormal();
            double n = x.Length, sx = 0, sxx = 0, sy = 0, sxy = 0;
            foreach (var xi in x)
            {
                double yi = a + b * xi + sigma * rng.NextStandardNormal();
                sx += xi; sxx += xi * xi; sy += yi; sxy += xi * yi;
            }
            double inv = 1 / (sigma * sigma);
            (double, double[]) F(double[] th)
            {
                double p = th[0], q = th[1];
                double quad = n * p * p + 2 * p * q * sx + q * q * sxx - 2 * p * sy - 2 * q * sxy;
                return (-0.5 * quad * inv - 0.5 * (p * p + q * q),
                    [-(n * p + q * sx - sy) * inv - p, -(p * sx + q * sxx - sxy) * inv - q]);
            }
            var result = new NutsSampler(F, [[rng.NextStandardNormal(), rng.NextStandardNormal()]],
                new NutsOptions(Chains: 1, Warmup: 150, Draws: draws * thin, Seed: (ulong)r + 1)).Run(150 + draws * thin);
            double[] truth = [a, b];
            for (int j = 0; j < 2; j++)
            {
                int rank = 0;
                for (int k = 0; k < draws; k++) if (result.Draws[0][k * thin + thin - 1][j] < truth[j]) rank++;
                ranks[r, j] = rank;
            }
        });
        for (int j = 0; j < 2; j++)
        {
            var hist = new int[bins];
            int covered = 0;
            for (int r = 0; r < reps; r++)
            {
                hist[ranks[r, j] * bins / (draws + 1)]++;
                if (ranks[r, j] >= 1 && ranks[r, j] <= draws - 1) covered++;
            }
            double expected = (double)reps / bins;
            double chi2 = hist.Sum(h => (h - expected) * (h - expected) / expected);
            double p = 1 - ChiSquared.CDF(bins - 1, chi2);
            output.WriteLine($"NUTS parameter {j}: χ² = {chi2:F1} (p = {p:F3}), 95 % coverage {covered / (double)reps:P1}, ranks per bin [{string.Join(",", hist)}]");
            Assert.True(p > 0.01, $"parameter {j}: rank histogram χ² = {chi2:F1}, p = {p:F4} [{string.Join(",", hist)}]");
            Assert.InRange(covered / (double)reps, 0.93, 0.97);
        }
    }
}
