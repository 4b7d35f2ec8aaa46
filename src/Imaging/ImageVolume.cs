using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// A grey-level volume read from disk. <paramref name="Voxels"/> holds the samples as float32 with shape (Z, Y, X)
/// and spacing in µm; <paramref name="DType"/> is the stored sample type ("uint8", "uint16", "int8", "int16", "float16", "float32", …);
/// <paramref name="HasFileSpacing"/> is true when the spacing came from the file's metadata (not an override or the
/// 1 µm default).
/// </summary>
public sealed record ImageVolume(Volume<float> Voxels, string DType, bool HasFileSpacing)
{
    /// <summary>True when the stored samples are integers (uint8/uint16), so every voxel holds an integer value.</summary>
    public bool IsIntegerType => DType is "uint8" or "uint16" or "int8" or "int16" or "int32" or "uint32" or "int64" or "uint64";
}
