using MathNet.Numerics.Distributions;

namespace ShapeStudy.Statistics.Tests.Sampling;

/// <summary>Simulation-based calibration (Talts et al. 2018) of the ensemble, NUTS and adaptive Metropolis samplers on a conjugate model.</summary>
public class CalibrationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Design points x = −1 … 1 (8 points) and noise sd σ of the conjugate regression.</summary>
    private static readonly double[] X = Enumerable.Range(0, 8).Select(i => -1 + 2.0 * i / 7).ToArray();
    private const double Sigma = 0.5;

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
        var ranks = new int[reps, 2];
        Parallel.For(0, reps, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
        {
            var rng = ResumableRandom.ForStream(2026, $"sbc/{r}");
            var model = ConjugateRegression.Simulate(rng, X, Sigma);
            var init = new double[walkers][];
            for (int w = 0; w < walkers; w++) init[w] = [rng.NextStandardNormal(), rng.NextStandardNormal()];
            var sampler = new EnsembleSampler(model.LogPosterior, init, new EnsembleOptions(Seed: (ulong)r + 1, Thin: steps, MaxDegreeOfParallelism: 1));
            var result = sampler.Run(steps);
            for (int j = 0; j < 2; j++)
            {
                int rank = 0;
                for (int w = 1; w < walkers; w++) if (result.Chain[w][0][j] < model.Truth[j]) rank++;
                ranks[r, j] = rank;
            }
        });
        AssertCalibrated(ranks, walkers - 1, bins, "ensemble");
    }

    [Fact]
    public void Nuts_PassesSimulationBasedCalibration()
    {
        // Same conjugate regression as above. One NUTS chain per replication (150 warmup, 195 draws); every 5th draw gives
        // L = 39 nearly independent draws, so ranks lie in 0..39 and [min, max] is the 95 % interval (ranks 1..38 of 40).
        // 1000 replications: coverage standard error 0.69 %, so 93–97 % is a ±2.9 SE band.
        const int reps = 1000, draws = 39, thin = 5, bins = 10;
        var ranks = new int[reps, 2];
        Parallel.For(0, reps, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
        {
            var rng = ResumableRandom.ForStream(4049, $"nuts-sbc/{r}");
            var model = ConjugateRegression.Simulate(rng, X, Sigma);
            var result = new NutsSampler(model.LogPosteriorAndGradient, [[rng.NextStandardNormal(), rng.NextStandardNormal()]],
                new NutsOptions(Chains: 1, Warmup: 150, Draws: draws * thin, Seed: (ulong)r + 1)).Run(150 + draws * thin);
            for (int j = 0; j < 2; j++)
            {
                int rank = 0;
                for (int k = 0; k < draws; k++) if (result.Draws[0][k * thin + thin - 1][j] < model.Truth[j]) rank++;
                ranks[r, j] = rank;
            }
        });
        AssertCalibrated(ranks, draws, bins, "NUTS");
    }

    [Fact]
    public void AdaptiveMetropolis_PassesSimulationBasedCalibration()
    {
        // Same conjugate regression. One adaptive-Metropolis chain per replication from a prior draw: 500 warmup iterations
        // adapt the proposal (then frozen), 780 draws of which every 20th gives L = 39 nearly independent draws.
        // 1000 replications: coverage standard error 0.69 %, so 93–97 % is a ±2.9 SE band.
        const int reps = 1000, draws = 39, thin = 20, warmup = 500, bins = 10;
        var ranks = new int[reps, 2];
        Parallel.For(0, reps, new ParallelOptions { MaxDegreeOfParallelism = 2 }, r =>
        {
            var rng = ResumableRandom.ForStream(7311, $"am-sbc/{r}");
            var model = ConjugateRegression.Simulate(rng, X, Sigma);
            var options = new AdaptiveMetropolisOptions(Chains: 1, Warmup: warmup, Draws: draws * thin, Seed: (ulong)r + 1, InitialProposalSd: [0.5, 0.5]);
            var result = new AdaptiveMetropolisSampler(model.LogPosterior, [[rng.NextStandardNormal(), rng.NextStandardNormal()]], options)
                .Run(warmup + draws * thin);
            for (int j = 0; j < 2; j++)
            {
                int rank = 0;
                for (int k = 0; k < draws; k++) if (result.Draws[0][k * thin + thin - 1][j] < model.Truth[j]) rank++;
                ranks[r, j] = rank;
            }
        });
        AssertCalibrated(ranks, draws, bins, "adaptive Metropolis");
    }

    /// <summary>
    /// Checks the SBC ranks [replication, parameter] of the truth among <paramref name="drawsPerRep"/> = L posterior draws:
    /// the histogram of ranks 0..L in <paramref name="bins"/> bins is uniform (χ² p &gt; 0.01), and the interval [min, max] of
    /// the L draws (ranks 1..L − 1 of L + 1; 95 % for L = 39) covers the truth in 93–97 % of replications.
    /// </summary>
    private void AssertCalibrated(int[,] ranks, int drawsPerRep, int bins, string sampler)
    {
        int reps = ranks.GetLength(0);
        for (int j = 0; j < ranks.GetLength(1); j++)
        {
            var hist = new int[bins];
            int covered = 0;
            for (int r = 0; r < reps; r++)
            {
                hist[ranks[r, j] * bins / (drawsPerRep + 1)]++;
                if (ranks[r, j] >= 1 && ranks[r, j] <= drawsPerRep - 1) covered++;
            }
            double expected = (double)reps / bins;
            double chi2 = hist.Sum(h => (h - expected) * (h - expected) / expected);
            double p = 1 - ChiSquared.CDF(bins - 1, chi2);
            output.WriteLine($"{sampler} parameter {j}: χ² = {chi2:F1} (p = {p:F3}), 95 % coverage {covered / (double)reps:P1}, ranks per bin [{string.Join(",", hist)}]");
            Assert.True(p > 0.01, $"{sampler} parameter {j}: rank histogram χ² = {chi2:F1}, p = {p:F4} [{string.Join(",", hist)}]");
            Assert.InRange(covered / (double)reps, 0.93, 0.97);
        }
    }

    /// <summary>
    /// Conjugate regression y_i ~ N(a + b x_i, σ²) with a, b ~ N(0, 1): truth (a, b) drawn from the prior, data simulated,
    /// posterior kept as the likelihood's sufficient statistics.
    /// </summary>
    private sealed record ConjugateRegression(double[] Truth, double N, double Sx, double Sxx, double Sy, double Sxy, double InverseVariance)
    {
        /// <summary>Draws a, b, then y_i (in the order of <paramref name="x"/>) from <paramref name="rng"/>.</summary>
        public static ConjugateRegression Simulate(ResumableRandom rng, double[] x, double sigma)
        {
            double a = rng.NextStandardNormal(), b = rng.NextStandardNormal();
            double sx = 0, sxx = 0, sy = 0, sxy = 0;
            foreach (var xi in x)
            {
                double yi = a + b * xi + sigma * rng.NextStandardNormal();
                sx += xi; sxx += xi * xi; sy += yi; sxy += xi * yi;
            }
            return new ConjugateRegression([a, b], x.Length, sx, sxx, sy, sxy, 1 / (sigma * sigma));
        }

        /// <summary>Unnormalized log-posterior of θ = (a, b).</summary>
        public double LogPosterior(double[] th)
        {
            double p = th[0], q = th[1];
            double quad = N * p * p + 2 * p * q * Sx + q * q * Sxx - 2 * p * Sy - 2 * q * Sxy;
            return -0.5 * quad * InverseVariance - 0.5 * (p * p + q * q);
        }

        /// <summary>Log-posterior and its gradient.</summary>
        public (double, double[]) LogPosteriorAndGradient(double[] th)
        {
            double p = th[0], q = th[1];
            return (LogPosterior(th), [-(N * p + q * Sx - Sy) * InverseVariance - p, -(p * Sx + q * Sxx - Sxy) * InverseVariance - q]);
        }
    }
}
