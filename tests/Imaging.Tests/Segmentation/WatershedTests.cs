using System.Security.Cryptography;
using ShapeStudy.Core;
using Xunit.Abstractions;

namespace ShapeStudy.Imaging.Tests.Segmentation;

public class WatershedTests(ITestOutputHelper output)
{
    private static (Volume<float> NegatedDistance, Volume<byte> Mask) Landscape(string key)
    {
        var image = SegmentationReference.Load(key);
        var mask = SegmentationReference.OtsuMask(image);
        var edt = DistanceTransform.Euclidean(mask);
        var negated = edt.Data.Select(v => -v).ToArray();
        return (edt.WithData(negated), mask);
    }

    [Theory]
    [InlineData("gala_train", 6)]
    [InlineData("gala_train", 26)]
    [InlineData("ovule", 6)]
    [InlineData("ovule", 26)]
    public void AgreesWithSkimageFromTheSameMarkers(string key, int connectivity)
    {
        var (negated, mask) = Landscape(key);
        var entry = SegmentationReference.Volume(key);
        double h = entry.GetProperty("h_um").GetDouble();
        var distance = negated.WithData(negated.Data.Select(v => -v).ToArray());
        var (markers, count) = HMaxima.Markers(distance, h, connectivity);
        var hmax = entry.GetProperty("hmax").GetProperty(connectivity.ToString());
        Assert.Equal(hmax.GetProperty("count").GetInt32(), count);
        Assert.Equal(hmax.GetProperty("label_sum").GetInt64(), markers.Data.Sum(v => (long)v));

        var labels = Watershed.Run(negated, markers, mask, connectivity);
        var ws = entry.GetProperty("watershed").GetProperty(connectivity.ToString());
        var expected = SegmentationReference.Labels(ws.GetProperty("file").GetString()!, labels.Length);
        double agreement = SegmentationReference.Agreement(labels.Data, expected);
        output.WriteLine($"{key} connectivity {connectivity}: {count} markers, voxel agreement with skimage {agreement:P4}");
        Assert.True(agreement >= 0.999, $"agreement {agreement}");
    }

    [Theory]
    [InlineData(6)]
    [InlineData(26)]
    public void AgreesWithSkimageFromSingleVoxelMarkersOfDistinctValue(int connectivity)
    {
        // Image raw·4096 + (index mod 4096) (exact in float32), markers = first voxel of each 26-connected component of
        // raw > Otsu, mask raw > Otsu: the reference script's "distinct" case.
        const string key = "gala_train";
        var image = SegmentationReference.Load(key);
        var entry = SegmentationReference.Volume(key).GetProperty("distinct");
        var mask = SegmentationReference.OtsuMask(image);
        var raw = image.Voxels.Data;
        var values = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++) values[i] = raw[i] * 4096f + i % 4096;
        var (components, count) = ConnectedComponents.Label(mask, 26);
        Assert.Equal(entry.GetProperty("markers").GetInt32(), count);
        var markers = new int[raw.Length];
        var seen = new bool[count + 1];
        for (int i = 0; i < raw.Length; i++)
        {
            int l = components.Data[i];
            if (l != 0 && !seen[l]) { seen[l] = true; markers[i] = l; }
        }
        var labels = Watershed.Run(image.Voxels.WithData(values), mask.WithData(markers), mask, connectivity);
        var expected = SegmentationReference.Labels(entry.GetProperty(connectivity.ToString()).GetString()!, labels.Length);
        double agreement = SegmentationReference.Agreement(labels.Data, expected);
        output.WriteLine($"distinct markers, connectivity {connectivity}: agreement {agreement:P4}");
        Assert.Equal(expected, labels.Data);
    }

    [Fact]
    public void CompactWatershedAgreesWithSkimage()
    {
        const string key = "ovule";
        var (negated, mask) = Landscape(key);
        var entry = SegmentationReference.Volume(key);
        var distance = negated.WithData(negated.Data.Select(v => -v).ToArray());
        var (markers, _) = HMaxima.Markers(distance, entry.GetProperty("h_um").GetDouble(), 6);
        var labels = Watershed.Run(negated, markers, mask, 6, compactness: 0.01);
        var compact = entry.GetProperty("compact_0.01_6");
        var expectedCounts = SegmentationReference.Ints(compact.GetProperty("counts"));
        var counts = LabelOps.VoxelCounts(labels);
        long mismatch = 0;
        for (int l = 0; l < Math.Max(counts.Length, expectedCounts.Length); l++)
            mismatch += Math.Abs((l < counts.Length ? counts[l] : 0) - (l < expectedCounts.Length ? expectedCounts[l] : 0));
        var bytes = new byte[labels.Length * 2];
        for (int i = 0; i < labels.Length; i++) { bytes[2 * i] = (byte)labels.Data[i]; bytes[2 * i + 1] = (byte)(labels.Data[i] >> 8); }
        bool identical = Convert.ToHexStringLower(SHA256.HashData(bytes)) == compact.GetProperty("sha256_u16").GetString();
        output.WriteLine($"compact: Σ|Δ count| = {mismatch}, identical = {identical}");
        // Σ|Δcount| bounds twice the number of differing voxels from below; require ≥ 99.9 % agreement.
        Assert.True(mismatch <= 0.002 * labels.Length, $"label counts differ by {mismatch}");
    }

    [Fact]
    public void PlateauIsSplitBetweenMarkersByArrivalTime()
    {
        // A flat line of 9 voxels with markers at both ends: each marker takes the half nearer to it; the middle
        // voxel goes to the marker whose flood was pushed first (skimage: the first marker in raster order).
        var image = new Volume<float>(1, 1, 9, Spacing.Isotropic(1));
        var markers = new Volume<int>(1, 1, 9, Spacing.Isotropic(1));
        markers[0, 0, 0] = 1; markers[0, 0, 8] = 2;
        var labels = Watershed.Run(image, markers);
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 2, 2, 2, 2 }, labels.Data);
    }

    [Fact]
    public void BasinsMeetAtTheRidge()
    {
        // Two valleys separated by a ridge at x = 6: each marker floods its own valley first.
        var image = new Volume<float>(3, 3, 12, Spacing.Isotropic(1));
        for (int z = 0; z < 3; z++) for (int y = 0; y < 3; y++) for (int x = 0; x < 12; x++) image[z, y, x] = -Math.Abs(x - 6) + (x < 6 ? 0.5f : 0);
        var markers = new Volume<int>(3, 3, 12, Spacing.Isotropic(1));
        markers[1, 1, 0] = 7; markers[1, 1, 11] = 3;
        var labels = Watershed.Run(image, markers, connectivity: 26);
        for (int z = 0; z < 3; z++) for (int y = 0; y < 3; y++) for (int x = 0; x < 12; x++)
            Assert.Equal(x < 6 ? 7 : 3, labels[z, y, x]);
    }

    [Fact]
    public void MaskBoundsTheFloodAndDropsOutsideMarkers()
    {
        var image = new Volume<float>(1, 5, 5, Spacing.Isotropic(1));
        var markers = new Volume<int>(1, 5, 5, Spacing.Isotropic(1));
        var mask = new Volume<byte>(1, 5, 5, Spacing.Isotropic(1));
        for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) mask[0, y, x] = (byte)(x < 3 ? 1 : 0);
        markers[0, 2, 0] = 1; markers[0, 2, 4] = 2;
        var labels = Watershed.Run(image, markers, mask);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) Assert.Equal(x < 3 ? 1 : 0, labels[0, y, x]);
    }

    [Fact]
    public void CompactnessRegularisesBasinsOnAFlatImage()
    {
        // On a constant image with compactness the basins are Voronoi cells of the markers (distance in voxels).
        var image = new Volume<float>(1, 1, 10, Spacing.Isotropic(1));
        var markers = new Volume<int>(1, 1, 10, Spacing.Isotropic(1));
        markers[0, 0, 1] = 1; markers[0, 0, 6] = 2;
        var labels = Watershed.Run(image, markers, compactness: 1);
        Assert.Equal(new[] { 1, 1, 1, 1, 2, 2, 2, 2, 2, 2 }, labels.Data);
    }

    [Fact]
    public void MaskComponentWithoutMarkerStaysZero()
    {
        var image = new Volume<float>(1, 1, 7, Spacing.Isotropic(1), [3, 1, 2, 0, 5, 4, 6]);
        var markers = new Volume<int>(1, 1, 7, Spacing.Isotropic(1));
        var mask = new Volume<byte>(1, 1, 7, Spacing.Isotropic(1), [1, 1, 1, 0, 1, 1, 1]);
        markers[0, 0, 1] = 4;
        var labels = Watershed.Run(image, markers, mask);
        Assert.Equal(new[] { 4, 4, 4, 0, 0, 0, 0 }, labels.Data);
    }

    [Fact]
    public void FloodOrderFollowsValuesThenArrival()
    {
        // Brute-force check of the (value, age) priority flood against a direct simulation with a sorted set.
        var rng = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            int nz = 4, ny = 6, nx = 7;
            var image = new Volume<float>(nz, ny, nx, Spacing.Isotropic(1));
            for (int i = 0; i < image.Length; i++) image.Data[i] = rng.Next(0, 6);   // many ties
            var markers = new Volume<int>(nz, ny, nx, Spacing.Isotropic(1));
            // Distinct marker values: then every (value, age) priority is unique and the order is fully defined.
            for (int l = 1; l <= 4; l++) { int at = rng.Next(image.Length); markers.Data[at] = l; image.Data[at] = 0.1f * l - 1; }
            var mask = new Volume<byte>(nz, ny, nx, Spacing.Isotropic(1));
            for (int i = 0; i < mask.Length; i++) mask.Data[i] = (byte)(rng.NextDouble() < 0.85 || markers.Data[i] != 0 ? 1 : 0);
            foreach (int connectivity in new[] { 6, 26 })
                Assert.Equal(Simulate(image, markers, mask, connectivity), Watershed.Run(image, markers, mask, connectivity).Data);
        }
    }

    /// <summary>
    /// Reference flood: priority (value, age, marker raster position) with a sorted set; voxels labelled on push.
    /// </summary>
    private static int[] Simulate(Volume<float> image, Volume<int> markers, Volume<byte> mask, int connectivity)
    {
        var offsets = new List<(int, int, int)>();
        // skimage's neighbour order (see Neighbourhood.WatershedOrder).
        (int, int, int)[] six = [(-1, 0, 0), (0, -1, 0), (0, 0, -1), (0, 0, 1), (0, 1, 0), (1, 0, 0)];
        (int, int, int)[] all = [(0, 1, 0), (-1, 0, 0), (0, 0, 1), (0, 0, -1), (1, 0, 0), (0, -1, 0), (0, 1, 1), (0, 1, -1), (1, 1, 0),
            (0, -1, 1), (0, -1, -1), (-1, 1, 0), (1, 0, 1), (-1, 0, 1), (-1, 0, -1), (-1, -1, 0), (1, 0, -1), (1, -1, 0),
            (1, 1, -1), (-1, -1, -1), (1, -1, -1), (-1, 1, 1), (-1, 1, -1), (-1, -1, 1), (1, -1, 1), (1, 1, 1)];
        offsets.AddRange(connectivity == 6 ? six : all);
        var output = new int[image.Length];
        var queue = new SortedSet<(float Value, long Age, int Index)>();
        for (int i = 0; i < image.Length; i++)
            if (markers.Data[i] != 0 && mask.Data[i] != 0) { output[i] = markers.Data[i]; queue.Add((image.Data[i], i - (long)image.Length, i)); }
        long age = 0;
        while (queue.Count > 0)
        {
            var e = queue.Min; queue.Remove(e);
            int z = e.Index / (image.NY * image.NX), y = e.Index / image.NX % image.NY, x = e.Index % image.NX;
            foreach (var (dz, dy, dx) in offsets)
            {
                if (!image.Contains(z + dz, y + dy, x + dx)) continue;
                int n = image.Index(z + dz, y + dy, x + dx);
                if (mask.Data[n] == 0 || output[n] != 0) continue;
                output[n] = output[e.Index];
                queue.Add((image.Data[n], ++age, n));
            }
        }
        return output;
    }

    [Fact]
    public void RejectsNegativeMarkersAndShapeMismatch()
    {
        var image = new Volume<float>(1, 2, 2, Spacing.Isotropic(1));
        var markers = new Volume<int>(1, 2, 2, Spacing.Isotropic(1));
        markers[0, 0, 0] = -1;
        Assert.Throws<ArgumentException>(() => Watershed.Run(image, markers));
        Assert.Throws<ArgumentException>(() => Watershed.Run(image, new Volume<int>(1, 2, 3, Spacing.Isotropic(1))));
    }
}
