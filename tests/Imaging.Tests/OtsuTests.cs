using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class OtsuTests
{
    [Theory]
    [InlineData("gala_train")]
    [InlineData("gala_test")]
    [InlineData("ovule")]
    public void IntegerThresholdEqualsSkimage(string key)
    {
        var img = Reference.Load(key);
        Assert.Equal(Reference.Volume(key).GetProperty("otsu_raw").GetDouble(), Otsu.Threshold(img));
    }

    [Theory]
    [InlineData("gala_train")]
    [InlineData("gala_test")]
    [InlineData("ovule")]
    public void FloatThresholdOfSmoothedVolumeEqualsSkimage(string key)
    {
        var img = Reference.Load(key, Spacing.Isotropic(1));
        var smooth = Gaussian.Smooth(img.Voxels, 1.0);
        double expected = Reference.Volume(key).GetProperty("otsu_smooth").GetDouble();
        Assert.Equal(expected, Otsu.Threshold(smooth, integerSamples: false), 1e-6 * Math.Abs(expected));
    }

    [Fact]
    public void Float32BimodalMatchesSkimage()
    {
        var r = Reference.Data.GetProperty("otsu_float32_bimodal");
        var values = Reference.Doubles(r.GetProperty("values")).Select(v => (float)v).ToArray();
        double t = Otsu.Threshold(values, integerSamples: false);
        // Exactly skimage on the same samples as float64; within 1e-6 of its float32-binned variant.
        Assert.Equal(r.GetProperty("threshold_as_float64").GetDouble(), t);
        double t32 = r.GetProperty("threshold").GetDouble();
        Assert.Equal(t32, t, 1e-6 * Math.Abs(t32));
    }

    [Fact]
    public void TwoLevelIntegerImageSplitsBetweenLevels()
    {
        // Histogram with mass only at 10 and 200: every split between them has the same variance, argmax keeps the
        // first, so the threshold is 10 and foreground (> t) is exactly the bright voxels.
        var values = new float[1000];
        for (int i = 0; i < values.Length; i++) values[i] = i % 3 == 0 ? 200 : 10;
        Assert.Equal(10.0, Otsu.Threshold(values, integerSamples: true));
    }

    [Fact]
    public void ConstantImageReturnsItsValue()
    {
        Assert.Equal(7.25, Otsu.Threshold(new float[] { 7.25f, 7.25f, 7.25f }, integerSamples: false));
    }

    [Fact]
    public void HistogramOfKnownBimodalIsSplitAtTheValley()
    {
        // counts symmetric around centre 4.5: the between-class variance peaks at the middle bin.
        long[] counts = [5, 20, 5, 0, 0, 0, 0, 5, 20, 5];
        double[] centres = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        double t = Otsu.FromHistogram(counts, centres);
        Assert.InRange(t, 2, 6);
    }

    [Fact]
    public void NonIntegerSamplesWithIntegerFlagAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Otsu.Threshold(new float[] { 1f, 2.5f }, integerSamples: true));
    }
}
