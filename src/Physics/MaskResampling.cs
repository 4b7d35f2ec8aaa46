using ShapeStudy.Core;

namespace ShapeStudy.Physics;

/// <summary>Resampling of binary masks into simulation domains.</summary>
public static class MaskResampling
{
    /// <summary>
    /// Limits the foreground of <paramref name="mask"/> to at most <paramref name="maxVoxels"/> voxels and makes it
    /// connected. When the foreground is larger, the mask is block-averaged by the smallest integer factor f (the same on
    /// all axes; blocks reaching past the grid count the missing voxels as background) for which the number of blocks with
    /// foreground fraction ≥ 0.5 is ≤ <paramref name="maxVoxels"/>; the result has spacing × f and its origin at the centre
    /// of the first block. In every case only the largest 6-connected foreground component is kept (ties: the one
    /// containing the lowest flat index). When no coarsening is needed and the foreground is already 6-connected, the input
    /// instance itself is returned.
    /// </summary>
    /// <param name="mask">Binary mask (Z, Y, X); non-zero = foreground.</param>
    /// <param name="maxVoxels">Maximum number of foreground voxels, ≥ 1.</param>
    /// <returns>A 0/1 mask (Z', Y', X').</returns>
    /// <exception cref="ArgumentException">Empty foreground, non-positive maxVoxels, or a structure too thin to survive coarsening.</exception>
    public static Volume<byte> CoarsenToMaxVoxels(Volume<byte> mask, int maxVoxels)
    {
        if (maxVoxels < 1) throw new ArgumentException($"maxVoxels must be >= 1, got {maxVoxels}", nameof(maxVoxels));
        int count = 0;
        foreach (var b in mask.Data) if (b != 0) count++;
        if (count == 0) throw new ArgumentException("mask has no foreground voxels", nameof(mask));
        if (count <= maxVoxels)
        {
            var (largest, size) = LargestComponent(mask);
            return size == count && IsBinary(mask.Data) ? mask : largest;
        }
        for (int f = 2; ; f++)
        {
            var coarse = Coarsen(mask, f, out int kept);
            if (kept == 0)
                throw new ArgumentException($"mask foreground ({count} voxels) is too thin: block-averaging by {f} to reach at most {maxVoxels} voxels leaves nothing", nameof(mask));
            if (kept <= maxVoxels) return LargestComponent(coarse).Mask;
        }
    }

    /// <summary>Block average by <paramref name="f"/>: a block is foreground when at least half of its f³ voxels are.</summary>
    private static Volume<byte> Coarsen(Volume<byte> mask, int f, out int kept)
    {
        int nz = (mask.NZ + f - 1) / f, ny = (mask.NY + f - 1) / f, nx = (mask.NX + f - 1) / f;
        var sums = new int[nz * ny * nx];
        var d = mask.Data;
        for (int z = 0; z < mask.NZ; z++)
        {
            int cz = z / f;
            for (int y = 0; y < mask.NY; y++)
            {
                int rowC = (cz * ny + y / f) * nx, row = (z * mask.NY + y) * mask.NX;
                for (int x = 0; x < mask.NX; x++) if (d[row + x] != 0) sums[rowC + x / f]++;
            }
        }
        int need = f * f * f; // keep when 2·sum ≥ f³
        var outData = new byte[sums.Length];
        kept = 0;
        for (int i = 0; i < sums.Length; i++)
            if (2 * sums[i] >= need) { outData[i] = 1; kept++; }
        var s = mask.Spacing;
        double shift = 0.5 * (f - 1);
        var origin = (mask.Origin.Z + shift * s.Z, mask.Origin.Y + shift * s.Y, mask.Origin.X + shift * s.X);
        return new Volume<byte>(nz, ny, nx, new Spacing(s.Z * f, s.Y * f, s.X * f), outData, origin);
    }

    private static bool IsBinary(byte[] d)
    {
        foreach (var b in d) if (b > 1) return false;
        return true;
    }

    /// <summary>The largest 6-connected foreground component as a new 0/1 mask, and its voxel count.</summary>
    internal static (Volume<byte> Mask, int Size) LargestComponent(Volume<byte> mask)
    {
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        var d = mask.Data;
        var label = new int[d.Length];
        var stack = new Stack<int>();
        int bestLabel = 0, bestSize = 0, next = 0;
        for (int start = 0; start < d.Length; start++)
        {
            if (d[start] == 0 || label[start] != 0) continue;
            next++;
            int size = 0;
            label[start] = next;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop();
                size++;
                int x = i % nx, y = i / nx % ny, z = i / (nx * ny);
                if (x > 0) Visit(i - 1);
                if (x < nx - 1) Visit(i + 1);
                if (y > 0) Visit(i - nx);
                if (y < ny - 1) Visit(i + nx);
                if (z > 0) Visit(i - nx * ny);
                if (z < nz - 1) Visit(i + nx * ny);
            }
            if (size > bestSize) { bestSize = size; bestLabel = next; }
        }
        var outData = new byte[d.Length];
        for (int i = 0; i < d.Length; i++) if (label[i] == bestLabel && bestLabel != 0) outData[i] = 1;
        return (mask.WithData(outData), bestSize);

        void Visit(int j)
        {
            if (d[j] != 0 && label[j] == 0) { label[j] = next; stack.Push(j); }
        }
    }
}
