using ShapeStudy.Core;
using Xunit.Abstractions;

namespace ShapeStudy.Imaging.Tests.Segmentation;

public class DistanceTransformTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("gala_train")]
    [InlineData("ovule")]
    public void MatchesScipyOnBundledVolumes(string key)
    {
        var image = SegmentationReference.Load(key);
        var reference = SegmentationReference.Volume(key).GetProperty("edt");
        var mask = SegmentationReference.OtsuMask(image);
        Assert.Equal(reference.GetProperty("foreground").GetInt32(), mask.Data.Count(v => v != 0));

        var edt = DistanceTransform.Euclidean(mask);
        var probes = SegmentationReference.Ints(SegmentationReference.Volume(key).GetProperty("probes"));
        var expected = SegmentationReference.Doubles(reference.GetProperty("at_probes"));
        double maxDiff = 0;
        for (int i = 0; i < probes.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(edt.Data[probes[i]] - expected[i]));
        double max = edt.Data.Max(), sum = edt.Data.Sum(v => (double)v);
        output.WriteLine($"{key}: max |Δ| at {probes.Length} probes = {maxDiff:E2} µm; max {max} vs {reference.GetProperty("max").GetDouble()}; sum {sum} vs {reference.GetProperty("sum").GetDouble()}");
        Assert.True(maxDiff < 1e-5, $"max abs difference {maxDiff} µm");
        Assert.Equal(reference.GetProperty("max").GetDouble(), max, 1e-5);
        Assert.Equal(reference.GetProperty("sum").GetDouble(), sum, reference.GetProperty("sum").GetDouble() * 1e-6);
    }

    [Fact]
    public void EqualsBruteForceOnRandomAnisotropicMask()
    {
        var rng = new Random(7);
        var spacing = new Spacing(0.7, 0.3, 1.1);
        var mask = new Volume<byte>(9, 11, 13, spacing);
        for (int i = 0; i < mask.Length; i++) mask.Data[i] = (byte)(rng.NextDouble() < 0.93 ? 1 : 0);
        var edt = DistanceTransform.Euclidean(mask);
        var background = new List<(int Z, int Y, int X)>();
        for (int z = 0; z < 9; z++) for (int y = 0; y < 11; y++) for (int x = 0; x < 13; x++) if (mask[z, y, x] == 0) background.Add((z, y, x));
        for (int z = 0; z < 9; z++)
            for (int y = 0; y < 11; y++)
                for (int x = 0; x < 13; x++)
                {
                    double best = double.PositiveInfinity;
                    if (mask[z, y, x] != 0)
                        foreach (var b in background)
                        {
                            double dz = (z - b.Z) * spacing.Z, dy = (y - b.Y) * spacing.Y, dx = (x - b.X) * spacing.X;
                            best = Math.Min(best, Math.Sqrt(dz * dz + dy * dy + dx * dx));
                        }
                    else best = 0;
                    Assert.Equal(best, edt[z, y, x], 1e-5);
                }
    }

    [Fact]
    public void SingleBackgroundVoxelGivesEuclideanNorm()
    {
        var spacing = new Spacing(0.235, 0.15, 0.15);
        var mask = new Volume<byte>(7, 20, 17, spacing);
        Array.Fill(mask.Data, (byte)1);
        mask[3, 12, 5] = 0;
        var edt = DistanceTransform.Euclidean(mask);
        for (int z = 0; z < 7; z++) for (int y = 0; y < 20; y++) for (int x = 0; x < 17; x++)
        {
            double dz = (z - 3) * spacing.Z, dy = (y - 12) * spacing.Y, dx = (x - 5) * spacing.X;
            Assert.Equal(Math.Sqrt(dz * dz + dy * dy + dx * dx), edt[z, y, x], 1e-6);
        }
    }

    [Fact]
    public void NoBackgroundMeasuresToTheVirtualVoxelBeforeTheFirstPlaneAsScipyDoes()
    {
        // scipy.ndimage.distance_transform_edt(np.ones((2, 3, 4)), sampling=(0.5, 1, 2)) (values printed by scipy 1.10).
        double[] scipy = [0.5, 2.06155281, 4.03112887, 6.02079729, 1.11803399, 2.29128785, 4.15331193, 6.10327781,
                          2.06155281, 2.87228132, 4.5, 6.34428877, 1.0, 2.23606798, 4.12310563, 6.08276253,
                          1.41421356, 2.44948974, 4.24264069, 6.164414, 2.23606798, 3.0, 4.58257569, 6.40312424];
        var mask = new Volume<byte>(2, 3, 4, new Spacing(0.5, 1, 2));
        Array.Fill(mask.Data, (byte)1);
        var edt = DistanceTransform.Euclidean(mask);
        for (int i = 0; i < scipy.Length; i++) Assert.Equal(scipy[i], edt.Data[i], 1e-6);
    }

    [Fact]
    public void BackgroundIsZeroAndAllBackgroundGivesZeros()
    {
        var mask = new Volume<byte>(3, 4, 5, Spacing.Isotropic(2));
        Assert.All(DistanceTransform.Euclidean(mask).Data, v => Assert.Equal(0f, v));
    }
}
