using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class ClassicalSegmentationTests
{
    [Theory]
    [InlineData("gala_train", ForegroundPolarity.Bright)]
    [InlineData("gala_train", ForegroundPolarity.Dark)]
    [InlineData("gala_test", ForegroundPolarity.Bright)]
    [InlineData("gala_test", ForegroundPolarity.Dark)]
    [InlineData("ovule", ForegroundPolarity.Bright)]
    [InlineData("ovule", ForegroundPolarity.Dark)]
    public void SmoothedPipelineMatchesSkimageEndToEnd(string key, ForegroundPolarity polarity)
    {
        // sigma = 1 voxel: read with 1 µm isotropic spacing so that 1 µm = 1 voxel on every axis.
        var img = Reference.Load(key, Spacing.Isotropic(1));
        var r = Reference.Volume(key);
        var result = ClassicalSegmentation.Run(img, new ClassicalSegmentationOptions(1.0, polarity, 26, 0));
        double t = r.GetProperty("otsu_smooth").GetDouble();
        Assert.Equal(t, result.Threshold, 1e-6 * Math.Abs(t));
        var expected = r.GetProperty(polarity == ForegroundPolarity.Bright ? "smooth_bright_cc26" : "smooth_dark_cc26");
        ConnectedComponentsTests.AssertMatches(expected, result.Labels, result.ObjectCount);
        Assert.Equal(result.ObjectCount, result.ComponentsBeforeSizeFilter);
    }

    [Theory]
    [InlineData("gala_train")]
    [InlineData("ovule")]
    public void UnsmoothedPipelineUsesTheIntegerHistogram(string key)
    {
        var img = Reference.Load(key, Spacing.Isotropic(1));
        var r = Reference.Volume(key);
        var result = ClassicalSegmentation.Run(img, new ClassicalSegmentationOptions(0, ForegroundPolarity.Bright, 26, 100));
        Assert.Equal(r.GetProperty("otsu_raw").GetDouble(), result.Threshold);
        Assert.Equal(r.GetProperty("raw_bright_cc26").GetProperty("count").GetInt32(), result.ComponentsBeforeSizeFilter);
        Assert.Equal(r.GetProperty("raw_bright_cc26").GetProperty("count_min100").GetInt32(), result.ObjectCount);
    }

    [Fact]
    public void MinimumVolumeConvertsWithVoxelVolume()
    {
        // voxel volume 0.5·0.2·0.1 = 0.01 µm³; 1.0 µm³ → 100 voxels; 1.005 µm³ → 101 voxels
        var s = new Spacing(0.5, 0.2, 0.1);
        Assert.Equal(100, ClassicalSegmentation.MinVoxels(1.0, s));
        Assert.Equal(101, ClassicalSegmentation.MinVoxels(1.005, s));
        Assert.Equal(1000, ClassicalSegmentation.MinVoxels(0.001, Spacing.Isotropic(0.01)));
        Assert.Equal(0, ClassicalSegmentation.MinVoxels(0, s));

        var img = Reference.Load("gala_train", Spacing.Isotropic(0.01));   // voxel = 1e-6 µm³
        var r = Reference.Volume("gala_train").GetProperty("raw_bright_cc26");
        var result = ClassicalSegmentation.Run(img, new ClassicalSegmentationOptions(0, ForegroundPolarity.Bright, 26, 100e-6));
        Assert.Equal(r.GetProperty("count_min100").GetInt32(), result.ObjectCount);
        Assert.Equal(r.GetProperty("count").GetInt32(), result.ComponentsBeforeSizeFilter);
        Assert.All(LabelOps.VoxelCounts(result.Labels).Skip(1), c => Assert.True(c >= 100));
        Assert.Equal(img.Voxels.Spacing, result.Labels.Spacing);
    }

    [Fact]
    public void SigmaInMicronsIsScaleInvariant()
    {
        // Same voxels, spacing ×0.01 and sigma ×0.01: identical segmentation.
        var a = ClassicalSegmentation.Run(Reference.Load("gala_test", Spacing.Isotropic(1)), new(1.0, ForegroundPolarity.Bright, 26, 50));
        var b = ClassicalSegmentation.Run(Reference.Load("gala_test", Spacing.Isotropic(0.01)), new(0.01, ForegroundPolarity.Bright, 26, 50e-6));
        Assert.Equal(a.Threshold, b.Threshold);
        Assert.Equal(a.ObjectCount, b.ObjectCount);
        Assert.Equal(a.Labels.Data, b.Labels.Data);
    }

    [Fact]
    public void DarkAndBrightPartitionTheVolume()
    {
        var img = Reference.Load("ovule");
        var bright = ClassicalSegmentation.Run(img, new(0.3, ForegroundPolarity.Bright, 6, 0));
        var dark = ClassicalSegmentation.Run(img, new(0.3, ForegroundPolarity.Dark, 6, 0));
        Assert.Equal(bright.Threshold, dark.Threshold);
        for (int i = 0; i < bright.Labels.Length; i++)
            Assert.True((bright.Labels.Data[i] > 0) ^ (dark.Labels.Data[i] > 0));
    }

    [Fact]
    public void InvalidOptionsAreRejectedWithTheOptionName()
    {
        var img = Reference.Load("ovule");
        Assert.Contains("connectivity", Assert.Throws<ArgumentException>(() => ClassicalSegmentation.Run(img, new(0, ForegroundPolarity.Bright, 4, 0))).Message);
        Assert.Contains("sigma_um", Assert.Throws<ArgumentException>(() => ClassicalSegmentation.Run(img, new(-1, ForegroundPolarity.Bright, 26, 0))).Message);
        Assert.Contains("min_volume_um3", Assert.Throws<ArgumentException>(() => ClassicalSegmentation.Run(img, new(0, ForegroundPolarity.Bright, 26, double.NaN))).Message);
    }
}
