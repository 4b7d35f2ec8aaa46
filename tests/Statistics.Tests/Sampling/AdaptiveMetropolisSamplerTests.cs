namespace ShapeStudy.Statistics.Tests.Sampling;

public class AdaptiveMetropolisSamplerTests
{
    private static double LogDensity(double[] x)
    {
        // Correlated Gaussian, μ = (1, −2), sds (1, 2), ρ = 0.7.
        double a = x[0] - 1, b = (x[1] + 2) / 2, rho = 0.7;
        return -0.5 * (a * a - 2 * rho * a * b + b * b) / (1 - rho * rho);
    }

    private static readonly double[][] Init = [[-4.0, 5.0], [5.0, -8.0], [3.0, 4.0]];

    [Fact]
    public void RecoversMoments()
    {
        var r = new AdaptiveMetropolisSampler(LogDensity, Init, new AdaptiveMetropolisOptions(Chains: 3, Warmup: 2000, Draws: 6000, Seed: 4)).Run(8000);
        double[] mu = [1, -2], sd = [1, 2];
        for (int j = 0; j < 2; j++)
        {
            var s = Diagnostics.Summary(r.Parameter(j));
            Assert.True(s.RHat < 1.01, $"R̂ {s.RHat}");
            Assert.InRange(s.Mean, mu[j] - 4 * sd[j] / Math.Sqrt(s.EssBulk), mu[j] + 4 * sd[j] / Math.Sqrt(s.EssBulk));
            Assert.InRange(s.Sd, 0.92 * sd[j], 1.08 * sd[j]);
        }
        Assert.All(r.AcceptanceRates, a => Assert.InRange(a, 0.2, 0.55));
    }

    [Fact]
    public void CheckpointAndResume_GiveBitIdenticalDraws()
    {
        var o = new AdaptiveMetropolisOptions(Chains: 3, Warmup: 400, Draws: 500, Seed: 9);
        var whole = new AdaptiveMetropolisSampler(LogDensity, Init, o, [-20, -20], [20, 20]).Run(900);
        var first = new AdaptiveMetropolisSampler(LogDensity, Init, o, [-20, -20], [20, 20]);
        first.Run(300);
        var json = CheckpointJson.Serialize(first.Checkpoint());
        var resumed = AdaptiveMetropolisSampler.Resume(LogDensity, CheckpointJson.Deserialize<AdaptiveMetropolisState>(json));
        var rest = resumed.Run(600);
        Assert.True(resumed.IsComplete);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(whole.AcceptanceRates[c], rest.AcceptanceRates[c]);
            Assert.Equal(whole.ProposalCovariances[c], rest.ProposalCovariances[c]);
            for (int i = 0; i < 500; i++)
                for (int j = 0; j < 2; j++)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(whole.Draws[c][i][j]), BitConverter.DoubleToInt64Bits(rest.Draws[c][i][j]));
        }
    }
}
