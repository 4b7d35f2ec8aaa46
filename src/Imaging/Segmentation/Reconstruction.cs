using System.Runtime.CompilerServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>Grey-level morphological reconstruction (skimage.morphology.reconstruction semantics).</summary>
public static class Reconstruction
{
    /// <summary>
    /// Reconstruction by dilation of <paramref name="seed"/> under <paramref name="mask"/> (both (Z, Y, X), same
    /// shape, seed ≤ mask everywhere): the largest image ≤ mask obtained by repeatedly dilating the seed with the
    /// 6-, 18- or 26-neighbourhood (skimage's default footprint is the 3×3×3 cube = 26). Result values are seed or
    /// mask values exactly. Vincent's (1993) hybrid algorithm: a forward and a backward raster scan, then a FIFO
    /// queue propagates what the scans missed.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, seed exceeds mask somewhere, or a value is NaN.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Volume<float> ByDilation(Volume<float> seed, Volume<float> mask, int connectivity = 26)
    {
        Neighbourhood.Validate(connectivity);
        if (seed.Shape != mask.Shape) throw new ArgumentException($"seed shape {seed.Shape} differs from mask shape {mask.Shape}");
        var I = mask.Data;
        var J = (float[])seed.Data.Clone();
        float minMask = float.PositiveInfinity, maxSeed = float.NegativeInfinity;
        for (int i = 0; i < J.Length; i++)
        {
            if (!(J[i] <= I[i])) throw new ArgumentException(float.IsNaN(J[i]) || float.IsNaN(I[i])
                ? "seed or mask holds NaN"
                : $"seed ({J[i]}) exceeds mask ({I[i]}) at flat index {i}; reconstruction by dilation needs seed ≤ mask");
            if (I[i] < minMask) minMask = I[i];
            if (J[i] > maxSeed) maxSeed = J[i];
        }
        // Every path to a voxel runs through values ≥ min(mask), so when the highest seed reaches min(mask) the result
        // is ≥ min(mask) everywhere: start from that bound. Voxels at min(mask) are then final and can raise nobody,
        // which lets the scans skip them (typically the whole background of a distance map).
        float floor = float.NegativeInfinity;
        if (maxSeed >= minMask)
        {
            floor = minMask;
            for (int i = 0; i < J.Length; i++) if (J[i] < floor) J[i] = floor;
        }
        int nz = seed.NZ, ny = seed.NY, nx = seed.NX, plane = ny * nx;
        var earlier = Neighbourhood.Earlier(connectivity);
        var later = Neighbourhood.Later(connectivity);
        var all = Neighbourhood.WatershedOrder(connectivity);
        var allFlat = Flat(all, ny, nx);

        // The raster scans run on z-slabs in parallel, each ignoring neighbours in other slabs; the voxels of every
        // slab's first and last plane are queued as well, so the propagation repairs whatever crosses slab borders.
        int slabs = Math.Max(1, Math.Min(Environment.ProcessorCount, nz / 4));
        var queues = new List<int>[slabs];
        Parallel.For(0, slabs, s =>
        {
            int z0 = (int)((long)nz * s / slabs), z1 = (int)((long)nz * (s + 1) / slabs);
            var q = new List<int>();
            Scans(J, I, ny, nx, z0, z1, earlier, later, floor, q);
            if (slabs > 1)
            {
                for (int i = z0 * plane; i < (z0 + 1) * plane; i++) q.Add(i);
                if (z1 - 1 > z0) for (int i = (z1 - 1) * plane; i < z1 * plane; i++) q.Add(i);
            }
            queues[s] = q;
        });
        var queue = new IntQueue(1024);
        foreach (var q in queues) foreach (int p in q) queue.Enqueue(p);

        // Propagation.
        while (queue.Count > 0)
        {
            int p = queue.Dequeue();
            float v = J[p];
            if (v <= floor) continue;   // raises nobody
            int z = p / plane, r = p - z * plane, y = r / nx, x = r - y * nx;
            bool interior = z > 0 && y > 0 && x > 0 && z < nz - 1 && y < ny - 1 && x < nx - 1;
            for (int k = 0; k < all.Length; k++)
            {
                int q;
                if (interior) q = p + allFlat[k];
                else
                {
                    int zz = z + all[k].Dz, yy = y + all[k].Dy, xx = x + all[k].Dx;
                    if ((uint)zz >= (uint)nz || (uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                    q = (zz * ny + yy) * nx + xx;
                }
                float jq = J[q], iq = I[q];
                if (jq < v && iq != jq)
                {
                    J[q] = v < iq ? v : iq;
                    queue.Enqueue(q);
                }
            }
        }
        return seed.WithData(J);
    }

    /// <summary>
    /// Vincent's forward and backward raster scans over planes [z0, z1) (neighbours outside the slab are ignored);
    /// voxels that can still raise a later neighbour after the backward scan are added to <paramref name="queue"/>.
    /// Voxels already equal to the mask cannot change; those at <paramref name="floor"/> (a lower bound of the result)
    /// cannot raise a neighbour either.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scans(float[] J, float[] I, int ny, int nx, int z0, int z1,
        (int Dz, int Dy, int Dx)[] earlier, (int Dz, int Dy, int Dx)[] later, float floor, List<int> queue)
    {
        var earlierFlat = Flat(earlier, ny, nx);
        var laterFlat = Flat(later, ny, nx);
        int depth = z1 - z0;
        // Forward scan: J(p) ← min(max(J(p), J(q) for earlier q), I(p)).
        for (int z = z0; z < z1; z++)
            for (int y = 0; y < ny; y++)
            {
                bool interiorRow = z > z0 && z < z1 - 1 && y > 0 && y < ny - 1;
                int row = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    int p = row + x;
                    float v = J[p];
                    if (v == I[p]) continue;   // already final
                    if (interiorRow && x > 0 && x < nx - 1)
                        foreach (int o in earlierFlat) { float w = J[p + o]; if (w > v) v = w; }
                    else
                        foreach (var (dz, dy, dx) in earlier)
                        {
                            int zz = z + dz, yy = y + dy, xx = x + dx;
                            if ((uint)(zz - z0) >= (uint)depth || (uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                            float w = J[(zz * ny + yy) * nx + xx]; if (w > v) v = w;
                        }
                    J[p] = v < I[p] ? v : I[p];
                }
            }

        // Backward scan with the later neighbours; voxels that can still raise a later neighbour are queued.
        for (int z = z1 - 1; z >= z0; z--)
            for (int y = ny - 1; y >= 0; y--)
            {
                bool interiorRow = z > z0 && z < z1 - 1 && y > 0 && y < ny - 1;
                int row = (z * ny + y) * nx;
                for (int x = nx - 1; x >= 0; x--)
                {
                    int p = row + x;
                    float v = J[p];
                    bool interior = interiorRow && x > 0 && x < nx - 1;
                    if (v != I[p])
                    {
                        if (interior)
                            foreach (int o in laterFlat) { float w = J[p + o]; if (w > v) v = w; }
                        else
                            foreach (var (dz, dy, dx) in later)
                            {
                                int zz = z + dz, yy = y + dy, xx = x + dx;
                                if ((uint)(zz - z0) >= (uint)depth || (uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                                float w = J[(zz * ny + yy) * nx + xx]; if (w > v) v = w;
                            }
                        if (v > I[p]) v = I[p];
                        J[p] = v;
                    }
                    if (v <= floor) continue;   // raises nobody
                    bool enqueue = false;
                    if (interior)
                    {
                        foreach (int o in laterFlat)
                        {
                            int q = p + o;
                            if (J[q] < v && J[q] < I[q]) { enqueue = true; break; }
                        }
                    }
                    else
                        foreach (var (dz, dy, dx) in later)
                        {
                            int zz = z + dz, yy = y + dy, xx = x + dx;
                            if ((uint)(zz - z0) >= (uint)depth || (uint)yy >= (uint)ny || (uint)xx >= (uint)nx) continue;
                            int q = (zz * ny + yy) * nx + xx;
                            if (J[q] < v && J[q] < I[q]) { enqueue = true; break; }
                        }
                    if (enqueue) queue.Add(p);
                }
            }
    }

    private static int[] Flat((int Dz, int Dy, int Dx)[] offsets, int ny, int nx)
    {
        var flat = new int[offsets.Length];
        for (int i = 0; i < offsets.Length; i++) flat[i] = (offsets[i].Dz * ny + offsets[i].Dy) * nx + offsets[i].Dx;
        return flat;
    }

    /// <summary>Growable ring-buffer FIFO of voxel indices.</summary>
    private sealed class IntQueue(int capacity)
    {
        private int[] _items = new int[capacity];
        private int _head, _count;

        public int Count => _count;

        public void Enqueue(int v)
        {
            if (_count == _items.Length)
            {
                var bigger = new int[_items.Length * 2];
                for (int i = 0; i < _count; i++) bigger[i] = _items[(_head + i) % _items.Length];
                _items = bigger; _head = 0;
            }
            _items[(_head + _count) % _items.Length] = v;
            _count++;
        }

        public int Dequeue()
        {
            int v = _items[_head];
            _head = (_head + 1) % _items.Length;
            _count--;
            return v;
        }
    }
}
