using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.OutOfCore;

public sealed class OutOfCoreWatershedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-oocws-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TempPath(string name) => Path.Combine(_dir, name);

    /// <summary>
    /// A (60, 48, 48) float32 volume, spacing (1.5, 1, 1) µm: pairs of overlapping spheres (dumbbells, split by the
    /// watershed) and single spheres, all at most 16 planes tall, at z positions that straddle every slab border of
    /// the tested slab sizes, and sparse bright speckles (small, shallow components), over deterministic noise.
    /// </summary>
    private string Blobs()
    {
        string path = TempPath("blobs.npy");
        if (File.Exists(path)) return path;
        const int nz = 60, n = 48;
        var spacing = new Spacing(1.5, 1, 1);
        var v = new Volume<float>(nz, n, n, spacing);
        var rng = Seeds.Rng(20261125);
        var spheres = new List<(double Z, double Y, double X, double R)>();
        for (int i = 0; i < 14; i++)
        {
            double r = 3 + 2.5 * rng.NextDouble();
            var c = (Z: 8 + rng.NextDouble() * 44, Y: 7 + rng.NextDouble() * 34, X: 7 + rng.NextDouble() * 34);
            spheres.Add((c.Z, c.Y, c.X, r));
            if (i % 2 == 0) spheres.Add((c.Z + 0.4 * r / 1.5, c.Y + 1.2 * r, c.X + 0.3 * r, r * 0.9));
        }
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++)
                {
                    double value = 20 + 20 * rng.NextDouble();
                    foreach (var s in spheres)
                    {
                        double dz = (z - s.Z) * 1.5, dy = y - s.Y, dx = x - s.X;
                        if (dz * dz + dy * dy + dx * dx < s.R * s.R) { value += 100; break; }
                    }
                    if (rng.NextDouble() < 0.003) value += 250;   // speckles
                    v[z, y, x] = (float)value;
                }
        NpyFormat.Write(path, v);
        return path;
    }

    private static readonly Spacing BlobSpacing = new(1.5, 1, 1);

    private static void AssertIdentical(SegmentationResult expected, OutOfCoreWatershedResult actual, string labelsPath)
    {
        Assert.Equal(expected.Threshold, actual.Threshold);
        Assert.Equal(expected.ObjectCount, actual.ObjectCount);
        Assert.Equal(expected.ComponentsBeforeSizeFilter, actual.Basins);
        var written = NpyFormat.Read(labelsPath).Voxels.Data;
        var e = expected.Labels.Data;
        Assert.Equal(e.Length, written.Length);
        // Bijection between the label sets (partition equality), then identical ids.
        var forward = new Dictionary<int, int>();
        var backward = new Dictionary<int, int>();
        for (int i = 0; i < e.Length; i++)
        {
            int a = (int)written[i];
            Assert.Equal(a, forward.TryAdd(e[i], a) ? a : forward[e[i]]);
            Assert.Equal(e[i], backward.TryAdd(a, e[i]) ? e[i] : backward[a]);
        }
        int firstDifference = -1;
        for (int i = 0; i < e.Length && firstDifference < 0; i++)
            if (e[i] != (int)written[i]) firstDifference = i;
        Assert.True(firstDifference < 0, $"labels differ first at flat index {firstDifference}");
    }

    private static bool CrossesBorder(Volume<int> labels, int corePlanes)
    {
        int plane = labels.NY * labels.NX;
        for (int z = corePlanes; z < labels.NZ; z += corePlanes)
            for (int i = 0; i < plane; i++)
            {
                int below = labels.Data[(z - 1) * plane + i];
                if (below != 0 && below == labels.Data[z * plane + i]) return true;
            }
        return false;
    }

    [Theory]
    [InlineData(4, 16, 0.0, 26)]
    [InlineData(7, 17, 0.0, 18)]
    [InlineData(11, 20, 30.0, 6)]
    [InlineData(100, 20, 0.0, 26)]   // one slab
    public void BlobLabelsAreIdenticalToInMemory(int corePlanes, int halo, double minVolume, int connectivity)
    {
        string input = Blobs();
        var options = new WatershedSegmentationOptions(SigmaUm: 0.5, Connectivity: connectivity, MinVolumeUm3: minVolume);
        var expected = WatershedSegmentation.Run(NpyFormat.Read(input, BlobSpacing), options);
        Assert.True(expected.ObjectCount > 8, $"the test needs several objects, got {expected.ObjectCount}");
        string output = TempPath($"blobs_{corePlanes}_{halo}_{minVolume}_{connectivity}.npy");
        long budget = (long)(corePlanes + 2 * halo) * 48 * 48 * OutOfCoreWatershed.BytesPerWindowVoxel;
        var result = OutOfCoreWatershed.Run(input, output, options, budget, halo, BlobSpacing);
        Assert.Equal(Math.Min(corePlanes, 60), result.SlabPlanes);
        AssertIdentical(expected, result, output);
        // The volume exercises what the test is about: touching objects split by the watershed, objects across borders.
        var components = ClassicalSegmentation.Run(NpyFormat.Read(input, BlobSpacing), new ClassicalSegmentationOptions(0.5, ForegroundPolarity.Bright, connectivity));
        Assert.True(expected.ComponentsBeforeSizeFilter > components.ObjectCount, "some component holds several basins");
        if (result.Slabs > 1) Assert.True(CrossesBorder(expected.Labels, corePlanes), "some object spans a slab border");
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
    }

    private string GalaNpy()
    {
        string input = TempPath("gala.npy");
        NpyFormat.Write(input, TiffReader.Read(Reference.RepoPath("studies/data/gala/train_raw.tif")));
        return input;
    }

    /// <summary>
    /// Gala's Otsu foreground has components spanning all 50 planes (skimage: the largest component of the σ = 1
    /// foreground, either polarity, spans z 0..49), so five 10-plane slabs need windows covering the whole volume:
    /// this checks the stitching of basins from several slabs (keys, ids, size filter) on real data.
    /// </summary>
    [Theory]
    [InlineData(ForegroundPolarity.Bright, 0.0)]
    [InlineData(ForegroundPolarity.Dark, 20.0)]
    public void GalaLabelsAreIdenticalToInMemory(ForegroundPolarity polarity, double minVolume)
    {
        string input = GalaNpy();
        var options = new WatershedSegmentationOptions(SigmaUm: 1.0, Foreground: polarity, MinVolumeUm3: minVolume);
        var expected = WatershedSegmentation.Run(NpyFormat.Read(input), options);
        Assert.True(expected.ObjectCount > 5, "the test needs several objects");
        string output = TempPath($"gala_ws_{polarity}.npy");
        long budget = (long)(10 + 2 * 50) * 100 * 200 * OutOfCoreWatershed.BytesPerWindowVoxel;
        var result = OutOfCoreWatershed.Run(input, output, options, budget, haloPlanes: 50);
        Assert.Equal(5, result.Slabs);
        AssertIdentical(expected, result, output);
    }

    [Fact]
    public void GalaObjectsSpanningTheVolumeAreReportedWithASmallerHalo()
    {
        string input = GalaNpy();
        var options = new WatershedSegmentationOptions(SigmaUm: 1.0);
        long budget = (long)(10 + 2 * 20) * 100 * 200 * OutOfCoreWatershed.BytesPerWindowVoxel;
        var error = Assert.Throws<HaloTooSmallException>(() => OutOfCoreWatershed.Run(input, TempPath("gala_small_halo.npy"), options, budget, haloPlanes: 20));
        Assert.Contains("halo 20 planes", error.Message);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
    }

    [Fact]
    public void DefaultHaloIsAThirdOfTheWindow()
    {
        string input = Blobs();
        var options = new WatershedSegmentationOptions(SigmaUm: 0.5);
        var expected = WatershedSegmentation.Run(NpyFormat.Read(input, BlobSpacing), options);
        string output = TempPath("blobs_default_halo.npy");
        var result = OutOfCoreWatershed.Run(input, output, options, 55L * 48 * 48 * OutOfCoreWatershed.BytesPerWindowVoxel, spacingOverride: BlobSpacing);
        Assert.Equal(18, result.HaloPlanes);
        Assert.Equal(55 - 2 * 18, result.SlabPlanes);
        Assert.Equal(4, result.Slabs);
        AssertIdentical(expected, result, output);
    }

    [Fact]
    public void ObjectTallerThanTheHaloIsReported()
    {
        string input = Blobs();
        var options = new WatershedSegmentationOptions(SigmaUm: 0.5);
        string output = TempPath("too_small_halo.npy");
        long budget = (long)(6 + 2 * 2) * 48 * 48 * OutOfCoreWatershed.BytesPerWindowVoxel;
        var error = Assert.Throws<HaloTooSmallException>(() => OutOfCoreWatershed.Run(input, output, options, budget, haloPlanes: 2, spacingOverride: BlobSpacing));
        Assert.Contains("blobs.npy", error.Message);
        Assert.Contains("halo 2 planes", error.Message);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
    }
}
