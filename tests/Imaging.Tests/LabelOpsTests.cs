using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class LabelOpsTests
{
    private static Volume<int> Sample()
    {
        // labels: 1 → 3 voxels, 2 → 1 voxel, 3 → 5 voxels, 4 absent, 5 → 2 voxels
        var v = new Volume<int>(2, 3, 4, new Spacing(0.5, 0.25, 0.125), null, (10, 20, 30));
        int[] l = [1, 1, 0, 2,
                   0, 0, 0, 0,
                   3, 3, 0, 5,
                   1, 0, 0, 5,
                   3, 3, 0, 0,
                   0, 3, 0, 0];
        l.CopyTo(v.Data, 0);
        return v;
    }

    [Fact]
    public void VoxelCountsCountEveryLabel()
    {
        Assert.Equal(new long[] { 13, 3, 1, 5, 0, 2 }, LabelOps.VoxelCounts(Sample()));
    }

    [Fact]
    public void RemoveSmallKeepsObjectsAtOrAboveMinimumAndRenumbersInOldOrder()
    {
        var (kept, count) = LabelOps.RemoveSmall(Sample(), 2);
        Assert.Equal(3, count);
        // old 1 → 1, old 3 → 2, old 5 → 3, old 2 removed
        Assert.Equal(new long[] { 14, 3, 5, 2 }, LabelOps.VoxelCounts(kept));
        Assert.Equal(0, kept[0, 0, 3]);
        Assert.Equal(2, kept[0, 2, 0]);
        Assert.Equal(3, kept[0, 2, 3]);
        Assert.Equal(Sample().Spacing, kept.Spacing);
        Assert.Equal(Sample().Origin, kept.Origin);
    }

    [Theory]
    [InlineData("gala_train")]
    [InlineData("gala_test")]
    public void RemoveSmallMatchesSkimageCountOfObjectsWithAtLeast100Voxels(string key)
    {
        var img = Reference.Load(key);
        var r = Reference.Volume(key);
        var mask = ConnectedComponentsTests.Mask(img.Voxels, r.GetProperty("otsu_raw").GetDouble(), true);
        var (labels, _) = ConnectedComponents.Label(mask, 26);
        var (_, count) = LabelOps.RemoveSmall(labels, 100);
        Assert.Equal(r.GetProperty("raw_bright_cc26").GetProperty("count_min100").GetInt32(), count);
    }

    [Fact]
    public void CropObjectHasTightBoxPaddingAndPhysicalOrigin()
    {
        var v = Sample();
        var crop = LabelOps.CropObject(v, 3, pad: 1);
        // label 3 spans z 0..1, y 2..2 in z0 and 1..2 in z1 → y 1..2, x 0..1
        Assert.Equal((2 + 2, 2 + 2, 2 + 2), crop.Shape);
        Assert.Equal(v.Spacing, crop.Spacing);
        Assert.Equal(10 + (0 - 1) * 0.5, crop.Origin.Z, 12);
        Assert.Equal(20 + (1 - 1) * 0.25, crop.Origin.Y, 12);
        Assert.Equal(30 + (0 - 1) * 0.125, crop.Origin.X, 12);
        Assert.Equal(5, crop.Data.Sum(b => b));
        // every object voxel maps to the same physical position in parent and crop
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                {
                    if (v[z, y, x] != 3) continue;
                    int cz = (int)Math.Round((v.Origin.Z + z * 0.5 - crop.Origin.Z) / 0.5);
                    int cy = (int)Math.Round((v.Origin.Y + y * 0.25 - crop.Origin.Y) / 0.25);
                    int cx = (int)Math.Round((v.Origin.X + x * 0.125 - crop.Origin.X) / 0.125);
                    Assert.Equal(1, crop[cz, cy, cx]);
                }
        // the padding shell is empty
        for (int z = 0; z < crop.NZ; z++)
            for (int y = 0; y < crop.NY; y++)
                for (int x = 0; x < crop.NX; x++)
                    if (z == 0 || y == 0 || x == 0 || z == crop.NZ - 1 || y == crop.NY - 1 || x == crop.NX - 1)
                        Assert.Equal(0, crop[z, y, x]);
    }

    [Fact]
    public void CropWithoutPadIsTheBoundingBox()
    {
        var crop = LabelOps.CropObject(Sample(), 2, pad: 0);
        Assert.Equal((1, 1, 1), crop.Shape);
        Assert.Equal(1, crop[0, 0, 0]);
        Assert.Equal((10.0, 20.0, 30 + 3 * 0.125), crop.Origin);
    }

    [Fact]
    public void CropOfAbsentLabelIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => LabelOps.CropObject(Sample(), 4));
        Assert.Contains("label 4", e.Message);
    }
}
