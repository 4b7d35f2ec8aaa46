using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.OutOfCore;

public sealed class OutOfCoreSegmentationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-ooc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TempPath(string name) => Path.Combine(_dir, name);

    /// <summary>Bundled FIB-SEM volume (50, 100, 200) uint8, written as .npy.</summary>
    private string GalaNpy()
    {
        string path = TempPath("gala.npy");
        if (!File.Exists(path)) NpyFormat.Write(path, TiffReader.Read(Reference.RepoPath("studies/data/gala/train_raw.tif")));
        return path;
    }

    /// <summary>
    /// A (96, 96, 96) float32 volume: tilted tubes running through all z, a helix, spheres and sparse bright speckles
    /// over deterministic noise, so objects cross every slab border and small ones straddle borders.
    /// </summary>
    private static Volume<float> Synthetic(Spacing spacing) => new(96, 96, 96, spacing, SyntheticData.Value);

    private static readonly Lazy<float[]> SyntheticData = new(() => MakeSynthetic(Spacing.Isotropic(1)).Data);

    private static Volume<float> MakeSynthetic(Spacing spacing)
    {
        const int n = 96;
        var v = new Volume<float>(n, n, n, spacing);
        var rng = Seeds.Rng(20261125);
        var spheres = new (double Z, double Y, double X, double R)[40];
        for (int i = 0; i < spheres.Length; i++) spheres[i] = (rng.NextDouble() * n, rng.NextDouble() * n, rng.NextDouble() * n, 1.5 + rng.NextDouble() * 6);
        for (int z = 0; z < n; z++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    double value = 20 + 30 * rng.NextDouble();
                    for (int t = 0; t < 4; t++)
                    {
                        double cy = 12 + 22 * t + 0.15 * z, cx = 15 + 20 * t + 0.3 * z * (t % 2 == 0 ? 1 : -1) + (t % 2 == 0 ? 0 : 30);
                        if ((y - cy) * (y - cy) + (x - cx) * (x - cx) < 2.2 * 2.2) value += 100;
                    }
                    double hy = 48 + 25 * Math.Sin(z * 0.2), hx = 48 + 25 * Math.Cos(z * 0.2);
                    if ((y - hy) * (y - hy) + (x - hx) * (x - hx) < 3 * 3) value += 90;
                    foreach (var s in spheres)
                        if ((z - s.Z) * (z - s.Z) + (y - s.Y) * (y - s.Y) + (x - s.X) * (x - s.X) < s.R * s.R) { value += 80; break; }
                    if (rng.NextDouble() < 0.004) value += 150;
                    v[z, y, x] = (float)value;
                }
        return v;
    }

    private static void AssertSameAsInMemory(SegmentationResult expected, OutOfCoreSegmentationResult actual, string labelsPath)
    {
        Assert.Equal(expected.Threshold, actual.Threshold);
        Assert.Equal(expected.ObjectCount, actual.ObjectCount);
        Assert.Equal(expected.ComponentsBeforeSizeFilter, actual.ComponentsBeforeSizeFilter);
        var written = NpyFormat.Read(labelsPath);
        Assert.Equal("int32", written.DType);
        Assert.Equal(expected.Labels.Shape, written.Voxels.Shape);
        var e = expected.Labels.Data;
        var a = written.Voxels.Data;
        int firstDifference = -1;
        for (int i = 0; i < e.Length && firstDifference < 0; i++)
            if (e[i] != a[i]) firstDifference = i;
        Assert.True(firstDifference < 0, $"labels differ first at flat index {firstDifference}");
    }

    private static long Budget(ChunkedVolumeShape shape, int planes, int halo) =>
        (long)(planes + 2 * halo) * shape.Plane * OutOfCoreSegmentation.BytesPerSlabVoxel;

    private readonly record struct ChunkedVolumeShape(long Plane);

    [Theory]
    [InlineData(1.0, 26, 0.0, 1)]     // one-plane slabs, thinner than the Gaussian halo of 4 planes
    [InlineData(1.0, 26, 0.0, 3)]
    [InlineData(1.0, 18, 30.0, 7)]
    [InlineData(2.0, 6, 10.0, 2)]    // halo 8 planes
    [InlineData(0.0, 26, 25.0, 4)]   // unsmoothed uint8: integer histogram
    [InlineData(1.0, 26, 0.0, 1000)] // a single slab
    public void GalaLabelsAreIdenticalToInMemory(double sigmaUm, int connectivity, double minVolume, int slabPlanes)
    {
        string input = GalaNpy();
        var options = new ClassicalSegmentationOptions(sigmaUm, ForegroundPolarity.Bright, connectivity, minVolume);
        var expected = ClassicalSegmentation.Run(NpyFormat.Read(input), options);
        int halo = sigmaUm > 0 ? Gaussian.Kernel(sigmaUm).Length / 2 : 0;
        string output = TempPath($"gala_{sigmaUm}_{connectivity}_{minVolume}_{slabPlanes}.npy");
        var result = OutOfCoreSegmentation.Run(input, output, options, Budget(new(100 * 200), slabPlanes, halo));
        Assert.Equal(Math.Min(slabPlanes, 50), result.SlabPlanes);
        Assert.Equal(halo, result.HaloPlanes);
        Assert.Equal((50 + result.SlabPlanes - 1) / result.SlabPlanes, result.Slabs);
        AssertSameAsInMemory(expected, result, output);
        Assert.True(expected.ObjectCount > 5, "the test needs several objects");
        Assert.False(File.Exists(output + ".mask.tmp"), "the temporary mask file is deleted");
        Assert.False(File.Exists(output + ".tmp"), "the temporary label file is renamed");
    }

    [Theory]
    [InlineData(ForegroundPolarity.Bright, 26, 1)]
    [InlineData(ForegroundPolarity.Bright, 26, 2)]
    [InlineData(ForegroundPolarity.Bright, 6, 5)]
    [InlineData(ForegroundPolarity.Dark, 18, 3)]
    public void SyntheticLabelsCrossingManySlabsAreIdentical(ForegroundPolarity polarity, int connectivity, int slabPlanes)
    {
        // Anisotropic spacing: σ = 1.5 µm is 0.75 voxels along z (halo 3) and 1.5 voxels along y and x.
        var spacing = new Spacing(2.0, 1.0, 1.0);
        var volume = Synthetic(spacing);
        string input = TempPath("synthetic.npy");
        if (!File.Exists(input)) NpyFormat.Write(input, volume);
        var options = new ClassicalSegmentationOptions(1.5, polarity, connectivity, MinVolumeUm3: 16);
        var expected = ClassicalSegmentation.Run(new ImageVolume(volume, "float32", true), options);
        string output = TempPath($"synthetic_{polarity}_{connectivity}_{slabPlanes}.npy");
        var result = OutOfCoreSegmentation.Run(input, output, options, Budget(new(96 * 96), slabPlanes, 3), spacing);
        Assert.Equal(3, result.HaloPlanes);
        Assert.Equal(slabPlanes, result.SlabPlanes);
        Assert.True(result.ProvisionalLabels > result.ComponentsBeforeSizeFilter, "objects must be split across slabs and joined again");
        AssertSameAsInMemory(expected, result, output);
        if (polarity == ForegroundPolarity.Bright) Assert.InRange(expected.ObjectCount, 10, 500);
    }

    [Fact]
    public void MrcInputUsesTheHeaderSpacingAndMatchesInMemory()
    {
        var volume = Synthetic(new Spacing(0.02, 0.01, 0.01));
        string input = TempPath("synthetic.mrc");
        MrcFormat.Write(input, volume);
        var image = MrcFormat.Read(input);
        var options = new ClassicalSegmentationOptions(0.012, ForegroundPolarity.Bright, 26, MinVolumeUm3: 1e-4);
        var expected = ClassicalSegmentation.Run(image, options);
        string output = TempPath("synthetic_mrc_labels.npy");
        var result = OutOfCoreSegmentation.Run(input, output, options, Budget(new(96 * 96), 4, 2));
        Assert.Equal(2, result.HaloPlanes);   // σ = 0.6 voxels along z: radius int(4·0.6 + 0.5) = 2
        AssertSameAsInMemory(expected, result, output);
    }
}
