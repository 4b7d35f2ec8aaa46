using System.Buffers.Binary;
using System.IO.Compression;

namespace ShapeStudy.Imaging.Tests;

/// <summary>
/// Files built byte by byte following the TIFF 6.0 spec and Adobe's floating-point predictor note (TIFF Technical
/// Note 3), for features the reference tools on this machine cannot write (tifffile needs imagecodecs for them).
/// </summary>
public class TiffPredictorTests
{
    private const int W = 7, H = 5;

    [Fact]
    public void DeflateWithFloatingPointPredictorDecodes()
    {
        var values = new float[H * W];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(Math.Sin(i * 0.37) * 1234.5 - 17.25);
        var strip = new byte[H * W * 4];
        for (int y = 0; y < H; y++)
        {
            // Each row: all most-significant bytes, then the next bytes, …; then byte-wise horizontal differencing.
            var row = new byte[W * 4];
            for (int k = 0; k < W; k++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(values[y * W + k]);
                for (int b = 0; b < 4; b++) row[b * W + k] = (byte)(bits >> (24 - 8 * b));
            }
            for (int i = row.Length - 1; i > 0; i--) row[i] = (byte)(row[i] - row[i - 1]);
            row.CopyTo(strip, y * W * 4);
        }
        var img = ReadBuilt(Deflate(strip), bitsPerSample: 32, sampleFormat: 3, compression: 8, predictor: 3);
        Assert.Equal("float32", img.DType);
        Assert.Equal(values, img.Voxels.Data);
    }

    [Fact]
    public void DeflateWithHorizontalPredictorDecodesUint16()
    {
        var values = new ushort[H * W];
        for (int i = 0; i < values.Length; i++) values[i] = (ushort)((i * 7919 + 65000) % 65536);
        var strip = new byte[H * W * 2];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                ushort v = values[y * W + x];
                ushort d = x == 0 ? v : (ushort)(v - values[y * W + x - 1]);   // modulo 2^16
                BinaryPrimitives.WriteUInt16LittleEndian(strip.AsSpan(2 * (y * W + x)), d);
            }
        var img = ReadBuilt(Deflate(strip), bitsPerSample: 16, sampleFormat: 1, compression: 32946, predictor: 2);
        Assert.Equal(values.Select(v => (float)v).ToArray(), img.Voxels.Data);
    }

    [Fact]
    public void ShortDeflateStripIsReportedAsCorrupt()
    {
        var strip = new byte[H * W - 3];
        var path = Build(Deflate(strip), 8, 1, 8, 1);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("decompressed to", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void SignedIntegerSamplesAreRejectedNamingTheType()
    {
        var path = Build(new byte[H * W * 2], 16, 2, 1, 1);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TiffReader.Read(path));
            Assert.Contains("signed integer", e.Message);
            Assert.Contains("supported are uint8, uint16 and float32", e.Message);
        }
        finally { File.Delete(path); }
    }

    private static byte[] Deflate(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private static ImageVolume ReadBuilt(byte[] strip, int bitsPerSample, int sampleFormat, int compression, int predictor)
    {
        var path = Build(strip, bitsPerSample, sampleFormat, compression, predictor);
        try { return TiffReader.Read(path); }
        finally { File.Delete(path); }
    }

    /// <summary>Single-page, single-strip little-endian TIFF: header, strip at offset 8, IFD after it.</summary>
    private static string Build(byte[] strip, int bitsPerSample, int sampleFormat, int compression, int predictor)
    {
        var entries = new (int Tag, int Type, uint Value)[]
        {
            (256, 4, W), (257, 4, H), (258, 3, (uint)bitsPerSample), (259, 3, (uint)compression), (262, 3, 1),
            (273, 4, 8), (277, 3, 1), (278, 4, H), (279, 4, (uint)strip.Length), (317, 3, (uint)predictor),
            (339, 3, (uint)sampleFormat),
        };
        int ifdAt = 8 + strip.Length + (strip.Length & 1);
        var bytes = new byte[ifdAt + 2 + entries.Length * 12 + 4];
        bytes[0] = (byte)'I'; bytes[1] = (byte)'I';
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)ifdAt);
        strip.CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(ifdAt), (ushort)entries.Length);
        for (int e = 0; e < entries.Length; e++)
        {
            var s = bytes.AsSpan(ifdAt + 2 + e * 12);
            BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)entries[e].Tag);
            BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(2), (ushort)entries[e].Type);
            BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(4), 1);
            if (entries[e].Type == 3) BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(8), (ushort)entries[e].Value);
            else BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(8), entries[e].Value);
        }
        var path = Path.Combine(Path.GetTempPath(), $"built_{Guid.NewGuid():N}.tif");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
