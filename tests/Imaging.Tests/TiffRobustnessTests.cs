using ShapeStudy.Core;

namespace ShapeStudy.Imaging.Tests;

public class TiffRobustnessTests
{
    /// <summary>
    /// Seeded random corruption of real files: every outcome is either a successful read or an
    /// <see cref="InvalidDataException"/> naming the file — never another exception type or a hang.
    /// </summary>
    [Theory]
    [InlineData("lzw_uint8.tif")]
    [InlineData("packbits_uint8.tif")]
    [InlineData("deflate_uint16.tif")]
    [InlineData("be_uint16_rps5.tif")]
    [InlineData("bigtiff_be_uint16.tif")]
    [InlineData("imagej_single_ifd_uint8.tif")]
    public void CorruptedBytesGiveReadOrInvalidDataException(string name)
    {
        var original = File.ReadAllBytes(Reference.Fixture(name));
        var rng = Seeds.Rng(Seeds.Child(20261125, name));
        var path = Path.Combine(Path.GetTempPath(), $"fuzz_{Guid.NewGuid():N}.tif");
        try
        {
            for (int trial = 0; trial < 300; trial++)
            {
                var bytes = (byte[])original.Clone();
                int flips = 1 + rng.Next(4);
                for (int f = 0; f < flips; f++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                if (trial % 10 == 0) Array.Resize(ref bytes, rng.Next(bytes.Length));
                File.WriteAllBytes(path, bytes);
                try
                {
                    var img = TiffReader.Read(path);
                    Assert.True(img.Voxels.Length > 0);
                }
                catch (InvalidDataException e)
                {
                    Assert.StartsWith(path + ": ", e.Message);
                }
            }
        }
        finally { File.Delete(path); }
    }
}
