using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// A 3D structuring element (footprint): a boolean mask of odd shape (2·RZ + 1, 2·RY + 1, 2·RX + 1) in C order,
/// centred on the voxel being processed. Offsets are (dz, dy, dx) voxels from the centre.
/// </summary>
public sealed class StructuringElement
{
    /// <summary>Half-extent along Z in voxels.</summary>
    public int RZ { get; }
    /// <summary>Half-extent along Y in voxels.</summary>
    public int RY { get; }
    /// <summary>Half-extent along X in voxels.</summary>
    public int RX { get; }
    /// <summary>Mask of shape (2·RZ + 1, 2·RY + 1, 2·RX + 1), C order; callers must not modify it.</summary>
    public bool[] Mask { get; }
    /// <summary>Number of voxels in the element.</summary>
    public int Count { get; }
    /// <summary>True when every voxel of the bounding box is in the element.</summary>
    public bool IsFullBox => Count == Mask.Length;

    /// <summary>The element as runs along X: voxels (Dz, Dy, A..B) for each maximal run A ≤ dx ≤ B.</summary>
    internal (int Dz, int Dy, int A, int B)[] Runs { get; }

    private StructuringElement(bool[] mask, int rz, int ry, int rx)
    {
        Mask = mask; RZ = rz; RY = ry; RX = rx;
        int count = 0;
        foreach (var b in mask) if (b) count++;
        if (count == 0) throw new ArgumentException("a structuring element needs at least one voxel");
        Count = count;
        var runs = new List<(int, int, int, int)>();
        int sy = 2 * ry + 1, sx = 2 * rx + 1;
        for (int z = 0; z < 2 * rz + 1; z++)
            for (int y = 0; y < sy; y++)
            {
                int x = 0;
                while (x < sx)
                {
                    if (!mask[(z * sy + y) * sx + x]) { x++; continue; }
                    int start = x;
                    while (x < sx && mask[(z * sy + y) * sx + x]) x++;
                    runs.Add((z - rz, y - ry, start - rx, x - 1 - rx));
                }
            }
        Runs = runs.ToArray();
    }

    /// <summary>
    /// Element from a mask of odd shape (sz, sy, sx), C order, centred. The mask is copied.
    /// </summary>
    public static StructuringElement FromMask(bool[] mask, int sz, int sy, int sx)
    {
        if (sz <= 0 || sy <= 0 || sx <= 0 || sz % 2 == 0 || sy % 2 == 0 || sx % 2 == 0)
            throw new ArgumentException($"structuring element shape must be odd and positive, got ({sz}, {sy}, {sx})");
        if (mask.Length != sz * sy * sx) throw new ArgumentException($"mask length {mask.Length} does not match shape ({sz}, {sy}, {sx})");
        return new StructuringElement((bool[])mask.Clone(), sz / 2, sy / 2, sx / 2);
    }

    /// <summary>
    /// Ball of radius <paramref name="radiusUm"/> µm on a grid of the given spacing: the offsets whose physical
    /// distance satisfies (dz·sz)² + (dy·sy)² + (dx·sx)² ≤ r². Half-extents are floor(r / spacing) voxels.
    /// </summary>
    public static StructuringElement Ball(double radiusUm, Spacing spacing)
    {
        spacing.Validated();
        if (!(radiusUm >= 0) || !double.IsFinite(radiusUm)) throw new ArgumentOutOfRangeException(nameof(radiusUm), radiusUm, "radius must be a finite value ≥ 0 µm");
        int rz = HalfExtent(radiusUm, spacing.Z), ry = HalfExtent(radiusUm, spacing.Y), rx = HalfExtent(radiusUm, spacing.X);
        int sy = 2 * ry + 1, sx = 2 * rx + 1;
        var mask = new bool[(2 * rz + 1) * sy * sx];
        double r2 = radiusUm * radiusUm;
        for (int dz = -rz; dz <= rz; dz++)
            for (int dy = -ry; dy <= ry; dy++)
                for (int dx = -rx; dx <= rx; dx++)
                {
                    double a = dz * spacing.Z, b = dy * spacing.Y, c = dx * spacing.X;
                    mask[((dz + rz) * sy + dy + ry) * sx + dx + rx] = a * a + b * b + c * c <= r2;
                }
        return new StructuringElement(mask, rz, ry, rx);
    }

    /// <summary>Ball of radius <paramref name="radius"/> voxels (skimage.morphology.ball).</summary>
    public static StructuringElement Ball(int radius) => Ball(radius, Spacing.Isotropic(1));

    /// <summary>Full box of half-extents (rz, ry, rx) voxels, i.e. size (2rz + 1, 2ry + 1, 2rx + 1).</summary>
    public static StructuringElement Box(int rz, int ry, int rx)
    {
        if (rz < 0 || ry < 0 || rx < 0) throw new ArgumentException($"box half-extents must be ≥ 0, got ({rz}, {ry}, {rx})");
        var mask = new bool[(2 * rz + 1) * (2 * ry + 1) * (2 * rx + 1)];
        Array.Fill(mask, true);
        return new StructuringElement(mask, rz, ry, rx);
    }

    /// <summary>Cube of side 2·radius + 1 voxels.</summary>
    public static StructuringElement Cube(int radius) => Box(radius, radius, radius);

    /// <summary>
    /// The 3×3×3 neighbourhood of a connectivity: 6 (faces), 18 (faces and edges) or 26 (full cube), as
    /// scipy.ndimage.generate_binary_structure(3, 1 | 2 | 3).
    /// </summary>
    public static StructuringElement Connectivity(int connectivity)
    {
        int maxSum = connectivity switch
        {
            6 => 1,
            18 => 2,
            26 => 3,
            _ => throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "connectivity must be 6, 18 or 26"),
        };
        var mask = new bool[27];
        for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    mask[((dz + 1) * 3 + dy + 1) * 3 + dx + 1] = Math.Abs(dz) + Math.Abs(dy) + Math.Abs(dx) <= maxSum;
        return new StructuringElement(mask, 1, 1, 1);
    }

    /// <summary>The point reflection through the centre (offset s becomes −s).</summary>
    public StructuringElement Reflected()
    {
        var m = new bool[Mask.Length];
        for (int i = 0; i < m.Length; i++) m[i] = Mask[Mask.Length - 1 - i];
        return new StructuringElement(m, RZ, RY, RX);
    }

    /// <summary>Offsets (dz, dy, dx) of the element's voxels in C order.</summary>
    public (int Dz, int Dy, int Dx)[] Offsets()
    {
        var list = new (int, int, int)[Count];
        int k = 0;
        foreach (var (dz, dy, a, b) in Runs)
            for (int dx = a; dx <= b; dx++) list[k++] = (dz, dy, dx);
        return list;
    }

    private static int HalfExtent(double radiusUm, double spacing)
    {
        double r = Math.Floor(radiusUm / spacing);
        if (r > 512) throw new ArgumentOutOfRangeException(nameof(radiusUm), radiusUm, $"ball radius is {r} voxels along an axis; at most 512 are supported");
        return (int)r;
    }
}
