namespace ShapeStudy.Statistics.Tests.Sampling;

public class ResumableRandomTests
{
    [Fact]
    public void MatchesTheXoshiro256StarStarReferenceOutput()
    {
        // Reference: Blackman & Vigna's xoshiro256** C code from state {1, 2, 3, 4}: first ten outputs (as in rand_xoshiro's reference test).
        var rng = ResumableRandom.FromState(new RngState(1, 2, 3, 4));
        Assert.Equal(11520UL, rng.NextUInt64());
        Assert.Equal(0UL, rng.NextUInt64());
        Assert.Equal(1509978240UL, rng.NextUInt64());
        Assert.Equal(1215971899390074240UL, rng.NextUInt64());
        ulong[] next = [1216172134540287360, 607988272756665600, 16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576];
        foreach (var e in next) Assert.Equal(e, rng.NextUInt64());
    }

    [Fact]
    public void StateRoundTripsThroughJson_AndContinuesTheStream()
    {
        var a = new ResumableRandom(123);
        for (int i = 0; i < 10; i++) a.NextDouble();
        var b = ResumableRandom.FromState(CheckpointJson.Deserialize<RngState>(CheckpointJson.Serialize(a.State)));
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.Equal(a.Next(17), b.Next(17));
        Assert.Equal(a.NextStandardNormal(), b.NextStandardNormal());
    }

    [Fact]
    public void UniformsAndBoundedIntegers_HaveTheRightMoments()
    {
        var rng = new ResumableRandom(7);
        const int n = 200_000;
        double s = 0, ss = 0;
        var counts = new int[6];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble();
            Assert.InRange(u, 0.0, 1.0 - 1e-17);
            s += u; ss += u * u;
            counts[rng.Next(6)]++;
        }
        Assert.InRange(s / n, 0.5 - 0.003, 0.5 + 0.003);
        Assert.InRange(ss / n - (s / n) * (s / n), 1.0 / 12 - 0.002, 1.0 / 12 + 0.002);
        // χ² of the die with 5 degrees of freedom below its 0.999 quantile (20.5).
        double chi2 = counts.Sum(c => (c - n / 6.0) * (c - n / 6.0) / (n / 6.0));
        Assert.True(chi2 < 20.5, $"χ² {chi2}");
    }
}
