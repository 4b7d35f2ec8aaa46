using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.Formats;

/// <summary>Every writer's output reads back with identical samples, stored type, spacing (and MRC origin).</summary>
public sealed class FormatRoundTripTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("formats_rt_");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static readonly Spacing Anisotropic = new(0.75, 0.125, 0.0625);

    private static Volume<T> Make<T>(Func<int, T> value, (double, double, double) origin = default) where T : unmanaged
    {
        var data = new T[7 * 6 * 5];
        for (int i = 0; i < data.Length; i++) data[i] = value(i);
        return new Volume<T>(7, 6, 5, Anisotropic, data, origin);
    }

    private static void AssertSame<T>(Volume<T> expected, ImageVolume actual, string dtype, Func<T, float> toFloat) where T : unmanaged
    {
        Assert.Equal(expected.Shape, actual.Voxels.Shape);
        Assert.Equal(dtype, actual.DType);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(toFloat(expected.Data[i]), actual.Voxels.Data[i]);
    }

    private static void AssertSpacing(Spacing expected, Spacing actual, double relative)
    {
        Assert.Equal(expected.Z, actual.Z, expected.Z * relative);
        Assert.Equal(expected.Y, actual.Y, expected.Y * relative);
        Assert.Equal(expected.X, actual.X, expected.X * relative);
    }

    // ------------------------------------------------------------------ MRC

    [Fact]
    public void MrcFloat32KeepsValuesSpacingAndOrigin()
    {
        var v = Make(i => (float)Math.Sin(i) * 1000f, (1.5, -2.25, 0.5));
        string p = PathOf("a.mrc");
        MrcFormat.Write(p, v);
        var r = MrcFormat.Read(p);
        AssertSame(v, r, "float32", x => x);
        Assert.True(r.HasFileSpacing);
        AssertSpacing(v.Spacing, r.Voxels.Spacing, 1e-6);     // CELLA is float32 Å
        Assert.Equal(1.5, r.Voxels.Origin.Z, 1e-6);
        Assert.Equal(-2.25, r.Voxels.Origin.Y, 1e-6);
        Assert.Equal(0.5, r.Voxels.Origin.X, 1e-6);
    }

    [Fact]
    public void MrcIntegerAndHalfModesKeepValues()
    {
        var i8 = Make(i => (sbyte)(i % 256 - 128));
        MrcFormat.Write(PathOf("i8.mrc"), i8);
        AssertSame(i8, MrcFormat.Read(PathOf("i8.mrc")), "int8", x => x);

        var i16 = Make(i => (short)(i * 331 - 20000));
        MrcFormat.Write(PathOf("i16.mrc"), i16);
        AssertSame(i16, MrcFormat.Read(PathOf("i16.mrc")), "int16", x => x);

        var u16 = Make(i => (ushort)(i * 311));
        MrcFormat.Write(PathOf("u16.mrc"), u16);
        AssertSame(u16, MrcFormat.Read(PathOf("u16.mrc")), "uint16", x => x);

        var f16 = Make(i => (Half)(i * 0.37 - 20));
        MrcFormat.Write(PathOf("f16.mrc"), f16);
        AssertSame(f16, MrcFormat.Read(PathOf("f16.mrc")), "float16", x => (float)x);

        // Unsigned bytes are widened to mode 6 (MRC2014 mode 0 is signed), as mrcfile does.
        var u8 = Make(i => (byte)(i % 256));
        MrcFormat.Write(PathOf("u8.mrc"), u8);
        AssertSame(u8, MrcFormat.Read(PathOf("u8.mrc")), "uint16", x => x);
    }

    [Fact]
    public void MrcHeaderFollowsMrc2014()
    {
        var v = Make(i => (float)i);
        string p = PathOf("h.mrc");
        MrcFormat.Write(p, v);
        var b = File.ReadAllBytes(p);
        Assert.Equal(1024 + v.Length * 4, b.Length);
        Assert.Equal("MAP ", System.Text.Encoding.ASCII.GetString(b, 208, 4));
        Assert.Equal(0x44, b[212]);                                    // little-endian MACHST on this machine
        Assert.Equal(20141, BitConverter.ToInt32(b, 108));             // NVERSION
        Assert.Equal((1, 2, 3), (BitConverter.ToInt32(b, 64), BitConverter.ToInt32(b, 68), BitConverter.ToInt32(b, 72)));
        Assert.Equal(0f, BitConverter.ToSingle(b, 76));                // DMIN
        Assert.Equal(v.Length - 1f, BitConverter.ToSingle(b, 80));     // DMAX
        Assert.Equal((v.Length - 1) / 2.0, BitConverter.ToSingle(b, 84), 1e-4); // DMEAN
        Assert.Equal(5 * 0.0625e4, BitConverter.ToSingle(b, 40), 1e-3);           // CELLA x in Å
    }

    [Fact]
    public void MrcRejectsComplexModesAndBadAxisOrder()
    {
        var v = Make(i => (float)i);
        string p = PathOf("bad.mrc");
        MrcFormat.Write(p, v);
        var b = File.ReadAllBytes(p);
        BitConverter.GetBytes(4).CopyTo(b, 12);
        File.WriteAllBytes(p, b);
        var e = Assert.Throws<InvalidDataException>(() => MrcFormat.Read(p));
        Assert.StartsWith(p + ": mode 4 holds complex numbers", e.Message);
        BitConverter.GetBytes(2).CopyTo(b, 12);
        BitConverter.GetBytes(2).CopyTo(b, 64);
        File.WriteAllBytes(p, b);
        e = Assert.Throws<InvalidDataException>(() => MrcFormat.Read(p));
        Assert.Contains("MAPC=2, MAPR=2, MAPS=3 is not a permutation", e.Message);
    }

    [Fact]
    public void MrcPermutedAxesMatchTheStandardOrder()
    {
        // Swap the roles of columns and rows by rewriting the header; the file's samples then describe the
        // transposed volume (x ↔ y), which the reader must return in (z, y, x) order.
        var v = Make(i => (float)i);
        string p = PathOf("perm.mrc");
        MrcFormat.Write(p, v);
        var b = File.ReadAllBytes(p);
        BitConverter.GetBytes(2).CopyTo(b, 64);
        BitConverter.GetBytes(1).CopyTo(b, 68);
        File.WriteAllBytes(p, b);
        var r = MrcFormat.Read(p).Voxels;
        Assert.Equal((v.NZ, v.NX, v.NY), r.Shape);
        for (int z = 0; z < v.NZ; z++)
            for (int y = 0; y < v.NY; y++)
                for (int x = 0; x < v.NX; x++)
                    Assert.Equal(v[z, y, x], r[z, x, y]);
    }

    [Fact]
    public void MrcTruncatedDataNamesTheFile()
    {
        var v = Make(i => (float)i);
        string p = PathOf("trunc.mrc");
        MrcFormat.Write(p, v);
        var b = File.ReadAllBytes(p);
        File.WriteAllBytes(p, b[..(b.Length - 4)]);
        var e = Assert.Throws<InvalidDataException>(() => MrcFormat.Read(p));
        Assert.StartsWith(p + ": truncated", e.Message);
    }

    // ------------------------------------------------------------------ NPY

    [Fact]
    public void NpyEveryWriterKeepsValuesAndType()
    {
        var u8 = Make(i => (byte)(i * 7));
        NpyFormat.Write(PathOf("u8.npy"), u8);
        AssertSame(u8, NpyFormat.Read(PathOf("u8.npy")), "uint8", x => x);

        var i8 = Make(i => (sbyte)(i * 7));
        NpyFormat.Write(PathOf("i8.npy"), i8);
        AssertSame(i8, NpyFormat.Read(PathOf("i8.npy")), "int8", x => x);

        var u16 = Make(i => (ushort)(i * 263));
        NpyFormat.Write(PathOf("u16.npy"), u16);
        AssertSame(u16, NpyFormat.Read(PathOf("u16.npy")), "uint16", x => x);

        var i16 = Make(i => (short)(i * 263 - 30000));
        NpyFormat.Write(PathOf("i16.npy"), i16);
        AssertSame(i16, NpyFormat.Read(PathOf("i16.npy")), "int16", x => x);

        var f16 = Make(i => (Half)(i * 0.5 - 3));
        NpyFormat.Write(PathOf("f16.npy"), f16);
        AssertSame(f16, NpyFormat.Read(PathOf("f16.npy")), "float16", x => (float)x);

        var f32 = Make(i => MathF.Cos(i) * 1e5f);
        NpyFormat.Write(PathOf("f32.npy"), f32);
        AssertSame(f32, NpyFormat.Read(PathOf("f32.npy")), "float32", x => x);

        var f64 = Make(i => i * 0.25);   // exactly representable in float32
        NpyFormat.Write(PathOf("f64.npy"), f64);
        AssertSame(f64, NpyFormat.Read(PathOf("f64.npy")), "float64", x => (float)x);
    }

    [Fact]
    public void NpyHeaderIsAlignedAndSpacingIsNotStored()
    {
        var v = Make(i => (float)i);
        string p = PathOf("h.npy");
        NpyFormat.Write(p, v);
        var b = File.ReadAllBytes(p);
        int headerLength = BitConverter.ToUInt16(b, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal('\n', (char)b[10 + headerLength - 1]);
        Assert.Equal(10 + headerLength + v.Length * 4, b.Length);
        Assert.Contains("'shape': (7, 6, 5)", System.Text.Encoding.ASCII.GetString(b, 10, headerLength));
        var r = NpyFormat.Read(p);
        Assert.False(r.HasFileSpacing);
        Assert.Equal(Spacing.Isotropic(1), r.Voxels.Spacing);
    }

    [Fact]
    public void NpyLargeIntegersThatFloat32CannotHoldAreRejected()
    {
        // int32 label arrays read exactly while |value| ≤ 2^24, and are refused beyond that rather than rounded.
        string p = PathOf("big.npy");
        var header = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 2), }";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        bytes.AddRange(BitConverter.GetBytes(16777216));
        bytes.AddRange(BitConverter.GetBytes(16777217));
        File.WriteAllBytes(p, bytes.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => NpyFormat.Read(p));
        Assert.StartsWith(p + ": sample 1 of the int32 data", e.Message);
    }

    private static void WriteRawNpy(string path, string shape, float[] values)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        header = header.PadRight(128 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        foreach (var v in values) bytes.AddRange(BitConverter.GetBytes(v));
        File.WriteAllBytes(path, bytes.ToArray());
    }

    [Theory]
    [InlineData("(1, 2, 3, 4)")]
    [InlineData("(2, 3, 4, 1)")]
    [InlineData("(2, 1, 3, 1, 4)")]
    [InlineData("(1, 1, 2, 3, 4, 1)")]
    public void NpySingletonAxesBeyondThreeAreDropped(string shape)
    {
        var values = new float[24];
        for (int i = 0; i < values.Length; i++) values[i] = i * 1.5f;
        string p = PathOf("s.npy");
        WriteRawNpy(p, shape, values);
        var r = NpyFormat.Read(p).Voxels;
        Assert.Equal((2, 3, 4), r.Shape);
        Assert.Equal(values, r.Data);
    }

    [Theory]
    [InlineData("(2, 2, 3, 2)", "has more than three axes longer than 1")]
    [InlineData("(24,)", "is not 2-D or 3-D")]
    [InlineData("(0, 3, 8)", "does not fit")]
    [InlineData("(2, 3, 5)", "does not fit")]
    public void NpyUnusableShapesAreRejected(string shape, string reason)
    {
        string p = PathOf("bad.npy");
        WriteRawNpy(p, shape, new float[24]);
        var e = Assert.Throws<InvalidDataException>(() => NpyFormat.Read(p));
        Assert.StartsWith(p + ": ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    // ------------------------------------------------------------------ OME-TIFF

    [Fact]
    public void OmeTiffEveryTypeKeepsValuesAndPhysicalSizes()
    {
        var u8 = Make(i => (byte)(i * 3));
        TiffWriter.Write(PathOf("u8.ome.tif"), u8, TiffMetadata.Ome);
        var r8 = TiffReader.Read(PathOf("u8.ome.tif"));
        AssertSame(u8, r8, "uint8", x => x);
        Assert.True(r8.HasFileSpacing);
        AssertSpacing(Anisotropic, r8.Voxels.Spacing, 1e-15);

        var u16 = Make(i => (ushort)(i * 211));
        TiffWriter.Write(PathOf("u16.ome.tif"), u16, TiffMetadata.Ome);
        var r16 = TiffReader.Read(PathOf("u16.ome.tif"));
        AssertSame(u16, r16, "uint16", x => x);
        AssertSpacing(Anisotropic, r16.Voxels.Spacing, 1e-15);

        var f32 = Make(i => MathF.Sqrt(i) - 3);
        TiffWriter.Write(PathOf("f32.ome.tif"), f32, TiffMetadata.Ome);
        var r32 = TiffReader.Read(PathOf("f32.ome.tif"));
        AssertSame(f32, r32, "float32", x => x);
        AssertSpacing(Anisotropic, r32.Voxels.Spacing, 1e-15);
    }

    [Fact]
    public void OmeDescriptionIsAsciiAndEndsTheWayTifffileDetects()
    {
        TiffWriter.Write(PathOf("d.ome.tif"), Make(i => (byte)i), TiffMetadata.Ome);
        var b = File.ReadAllBytes(PathOf("d.ome.tif"));
        string text = System.Text.Encoding.Latin1.GetString(b);
        int start = text.IndexOf("<?xml", StringComparison.Ordinal), end = text.IndexOf("</OME>", StringComparison.Ordinal);
        Assert.True(start > 0 && end > start);
        Assert.Equal('\0', text[end + 6]);      // tifffile's is_ome tests that the description ends with "OME>"
        for (int i = start; i < end; i++) Assert.True(b[i] < 128);
        Assert.DoesNotContain("ImageJ=", text);
    }

    [Fact]
    public void OmeMultiChannelIsRejectedWithTheReason()
    {
        string p = PathOf("c.ome.tif");
        TiffWriter.Write(p, Make(i => (byte)i), TiffMetadata.Ome);
        var b = File.ReadAllBytes(p);
        var s = System.Text.Encoding.Latin1.GetString(b);
        int at = s.IndexOf("SizeC=\"1\"", StringComparison.Ordinal);
        b[at + 7] = (byte)'2';
        File.WriteAllBytes(p, b);
        var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(p));
        Assert.StartsWith(p + ": OME-TIFF image has SizeZ=7, SizeC=2", e.Message);
    }

    [Theory]
    [InlineData(TiffCompression.None, false, TiffMetadata.ImageJ)]
    [InlineData(TiffCompression.Lzw, false, TiffMetadata.ImageJ)]
    [InlineData(TiffCompression.Deflate, false, TiffMetadata.Ome)]
    [InlineData(TiffCompression.None, true, TiffMetadata.Ome)]
    [InlineData(TiffCompression.Lzw, true, TiffMetadata.Ome)]
    [InlineData(TiffCompression.Deflate, true, TiffMetadata.ImageJ)]
    public void TiffCompressionAndBigTiffKeepValuesAndSpacing(TiffCompression compression, bool bigTiff, TiffMetadata metadata)
    {
        var options = new TiffWriteOptions(metadata, compression, bigTiff);
        // Smooth ramps (compressible) plus a pseudo-random tail (incompressible) so LZW fills and resets its table.
        var u8 = Make(i => i < 150 ? (byte)(i / 3) : (byte)((i * 2654435761u) >> 24));
        var u16 = Make(i => (ushort)(i < 150 ? i * 4 : (int)((i * 2654435761u) >> 16)));
        var f32 = Make(i => i < 150 ? i * 0.5f : MathF.Sin(i * 7.1f));
        TiffWriter.Write(PathOf("u8.tif"), u8, options);
        TiffWriter.Write(PathOf("u16.tif"), u16, options);
        TiffWriter.Write(PathOf("f32.tif"), f32, options);
        foreach (var (name, r) in new[] { ("u8.tif", TiffReader.Read(PathOf("u8.tif"))), ("u16.tif", TiffReader.Read(PathOf("u16.tif"))), ("f32.tif", TiffReader.Read(PathOf("f32.tif"))) })
        {
            var bytes = File.ReadAllBytes(PathOf(name));
            Assert.Equal(bigTiff ? 43 : 42, BitConverter.ToUInt16(bytes, 2));
            Assert.True(r.HasFileSpacing);
            AssertSpacing(Anisotropic, r.Voxels.Spacing, metadata == TiffMetadata.Ome ? 1e-15 : 1e-9);
        }
        AssertSame(u8, TiffReader.Read(PathOf("u8.tif")), "uint8", x => x);
        AssertSame(u16, TiffReader.Read(PathOf("u16.tif")), "uint16", x => x);
        AssertSame(f32, TiffReader.Read(PathOf("f32.tif")), "float32", x => x);
    }

    [Fact]
    public void LzwTableResetsOnLongIncompressibleInput()
    {
        // 64 KiB of pseudo-random bytes forces the 4094-entry table to fill and reset many times.
        var rng = new Random(7);
        var data = new byte[4 * 128 * 128];
        rng.NextBytes(data);
        for (int i = 0; i < 4096; i++) data[i] = (byte)(i % 7);   // and a compressible start
        var v = new Volume<byte>(4, 128, 128, Anisotropic, data);
        TiffWriter.Write(PathOf("lzw.tif"), v, new TiffWriteOptions(Compression: TiffCompression.Lzw));
        AssertSame(v, TiffReader.Read(PathOf("lzw.tif")), "uint8", x => x);
    }

    [Fact]
    public void ClassicTiffIsChosenForSmallFilesAndCompressionShrinksThem()
    {
        var v = Make(i => (ushort)(i / 10));
        TiffWriter.Write(PathOf("auto.tif"), v, new TiffWriteOptions());
        TiffWriter.Write(PathOf("deflate.tif"), v, new TiffWriteOptions(Compression: TiffCompression.Deflate));
        TiffWriter.Write(PathOf("lzw.tif"), v, new TiffWriteOptions(Compression: TiffCompression.Lzw));
        Assert.Equal(42, BitConverter.ToUInt16(File.ReadAllBytes(PathOf("auto.tif")), 2));
        long raw = new FileInfo(PathOf("auto.tif")).Length;
        Assert.True(new FileInfo(PathOf("deflate.tif")).Length < raw);
        Assert.True(new FileInfo(PathOf("lzw.tif")).Length < raw);
    }

    // ------------------------------------------------------------------ dispatch

    [Theory]
    [InlineData("v.tif", "uint16", true)]
    [InlineData("v.TIFF", "uint16", true)]
    [InlineData("v.ome.tif", "uint16", true)]
    [InlineData("v.ome.tiff", "uint16", true)]
    [InlineData("v.mrc", "uint16", true)]
    [InlineData("v.map", "uint16", true)]
    [InlineData("v.rec", "uint16", true)]
    [InlineData("v.st", "uint16", true)]
    [InlineData("v.npy", "uint16", false)]
    public void VolumeFilesDispatchesOnExtension(string name, string dtype, bool keepsSpacing)
    {
        var v = Make(i => (ushort)(i * 97));
        string p = PathOf(name);
        VolumeFiles.Write(p, v);
        var r = VolumeFiles.Read(p);
        AssertSame(v, r, dtype, x => x);
        Assert.Equal(keepsSpacing, r.HasFileSpacing);
        if (keepsSpacing) AssertSpacing(Anisotropic, r.Voxels.Spacing, 1e-6);
    }

    [Fact]
    public void VolumeFilesKeepsStoredTypesOfAnImageVolume()
    {
        var src = VolumeFiles.Read(FormatFixtureTests.Fixture("mode1_int16.mrc"));
        foreach (var name in new[] { "x.mrc", "x.npy" })
        {
            VolumeFiles.Write(PathOf(name), src);
            var r = VolumeFiles.Read(PathOf(name));
            Assert.Equal("int16", r.DType);
            Assert.Equal(src.Voxels.Data, r.Voxels.Data);
        }
        VolumeFiles.Write(PathOf("x.tif"), src);                 // TIFF has no int16 writer: float32, same values
        var t = VolumeFiles.Read(PathOf("x.tif"));
        Assert.Equal("float32", t.DType);
        Assert.Equal(src.Voxels.Data, t.Voxels.Data);
    }

    [Fact]
    public void VolumeFilesCompressesTiffOutputsOnRequest()
    {
        var labels = Make(i => (ushort)(i / 40));
        var image = new ImageVolume(labels.WithData(Array.ConvertAll(labels.Data, x => (float)x)), "uint16", true);
        VolumeFiles.Write(PathOf("plain.ome.tif"), image);
        VolumeFiles.Write(PathOf("packed.ome.tif"), image, TiffCompression.Deflate);
        Assert.True(new FileInfo(PathOf("packed.ome.tif")).Length < new FileInfo(PathOf("plain.ome.tif")).Length);
        AssertSame(labels, VolumeFiles.Read(PathOf("packed.ome.tif")), "uint16", x => x);
    }

    [Fact]
    public void UnknownExtensionNamesTheSupportedFormats()
    {
        string p = PathOf("volume.h5");
        File.WriteAllBytes(p, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => VolumeFiles.Read(p));
        Assert.StartsWith(p + ": unrecognised volume file extension '.h5'", e.Message);
        Assert.Contains(".mrc", e.Message);
        Assert.Contains(".npy", e.Message);
        Assert.Contains(".ome.tif", e.Message);
        Assert.Throws<InvalidDataException>(() => VolumeFiles.Write(p, Make(i => (float)i)));
    }

    [Fact]
    public void WritersLeaveNoTemporaryFiles()
    {
        var v = Make(i => (float)i);
        foreach (var name in new[] { "a.mrc", "a.npy", "a.ome.tif" })
        {
            VolumeFiles.Write(PathOf(name), v);
            VolumeFiles.Write(PathOf(name), v);   // overwrite
        }
        Assert.Empty(_dir.GetFiles("*.tmp"));
        Assert.Equal(3, _dir.GetFiles().Length);
    }
}
