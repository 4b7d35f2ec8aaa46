using System.Text.Json;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.Formats;

/// <summary>
/// Files written by Debian's python3-mrcfile, python3-tifffile, numpy and PIL
/// (tests/Imaging.Tests/reference/make_format_fixtures.py) read back with the values, types and voxel sizes the
/// script recorded in formats_expected.json.
/// </summary>
public class FormatFixtureTests
{
    internal static string FixtureDir => Reference.RepoPath("tests/Imaging.Tests/fixtures/formats");

    internal static string Fixture(string name) => Path.Combine(FixtureDir, name);

    private static readonly Lazy<JsonElement> Expected = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("formats_expected.json")));
        return doc.RootElement.Clone();
    });

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var p in Expected.Value.EnumerateObject()) data.Add(p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void FixtureReadsAsRecorded(string name)
    {
        var e = Expected.Value.GetProperty(name);
        var img = VolumeFiles.Read(Fixture(name));
        var shape = Reference.Ints(e.GetProperty("shape"));
        Assert.Equal((shape[0], shape[1], shape[2]), img.Voxels.Shape);
        Assert.Equal(e.GetProperty("dtype").GetString(), img.DType);
        double sum = 0;
        foreach (var v in img.Voxels.Data) sum += v;
        double expectedSum = e.GetProperty("sum").GetDouble();
        Assert.Equal(expectedSum, sum, 1e-9 * Math.Max(1, Math.Abs(expectedSum)) + 1e-3);
        foreach (var p in e.GetProperty("probes").EnumerateArray())
        {
            var q = Reference.Doubles(p);
            // Samples are held as float32: float64 files round to the nearest float32, all other types are exact.
            Assert.Equal((float)q[3], img.Voxels[(int)q[0], (int)q[1], (int)q[2]]);
        }
        var sp = Reference.Doubles(e.GetProperty("spacing_zyx_um"));
        Assert.Equal(e.GetProperty("has_file_spacing").GetBoolean(), img.HasFileSpacing);
        Assert.Equal(sp[0], img.Voxels.Spacing.Z, 1e-6 * sp[0]);
        Assert.Equal(sp[1], img.Voxels.Spacing.Y, 1e-6 * sp[1]);
        Assert.Equal(sp[2], img.Voxels.Spacing.X, 1e-6 * sp[2]);
        if (e.TryGetProperty("origin_zyx_um", out var o))
        {
            var or = Reference.Doubles(o);
            Assert.Equal(or[0], img.Voxels.Origin.Z, 1e-9);
            Assert.Equal(or[1], img.Voxels.Origin.Y, 1e-9);
            Assert.Equal(or[2], img.Voxels.Origin.X, 1e-9);
        }
    }

    [Fact]
    public void BigEndianMrcEqualsTheLittleEndianFileItWasSwappedFrom()
    {
        // The big-endian MRC was byte-swapped from the little-endian int16 one: identical voxels.
        var le = MrcFormat.Read(Fixture("mode1_int16.mrc")).Voxels.Data;
        var be = MrcFormat.Read(Fixture("big_endian_int16.mrc")).Voxels.Data;
        Assert.Equal(le, be);
    }

    [Fact]
    public void SpacingOverrideWinsForEveryFormat()
    {
        var s = new Spacing(0.3, 0.2, 0.1);
        foreach (var name in new[] { "mode2_float32.mrc", "ome_uint16.ome.tif", "npy_le_float32.npy" })
        {
            var img = VolumeFiles.Read(Fixture(name), s);
            Assert.Equal(s, img.Voxels.Spacing);
            Assert.False(img.HasFileSpacing);
        }
    }
}
