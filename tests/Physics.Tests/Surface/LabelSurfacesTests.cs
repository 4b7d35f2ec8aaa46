using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Physics.Conditioning;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests;

public class LabelSurfacesTests(ITestOutputHelper output)
{
    private static Volume<int> ReadLabels(params string[] parts)
    {
        var image = TiffReader.Read(RepoPaths.Data(parts)).Voxels;
        var data = new int[image.Length];
        for (int i = 0; i < data.Length; i++) data[i] = (int)image.Data[i];
        return image.WithData(data);
    }

    [Theory]
    [InlineData("gala", "train_labels.tif")]
    [InlineData("gala", "test_labels.tif")]
    [InlineData("ovule", "labels.tif")]
    public void BundledLabelVolumesGiveWatertightOutwardMeshesWithinTwoPercentOfTheVoxelVolume(string folder, string file)
    {
        var labels = ReadLabels(folder, file);
        var surfaces = LabelSurfaces.Extract(labels);
        Assert.NotEmpty(surfaces);
        double worst = 0;
        int large = 0;
        foreach (var s in surfaces)
        {
            Assert.Null(s.Error);
            Assert.True(s.IsValid, $"label {s.Label}: {s.Topology}");
            Assert.Equal(s.Topology.EulerCharacteristic, TestGeometry.FastEuler(s.Mesh!));
            if (s.VoxelCount < 1000) continue;
            large++;
            worst = Math.Max(worst, Math.Abs(s.VolumeError));
        }
        output.WriteLine($"{folder}/{file}: {surfaces.Count} objects, {large} of ≥ 1000 voxels, worst |volume error| {worst:P3}");
        foreach (var s in surfaces.Where(s => s.VoxelCount >= 1000).OrderByDescending(s => Math.Abs(s.VolumeError)).Take(5))
            output.WriteLine($"  label {s.Label}: {s.VoxelCount} voxels, error {s.VolumeError:P3}, χ = {s.EulerCharacteristic}");
        Assert.True(large > 0);
        Assert.True(worst < 0.02, $"worst volume error {worst:P3}");
    }

    [Theory]
    [InlineData("gala", "train_labels.tif", 2.0)]
    [InlineData("gala", "test_labels.tif", 2.0)]
    [InlineData("ovule", "labels.tif", 0.3)]
    public void ConditionedObjectsAreCleanAndKeepTheVoxelVolume(string folder, string file, double targetEdgeUm)
    {
        // Conditioning every object takes minutes (the full sweep is `shapestudy mesh <labels> --out <dir>`, with and
        // without --target-edge-um); here the three smallest objects of at least 1,000 voxels of each volume, with the
        // default conditioning (within 2 % of the voxel-count volume) and with Taubin smoothing plus decimation to about
        // two voxels (within 3 %).
        var labels = ReadLabels(folder, file);
        var counts = new Dictionary<int, long>();
        foreach (int v in labels.Data) if (v != 0) counts[v] = counts.GetValueOrDefault(v) + 1;
        var chosen = counts.Where(c => c.Value >= 1000).OrderBy(c => c.Value).ThenBy(c => c.Key).Take(3).Select(c => c.Key).ToArray();
        Assert.Equal(3, chosen.Length);
        var surfaces = LabelSurfaces.Extract(labels, chosen);
        var options = new[] { ConditioningOptions.Default, new ConditioningOptions(TargetEdgeUm: targetEdgeUm) };
        var results = new ConditioningResult[surfaces.Count, 2];
        Parallel.For(0, 2 * surfaces.Count, k => results[k / 2, k % 2] = SurfaceConditioning.Condition(surfaces[k / 2].Mesh!, options[k % 2]));
        for (int i = 0; i < surfaces.Count; i++)
            for (int o = 0; o < 2; o++)
            {
                var q = results[i, o].Quality;
                double error = q.VolumeUm3 / surfaces[i].VoxelVolume - 1;
                string name = $"{file} label {surfaces[i].Label} ({surfaces[i].VoxelCount} voxels, {(o == 0 ? "default" : "decimated")})";
                output.WriteLine($"{name}: {results[i, o].InputQuality.Triangles} → {q.Triangles} triangles, volume error {100 * error:F3} %, "
                    + $"min angle {q.MinAngleDeg:F1}°; {string.Join("; ", results[i, o].Repairs)}");
                Assert.True(q.Watertight && q.Manifold && q.Outward, $"{name}: not a closed outward 2-manifold");
                Assert.True(q.SelfIntersections == 0, $"{name}: {q.SelfIntersections} self-intersections");
                Assert.True(Math.Abs(error) <= (o == 0 ? 0.02 : 0.03), $"{name}: volume error {100 * error:F3} %");
            }
    }
}

public class LabelSurfacesUnitTests
{
    [Fact]
    public void PerObjectProblemsAreReportedPerObjectAndEveryMeshIsClosedInWorldCoordinates()
    {
        // Label 1: an ellipsoid touching the volume's x = 0 face; label 2: a single voxel; label 3: a 2-voxel-thick slab;
        // labels 9 (absent) and 0 (background) requested explicitly.
        var s = new Spacing(0.5, 0.3, 0.2);
        var labels = new Volume<ushort>(20, 30, 40, s, null, (1.0, -2.0, 3.0));
        for (int z = 0; z < 20; z++)
            for (int y = 0; y < 30; y++)
                for (int x = 0; x < 40; x++)
                {
                    double dz = (z - 9.5) / 8, dy = (y - 14.5) / 12, dx = x / 15.0;
                    if (dz * dz + dy * dy + dx * dx <= 1) labels[z, y, x] = 1;
                }
        labels[2, 2, 35] = 2;
        for (int y = 20; y < 28; y++) for (int x = 30; x < 38; x++) { labels[16, y, x] = 3; labels[17, y, x] = 3; }
        var result = LabelSurfaces.Extract(labels, [1, 2, 3, 9, 0]);
        Assert.Equal([1, 2, 3, 9, 0], result.Select(r => r.Label));
        long count1 = labels.Data.Count(v => v == 1);
        Assert.Equal(count1, result[0].VoxelCount);
        Assert.Equal(count1 * s.VoxelVolume, result[0].VoxelVolume, 1e-12);
        foreach (var r in result.Take(3))
        {
            Assert.Null(r.Error);
            Assert.True(r.IsValid);
            Assert.Equal(2, r.EulerCharacteristic);
            Assert.Equal(1, r.Topology.Components);
            Assert.Equal(r.Mesh!.SignedVolume(), r.EnclosedVolume, 1e-12);
            Assert.Equal(r.Mesh.Area(), r.Area, 1e-12);
        }
        Assert.True(Math.Abs(result[0].VolumeError) < 1e-6);
        Assert.True(Math.Abs(result[2].VolumeError) < 1e-6);
        // The single voxel cannot reach a full voxel's volume with vertices kept inside their edges; its error is reported.
        Assert.True(result[1].EnclosedVolume > 0 && double.IsFinite(result[1].VolumeError));
        Assert.Null(result[3].Mesh);
        Assert.Contains("no voxels", result[3].Error);
        Assert.True(double.IsNaN(result[3].VolumeError));
        Assert.Contains("background", result[4].Error);
        // World coordinates: the ellipsoid (centred on voxel (9.5, 14.5, 0)) spans x from the origin's x − half a voxel
        // outward; the single voxel's centroid is its voxel centre.
        var (cx, cy, cz) = result[1].Mesh!.VolumeCentroid();
        Assert.Equal(3.0 + 35 * 0.2, cx, 1e-9);
        Assert.Equal(-2.0 + 2 * 0.3, cy, 1e-9);
        Assert.Equal(1.0 + 2 * 0.5, cz, 1e-9);
        var (min, _) = result[0].Mesh!.Bounds();
        Assert.InRange(min[0], 3.0 - 0.2, 3.0);
    }

    [Fact]
    public void AllLabelsAreMeshedInAscendingOrderByDefault()
    {
        var labels = new Volume<int>(6, 6, 6, Spacing.Isotropic(1));
        labels[1, 1, 1] = 7; labels[4, 4, 4] = 3; labels[4, 4, 3] = 3;
        var result = LabelSurfaces.Extract(labels);
        Assert.Equal([3, 7], result.Select(r => r.Label));
        Assert.All(result, r => Assert.True(r.IsValid));
    }
}
