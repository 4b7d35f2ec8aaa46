using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests.OutOfCore;

public sealed class ChunkedVolumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-chunked-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Volume<T> Ramp<T>(Func<int, T> f, Spacing spacing) where T : unmanaged
    {
        var v = new Volume<T>(7, 5, 6, spacing);
        for (int i = 0; i < v.Length; i++) v.Data[i] = f(i);
        return v;
    }

    private static void AssertSlabsMatch(ChunkedVolume chunked, ImageVolume whole)
    {
        Assert.Equal(whole.Voxels.Shape, (chunked.NZ, chunked.NY, chunked.NX));
        Assert.Equal(whole.DType, chunked.DType);
        Assert.Equal(whole.Voxels.Spacing, chunked.Spacing);
        int plane = chunked.NY * chunked.NX;
        foreach (var (z0, z1) in new[] { (0, 7), (0, 1), (2, 5), (6, 7) })
        {
            var slab = chunked.ReadSlab(z0, z1);
            Assert.Equal((z1 - z0, chunked.NY, chunked.NX), slab.Shape);
            Assert.Equal(z0 * chunked.Spacing.Z, slab.Origin.Z);
            Assert.Equal(whole.Voxels.Data.AsSpan(z0 * plane, (z1 - z0) * plane).ToArray(), slab.Data);
        }
    }

    [Fact]
    public void NpySlabsEqualTheWholeArrayForEachDType()
    {
        var spacing = new Spacing(0.5, 0.25, 0.25);
        string p8 = Path.Combine(_dir, "u8.npy"), p16 = Path.Combine(_dir, "u16.npy"), pf = Path.Combine(_dir, "f4.npy"), pi = Path.Combine(_dir, "i2.npy");
        NpyFormat.Write(p8, Ramp(i => (byte)(i * 7), spacing));
        NpyFormat.Write(p16, Ramp(i => (ushort)(i * 331), spacing));
        NpyFormat.Write(pf, Ramp(i => MathF.Sin(i) * 1e3f, spacing));
        NpyFormat.Write(pi, Ramp(i => (short)(i * 97 - 10000), spacing));
        foreach (var p in new[] { p8, p16, pf, pi })
        {
            using var c = ChunkedVolume.Open(p, spacing);
            AssertSlabsMatch(c, NpyFormat.Read(p, spacing));
        }
    }

    [Fact]
    public void MrcSlabsEqualTheWholeArrayWithHeaderSpacing()
    {
        string pf = Path.Combine(_dir, "f.mrc"), p16 = Path.Combine(_dir, "u16.mrc"), p8 = Path.Combine(_dir, "u8.mrc");
        var spacing = new Spacing(0.004, 0.002, 0.003);
        MrcFormat.Write(pf, Ramp(i => MathF.Cos(i) * 50f, spacing));
        MrcFormat.Write(p16, Ramp(i => (ushort)(i * 211), spacing));
        MrcFormat.Write(p8, Ramp(i => (byte)(i * 5), spacing));
        foreach (var p in new[] { pf, p16, p8 })
        {
            using var c = ChunkedVolume.Open(p);
            var whole = MrcFormat.Read(p);
            Assert.True(whole.HasFileSpacing);
            AssertSlabsMatch(c, whole);
        }
    }

    [Fact]
    public void TiffSlabsEqualTheWholeStackForEveryLayout()
    {
        var spacing = new Spacing(0.235, 0.15, 0.15);
        var u16 = new ImageVolume(Ramp(i => (float)(ushort)(i * 331), spacing), "uint16", true);
        var f32 = new ImageVolume(Ramp(i => MathF.Sin(i) * 1e3f, spacing), "float32", true);
        var cases = new (string Name, ImageVolume Image, TiffWriteOptions Options)[]
        {
            ("imagej.tif", u16, new TiffWriteOptions(TiffMetadata.ImageJ, TiffCompression.None)),
            ("lzw.tif", u16, new TiffWriteOptions(TiffMetadata.ImageJ, TiffCompression.Lzw)),
            ("deflate.ome.tif", f32, new TiffWriteOptions(TiffMetadata.Ome, TiffCompression.Deflate)),
            ("big.ome.tif", u16, new TiffWriteOptions(TiffMetadata.Ome, TiffCompression.None, BigTiff: true)),
        };
        foreach (var (name, image, options) in cases)
        {
            string p = Path.Combine(_dir, name);
            TiffWriter.Write(p, image, options);
            using var c = ChunkedVolume.Open(p);
            AssertSlabsMatch(c, TiffReader.Read(p));
            Assert.Equal(spacing.Z, c.Spacing.Z, 9);
        }
        // The bundled ImageJ stack written by tifffile reads identically slab by slab.
        string gala = Reference.RepoPath("studies/data/gala/train_raw.tif");
        using var g = ChunkedVolume.Open(gala);
        var whole = TiffReader.Read(gala).Voxels;
        int plane = g.NY * g.NX;
        Assert.Equal(whole.Data.AsSpan(17 * plane, 9 * plane).ToArray(), g.ReadSlab(17, 26).Data);
    }

    [Fact]
    public void FortranOrderAndTruncationAreTypedErrorsNamingTheFile()
    {
        string fortran = Path.Combine(_dir, "fortran.npy");
        string header = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }";
        header += new string(' ', 128 - 10 - header.Length - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange(new byte[] { 1, 0, (byte)header.Length, 0 });
        bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
        bytes.AddRange(new byte[8]);
        File.WriteAllBytes(fortran, bytes.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ChunkedVolume.Open(fortran));
        Assert.StartsWith(fortran, e.Message);
        Assert.Contains("Fortran", e.Message);

        string truncated = Path.Combine(_dir, "truncated.npy");
        NpyFormat.Write(truncated, Ramp(i => (byte)i, Spacing.Isotropic(1)));
        var all = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, all[..^10]);
        e = Assert.Throws<InvalidDataException>(() => ChunkedVolume.Open(truncated));
        Assert.StartsWith(truncated, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void LabelWriterRoundTripsAndLeavesNoFileUntilComplete()
    {
        string path = Path.Combine(_dir, "labels.npy");
        var labels = Ramp(i => i * 1000 - 3, Spacing.Isotropic(1));
        int plane = 5 * 6;
        using (var w = new ChunkedLabelWriter(path, 7, 5, 6))
        {
            w.Append(labels.Data.AsSpan(0, 3 * plane));
            Assert.False(File.Exists(path));
            Assert.Throws<InvalidOperationException>(() => w.Complete());
            w.Append(labels.Data.AsSpan(3 * plane, 4 * plane));
            w.Complete();
        }
        var read = NpyFormat.Read(path);
        Assert.Equal("int32", read.DType);
        Assert.Equal(labels.Data.Select(x => (float)x).ToArray(), read.Voxels.Data);
        Assert.False(File.Exists(path + ".tmp"));

        string abandoned = Path.Combine(_dir, "abandoned.npy");
        using (var w = new ChunkedLabelWriter(abandoned, 7, 5, 6)) w.Append(labels.Data.AsSpan(0, plane));
        Assert.False(File.Exists(abandoned));
        Assert.False(File.Exists(abandoned + ".tmp"));
    }
}

public sealed class ChunkedVolumeFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-chunked-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// 1,000 copies of a valid file with 1–4 header bytes replaced (or the file cut short) either open and read every
    /// plane, or fail with an <see cref="InvalidDataException"/> naming the file; no other exception.
    /// </summary>
    [Theory]
    [InlineData("npy", 128)]
    [InlineData("mrc", 1024)]
    public void MutatedHeadersGiveTypedErrorsOnly(string format, int headerBytes)
    {
        string valid = Path.Combine(_dir, "valid." + format);
        var v = new Volume<ushort>(4, 5, 6, new Spacing(0.5, 0.25, 0.25));
        for (int i = 0; i < v.Length; i++) v.Data[i] = (ushort)(i * 37);
        if (format == "npy") NpyFormat.Write(valid, v);
        else MrcFormat.Write(valid, v);
        var original = File.ReadAllBytes(valid);
        var rng = Seeds.Rng(format == "npy" ? 31UL : 32UL);
        string path = Path.Combine(_dir, "mutant." + format);
        int opened = 0, rejected = 0;
        for (int trial = 0; trial < 1000; trial++)
        {
            var bytes = (byte[])original.Clone();
            if (trial % 10 == 9) bytes = bytes[..rng.Next(bytes.Length)];
            else
                for (int k = 0, n = 1 + rng.Next(4); k < n; k++)
                    bytes[rng.Next(Math.Min(headerBytes, bytes.Length))] = (byte)rng.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                using var c = ChunkedVolume.Open(path);
                var slab = c.ReadSlab(0, c.NZ);
                Assert.Equal((long)c.NZ * c.NY * c.NX, slab.Length);
                opened++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(path, e.Message);
                rejected++;
            }
        }
        Assert.True(opened > 0 && rejected > 0, $"opened {opened}, rejected {rejected}: the mutations must exercise both outcomes");
    }
}
