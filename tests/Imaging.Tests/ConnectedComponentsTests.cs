using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class ConnectedComponentsTests
{
    internal static Volume<byte> Mask(Volume<float> v, double t, bool bright)
    {
        var m = new byte[v.Length];
        for (int i = 0; i < m.Length; i++) m[i] = (byte)((bright ? v.Data[i] > t : v.Data[i] <= t) ? 1 : 0);
        return v.WithData(m);
    }

    internal static void AssertMatches(JsonElement expected, Volume<int> labels, int count)
    {
        Assert.Equal(expected.GetProperty("count").GetInt32(), count);
        var sizes = LabelOps.VoxelCounts(labels);
        Assert.Equal(count + 1, sizes.Length);
        var largest = sizes.Skip(1).OrderByDescending(s => s).Take(10).Select(s => (int)s).ToArray();
        Assert.Equal(Reference.Ints(expected.GetProperty("largest10")), largest);
        long labelSum = 0;
        foreach (var l in labels.Data) labelSum += l;
        Assert.Equal(expected.GetProperty("label_sum").GetInt64(), labelSum);
        var firsts = Reference.Ints(expected.GetProperty("first_voxel_of_labels_1_to_10"));
        for (int k = 0; k < firsts.Length; k++)
        {
            Assert.Equal(firsts[k], Array.IndexOf(labels.Data, k + 1));
        }
    }

    [Theory]
    [InlineData("gala_train", true)]
    [InlineData("gala_train", false)]
    [InlineData("gala_test", true)]
    [InlineData("gala_test", false)]
    [InlineData("ovule", true)]
    [InlineData("ovule", false)]
    public void RawThresholdComponentsMatchSkimage(string key, bool bright)
    {
        var img = Reference.Load(key);
        var r = Reference.Volume(key);
        var (labels, count) = ConnectedComponents.Label(Mask(img.Voxels, r.GetProperty("otsu_raw").GetDouble(), bright), 26);
        AssertMatches(r.GetProperty(bright ? "raw_bright_cc26" : "raw_dark_cc26"), labels, count);
    }

    [Theory]
    [InlineData("gala_train", 6)]
    [InlineData("gala_train", 18)]
    [InlineData("gala_train", 26)]
    [InlineData("gala_test", 6)]
    [InlineData("gala_test", 18)]
    [InlineData("gala_test", 26)]
    [InlineData("ovule", 6)]
    [InlineData("ovule", 26)]
    public void SmoothedComponentsMatchSkimageForEachConnectivity(string key, int connectivity)
    {
        // Threshold with skimage's value so that this test isolates labelling from smoothing round-off.
        var img = Reference.Load(key, Spacing.Isotropic(1));
        var r = Reference.Volume(key);
        var smooth = Gaussian.Smooth(img.Voxels, 1.0);
        var (labels, count) = ConnectedComponents.Label(Mask(smooth, r.GetProperty("otsu_smooth").GetDouble(), true), connectivity);
        AssertMatches(r.GetProperty($"smooth_bright_cc{connectivity}"), labels, count);
    }

    [Fact]
    public void ConnectivityDecidesDiagonalNeighbours()
    {
        var m = new Volume<byte>(2, 2, 2, Spacing.Isotropic(1));
        m[0, 0, 0] = 1; m[1, 1, 1] = 1;                 // corner contact only
        Assert.Equal(2, ConnectedComponents.Label(m, 6).Count);
        Assert.Equal(2, ConnectedComponents.Label(m, 18).Count);
        Assert.Equal(1, ConnectedComponents.Label(m, 26).Count);
        var e = new Volume<byte>(1, 2, 2, Spacing.Isotropic(1));
        e[0, 0, 0] = 1; e[0, 1, 1] = 1;                 // edge contact
        Assert.Equal(2, ConnectedComponents.Label(e, 6).Count);
        Assert.Equal(1, ConnectedComponents.Label(e, 18).Count);
    }

    [Fact]
    public void LabelsFollowRasterOrderOfFirstVoxel()
    {
        // Three separate blobs: ids follow the C-order index of each blob's first voxel, not size or scan of z.
        var m = new Volume<byte>(3, 4, 6, Spacing.Isotropic(1));
        m[0, 0, 5] = 1; m[1, 0, 5] = 1; m[2, 0, 5] = 1;  // blob A, first voxel index 5
        m[0, 3, 0] = 1; m[0, 3, 1] = 1;                    // blob B, first voxel index 18
        m[2, 3, 0] = 1; m[2, 2, 0] = 1; m[2, 1, 0] = 1; m[1, 1, 0] = 1; m[0, 1, 0] = 1; // blob C, first voxel index 6; (0,1,0)-(0,3,0) leaves a gap
        var (labels, count) = ConnectedComponents.Label(m, 6);
        Assert.Equal(3, count);
        Assert.Equal(1, labels[0, 0, 5]);
        Assert.Equal(2, labels[0, 1, 0]);   // C's first voxel (index 6) precedes B's (index 18)
        Assert.Equal(3, labels[0, 3, 0]);
    }

    [Fact]
    public void LabelIdsArePermutationFreeAcrossSlabs()
    {
        // A helix crossing every z-slab boundary must stay one component, labelled 1.
        var m = new Volume<byte>(40, 9, 9, Spacing.Isotropic(1));
        for (int z = 0; z < 40; z++)
        {
            int y = 4 + (int)Math.Round(3 * Math.Cos(z * 0.3)), x = 4 + (int)Math.Round(3 * Math.Sin(z * 0.3));
            m[z, y, x] = 1;
        }
        var (labels, count) = ConnectedComponents.Label(m, 26);
        Assert.Equal(1, count);
        Assert.All(Enumerable.Range(0, m.Length).Where(i => m.Data[i] != 0), i => Assert.Equal(1, labels.Data[i]));
    }

    [Fact]
    public void EmptyMaskHasNoComponents()
    {
        var (labels, count) = ConnectedComponents.Label(new Volume<byte>(3, 3, 3, Spacing.Isotropic(1)), 26);
        Assert.Equal(0, count);
        Assert.All(labels.Data, l => Assert.Equal(0, l));
    }

    [Fact]
    public void InvalidConnectivityIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConnectedComponents.Label(new Volume<byte>(1, 1, 1, Spacing.Isotropic(1)), 8));
    }
}
