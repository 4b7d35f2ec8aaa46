using ShapeStudy.Core;
using Xunit.Abstractions;

namespace ShapeStudy.Imaging.Tests.Segmentation;

public class ThresholdTests(ITestOutputHelper output)
{
    private static Volume<float> Smooth(ImageVolume image) => Gaussian.SmoothVoxels(image.Voxels, 1, 1, 1);

    [Theory]
    [InlineData("gala_train")]
    [InlineData("ovule")]
    public void MultiOtsuEqualsSkimage(string key)
    {
        var image = SegmentationReference.Load(key);
        var t = SegmentationReference.Volume(key).GetProperty("thresholds");
        Assert.Equal(SegmentationReference.Doubles(t.GetProperty("multiotsu3_raw")), MultiOtsu.Thresholds(image, 3));
        Assert.Equal(SegmentationReference.Doubles(t.GetProperty("multiotsu4_raw")), MultiOtsu.Thresholds(image, 4));
        var smooth = MultiOtsu.Thresholds(Smooth(image), integerSamples: false, classes: 3);
        var expected = SegmentationReference.Doubles(t.GetProperty("multiotsu3_smooth"));
        output.WriteLine($"{key} multi-Otsu smooth: {string.Join(", ", smooth)} vs {string.Join(", ", expected)}");
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], smooth[i], Math.Abs(expected[i]) * 1e-6);
    }

    [Theory]
    [InlineData("gala_train")]
    [InlineData("ovule")]
    public void LiEqualsSkimage(string key)
    {
        var image = SegmentationReference.Load(key);
        var t = SegmentationReference.Volume(key).GetProperty("thresholds");
        double raw = Li.Threshold(image), expected = t.GetProperty("li_raw").GetDouble();
        double smooth = Li.Threshold(Smooth(image), integerSamples: false), expectedSmooth = t.GetProperty("li_smooth").GetDouble();
        output.WriteLine($"{key} Li raw {raw:R} vs {expected:R}; smooth {smooth:R} vs {expectedSmooth:R}");
        Assert.Equal(expected, raw, Math.Abs(expected) * 1e-12);
        Assert.Equal(expectedSmooth, smooth, Math.Abs(expectedSmooth) * 1e-5);
    }

    [Theory]
    [InlineData("gala_train", LocalThresholdMethod.Gaussian, "gaussian")]
    [InlineData("gala_train", LocalThresholdMethod.Mean, "mean")]
    [InlineData("ovule", LocalThresholdMethod.Gaussian, "gaussian")]
    [InlineData("ovule", LocalThresholdMethod.Mean, "mean")]
    public void LocalThresholdEqualsSkimage(string key, LocalThresholdMethod method, string name)
    {
        var image = SegmentationReference.Load(key);
        var entry = SegmentationReference.Volume(key);
        var reference = entry.GetProperty("local_block7_offset2.5").GetProperty(name);
        var probes = SegmentationReference.Ints(entry.GetProperty("probes"));
        var expected = SegmentationReference.Doubles(reference.GetProperty("at_probes"));
        var local = LocalThreshold.Compute(image.Voxels, 7, method, 2.5);
        double maxDiff = 0;
        for (int i = 0; i < probes.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(local.Data[probes[i]] - expected[i]));
        double sum = local.Data.Sum(v => (double)v), expectedSum = reference.GetProperty("sum").GetDouble();
        output.WriteLine($"{key} {name}: max |Δ| at probes {maxDiff:E2}; sum {sum:R} vs {expectedSum:R}");
        Assert.True(maxDiff <= 1e-4 * 255, $"max abs difference {maxDiff}");
        Assert.Equal(expectedSum, sum, Math.Abs(expectedSum) * 1e-6);
    }

    [Fact]
    public void MultiOtsuSeparatesThreeLevels()
    {
        var v = new Volume<float>(1, 3, 100, Spacing.Isotropic(1));
        for (int x = 0; x < 100; x++) { v[0, 0, x] = 10; v[0, 1, x] = 100; v[0, 2, x] = 200; }
        var t = MultiOtsu.Thresholds(v, integerSamples: true, classes: 3);
        Assert.Equal(2, t.Length);
        Assert.InRange(t[0], 10, 99);
        Assert.InRange(t[1], 100, 199);
        Assert.Throws<ArgumentException>(() => MultiOtsu.Thresholds(v, integerSamples: true, classes: 4));
    }

    [Fact]
    public void LiOfTwoLevelsLiesBetweenThem()
    {
        var v = new Volume<float>(1, 2, 50, Spacing.Isotropic(1));
        for (int x = 0; x < 50; x++) { v[0, 0, x] = 20; v[0, 1, x] = 180; }
        double t = Li.Threshold(v, integerSamples: true);
        Assert.InRange(t, 20, 180);
        Assert.Equal(7f, Li.Threshold(new Volume<float>(1, 1, 3, Spacing.Isotropic(1), [7, 7, 7]), true));
    }

    [Fact]
    public void LocalMeanOfConstantIsConstantMinusOffset()
    {
        var v = new Volume<float>(4, 5, 6, Spacing.Isotropic(1));
        Array.Fill(v.Data, 42f);
        Assert.All(LocalThreshold.Compute(v, 5, LocalThresholdMethod.Mean, 2).Data, t => Assert.Equal(40f, t, 1e-4f));
        Assert.All(LocalThreshold.Compute(v, 5, LocalThresholdMethod.Gaussian, -1).Data, t => Assert.Equal(43f, t, 1e-4f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocalThreshold.Compute(v, 4));
    }
}
