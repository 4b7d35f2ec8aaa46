using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class MorphologyTests
{
    private static readonly Dictionary<string, Func<StructuringElement>> Elements = new()
    {
        ["conn6"] = () => StructuringElement.Connectivity(6),
        ["conn18"] = () => StructuringElement.Connectivity(18),
        ["conn26"] = () => StructuringElement.Connectivity(26),
        ["ball_r2"] = () => StructuringElement.Ball(2),
        ["aniso_ball_2.5um_z2"] = () => StructuringElement.Ball(2.5, new Spacing(2, 1, 1)),
        ["aniso_ball_0.5um_ovule"] = () => StructuringElement.Ball(0.5, new Spacing(0.235, 0.15, 0.15)),
        ["box_3x5x7"] = () => StructuringElement.Box(1, 2, 3),
    };

    private static int Mismatches(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int n = 0;
        for (int i = 0; i < expected.Length; i++) if (expected[i] != actual[i]) n++;
        return n;
    }

    [Theory]
    [InlineData("conn6")]
    [InlineData("conn18")]
    [InlineData("conn26")]
    [InlineData("ball_r2")]
    [InlineData("aniso_ball_2.5um_z2")]
    [InlineData("aniso_ball_0.5um_ovule")]
    public void BinaryOperationsEqualScipy(string name)
    {
        var r = FiltersMetricsReference.Morphology.GetProperty("binary").GetProperty(name);
        var se = Elements[name]();
        Assert.Equal(r.GetProperty("count").GetInt32(), se.Count);
        Assert.Equal(Reference.Ints(r.GetProperty("shape")), new[] { 2 * se.RZ + 1, 2 * se.RY + 1, 2 * se.RX + 1 });
        var mask = FiltersMetricsReference.MaskCrop();
        foreach (var op in new[] { MorphologyOperation.Erode, MorphologyOperation.Dilate, MorphologyOperation.Open, MorphologyOperation.Close })
        {
            string key = op switch
            {
                MorphologyOperation.Erode => "erosion",
                MorphologyOperation.Dilate => "dilation",
                MorphologyOperation.Open => "opening",
                _ => "closing",
            };
            var expected = FiltersMetricsReference.Bits(r.GetProperty(key), mask.Length);
            Assert.True(Mismatches(expected, BinaryMorphology.Apply(mask, op, se).Data) == 0, $"{name} {key} differs from scipy");
        }
    }

    [Theory]
    [InlineData("box_3x5x7")]
    [InlineData("ball_r2")]
    [InlineData("aniso_ball_2.5um_z2")]
    public void GreyOperationsEqualScipy(string name)
    {
        var r = FiltersMetricsReference.Morphology.GetProperty("grey").GetProperty(name);
        var se = Elements[name]();
        var crop = FiltersMetricsReference.RawCrop();
        Assert.Equal(FiltersMetricsReference.Bytes(r.GetProperty("erosion")), GreyMorphology.Erode(crop, se).Data);
        Assert.Equal(FiltersMetricsReference.Bytes(r.GetProperty("dilation")), GreyMorphology.Dilate(crop, se).Data);
        Assert.Equal(FiltersMetricsReference.Bytes(r.GetProperty("opening")), GreyMorphology.Open(crop, se).Data);
        if (name == "aniso_ball_2.5um_z2")
        {
            // The µm-radius overload builds the same ball from the volume's spacing.
            var aniso = new Volume<float>(crop.NZ, crop.NY, crop.NX, new Spacing(2, 1, 1), crop.Data);
            Assert.Equal(FiltersMetricsReference.Bytes(r.GetProperty("opening")), GreyMorphology.Apply(aniso, MorphologyOperation.Open, 2.5).Data);
            var mask = FiltersMetricsReference.MaskCrop();
            var anisoMask = new Volume<byte>(mask.NZ, mask.NY, mask.NX, new Spacing(2, 1, 1), mask.Data);
            var expected = FiltersMetricsReference.Bits(FiltersMetricsReference.Morphology.GetProperty("binary").GetProperty(name).GetProperty("closing"), mask.Length);
            Assert.Equal(expected, BinaryMorphology.Apply(anisoMask, MorphologyOperation.Close, 2.5).Data);
        }
    }

    [Fact]
    public void GreyBoxPathEqualsGeneralPath()
    {
        // The separable box path equals the brute-force minimum over the box with reflected indices.
        var crop = FiltersMetricsReference.RawCrop();
        var box = StructuringElement.Box(2, 1, 3);
        var fast = GreyMorphology.Erode(crop, box).Data;
        var offsets = box.Offsets();
        for (int z = 0; z < crop.NZ; z += 3)
            for (int y = 0; y < crop.NY; y += 7)
                for (int x = 0; x < crop.NX; x++)
                {
                    float m = float.PositiveInfinity;
                    foreach (var (dz, dy, dx) in offsets)
                        m = Math.Min(m, crop[GreyMorphology.Reflect(z + dz, crop.NZ), GreyMorphology.Reflect(y + dy, crop.NY), GreyMorphology.Reflect(x + dx, crop.NX)]);
                    Assert.Equal(m, fast[crop.Index(z, y, x)]);
                }
    }

    [Fact]
    public void ReflectIndexFollowsScipy()
    {
        // d c b a | a b c d | d c b a for n = 4, and repeated reflection beyond one period.
        int[] expected = [1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0, 1];
        for (int i = -2; i < 10; i++) Assert.Equal(expected[i + 2], GreyMorphology.Reflect(i, 4));
        Assert.Equal(0, GreyMorphology.Reflect(-5, 1));
    }

    [Theory]
    [InlineData("conn6", 6)]
    [InlineData("conn26", 26)]
    public void FillHolesEqualsScipyOnFullGalaVolume(string key, int connectivity)
    {
        var raw = FiltersMetricsReference.GalaRaw.Voxels;
        double t = FiltersMetricsReference.Morphology.GetProperty("threshold").GetDouble();
        var mask = raw.WithData(raw.Data.Select(v => (byte)(v <= t ? 1 : 0)).ToArray());
        var r = FiltersMetricsReference.Morphology.GetProperty("fill_holes");
        Assert.Equal(r.GetProperty("input_count").GetInt32(), mask.Data.Count(b => b != 0));
        var expected = FiltersMetricsReference.Bits(r.GetProperty(key), mask.Length);
        var filled = FillHoles.Fill(mask, connectivity).Data;
        Assert.Equal(0, Mismatches(expected, filled));
        Assert.True(filled.Count(b => b != 0) > mask.Data.Count(b => b != 0));
    }

    [Fact]
    public void FillLabelsFillsEachObjectAndKeepsNestedObjects()
    {
        // Label 1: hollow sphere shell (r 4..7). Inside its cavity: label 2, a hollow cube shell 3x3x3 with one hole
        // voxel, plus background. Label 3: a solid block touching label 1 from outside.
        var v = new Volume<int>(20, 20, 24, Spacing.Isotropic(1));
        for (int z = 0; z < 20; z++)
            for (int y = 0; y < 20; y++)
                for (int x = 0; x < 24; x++)
                {
                    double d = Math.Sqrt((z - 10) * (z - 10) + (y - 10) * (y - 10) + (x - 10) * (x - 10));
                    if (d >= 4 && d <= 7) v[z, y, x] = 1;
                    if (Math.Abs(z - 10) <= 1 && Math.Abs(y - 10) <= 1 && Math.Abs(x - 10) <= 1 && (z, y, x) != (10, 10, 10)) v[z, y, x] = 2;
                    if (x >= 18 && z < 4) v[z, y, x] = 3;
                }
        var filled = FillHoles.FillLabels(v);
        Assert.Equal(2, filled[10, 10, 10]);          // innermost enclosure wins
        Assert.Equal(1, filled[10, 10, 12]);          // cavity of the shell around the cube
        Assert.Equal(0, filled[0, 0, 0]);
        for (int i = 0; i < v.Length; i++)
            if (v.Data[i] != 0) Assert.Equal(v.Data[i], filled.Data[i]);   // objects are never overwritten
        // Label 1's filled extent equals scipy's definition: fill_holes(labels == 1) ∪ … restricted to background.
        var one = FillHoles.Fill(v.WithData(v.Data.Select(l => (byte)(l == 1 ? 1 : 0)).ToArray()));
        for (int i = 0; i < v.Length; i++)
            if (v.Data[i] == 0) Assert.Equal(one.Data[i] != 0, filled.Data[i] is 1 or 2);
    }

    [Fact]
    public void RelabelSequentialEqualsSkimage()
    {
        var truth = FiltersMetricsReference.GalaTruth;
        var r = FiltersMetricsReference.Metrics.GetProperty("relabel_sequential");
        var input = truth.WithData(truth.Data.Select(l => l * 3 + (l > 0 ? 7 : 0)).ToArray());
        var result = Relabel.Sequential(input, r.GetProperty("offset").GetInt32());
        FiltersMetricsReference.AssertDigest(r.GetProperty("digest"), result.Labels.Data);
        Assert.Equal(Reference.Ints(r.GetProperty("inverse_tail")), result.Inverse[^3..]);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.Equal(result.Forward[input.Data[i]], result.Labels.Data[i]);
            Assert.Equal(input.Data[i], result.Inverse[result.Labels.Data[i]]);
        }
    }

    [Fact]
    public void RelabelMapsAbsentLabelsToZero()
    {
        var v = new Volume<int>(1, 1, 5, Spacing.Isotropic(1), [0, 9, 4, 9, 0]);
        var r = Relabel.Sequential(v, 3);
        Assert.Equal(new[] { 0, 4, 3, 4, 0 }, r.Labels.Data);
        Assert.Equal(2, r.Count);
        Assert.Equal(new[] { 0, 0, 0, 4, 9 }, r.Inverse);
        Assert.Equal(0, r.Forward[5]);
        Assert.Equal(10, r.Forward.Length);
    }

    [Fact]
    public void BallHonoursAnisotropicSpacing()
    {
        var b = StructuringElement.Ball(2.0, new Spacing(1.0, 0.5, 0.5));
        Assert.Equal((2, 4, 4), (b.RZ, b.RY, b.RX));
        Assert.True(b.Mask[(0 * 9 + 4) * 9 + 4]);     // (−2, 0, 0): 2 µm
        Assert.False(b.Mask[(0 * 9 + 5) * 9 + 4]);    // (−2, 1, 0): > 2 µm
        Assert.Equal(b.Count, b.Reflected().Count);
    }
}
