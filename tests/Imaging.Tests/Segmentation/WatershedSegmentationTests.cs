using ShapeStudy.Core;
using Xunit.Abstractions;

namespace ShapeStudy.Imaging.Tests.Segmentation;

public class WatershedSegmentationTests(ITestOutputHelper output)
{
    [Fact]
    public void PipelineReproducesSkimageChainOnGala()
    {
        // Otsu on raw → EDT → h-maxima (h = 2 µm, 26-neighbourhood) → watershed of −EDT in the mask: the chain the
        // reference script runs with skimage/scipy.
        const string key = "gala_train";
        var image = SegmentationReference.Load(key);
        var entry = SegmentationReference.Volume(key);
        var result = WatershedSegmentation.Run(image, new WatershedSegmentationOptions(HUm: entry.GetProperty("h_um").GetDouble(), Connectivity: 26));
        var ws = entry.GetProperty("watershed").GetProperty("26");
        var expected = SegmentationReference.Labels(ws.GetProperty("file").GetString()!, result.Labels.Length);
        double agreement = SegmentationReference.Agreement(result.Labels.Data, expected);
        output.WriteLine($"pipeline: {result.ObjectCount} objects, agreement {agreement:P4}");
        Assert.Equal(entry.GetProperty("edt").GetProperty("otsu").GetDouble(), result.Threshold);
        Assert.Equal(ws.GetProperty("labels").GetInt32(), result.ObjectCount);
        Assert.True(agreement >= 0.999, $"agreement {agreement}");
    }

    [Fact]
    public void SplitsTwoTouchingSpheresThatOtsuAndComponentsMerge()
    {
        // Two overlapping balls (radius 8 voxels, centres 12 voxels apart): one connected component, two basins.
        var spacing = Spacing.Isotropic(0.5);
        var voxels = new Volume<float>(24, 24, 40, spacing);
        for (int z = 0; z < 24; z++) for (int y = 0; y < 24; y++) for (int x = 0; x < 40; x++)
        {
            double d1 = Math.Sqrt((z - 12) * (z - 12) + (y - 12) * (y - 12) + (x - 14) * (x - 14));
            double d2 = Math.Sqrt((z - 12) * (z - 12) + (y - 12) * (y - 12) + (x - 26) * (x - 26));
            voxels[z, y, x] = d1 <= 8 || d2 <= 8 ? 200 : 20;
        }
        var image = new ImageVolume(voxels, "uint8", true);
        var classical = ClassicalSegmentation.Run(image, new ClassicalSegmentationOptions());
        Assert.Equal(1, classical.ObjectCount);
        var result = WatershedSegmentation.Run(image, new WatershedSegmentationOptions(HUm: 0.5, MinVolumeUm3: 10));
        Assert.Equal(2, result.ObjectCount);
        Assert.Equal(1, result.Labels[12, 12, 14]);
        Assert.Equal(2, result.Labels[12, 12, 26]);
        // Mirror symmetry: both halves have (nearly) the same volume.
        var counts = LabelOps.VoxelCounts(result.Labels);
        Assert.InRange(Math.Abs(counts[1] - counts[2]), 0, counts[1] / 20);
        Assert.Equal(classical.Labels.Data.Count(v => v != 0), result.Labels.Data.Count(v => v != 0));
    }

    [Fact]
    public void RejectsBadOptions()
    {
        Assert.Throws<ArgumentException>(() => new WatershedSegmentationOptions(HUm: 0).Validated());
        Assert.Throws<ArgumentException>(() => new WatershedSegmentationOptions(Connectivity: 4).Validated());
        Assert.Throws<ArgumentException>(() => new WatershedSegmentationOptions(Compactness: -1).Validated());
    }
}
