using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Connected-component labelling of a binary (Z, Y, X) mask with 6-, 18- or 26-connectivity (skimage.measure.label
/// connectivity 1, 2, 3). Labels 1..Count are numbered in C (raster) order of each component's first voxel, so ids
/// match skimage's exactly; background is 0.
/// </summary>
/// <remarks>
/// Two-pass union-find over voxel indices: z-slabs are labelled in parallel (each root is the smallest voxel index
/// of its set, links always go from the larger root to the smaller), slab borders are merged, and a raster pass
/// numbers the roots.
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Labels the non-zero voxels of <paramref name="mask"/>. Spacing and origin are kept.</summary>
    public static (Volume<int> Labels, int Count) Label(Volume<byte> mask, int connectivity = 26)
    {
        var offsets = BackwardOffsets(connectivity);
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        int plane = ny * nx;
        var m = mask.Data;
        var parent = new int[m.Length];

        int slabs = Math.Max(1, Math.Min(nz, Environment.ProcessorCount * 2));
        var starts = new int[slabs + 1];
        for (int s = 0; s <= slabs; s++) starts[s] = (int)((long)nz * s / slabs);

        Parallel.For(0, slabs, s => ScanSlab(m, parent, ny, nx, starts[s], starts[s + 1], starts[s], offsets));
        for (int s = 1; s < slabs; s++)
        {
            int z = starts[s];
            // Only the links reaching into plane z-1 were skipped inside the slab.
            MergePlane(m, parent, ny, nx, z, offsets);
        }

        var labels = new int[m.Length];
        int count = 0;
        for (int i = 0; i < m.Length; i++)
        {
            if (m[i] == 0) continue;
            int root = Find(parent, i);
            if (root == i) labels[i] = ++count;
            else labels[i] = labels[root];
        }
        return (mask.WithData(labels), count);
    }

    private readonly record struct Offset(int Dz, int Dy, int Dx);

    /// <summary>Neighbours visited before the current voxel in raster order.</summary>
    private static Offset[] BackwardOffsets(int connectivity)
    {
        if (connectivity is not (6 or 18 or 26))
            throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "connectivity must be 6, 18 or 26");
        int maxManhattan = connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3;
        var list = new List<Offset>();
        for (int dz = -1; dz <= 0; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0))) continue;
                    if (Math.Abs(dz) + Math.Abs(dy) + Math.Abs(dx) > maxManhattan) continue;
                    list.Add(new Offset(dz, dy, dx));
                }
        return [.. list];
    }

    private static void ScanSlab(byte[] m, int[] parent, int ny, int nx, int z0, int z1, int zMin, Offset[] offsets)
    {
        int plane = ny * nx;
        for (int z = z0; z < z1; z++)
            for (int y = 0; y < ny; y++)
            {
                int rowStart = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    int i = rowStart + x;
                    if (m[i] == 0) continue;
                    int root = i;
                    parent[i] = i;
                    foreach (var o in offsets)
                    {
                        int zz = z + o.Dz, yy = y + o.Dy, xx = x + o.Dx;
                        if (zz < zMin || (uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                        int j = i + o.Dz * plane + o.Dy * nx + o.Dx;
                        if (m[j] == 0) continue;
                        root = Union(parent, root, j);
                    }
                }
            }
    }

    private static void MergePlane(byte[] m, int[] parent, int ny, int nx, int z, Offset[] offsets)
    {
        int plane = ny * nx;
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
            {
                int i = (z * ny + y) * nx + x;
                if (m[i] == 0) continue;
                foreach (var o in offsets)
                {
                    if (o.Dz == 0) continue;
                    int yy = y + o.Dy, xx = x + o.Dx;
                    if ((uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                    int j = i - plane + o.Dy * nx + o.Dx;
                    if (m[j] != 0) Union(parent, i, j);
                }
            }
    }

    /// <summary>Root with path halving.</summary>
    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i)
        {
            int p = parent[i];
            parent[i] = parent[p];
            i = parent[i];
        }
        return i;
    }

    /// <summary>Joins the sets of a and b; the smaller root index becomes the root. Returns the new root.</summary>
    private static int Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return ra;
        if (ra < rb) { parent[rb] = ra; return ra; }
        parent[ra] = rb;
        return rb;
    }
}
