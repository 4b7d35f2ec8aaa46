using ShapeStudy.Core;

namespace ShapeStudy.Physics.Tests;

public class MaskResamplingTests
{
    [Fact]
    public void SmallConnectedMaskIsReturnedUnchanged()
    {
        var mask = TestGeometry.Mask(10, 10, 10, Spacing.Isotropic(0.1), (x, y, z) => x * x + y * y + z * z <= 0.16);
        Assert.Same(mask, MaskResampling.CoarsenToMaxVoxels(mask, 10_000));
    }

    [Fact]
    public void LargeBallIsCoarsenedByTheSmallestSufficientFactor()
    {
        var s = new Spacing(0.2, 0.1, 0.1);
        var mask = TestGeometry.Mask(40, 80, 80, s, (x, y, z) => x * x + y * y + z * z <= 3.5 * 3.5);
        int n = TestGeometry.CountForeground(mask);
        int max = n / 20; // needs f ≥ 3 (f³ = 27 ≥ 20 while f = 2 gives ~n/8)
        var coarse = MaskResampling.CoarsenToMaxVoxels(mask, max);
        Assert.Equal(0.6, coarse.Spacing.Z, 12);
        Assert.Equal(0.3, coarse.Spacing.Y, 12);
        Assert.Equal(0.3, coarse.Spacing.X, 12);
        Assert.Equal((14, 27, 27), coarse.Shape);
        Assert.Equal(mask.Origin.Z + 0.2, coarse.Origin.Z, 12);
        Assert.Equal(mask.Origin.X + 0.1, coarse.Origin.X, 12);
        int m = TestGeometry.CountForeground(coarse);
        Assert.True(m <= max);
        Assert.True(m > 0);
        // Majority-vote block averaging keeps the volume of a smooth body.
        Assert.InRange(m * coarse.Spacing.VoxelVolume / (n * s.VoxelVolume), 0.9, 1.1);
        // A factor of 2 would not have been enough: count 2×2×2 blocks with at least 4 foreground voxels.
        int kept2 = 0;
        for (int z = 0; z < 40; z += 2) for (int y = 0; y < 80; y += 2) for (int x = 0; x < 80; x += 2)
        {
            int c = 0;
            for (int dz = 0; dz < 2; dz++) for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) c += mask[z + dz, y + dy, x + dx];
            if (c >= 4) kept2++;
        }
        Assert.True(kept2 > max);
    }

    [Fact]
    public void BlockFractionThresholdIsOneHalf()
    {
        // 2×2×2 blocks with 4 (kept) and 3 (dropped) foreground voxels.
        var mask = new Volume<byte>(2, 2, 4, Spacing.Isotropic(1));
        mask[0, 0, 0] = mask[0, 1, 0] = mask[1, 0, 0] = mask[1, 1, 0] = 1;
        mask[0, 0, 2] = mask[0, 1, 2] = mask[1, 0, 2] = 1;
        var coarse = MaskResampling.CoarsenToMaxVoxels(mask, 6);
        Assert.Equal((1, 1, 2), coarse.Shape);
        Assert.Equal(new byte[] { 1, 0 }, coarse.Data);
    }

    [Fact]
    public void OnlyTheLargestSixConnectedComponentIsKept()
    {
        var mask = new Volume<byte>(5, 5, 12, Spacing.Isotropic(1));
        for (int x = 0; x < 5; x++) mask[2, 2, x] = 1;           // 5 voxels
        for (int x = 7; x < 10; x++) mask[2, 2, x] = 1;          // 3 voxels
        mask[3, 3, 5] = 1;                                       // touches nothing by a face
        var result = MaskResampling.CoarsenToMaxVoxels(mask, 100);
        Assert.Equal(5, TestGeometry.CountForeground(result));
        for (int x = 0; x < 5; x++) Assert.Equal(1, result[2, 2, x]);
    }

    [Fact]
    public void EmptyOrTooThinMasksAreRejected()
    {
        var empty = new Volume<byte>(3, 3, 3, Spacing.Isotropic(1));
        Assert.Throws<ArgumentException>(() => MaskResampling.CoarsenToMaxVoxels(empty, 10));
        var line = new Volume<byte>(1, 1, 50, Spacing.Isotropic(1));
        for (int x = 0; x < 50; x++) line[0, 0, x] = 1;
        Assert.Throws<ArgumentException>(() => MaskResampling.CoarsenToMaxVoxels(line, 10));
    }
}
