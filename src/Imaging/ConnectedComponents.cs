using System.Runtime.CompilerServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Connected-component labelling of a binary (Z, Y, X) mask with 6-, 18- or 26-connectivity (skimage.measure.label
/// connectivity 1, 2, 3). Labels 1..Count are numbered in C (raster) order of each component's first voxel, so ids
/// match skimage's exactly; background is 0.
/// </summary>
/// <remarks>
/// Two-pass algorithm with a union-find over provisional labels. Z-slabs are scanned in parallel; a slab creates
/// provisional labels slabStart + 1, slabStart + 2, … so labels grow in raster order. Unions link the larger root to
/// the smaller, hence each set's root is the label created at the component's first voxel. Slab borders are merged,
/// roots are numbered in order, and a parallel pass writes the final ids.
/// </remarks>
public static class ConnectedComponents
{
    /// <summary>Labels the non-zero voxels of <paramref name="mask"/>. Spacing and origin are kept.</summary>
    public static (Volume<int> Labels, int Count) Label(Volume<byte> mask, int connectivity = 26)
    {
        var pattern = NeighbourPattern(connectivity);
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        int plane = ny * nx;
        var m = mask.Data;
        // Every label is written in the scan (0 for background) and parent only where a label is created.
        var labels = GC.AllocateUninitializedArray<int>(m.Length);
        var parent = GC.AllocateUninitializedArray<int>(m.Length + 1);

        int slabs = Math.Max(1, Math.Min(nz, Environment.ProcessorCount * 4));
        var starts = new int[slabs + 1];
        for (int s = 0; s <= slabs; s++) starts[s] = (int)((long)nz * s / slabs);
        var created = new int[slabs];
        Parallel.For(0, slabs, s => created[s] = ScanSlab(m, labels, parent, ny, nx, starts[s], starts[s + 1], pattern));

        for (int s = 1; s < slabs; s++)
            if (created[s] > 0 && created[s - 1] > 0) MergeSlabBorder(labels, parent, ny, nx, starts[s], pattern);

        // Number the roots in creation (= raster) order. Every parent link points to a smaller label, so visiting
        // labels in increasing order lets parent[l] be replaced by −(final id): a non-root takes its parent's.
        var map = parent;
        int count = 0;
        for (int s = 0; s < slabs; s++)
        {
            int baseLabel = starts[s] * plane;
            for (int l = baseLabel + 1; l <= baseLabel + created[s]; l++)
            {
                int p = parent[l];
                map[l] = p == l ? -(++count) : map[p];
            }
        }
        Parallel.For(0, nz, z =>
        {
            for (int i = z * plane, end = i + plane; i < end; i++)
            {
                int l = labels[i];
                if (l != 0) labels[i] = -map[l];
            }
        });
        return (mask.WithData(labels), count);
    }

    /// <summary>
    /// Earlier neighbours by row: (dz, dy, dxMin, dxMax) for the rows (z−1, y−1), (z−1, y), (z−1, y+1), (z, y−1);
    /// within the current row, voxels are joined as runs.
    /// </summary>
    private static (int Dz, int Dy, int DxMin, int DxMax)[] NeighbourPattern(int connectivity) => connectivity switch
    {
        6 => [(-1, 0, 0, 0), (0, -1, 0, 0)],
        18 => [(-1, -1, 0, 0), (-1, 0, -1, 1), (-1, 1, 0, 0), (0, -1, -1, 1)],
        26 => [(-1, -1, -1, 1), (-1, 0, -1, 1), (-1, 1, -1, 1), (0, -1, -1, 1)],
        _ => throw new ArgumentOutOfRangeException(nameof(connectivity), connectivity, "connectivity must be 6, 18 or 26"),
    };

    private static int ScanSlab(byte[] m, int[] labels, int[] parent, int ny, int nx, int z0, int z1, (int Dz, int Dy, int DxMin, int DxMax)[] pattern)
    {
        int plane = ny * nx;
        int next = z0 * plane;           // provisional labels of this slab: z0·plane + 1 …
        int first = next;
        Span<int> rowBase = stackalloc int[pattern.Length];
        Span<int> dxMin = stackalloc int[pattern.Length];
        Span<int> dxMax = stackalloc int[pattern.Length];
        for (int z = z0; z < z1; z++)
            for (int y = 0; y < ny; y++)
            {
                int rows = 0;
                foreach (var p in pattern)
                {
                    int zz = z + p.Dz, yy = y + p.Dy;
                    if (zz < z0 || (uint)yy >= (uint)ny) continue;   // neighbours before the slab come in the merge
                    rowBase[rows] = (zz * ny + yy) * nx;
                    dxMin[rows] = p.DxMin; dxMax[rows] = p.DxMax;
                    rows++;
                }
                int rowStart = (z * ny + y) * nx;
                var maskRow = m.AsSpan(rowStart, nx);
                var labelRow = labels.AsSpan(rowStart, nx);
                int x = 0;
                while (x < nx)
                {
                    // Background run (vectorised search), then a foreground run [xs, xe].
                    int offset = maskRow[x..].IndexOfAnyExcept((byte)0);
                    int xs = offset < 0 ? nx : x + offset;
                    labelRow[x..xs].Clear();
                    if (xs == nx) break;
                    int runLength = maskRow[xs..].IndexOf((byte)0);
                    int xe = runLength < 0 ? nx - 1 : xs + runLength - 1;
                    // A run is connected along x; its earlier neighbours are columns [xs + dxMin, xe + dxMax] of
                    // each earlier row.
                    int cur = 0;
                    for (int k = 0; k < rows; k++)
                    {
                        int lo = Math.Max(xs + dxMin[k], 0), hi = Math.Min(xe + dxMax[k], nx - 1);
                        var neighbours = labels.AsSpan(rowBase[k] + lo, hi - lo + 1);
                        foreach (int l in neighbours)
                        {
                            if (l == 0 || l == cur) continue;
                            cur = cur == 0 ? l : Union(parent, cur, l);
                        }
                    }
                    if (cur == 0)
                    {
                        cur = ++next;
                        parent[cur] = cur;
                    }
                    labelRow[xs..(xe + 1)].Fill(cur);
                    x = xe + 1;
                }
            }
        return next - first;
    }

    private static void MergeSlabBorder(int[] labels, int[] parent, int ny, int nx, int z, (int Dz, int Dy, int DxMin, int DxMax)[] pattern)
    {
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
            {
                int l = labels[(z * ny + y) * nx + x];
                if (l == 0) continue;
                foreach (var p in pattern)
                {
                    if (p.Dz == 0) continue;
                    int yy = y + p.Dy;
                    if ((uint)yy >= (uint)ny) continue;
                    int b = ((z - 1) * ny + yy) * nx;
                    for (int xx = Math.Max(x + p.DxMin, 0); xx <= Math.Min(x + p.DxMax, nx - 1); xx++)
                    {
                        int o = labels[b + xx];
                        if (o != 0) Union(parent, l, o);
                    }
                }
            }
    }

    /// <summary>Root with path halving.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Find(int[] parent, int l)
    {
        while (parent[l] != l)
        {
            int grandparent = parent[parent[l]];
            parent[l] = grandparent;
            l = grandparent;
        }
        return l;
    }

    /// <summary>Joins the sets of a and b; the smaller root becomes the root. Returns the new root.</summary>
    private static int Union(int[] parent, int a, int b)
    {
        int ra = Find(parent, a), rb = Find(parent, b);
        if (ra == rb) return ra;
        if (ra < rb) { parent[rb] = ra; return ra; }
        parent[ra] = rb;
        return rb;
    }
}
