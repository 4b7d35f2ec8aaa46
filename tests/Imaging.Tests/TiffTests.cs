using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class TiffTests
{
    [Theory]
    [InlineData("gala_train")]
    [InlineData("gala_test")]
    [InlineData("ovule")]
    public void BundledVolumesMatchTifffile(string key)
    {
        var r = Reference.Volume(key);
        var img = Reference.Load(key);
        var shape = Reference.Ints(r.GetProperty("shape"));
        Assert.Equal((shape[0], shape[1], shape[2]), img.Voxels.Shape);
        Assert.Equal("uint8", img.DType);
        Assert.True(img.IsIntegerType);
        long sum = 0;
        foreach (var v in img.Voxels.Data) sum += (long)v;
        Assert.Equal(r.GetProperty("sum").GetInt64(), sum);
        Assert.Equal(r.GetProperty("min").GetDouble(), img.Voxels.Data.Min());
        Assert.Equal(r.GetProperty("max").GetDouble(), img.Voxels.Data.Max());
        foreach (var p in r.GetProperty("probes").EnumerateArray())
        {
            var q = Reference.Ints(p);
            Assert.Equal(q[3], img.Voxels[q[0], q[1], q[2]]);
        }
    }

    [Fact]
    public void GalaHasNoFileSpacingAndDefaultsToOneMicron()
    {
        var img = Reference.Load("gala_train");
        Assert.False(img.HasFileSpacing);
        Assert.Equal(Spacing.Isotropic(1.0), img.Voxels.Spacing);
    }

    [Fact]
    public void OvuleSpacingComesFromImageJMetadata()
    {
        var img = Reference.Load("ovule");
        Assert.True(img.HasFileSpacing);
        Assert.Equal(0.235, img.Voxels.Spacing.Z, 9);
        Assert.Equal(0.15, img.Voxels.Spacing.Y, 9);
        Assert.Equal(0.15, img.Voxels.Spacing.X, 9);
        var r = Reference.Volume("ovule");
        Assert.Equal(r.GetProperty("spacing_x_from_resolution").GetDouble(), img.Voxels.Spacing.X, 12);
    }

    [Fact]
    public void OverrideWinsOverFileSpacing()
    {
        var img = TiffReader.Read(Reference.RepoPath("studies/data/ovule/raw.tif"), new Spacing(1, 2, 3));
        Assert.Equal(new Spacing(1, 2, 3), img.Voxels.Spacing);
        Assert.False(img.HasFileSpacing);
    }

    private static (int, int, int) FixtureShape => (3, 13, 11);

    private static double Sum(ImageVolume v)
    {
        double s = 0;
        foreach (var x in v.Voxels.Data) s += x;
        return s;
    }

    [Theory]
    [InlineData("lzw_uint8.tif")]
    [InlineData("packbits_uint8.tif")]
    [InlineData("deflate_pred_uint8.tif")]
    public void CompressedUint8FixturesDecode(string name)
    {
        var fx = Reference.Data.GetProperty("fixtures");
        var img = TiffReader.Read(Reference.Fixture(name));
        Assert.Equal(FixtureShape, img.Voxels.Shape);
        Assert.Equal("uint8", img.DType);
        Assert.Equal(fx.GetProperty("uint8_sum").GetDouble(), Sum(img));
        Assert.Equal(fx.GetProperty("uint8_probe_2_12_10").GetDouble(), img.Voxels[2, 12, 10]);
    }

    [Theory]
    [InlineData("be_uint16_rps5.tif")]
    [InlineData("deflate_uint16.tif")]
    public void Uint16FixturesDecode(string name)
    {
        var fx = Reference.Data.GetProperty("fixtures");
        var img = TiffReader.Read(Reference.Fixture(name));
        Assert.Equal(FixtureShape, img.Voxels.Shape);
        Assert.Equal("uint16", img.DType);
        Assert.Equal(fx.GetProperty("uint16_sum").GetDouble(), Sum(img));
        Assert.Equal(fx.GetProperty("uint16_probe_1_7_3").GetDouble(), img.Voxels[1, 7, 3]);
    }

    [Theory]
    [InlineData("le_float32_rps4.tif")]
    [InlineData("be_float32.tif")]
    [InlineData("imagej_float32_spacing.tif")]
    public void Float32FixturesDecode(string name)
    {
        var fx = Reference.Data.GetProperty("fixtures");
        var img = TiffReader.Read(Reference.Fixture(name));
        Assert.Equal(FixtureShape, img.Voxels.Shape);
        Assert.Equal("float32", img.DType);
        Assert.False(img.IsIntegerType);
        Assert.Equal(fx.GetProperty("float32_sum").GetDouble(), Sum(img), 3);
        Assert.Equal((float)fx.GetProperty("float32_probe_2_5_9").GetDouble(), img.Voxels[2, 5, 9]);
    }

    [Fact]
    public void BigTiffBigEndianDecodes()
    {
        var fx = Reference.Data.GetProperty("fixtures");
        var img = TiffReader.Read(Reference.Fixture("bigtiff_be_uint16.tif"));
        Assert.Equal(FixtureShape, img.Voxels.Shape);
        Assert.Equal(fx.GetProperty("uint16_sum").GetDouble(), Sum(img));
        Assert.Equal(fx.GetProperty("uint16_probe_1_7_3").GetDouble(), img.Voxels[1, 7, 3]);
        Assert.False(img.HasFileSpacing);
    }

    [Fact]
    public void ImageJSingleIfdContiguousStackReadsAllSlices()
    {
        var fx = Reference.Data.GetProperty("fixtures");
        var img = TiffReader.Read(Reference.Fixture("imagej_single_ifd_uint8.tif"));
        Assert.Equal(FixtureShape, img.Voxels.Shape);
        Assert.Equal(fx.GetProperty("uint8_sum").GetDouble(), Sum(img));
        Assert.Equal(fx.GetProperty("uint8_probe_2_12_10").GetDouble(), img.Voxels[2, 12, 10]);
        Assert.True(img.HasFileSpacing);
        Assert.Equal(0.235, img.Voxels.Spacing.Z, 9);
        Assert.Equal(0.15, img.Voxels.Spacing.X, 6);
    }

    [Fact]
    public void ImageJResolutionAndSpacingGiveMicrons()
    {
        var img = TiffReader.Read(Reference.Fixture("imagej_float32_spacing.tif"));
        Assert.True(img.HasFileSpacing);
        Assert.Equal(2.5, img.Voxels.Spacing.Z, 9);
        Assert.Equal(0.3, img.Voxels.Spacing.Y, 6);
        Assert.Equal(0.4, img.Voxels.Spacing.X, 6);
    }

    [Fact]
    public void LargeLzwImageWithTableResetsDecodes()
    {
        var img = TiffReader.Read(Reference.Fixture("lzw_large_uint8.tif"));
        var gala = Reference.Load("gala_train");
        Assert.Equal((2, 100, 200), img.Voxels.Shape);
        Assert.Equal(Reference.Data.GetProperty("fixtures").GetProperty("lzw_large_sum").GetDouble(), Sum(img));
        Assert.Equal(gala.Voxels.Data.AsSpan(0, 2 * 100 * 200).ToArray(), img.Voxels.Data);
    }

    [Fact]
    public void JpegCompressionIsRejectedWithAHelpfulMessage()
    {
        var path = Reference.Fixture("jpeg_uint8.tif");
        var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("compression 7 (JPEG) is not supported; use none, LZW or Deflate", e.Message);
    }

    [Fact]
    public void TruncatedFileIsRejectedNamingTheFile()
    {
        var bytes = File.ReadAllBytes(Reference.RepoPath("studies/data/gala/train_raw.tif"));
        var path = Path.Combine(Path.GetTempPath(), $"truncated_{Guid.NewGuid():N}.tif");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("truncated", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NonTiffIsRejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"not_a_tiff_{Guid.NewGuid():N}.tif");
        File.WriteAllText(path, "this is a text file, not an image");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("not a TIFF", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CorruptDeflateStripIsRejected()
    {
        var bytes = File.ReadAllBytes(Reference.Fixture("deflate_uint16.tif"));
        // Overwrite the compressed payload (after the 8-byte header, before the IFDs written at the end) with junk.
        for (int i = 8; i < 200; i++) bytes[i] = 0xFF;
        var path = Path.Combine(Path.GetTempPath(), $"corrupt_{Guid.NewGuid():N}.tif");
        File.WriteAllBytes(path, bytes);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MixedPageSizesAreRejected()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mixed_{Guid.NewGuid():N}.tif");
        try
        {
            // Two single-page files glued: rewrite page 0's next-IFD pointer to a second, differently sized page.
            var a = new Volume<byte>(1, 4, 5, Spacing.Isotropic(1));
            var b = new Volume<byte>(1, 6, 5, Spacing.Isotropic(1));
            TiffWriter.Write(path, a);
            var first = File.ReadAllBytes(path);
            TiffWriter.Write(path, b);
            var second = File.ReadAllBytes(path);
            var glued = TiffGlue.Concatenate(first, second);
            File.WriteAllBytes(path, glued);
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.Contains("all pages must share one size", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void RoundTripUint8KeepsValuesAndSpacing()
    {
        var spacing = new Spacing(0.235, 0.15, 0.125);
        var data = new byte[4 * 7 * 9];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 37 % 256);
        var v = new Volume<byte>(4, 7, 9, spacing, data);
        var back = RoundTrip(path => TiffWriter.Write(path, v));
        Assert.Equal("uint8", back.DType);
        Assert.True(back.HasFileSpacing);
        Assert.Equal((4, 7, 9), back.Voxels.Shape);
        for (int i = 0; i < data.Length; i++) Assert.Equal(data[i], back.Voxels.Data[i]);
        AssertSpacing(spacing, back.Voxels.Spacing);
    }

    [Fact]
    public void RoundTripUint16KeepsValuesAndSpacing()
    {
        var spacing = new Spacing(2, 0.5, 0.5);
        var data = new ushort[3 * 5 * 6];
        for (int i = 0; i < data.Length; i++) data[i] = (ushort)(i * 2711 % 65536);
        var back = RoundTrip(path => TiffWriter.Write(path, new Volume<ushort>(3, 5, 6, spacing, data)));
        Assert.Equal("uint16", back.DType);
        for (int i = 0; i < data.Length; i++) Assert.Equal(data[i], back.Voxels.Data[i]);
        AssertSpacing(spacing, back.Voxels.Spacing);
    }

    [Fact]
    public void RoundTripFloat32KeepsValuesAndSpacing()
    {
        var spacing = new Spacing(0.01, 0.01, 0.01);
        var data = new float[5 * 3 * 4];
        for (int i = 0; i < data.Length; i++) data[i] = MathF.Sin(i) * 1e3f - 0.5f;
        data[7] = float.Epsilon;
        var back = RoundTrip(path => TiffWriter.Write(path, new Volume<float>(5, 3, 4, spacing, data)));
        Assert.Equal("float32", back.DType);
        Assert.Equal(data, back.Voxels.Data);
        AssertSpacing(spacing, back.Voxels.Spacing);
    }

    [Fact]
    public void WriterLeavesNoTemporaryFileAndOverwrites()
    {
        var dir = Directory.CreateTempSubdirectory("tiffw");
        try
        {
            var path = Path.Combine(dir.FullName, "v.tif");
            TiffWriter.Write(path, new Volume<byte>(2, 2, 2, Spacing.Isotropic(1), [1, 2, 3, 4, 5, 6, 7, 8]));
            TiffWriter.Write(path, new Volume<byte>(1, 1, 3, Spacing.Isotropic(1), [9, 8, 7]));
            Assert.Equal(new[] { "v.tif" }, Directory.GetFiles(dir.FullName).Select(f => Path.GetFileName(f)).ToArray());
            Assert.Equal(new float[] { 9, 8, 7 }, TiffReader.Read(path).Voxels.Data);
        }
        finally { dir.Delete(true); }
    }

    private static void AssertSpacing(Spacing expected, Spacing actual)
    {
        Assert.Equal(expected.Z, actual.Z, 1e-9 * expected.Z);
        Assert.Equal(expected.Y, actual.Y, 1e-8 * expected.Y);
        Assert.Equal(expected.X, actual.X, 1e-8 * expected.X);
    }

    private static ImageVolume RoundTrip(Action<string> write)
    {
        var path = Path.Combine(Path.GetTempPath(), $"roundtrip_{Guid.NewGuid():N}.tif");
        try
        {
            write(path);
            return TiffReader.Read(path);
        }
        finally { File.Delete(path); }
    }
}

/// <summary>Builds a two-page classic little-endian TIFF from two single-page files written by <see cref="TiffWriter"/>.</summary>
internal static class TiffGlue
{
    public static byte[] Concatenate(byte[] first, byte[] second)
    {
        int shift = first.Length;
        var result = new byte[first.Length + second.Length];
        first.CopyTo(result, 0);
        second.CopyTo(result, shift);
        // Page 0's IFD is at offset 8 (TiffWriter layout); its next-IFD pointer follows the entries.
        int n0 = BitConverter.ToUInt16(result, 8);
        BitConverter.TryWriteBytes(result.AsSpan(8 + 2 + n0 * 12), (uint)(shift + 8));
        // Shift every offset-valued entry of the second page's IFD.
        int ifd = shift + 8;
        int n = BitConverter.ToUInt16(result, ifd);
        for (int e = 0; e < n; e++)
        {
            int at = ifd + 2 + e * 12;
            int tag = BitConverter.ToUInt16(result, at);
            if (tag is 273 or 282 or 283 or 270)
                BitConverter.TryWriteBytes(result.AsSpan(at + 8), BitConverter.ToUInt32(result, at + 8) + (uint)shift);
        }
        return result;
    }
}
