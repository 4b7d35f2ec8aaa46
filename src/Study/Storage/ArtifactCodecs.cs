using System.IO.Compression;
using ShapeStudy.Core;

namespace ShapeStudy.Study.Storage;

/// <summary>
/// Binary encodings of the artifacts that flow between stages: binary masks (<see cref="Volume{T}"/> of bytes with
/// spacing and origin) and triangle meshes. Little-endian, versioned, deflate-compressed; decoding validates sizes.
/// </summary>
public static class ArtifactCodecs
{
    private const int MaskMagic = 0x4B53414D;  // "MASK"
    private const int MeshMagic = 0x4853454D;  // "MESH"
    private const int Version = 1;

    public static byte[] EncodeMask(Volume<byte> mask)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(z))
        {
            w.Write(MaskMagic); w.Write(Version);
            w.Write(mask.NZ); w.Write(mask.NY); w.Write(mask.NX);
            w.Write(mask.Spacing.Z); w.Write(mask.Spacing.Y); w.Write(mask.Spacing.X);
            w.Write(mask.Origin.Z); w.Write(mask.Origin.Y); w.Write(mask.Origin.X);
            w.Write(mask.Data);
        }
        return ms.ToArray();
    }

    public static Volume<byte> DecodeMask(byte[] bytes)
    {
        using var r = Reader(bytes, MaskMagic, "mask");
        int nz = r.ReadInt32(), ny = r.ReadInt32(), nx = r.ReadInt32();
        var spacing = new Spacing(r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        var origin = (r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        long n = (long)nz * ny * nx;
        if (nz <= 0 || ny <= 0 || nx <= 0 || n > Array.MaxLength) throw new InvalidDataException($"mask artifact has invalid shape ({nz}, {ny}, {nx})");
        var data = r.ReadBytes((int)n);
        if (data.Length != n) throw new InvalidDataException("mask artifact is truncated");
        return new Volume<byte>(nz, ny, nx, spacing, data, origin);
    }

    public static byte[] EncodeMesh(TriangleMesh mesh)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(z))
        {
            w.Write(MeshMagic); w.Write(Version);
            w.Write(mesh.Vertices.Length); w.Write(mesh.Triangles.Length);
            foreach (var v in mesh.Vertices) w.Write(v);
            foreach (var t in mesh.Triangles) w.Write(t);
        }
        return ms.ToArray();
    }

    public static TriangleMesh DecodeMesh(byte[] bytes)
    {
        using var r = Reader(bytes, MeshMagic, "mesh");
        int nv = r.ReadInt32(), nt = r.ReadInt32();
        if (nv < 0 || nt < 0 || nv % 3 != 0 || nt % 3 != 0) throw new InvalidDataException("mesh artifact has invalid sizes");
        var v = new double[nv];
        for (int i = 0; i < nv; i++) v[i] = r.ReadDouble();
        var t = new int[nt];
        for (int i = 0; i < nt; i++) t[i] = r.ReadInt32();
        return new TriangleMesh(v, t);
    }

    private static BinaryReader Reader(byte[] bytes, int magic, string what)
    {
        var r = new BinaryReader(new ZLibStream(new MemoryStream(bytes), CompressionMode.Decompress));
        try
        {
            if (r.ReadInt32() != magic) throw new InvalidDataException($"artifact is not a {what}");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{what} artifact version {version} is not supported (expected {Version})");
            return r;
        }
        catch (EndOfStreamException)
        {
            r.Dispose();
            throw new InvalidDataException($"{what} artifact is truncated");
        }
    }
}
