using System.Numerics;
using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>One object's surface extracted by <see cref="LabelSurfaces.Extract{T}"/>, or the reason it has none.</summary>
/// <param name="Label">Label value of the object.</param>
/// <param name="VoxelCount">Voxels carrying the label.</param>
/// <param name="VoxelVolume">VoxelCount × voxel volume, µm³.</param>
/// <param name="Mesh">The closed surface (µm, outward normals), or null when <see cref="Error"/> is set.</param>
/// <param name="EnclosedVolume">Signed volume enclosed by <see cref="Mesh"/>, µm³ (0 without a mesh).</param>
/// <param name="Area">Surface area, µm² (0 without a mesh).</param>
/// <param name="Topology">Edge topology and Euler characteristic of <see cref="Mesh"/> (default without a mesh).</param>
/// <param name="Error">Why no mesh was produced (e.g. the label has no voxels), else null.</param>
public sealed record LabelSurface(int Label, long VoxelCount, double VoxelVolume, TriangleMesh? Mesh, double EnclosedVolume,
    double Area, SurfaceCheckReport Topology, string? Error)
{
    /// <summary>(EnclosedVolume − VoxelVolume) / VoxelVolume; NaN without a mesh.</summary>
    public double VolumeError => Mesh is null || VoxelVolume == 0 ? double.NaN : (EnclosedVolume - VoxelVolume) / VoxelVolume;

    /// <summary>Euler characteristic V − E + F of the surface (2 per sphere-like component); 0 without a mesh.</summary>
    public int EulerCharacteristic => Topology.EulerCharacteristic;

    /// <summary>A mesh exists, it is watertight (closed, edge-manifold, consistently oriented) and encloses positive volume.</summary>
    public bool IsValid => Mesh is not null && Topology.IsWatertight && EnclosedVolume > 0;
}

/// <summary>One closed surface per object of a label volume.</summary>
public static class LabelSurfaces
{
    /// <summary>
    /// Extracts one surface per label of <paramref name="labels"/> (shape (Z, Y, X); 0 = background), in parallel over
    /// labels. Each object's bounding box is cropped (the extractor pads it by one background voxel on every side, so the
    /// surface is closed even where the object touches the volume's edge) and meshed with
    /// <see cref="MarchingCubes.Extract"/>: watertight, edge-manifold, outward, with the relaxed vertices constrained to
    /// enclose exactly the voxel-count volume. Vertices are in µm in the volume's frame (its origin and spacing).
    /// </summary>
    /// <param name="labels">Label volume (Z, Y, X).</param>
    /// <param name="only">Labels to mesh (in this order); null = every label present, ascending. A requested label
    /// with no voxels gives an entry with an <see cref="LabelSurface.Error"/>, as does any failure of one object;
    /// the call itself does not throw for per-object problems.</param>
    /// <param name="relaxationIterations">Relaxation rounds passed to <see cref="MarchingCubes.Extract"/>.</param>
    public static IReadOnlyList<LabelSurface> Extract<T>(Volume<T> labels, IReadOnlyList<int>? only = null,
        int relaxationIterations = MarchingCubes.DefaultRelaxationIterations) where T : unmanaged, IBinaryInteger<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(relaxationIterations);
        var boxes = Boxes(labels);
        var order = only is null ? boxes.Keys.Order().ToArray() : only.ToArray();
        var result = new LabelSurface[order.Length];
        double voxel = labels.Spacing.VoxelVolume;
        Parallel.For(0, order.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            int label = order[i];
            if (label == 0) { result[i] = Failed(label, 0, voxel, "label 0 is the background"); return; }
            if (!boxes.TryGetValue(label, out var box)) { result[i] = Failed(label, 0, voxel, $"label {label} has no voxels"); return; }
            try
            {
                var mask = Crop(labels, T.CreateTruncating(label), box);
                var mesh = MarchingCubes.Extract(mask, relaxationIterations);
                var topology = SurfaceCheck.Of(mesh);
                result[i] = new LabelSurface(label, box.Count, box.Count * voxel, mesh, mesh.SignedVolume(), mesh.Area(), topology, null);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OutOfMemoryException)
            {
                result[i] = Failed(label, box.Count, voxel, $"label {label}: {ex.Message}");
            }
        });
        return result;
    }

    private static LabelSurface Failed(int label, long count, double voxel, string why) =>
        new(label, count, count * voxel, null, 0, 0, default, why);

    internal sealed class Box
    {
        public int Z0 = int.MaxValue, Y0 = int.MaxValue, X0 = int.MaxValue, Z1 = -1, Y1 = -1, X1 = -1;
        public long Count;
    }

    /// <summary>Bounding box (inclusive) and voxel count of every non-zero label.</summary>
    private static Dictionary<int, Box> Boxes<T>(Volume<T> labels) where T : unmanaged, IBinaryInteger<T>
    {
        var boxes = new Dictionary<int, Box>();
        var d = labels.Data;
        int nz = labels.NZ, ny = labels.NY, nx = labels.NX;
        Box? last = null;
        int lastLabel = 0;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    T v = d[row + x];
                    if (T.IsZero(v)) continue;
                    int label = int.CreateChecked(v);
                    if (label != lastLabel || last is null)
                    {
                        if (!boxes.TryGetValue(label, out last)) boxes[label] = last = new Box();
                        lastLabel = label;
                    }
                    last.Count++;
                    if (z < last.Z0) last.Z0 = z;
                    if (z > last.Z1) last.Z1 = z;
                    if (y < last.Y0) last.Y0 = y;
                    if (y > last.Y1) last.Y1 = y;
                    if (x < last.X0) last.X0 = x;
                    if (x > last.X1) last.X1 = x;
                }
            }
        return boxes;
    }

    private static Volume<byte> Crop<T>(Volume<T> labels, T label, Box b) where T : unmanaged, IBinaryInteger<T>
    {
        int nz = b.Z1 - b.Z0 + 1, ny = b.Y1 - b.Y0 + 1, nx = b.X1 - b.X0 + 1;
        var data = new byte[(long)nz * ny * nx];
        var src = labels.Data;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int s = ((z + b.Z0) * labels.NY + y + b.Y0) * labels.NX + b.X0, t = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++) if (src[s + x] == label) data[t + x] = 1;
            }
        var sp = labels.Spacing;
        var (oz, oy, ox) = labels.Origin;
        return new Volume<byte>(nz, ny, nx, sp, data, (oz + b.Z0 * sp.Z, oy + b.Y0 * sp.Y, ox + b.X0 * sp.X));
    }
}
