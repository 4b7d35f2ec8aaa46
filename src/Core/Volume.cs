namespace ShapeStudy.Core;

/// <summary>Physical voxel size in µm along (Z, Y, X).</summary>
public readonly record struct Spacing(double Z, double Y, double X)
{
    /// <summary>Isotropic spacing of <paramref name="um"/> µm.</summary>
    public static Spacing Isotropic(double um) => new(um, um, um);

    /// <summary>Voxel volume in µm³.</summary>
    public double VoxelVolume => Z * Y * X;

    /// <summary>Throws when any component is not a positive finite number.</summary>
    public Spacing Validated()
    {
        if (!(Z > 0 && Y > 0 && X > 0) || !double.IsFinite(Z) || !double.IsFinite(Y) || !double.IsFinite(X))
            throw new ArgumentException($"spacing must be positive and finite, got (z={Z}, y={Y}, x={X}) µm");
        return this;
    }

    public override string ToString() => FormattableString.Invariant($"(z={Z}, y={Y}, x={X}) µm");
}

/// <summary>
/// A dense 3D scalar field stored in C order with shape (Z, Y, X): index = (z * NY + y) * NX + x.
/// <see cref="Spacing"/> is the voxel size in µm; <see cref="Origin"/> is the physical position (µm, as z, y, x)
/// of voxel (0, 0, 0)'s centre.
/// </summary>
public sealed class Volume<T> where T : unmanaged
{
    public int NZ { get; }
    public int NY { get; }
    public int NX { get; }
    public T[] Data { get; }
    public Spacing Spacing { get; }
    public (double Z, double Y, double X) Origin { get; }

    public Volume(int nz, int ny, int nx, Spacing spacing, T[]? data = null, (double Z, double Y, double X) origin = default)
    {
        if (nz <= 0 || ny <= 0 || nx <= 0) throw new ArgumentException($"volume shape must be positive, got ({nz}, {ny}, {nx})");
        long n = (long)nz * ny * nx;
        if (n > Array.MaxLength) throw new ArgumentException($"volume of {n} voxels exceeds the in-memory limit");
        NZ = nz; NY = ny; NX = nx;
        Spacing = spacing.Validated();
        Data = data ?? new T[n];
        if (Data.Length != n) throw new ArgumentException($"data length {Data.Length} does not match shape ({nz}, {ny}, {nx})");
        Origin = origin;
    }

    /// <summary>Number of voxels.</summary>
    public int Length => Data.Length;

    /// <summary>Flat C-order index of (z, y, x).</summary>
    public int Index(int z, int y, int x) => (z * NY + y) * NX + x;

    public ref T this[int z, int y, int x] => ref Data[(z * NY + y) * NX + x];

    /// <summary>True when (z, y, x) lies inside the grid.</summary>
    public bool Contains(int z, int y, int x) => (uint)z < (uint)NZ && (uint)y < (uint)NY && (uint)x < (uint)NX;

    /// <summary>A new volume of the same shape, spacing and origin with the given data.</summary>
    public Volume<TOut> WithData<TOut>(TOut[] data) where TOut : unmanaged => new(NZ, NY, NX, Spacing, data, Origin);

    /// <summary>Shape as (Z, Y, X).</summary>
    public (int Z, int Y, int X) Shape => (NZ, NY, NX);
}
