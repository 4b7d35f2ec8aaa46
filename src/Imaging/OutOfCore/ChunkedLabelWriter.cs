using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ShapeStudy.Imaging;

/// <summary>
/// Writes a (Z, Y, X) int32 label array as a NumPy <c>.npy</c> file ('&lt;i4', C order) one z-slab at a time. The data
/// go to <c>path + ".tmp"</c>; <see cref="Complete"/> checks that all NZ planes were written and renames the file over
/// the path, so a reader never sees a partial file. Disposing without completing deletes the temporary file.
/// </summary>
public sealed class ChunkedLabelWriter : IDisposable
{
    private readonly string _path;
    private readonly string _tmp;
    private readonly long _planeVoxels;
    private readonly int _nz;
    private FileStream? _stream;
    private int _written;

    /// <summary>Starts writing a label array of shape (<paramref name="nz"/>, <paramref name="ny"/>, <paramref name="nx"/>).</summary>
    public ChunkedLabelWriter(string path, int nz, int ny, int nx)
    {
        if (nz <= 0 || ny <= 0 || nx <= 0) throw new ArgumentException($"label shape must be positive, got ({nz}, {ny}, {nx})");
        _path = path; _tmp = path + ".tmp"; _nz = nz; _planeVoxels = (long)ny * nx;
        _stream = new FileStream(_tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _stream.Write(NpyFormat.Header("<i4", nz, ny, nx));
    }

    /// <summary>Number of z planes written so far.</summary>
    public int PlanesWritten => _written;

    /// <summary>Appends the next whole z planes (length a multiple of NY · NX, C order).</summary>
    public void Append(ReadOnlySpan<int> planes)
    {
        var s = _stream ?? throw new InvalidOperationException("the label writer is closed");
        if (planes.Length % _planeVoxels != 0) throw new ArgumentException($"{planes.Length} labels are not whole planes of {_planeVoxels} voxels");
        int n = (int)(planes.Length / _planeVoxels);
        if (_written + n > _nz) throw new InvalidOperationException($"writing {n} more planes would exceed the {_nz} planes of the array");
        if (BitConverter.IsLittleEndian) s.Write(MemoryMarshal.AsBytes(planes));
        else
        {
            var swapped = new int[planes.Length];
            BinaryPrimitives.ReverseEndianness(planes, swapped);
            s.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
        }
        _written += n;
    }

    /// <summary>Flushes, closes and renames the temporary file over the target path.</summary>
    public void Complete()
    {
        var s = _stream ?? throw new InvalidOperationException("the label writer is closed");
        if (_written != _nz) throw new InvalidOperationException($"only {_written} of {_nz} planes were written");
        s.Dispose();
        _stream = null;
        File.Move(_tmp, _path, overwrite: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_stream is null) return;
        _stream.Dispose();
        _stream = null;
        if (File.Exists(_tmp)) File.Delete(_tmp);
    }
}
