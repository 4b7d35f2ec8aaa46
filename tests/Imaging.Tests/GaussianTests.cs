using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class GaussianTests
{
    private static (int z0, int z1, int y0, int y1, int x0, int x1) Crop()
    {
        var c = Reference.Data.GetProperty("gaussian_gala_train").GetProperty("crop");
        var z = Reference.Ints(c[0]); var y = Reference.Ints(c[1]); var x = Reference.Ints(c[2]);
        return (z[0], z[1], y[0], y[1], x[0], x[1]);
    }

    private static double MaxAbsDiffOnCrop(Volume<float> ours, string key)
    {
        var expected = Reference.Doubles(Reference.Data.GetProperty("gaussian_gala_train").GetProperty(key));
        var (z0, z1, y0, y1, x0, x1) = Crop();
        Assert.Equal((z1 - z0) * (y1 - y0) * (x1 - x0), expected.Length);
        double max = 0;
        int k = 0;
        for (int z = z0; z < z1; z++)
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    max = Math.Max(max, Math.Abs(ours[z, y, x] - expected[k++]));
        return max;
    }

    [Fact]
    public void MatchesScipyWithIsotropicSigma()
    {
        var img = Reference.Load("gala_train");
        var smooth = Gaussian.Smooth(img.Voxels, sigmaUm: 1.0);
        Assert.True(MaxAbsDiffOnCrop(smooth, "sigma_1_truncate_4") < 1e-4);
        var r = Reference.Volume("gala_train");
        double sum = 0;
        foreach (var v in smooth.Data) sum += v;
        Assert.Equal(r.GetProperty("smooth_sum").GetDouble(), sum, 1e-6 * Math.Abs(sum));
        Assert.Equal(r.GetProperty("smooth_min").GetDouble(), smooth.Data.Min(), 1e-4);
        Assert.Equal(r.GetProperty("smooth_max").GetDouble(), smooth.Data.Max(), 1e-4);
    }

    [Fact]
    public void PerAxisSigmaFollowsSpacing()
    {
        // sigma 2 µm on spacing (2, 1, 4) µm is sigma (1, 2, 0.5) voxels.
        var img = Reference.Load("gala_train", new Spacing(2, 1, 4));
        var smooth = Gaussian.Smooth(img.Voxels, sigmaUm: 2.0);
        Assert.True(MaxAbsDiffOnCrop(smooth, "sigma_zyx_1_2_0.5_truncate_4") < 1e-4);
        Assert.Equal(img.Voxels.Spacing, smooth.Spacing);
    }

    [Fact]
    public void TruncateSetsTheKernelRadiusLikeScipy()
    {
        var img = Reference.Load("gala_train");
        var smooth = Gaussian.SmoothVoxels(img.Voxels, 1.7, 1.7, 1.7, truncate: 2.0);
        Assert.True(MaxAbsDiffOnCrop(smooth, "sigma_1.7_truncate_2") < 1e-4);
        Assert.Equal(2 * 3 + 1, Gaussian.Kernel(1.7, 2.0).Length);   // int(2·1.7 + 0.5) = 3
        Assert.Equal(2 * 4 + 1, Gaussian.Kernel(1.0, 4.0).Length);   // int(4·1 + 0.5) = 4
        Assert.Equal(2 * 2 + 1, Gaussian.Kernel(0.5, 4.0).Length);   // int(4·0.5 + 0.5) = 2
    }

    [Fact]
    public void KernelIsNormalisedSymmetricAndGaussian()
    {
        var w = Gaussian.Kernel(1.3);
        Assert.Equal(1.0, w.Sum(), 14);
        int r = w.Length / 2;
        for (int i = 0; i < r; i++) Assert.Equal(w[i], w[^(i + 1)], 15);
        Assert.Equal(Math.Exp(-0.5 * 4 / (1.3 * 1.3)), w[r + 2] / w[r], 14);
    }

    [Fact]
    public void ConstantVolumeStaysConstantWithNearestBoundary()
    {
        var v = new Volume<float>(6, 7, 8, Spacing.Isotropic(0.5), Enumerable.Repeat(42.5f, 6 * 7 * 8).ToArray());
        var s = Gaussian.Smooth(v, 1.0);
        Assert.All(s.Data, x => Assert.Equal(42.5, x, 4));
    }

    [Fact]
    public void ImpulseResponseIsTheOuterProductOfKernels()
    {
        var v = new Volume<float>(21, 21, 21, new Spacing(1, 0.5, 0.5));
        v[10, 10, 10] = 1f;
        var s = Gaussian.Smooth(v, 1.0);
        var kz = Gaussian.Kernel(1.0); var ky = Gaussian.Kernel(2.0); var kx = Gaussian.Kernel(2.0);
        Assert.Equal(1.0, s.Data.Sum(x => (double)x), 5);
        foreach (var (dz, dy, dx) in new[] { (0, 0, 0), (1, 0, 0), (0, 3, 0), (0, 0, 7), (2, -5, 7), (-4, 8, -8) })
        {
            double expected = kz[dz + kz.Length / 2] * ky[dy + ky.Length / 2] * kx[dx + kx.Length / 2];
            Assert.Equal(expected, s[10 + dz, 10 + dy, 10 + dx], 6);
        }
    }

    [Fact]
    public void ZeroSigmaIsIdentity()
    {
        var img = Reference.Load("ovule");
        var s = Gaussian.Smooth(img.Voxels, 0.0);
        Assert.Equal(img.Voxels.Data, s.Data);
    }
}
