using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.Segmentation;

public class HMaximaTests
{
    [Fact]
    public void ReconstructionEqualsIteratedGeodesicDilation()
    {
        var rng = new Random(3);
        foreach (int connectivity in new[] { 6, 18, 26 })
        for (int trial = 0; trial < 4; trial++)
        {
            // ≥ 8 planes so that the raster scans run on several z-slabs and the propagation must repair the borders.
            var mask = new Volume<float>(9 + 3 * trial, 7, 8, Spacing.Isotropic(1));
            for (int i = 0; i < mask.Length; i++) mask.Data[i] = rng.Next(0, 20);
            var seed = trial % 2 == 0
                ? mask.WithData(mask.Data.Select(v => rng.NextDouble() < 0.05 ? v : 0f).ToArray())
                : mask.WithData(mask.Data.Select(v => v - rng.Next(0, 6)).ToArray());
            var fast = Reconstruction.ByDilation(seed, mask, connectivity);
            var slow = IteratedDilation(seed, mask, connectivity);
            Assert.Equal(slow.Data, fast.Data);
        }
    }

    private static Volume<float> IteratedDilation(Volume<float> seed, Volume<float> mask, int connectivity)
    {
        var current = (float[])seed.Data.Clone();
        bool changed = true;
        while (changed)
        {
            changed = false;
            var next = (float[])current.Clone();
            for (int z = 0; z < seed.NZ; z++) for (int y = 0; y < seed.NY; y++) for (int x = 0; x < seed.NX; x++)
            {
                float v = current[seed.Index(z, y, x)];
                for (int dz = -1; dz <= 1; dz++) for (int dy = -1; dy <= 1; dy++) for (int dx = -1; dx <= 1; dx++)
                {
                    int manhattan = Math.Abs(dz) + Math.Abs(dy) + Math.Abs(dx);
                    if (manhattan == 0 || (connectivity == 6 && manhattan > 1) || (connectivity == 18 && manhattan > 2)) continue;
                    if (!seed.Contains(z + dz, y + dy, x + dx)) continue;
                    v = Math.Max(v, current[seed.Index(z + dz, y + dy, x + dx)]);
                }
                v = Math.Min(v, mask.Data[seed.Index(z, y, x)]);
                if (v != next[seed.Index(z, y, x)]) { next[seed.Index(z, y, x)] = v; changed = true; }
            }
            current = next;
        }
        return seed.WithData(current);
    }

    [Fact]
    public void KeepsOnlyMaximaAtLeastHHigh()
    {
        // Peaks of heights 1, 3 and 5 above a floor of 10 (one voxel each), far apart: h = 2.5 keeps the two higher.
        var image = new Volume<float>(1, 1, 13, Spacing.Isotropic(1));
        Array.Fill(image.Data, 10f);
        image[0, 0, 2] = 11; image[0, 0, 6] = 13; image[0, 0, 10] = 15;
        var (labels, count) = HMaxima.Markers(image, 2.5);
        Assert.Equal(2, count);
        Assert.Equal(1, labels[0, 0, 6]);
        Assert.Equal(2, labels[0, 0, 10]);
        Assert.Equal(2, labels.Data.Count(v => v != 0));
        // h larger than the image range: nothing.
        Assert.Equal(0, HMaxima.Markers(image, 5.5).Count);
    }

    [Fact]
    public void PlateauMaximumIsOneMarker()
    {
        var image = new Volume<float>(3, 5, 5, Spacing.Isotropic(1));
        for (int z = 0; z < 3; z++) for (int y = 1; y < 3; y++) for (int x = 1; x < 4; x++) image[z, y, x] = 4;
        var (labels, count) = HMaxima.Markers(image, 1, 6);
        Assert.Equal(1, count);
        Assert.Equal(3 * 2 * 3, labels.Data.Count(v => v == 1));
    }
}
