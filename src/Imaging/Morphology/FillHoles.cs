using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Hole filling in 3D with the semantics of scipy.ndimage.binary_fill_holes: a background voxel is a hole unless it
/// is connected to the volume's border through background voxels, with <c>backgroundConnectivity</c> 6 (scipy's
/// default structure), 18 or 26.
/// </summary>
public static class FillHoles
{
    /// <summary>
    /// Fills the holes of a binary mask (non-zero = object). Returns a 0/1 mask with the same shape, spacing and
    /// origin.
    /// </summary>
    public static Volume<byte> Fill(Volume<byte> mask, int backgroundConnectivity = 6)
    {
        var src = mask.Data;
        var background = new byte[src.Length];
        for (int i = 0; i < src.Length; i++) background[i] = src[i] == 0 ? (byte)1 : (byte)0;
        var (components, count) = ConnectedComponents.Label(mask.WithData(background), backgroundConnectivity);
        var outside = new bool[count + 1];
        int nz = mask.NZ, ny = mask.NY, nx = mask.NX;
        var c = components.Data;
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                if (z == 0 || z == nz - 1 || y == 0 || y == ny - 1)
                    for (int x = 0; x < nx; x++) outside[c[row + x]] = true;
                else
                {
                    outside[c[row]] = true;
                    outside[c[row + nx - 1]] = true;
                }
            }
        var dst = new byte[src.Length];
        Parallel.For(0, nz, z =>
        {
            int plane = ny * nx;
            for (int i = z * plane, end = i + plane; i < end; i++)
                dst[i] = (byte)(src[i] != 0 || !outside[c[i]] ? 1 : 0);
        });
        return mask.WithData(dst);
    }

    /// <summary>
    /// Fills the holes of every object of a label volume (labels ≥ 0, 0 = background): for label l, the holes are
    /// those of binary_fill_holes(labels == l); only background voxels are written, other objects are never
    /// overwritten. A background voxel inside the holes of several (nested) objects takes the innermost one, i.e.
    /// the object whose filled extent is smallest. Returns the new volume; spacing and origin are kept. Work is
    /// proportional to the sum of the objects' bounding-box volumes; memory for bookkeeping grows with the largest
    /// label value.
    /// </summary>
    public static Volume<int> FillLabels(Volume<int> labels, int backgroundConnectivity = 6)
    {
        var offsets = ConnectivityOffsets(backgroundConnectivity);
        int nz = labels.NZ, ny = labels.NY, nx = labels.NX;
        var src = labels.Data;
        int max = 0;
        foreach (var l in src)
        {
            if (l < 0) throw new ArgumentException($"label volume holds the negative label {l}");
            if (l > max) max = l;
        }
        // Bounding boxes.
        var lo = new (int Z, int Y, int X)[max + 1];
        var hi = new (int Z, int Y, int X)[max + 1];
        Array.Fill(lo, (int.MaxValue, int.MaxValue, int.MaxValue));
        Array.Fill(hi, (-1, -1, -1));
        for (int z = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
            {
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    int l = src[row + x];
                    if (l == 0) continue;
                    ref var a = ref lo[l];
                    ref var b = ref hi[l];
                    if (z < a.Z) a.Z = z;
                    if (y < a.Y) a.Y = y;
                    if (x < a.X) a.X = x;
                    if (z > b.Z) b.Z = z;
                    if (y > b.Y) b.Y = y;
                    if (x > b.X) b.X = x;
                }
            }
        var present = Enumerable.Range(1, max).Where(l => hi[l].Z >= 0).ToArray();
        var holes = new int[present.Length][];
        var extent = new long[present.Length];
        Parallel.For(0, present.Length, k =>
        {
            int l = present[k];
            (holes[k], extent[k]) = HolesOf(src, ny, nx, l, lo[l], hi[l], offsets);
        });
        var dst = (int[])src.Clone();
        var order = Enumerable.Range(0, present.Length).OrderByDescending(k => extent[k]).ThenBy(k => present[k]).ToArray();
        foreach (int k in order)
            foreach (int i in holes[k]) dst[i] = present[k];
        return labels.WithData(dst);
    }

    /// <summary>
    /// Holes of label l inside its bounding box (padded by one voxel of outside): flood from the padded box border
    /// through voxels ≠ l; the unreached voxels ≠ l are holes. Returns the flat indices of the holes that are
    /// background in the full volume and the filled extent (object + all hole voxels).
    /// </summary>
    private static (int[] Holes, long Extent) HolesOf(int[] src, int ny, int nx, int l, (int Z, int Y, int X) lo, (int Z, int Y, int X) hi, (int Dz, int Dy, int Dx)[] offsets)
    {
        int cz = hi.Z - lo.Z + 3, cy = hi.Y - lo.Y + 3, cx = hi.X - lo.X + 3;
        var state = new byte[cz * cy * cx];   // 1 = object, 2 = reached outside
        long objectVoxels = 0;
        for (int z = 1; z < cz - 1; z++)
            for (int y = 1; y < cy - 1; y++)
            {
                int srcRow = ((z - 1 + lo.Z) * ny + (y - 1 + lo.Y)) * nx + lo.X - 1;
                int row = (z * cy + y) * cx;
                for (int x = 1; x < cx - 1; x++)
                    if (src[srcRow + x] == l) { state[row + x] = 1; objectVoxels++; }
            }
        var stack = new Stack<int>();
        for (int z = 0; z < cz; z++)
            for (int y = 0; y < cy; y++)
                for (int x = 0; x < cx; x++)
                {
                    if (z != 0 && z != cz - 1 && y != 0 && y != cy - 1 && x != 0 && x != cx - 1) continue;
                    int i = (z * cy + y) * cx + x;
                    state[i] = 2;
                    stack.Push(i);
                }
        int plane = cy * cx;
        while (stack.Count > 0)
        {
            int i = stack.Pop();
            int z = i / plane, r = i - z * plane, y = r / cx, x = r - y * cx;
            foreach (var (dz, dy, dx) in offsets)
            {
                int zz = z + dz, yy = y + dy, xx = x + dx;
                if ((uint)zz >= (uint)cz || (uint)yy >= (uint)cy || (uint)xx >= (uint)cx) continue;
                int j = (zz * cy + yy) * cx + xx;
                if (state[j] != 0) continue;
                state[j] = 2;
                stack.Push(j);
            }
        }
        var holes = new List<int>();
        long holeVoxels = 0;
        for (int z = 1; z < cz - 1; z++)
            for (int y = 1; y < cy - 1; y++)
            {
                int srcRow = ((z - 1 + lo.Z) * ny + (y - 1 + lo.Y)) * nx + lo.X - 1;
                int row = (z * cy + y) * cx;
                for (int x = 1; x < cx - 1; x++)
                {
                    if (state[row + x] != 0) continue;
                    holeVoxels++;
                    if (src[srcRow + x] == 0) holes.Add(srcRow + x);
                }
            }
        return (holes.ToArray(), objectVoxels + holeVoxels);
    }

    private static (int, int, int)[] ConnectivityOffsets(int connectivity)
    {
        var se = StructuringElement.Connectivity(connectivity);
        return se.Offsets().Where(o => o != (0, 0, 0)).ToArray();
    }
}
