using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Marker-controlled watershed by priority flooding with the semantics of skimage.segmentation.watershed (0.19):
/// voxels are flooded from the markers in increasing image value; ties are settled by the time of entry into the
/// queue (older first), so plateaus are split between the markers that reach them first. Neighbours are visited in
/// skimage's order and the queue pops in skimage's order, so labels equal skimage's voxel for voxel.
/// </summary>
/// <remarks>
/// <para>Connectivity 6, 18 or 26 corresponds to skimage's connectivity 1, 2, 3; skimage's default is 1 (6 neighbours),
/// which is also the default here.</para>
/// <para>Without compactness a voxel is labelled when it is first pushed (skimage's fast path). With compactness c &gt; 0
/// (Neubert &amp; Protzel's compact watershed) the priority is value + c · distance in voxels (unit spacing, as
/// skimage) to the marker voxel the flood started from, and voxels are labelled when popped.</para>
/// <para>Queues: all marker voxels enter with age 0, so marker voxels of equal value tie and skimage's binary heap orders
/// them by its layout. When such ties exist (e.g. plateau maxima of a distance transform) the same binary heap is
/// replayed exactly, O(log n) per voxel; otherwise every priority is unique and a bucket queue over the value ranks
/// (O(1) per voxel after a radix sort) pops in the identical order.</para>
/// <para>Memory: the labels (4 bytes per voxel), a padded byte map, and the queue (up to 16 bytes per queued voxel).</para>
/// </remarks>
public static class Watershed
{
    /// <summary>
    /// Floods <paramref name="image"/> from <paramref name="markers"/> (0 = no marker, labels &gt; 0), restricted to
    /// the non-zero voxels of <paramref name="mask"/> when given (markers outside the mask are dropped and voxels
    /// outside it stay 0). All volumes have shape (Z, Y, X); the result has the image's spacing and origin.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, a marker is negative, or the image holds NaN.</exception>
    public static Volume<int> Run(Volume<float> image, Volume<int> markers, Volume<byte>? mask = null, int connectivity = 6, double compactness = 0)
    {
        Neighbourhood.Validate(connectivity);
        if (markers.Shape != image.Shape) throw new ArgumentException($"markers shape {markers.Shape} differs from image shape {image.Shape}");
        if (mask is not null && mask.Shape != image.Shape) throw new ArgumentException($"mask shape {mask.Shape} differs from image shape {image.Shape}");
        if (!(compactness >= 0) || !double.IsFinite(compactness)) throw new ArgumentOutOfRangeException(nameof(compactness), compactness, "compactness must be a finite value ≥ 0");

        var grid = new PaddedGrid(image.NZ, image.NY, image.NX);
        var output = new int[image.Length];
        var (open, seeds) = Prepare(image, markers, mask, grid, output);
        var offsets = Neighbourhood.WatershedOrder(connectivity);
        var padded = new int[offsets.Length];
        var unpadded = new int[offsets.Length];
        for (int i = 0; i < offsets.Length; i++)
        {
            var (dz, dy, dx) = offsets[i];
            padded[i] = (dz * grid.PY + dy) * grid.PX + dx;
            unpadded[i] = (dz * image.NY + dy) * image.NX + dx;
        }

        if (compactness > 0) FloodCompact(image.Data, open, output, seeds, padded, unpadded, grid, compactness);
        else Flood(image.Data, open, output, seeds, padded, unpadded, grid);
        return image.WithData(output);
    }

    /// <summary>Grid with one voxel of padding on every side, like skimage's padded arrays.</summary>
    private readonly record struct PaddedGrid(int NZ, int NY, int NX)
    {
        public int PY => NY + 2;
        public int PX => NX + 2;
        public int Length => (NZ + 2) * PY * PX;
        public int Index(int z, int y, int x) => ((z + 1) * PY + (y + 1)) * PX + x + 1;
    }

    /// <summary>
    /// Copies the markers inside the mask into <paramref name="output"/> and returns the padded "open" map (1 where a
    /// voxel lies inside the volume and the mask and carries no marker, so it may still be flooded; else 0) and the
    /// flat indices of the marker voxels in raster order.
    /// </summary>
    private static (byte[] Open, int[] Seeds) Prepare(Volume<float> image, Volume<int> markers, Volume<byte>? mask, PaddedGrid grid, int[] output)
    {
        var open = new byte[grid.Length];
        var seedsPerPlane = new List<int>?[image.NZ];
        int nz = image.NZ, ny = image.NY, nx = image.NX;
        var img = image.Data; var mk = markers.Data; var ms = mask?.Data;
        string? problem = null;
        Parallel.For(0, nz, z =>
        {
            for (int y = 0; y < ny; y++)
            {
                int src = (z * ny + y) * nx, dst = grid.Index(z, y, 0);
                for (int x = 0; x < nx; x++)
                {
                    bool inside = ms is null || ms[src + x] != 0;
                    int l = mk[src + x];
                    if (l < 0) problem = $"markers hold the negative label {l} at (z={z}, y={y}, x={x})";
                    if (!inside) continue;
                    if (float.IsNaN(img[src + x])) problem = $"image holds NaN at (z={z}, y={y}, x={x}) inside the mask";
                    if (l != 0) { output[src + x] = l; (seedsPerPlane[z] ??= new List<int>()).Add(src + x); }
                    else open[dst + x] = 1;
                }
            }
        });
        if (problem is not null) throw new ArgumentException(problem);
        var seeds = new List<int>();
        foreach (var list in seedsPerPlane) if (list is not null) seeds.AddRange(list);
        return (open, seeds.ToArray());
    }

    /// <summary>Monotone map of a float to an unsigned integer (a &lt; b ⇔ key(a) &lt; key(b); NaN excluded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong OrderKey(float v)
    {
        uint bits = v == 0 ? 0u : BitConverter.SingleToUInt32Bits(v);   // −0 and +0 are equal priorities
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    /// <summary>Padded index of an unpadded flat index.</summary>
    private static int PaddedIndex(int u, PaddedGrid grid)
    {
        int plane = grid.NY * grid.NX;
        int z = u / plane, r = u - z * plane, y = r / grid.NX, x = r - y * grid.NX;
        return grid.Index(z, y, x);
    }

    /// <summary>
    /// Plain watershed, label at push time. Marker voxels all enter with age 0, so equal-valued markers tie and
    /// skimage's binary heap decides their order by its layout; when such ties exist
    /// (<see cref="MarkerValuesTie"/>) the same heap is replayed exactly (same sift-up/sift-down and strict
    /// comparisons, priority (value, age) packed into one 64-bit key), otherwise the faster bucket queue gives the
    /// identical order.
    /// </summary>
    private static void Flood(float[] values, byte[] open, int[] output, int[] seeds, int[] padded, int[] unpadded, PaddedGrid grid)
    {
        if (MarkerValuesTie(values, seeds)) FloodHeap(values, open, output, seeds, padded, unpadded, grid);
        else FloodBuckets(values, open, output, padded, unpadded, grid);
    }

    /// <summary>True when two marker voxels (output &gt; 0) have the same value.</summary>
    private static bool MarkerValuesTie(float[] values, int[] seeds)
    {
        var keys = new uint[seeds.Length];
        for (int i = 0; i < seeds.Length; i++) keys[i] = (uint)OrderKey(values[seeds[i]]);
        Array.Sort(keys);
        for (int j = 1; j < keys.Length; j++) if (keys[j] == keys[j - 1]) return true;
        return false;
    }

    private struct Item
    {
        public ulong Key;   // (ordered value << 32) | age
        public int P;       // padded index
        public int U;       // index in the unpadded volume
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FloodHeap(float[] values, byte[] open, int[] output, int[] seeds, int[] padded, int[] unpadded, PaddedGrid grid)
    {
        var heap = new Item[1024];
        int count = 0;
        foreach (int u in seeds) Push(ref heap, ref count, new Item { Key = OrderKey(values[u]) << 32, P = PaddedIndex(u, grid), U = u });
        uint age = 1;
        int neighbours = padded.Length;
        while (count > 0)
        {
            int p = heap[0].P, u = heap[0].U;
            PopRoot(heap, ref count);
            int label = output[u];
            for (int k = 0; k < neighbours; k++)
            {
                int pn = p + padded[k];
                if (open[pn] == 0) continue;   // outside, masked or labelled
                open[pn] = 0;
                int un = u + unpadded[k];
                output[un] = label;
                age++;
                Push(ref heap, ref count, new Item { Key = (OrderKey(values[un]) << 32) | age, P = pn, U = un });
            }
        }
    }

    /// <summary>Sift-up with strict comparison (skimage's heappush).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Push(ref Item[] heap, ref int count, Item item)
    {
        if (count == heap.Length) Array.Resize(ref heap, heap.Length * 2);
        int child = count++;
        while (child > 0)
        {
            int parent = (child + 1) / 2 - 1;
            if (item.Key < heap[parent].Key) { heap[child] = heap[parent]; child = parent; }
            else break;
        }
        heap[child] = item;
    }

    /// <summary>
    /// Removes the root: the last item moves to the root and sifts down (skimage's heappop). When that item's key
    /// is unique (age ≠ 0) the hole is first walked down the path of smaller children to a leaf and the item then
    /// sifted up (Floyd): the item lands at the same place with about half the comparisons. Age-0 (marker) items,
    /// whose keys may tie, use skimage's sift-down literally.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PopRoot(Item[] heap, ref int count)
    {
        count--;
        if (count == 0) return;
        var item = heap[count];
        int i = 0;
        if ((uint)item.Key != 0)
        {
            int n = count;
            ref Item root = ref MemoryMarshal.GetArrayDataReference(heap);
            // Both children exist while 2i + 2 < n: take the smaller (the left one on a tie) without a branch.
            while (2 * i + 2 < n)
            {
                int l = 2 * i + 1;
                int c = l + (Unsafe.Add(ref root, l + 1).Key < Unsafe.Add(ref root, l).Key ? 1 : 0);
                Unsafe.Add(ref root, i) = Unsafe.Add(ref root, c);
                i = c;
            }
            if (2 * i + 1 < n) { Unsafe.Add(ref root, i) = Unsafe.Add(ref root, 2 * i + 1); i = 2 * i + 1; }
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (item.Key < Unsafe.Add(ref root, parent).Key) { Unsafe.Add(ref root, i) = Unsafe.Add(ref root, parent); i = parent; }
                else break;
            }
            Unsafe.Add(ref root, i) = item;
            return;
        }
        while (true)
        {
            int l = 2 * i + 1;
            if (l >= count) break;
            int r = l + 1;
            int smallest = i;
            ulong smallestKey = item.Key;
            if (heap[l].Key < smallestKey) { smallest = l; smallestKey = heap[l].Key; }
            if (r < count && heap[r].Key < smallestKey) smallest = r;
            if (smallest == i) break;
            heap[i] = heap[smallest];
            i = smallest;
        }
        heap[i] = item;
    }

    /// <summary>
    /// Plain watershed with a bucket queue, used when no two marker voxels share a value: then every priority
    /// (value, age) is unique and any exact priority queue pops in skimage's order. Values are replaced by their rank
    /// among the distinct values of the voxels that can be queued (a stable radix sort), each rank is a FIFO bucket
    /// (equal values leave in push order = age order), and a two-level bitmap finds the lowest non-empty bucket.
    /// O(1) per voxel instead of O(log n).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FloodBuckets(float[] values, byte[] open, int[] output, int[] padded, int[] unpadded, PaddedGrid grid)
    {
        int nz = grid.NZ, ny = grid.NY, nx = grid.NX, plane = ny * nx;
        // 1. Candidates (markers and open voxels) per plane, in raster order.
        var perPlane = new int[nz + 1];
        Parallel.For(0, nz, z =>
        {
            int c = 0;
            for (int y = 0; y < ny; y++)
            {
                int u = (z * ny + y) * nx, p = grid.Index(z, y, 0);
                for (int x = 0; x < nx; x++) if (open[p + x] != 0 || output[u + x] > 0) c++;
            }
            perPlane[z + 1] = c;
        });
        for (int z = 0; z < nz; z++) perPlane[z + 1] += perPlane[z];
        int m = perPlane[nz];
        if (m == 0) return;
        var pairs = GC.AllocateUninitializedArray<ulong>(m);
        Parallel.For(0, nz, z =>
        {
            int c = perPlane[z];
            for (int y = 0; y < ny; y++)
            {
                int u = (z * ny + y) * nx, p = grid.Index(z, y, 0);
                for (int x = 0; x < nx; x++)
                    if (open[p + x] != 0 || output[u + x] > 0) pairs[c++] = (OrderKey(values[u + x]) << 32) | (uint)(u + x);
            }
        });
        // 2. Stable LSD radix sort on the 32-bit value key (two 16-bit digits): equal keys stay in raster order.
        var temp = GC.AllocateUninitializedArray<ulong>(m);
        var counts = new int[1 << 16];
        for (int shift = 32; shift < 64; shift += 16)
        {
            Array.Clear(counts);
            foreach (ulong e in pairs) counts[(int)((e >> shift) & 0xFFFF)]++;
            int running = 0;
            for (int d = 0; d < counts.Length; d++) { int c = counts[d]; counts[d] = running; running += c; }
            foreach (ulong e in pairs) temp[counts[(int)((e >> shift) & 0xFFFF)]++] = e;
            (pairs, temp) = (temp, pairs);
        }
        temp = null;

        // 3. Ranks: open voxels remember theirs in output as −(rank + 1); markers go straight into their bucket.
        var queue = new BucketQueue(m);
        int rank = -1;
        ulong previous = ulong.MaxValue;
        foreach (ulong e in pairs)
        {
            ulong key = e >> 32;
            if (key != previous) { rank++; previous = key; }
            int u = (int)(uint)e;
            if (output[u] > 0)
            {
                int z = u / plane, r = u - z * plane, y = r / nx, x = r - y * nx;
                queue.Push(rank, grid.Index(z, y, x), u);
            }
            else output[u] = -(rank + 1);
        }
        pairs = null;
        queue.SetBucketCount(rank + 1);

        // 4. Flood.
        int neighbours = padded.Length;
        while (queue.TryPop(out int p, out int u))
        {
            int label = output[u];
            for (int k = 0; k < neighbours; k++)
            {
                int pn = p + padded[k];
                if (open[pn] == 0) continue;   // outside, masked or labelled
                open[pn] = 0;
                int un = u + unpadded[k];
                int bucket = -output[un] - 1;
                output[un] = label;
                queue.Push(bucket, pn, un);
            }
        }
        // Voxels no marker reached (components of the mask without a marker) still hold their rank: back to 0.
        Parallel.For(0, nz, z =>
        {
            var span = output.AsSpan(z * plane, plane);
            for (int i = 0; i < span.Length; i++) if (span[i] < 0) span[i] = 0;
        });
    }

    /// <summary>FIFO buckets indexed by value rank, with a two-level bitmap of the non-empty ones.</summary>
    private sealed class BucketQueue
    {
        private readonly int[] _nodeP, _nodeU, _next;
        private int[] _head = [], _tail = [];
        private ulong[] _words = [], _summary = [];
        private int _nodes, _current = int.MaxValue;
        private readonly List<(int Bucket, int P, int U)> _early = new();

        public BucketQueue(int capacity)
        {
            _nodeP = GC.AllocateUninitializedArray<int>(capacity);
            _nodeU = GC.AllocateUninitializedArray<int>(capacity);
            _next = GC.AllocateUninitializedArray<int>(capacity);
        }

        /// <summary>Allocates the buckets; pushes made before (the markers) are replayed in their order.</summary>
        public void SetBucketCount(int buckets)
        {
            _head = new int[buckets]; _tail = new int[buckets];
            Array.Fill(_head, -1);
            _words = new ulong[(buckets + 63) >> 6];
            _summary = new ulong[(_words.Length + 63) >> 6];
            foreach (var (b, p, u) in _early) Push(b, p, u);
            _early.Clear();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Push(int bucket, int p, int u)
        {
            if (_head.Length == 0) { _early.Add((bucket, p, u)); return; }
            int node = _nodes++;
            _nodeP[node] = p; _nodeU[node] = u; _next[node] = -1;
            if (_head[bucket] < 0)
            {
                _head[bucket] = node;
                _words[bucket >> 6] |= 1UL << bucket;
                _summary[bucket >> 12] |= 1UL << (bucket >> 6);
            }
            else _next[_tail[bucket]] = node;
            _tail[bucket] = node;
            if (bucket < _current) _current = bucket;
        }

        public bool TryPop(out int p, out int u)
        {
            int b = _current;
            if (b == int.MaxValue || _head[b] < 0)
            {
                b = NextNonEmpty(b == int.MaxValue ? 0 : b);
                if (b < 0) { p = u = -1; _current = int.MaxValue; return false; }
                _current = b;
            }
            int node = _head[b];
            p = _nodeP[node]; u = _nodeU[node];
            int next = _next[node];
            _head[b] = next;
            if (next < 0)
            {
                _words[b >> 6] &= ~(1UL << b);
                if (_words[b >> 6] == 0) _summary[b >> 12] &= ~(1UL << (b >> 6));
            }
            return true;
        }

        /// <summary>Lowest non-empty bucket ≥ <paramref name="from"/>, or −1.</summary>
        private int NextNonEmpty(int from)
        {
            int w = from >> 6;
            if (w >= _words.Length) return -1;
            ulong bits = _words[w] & (~0UL << (from & 63));
            if (bits != 0) return (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(bits);
            // Lowest non-empty word after w, via the summary.
            int nw = w + 1;
            if (nw >= _words.Length) return -1;
            int sw = nw >> 6;
            ulong s = _summary[sw] & (~0UL << (nw & 63));
            while (s == 0)
            {
                if (++sw >= _summary.Length) return -1;
                s = _summary[sw];
            }
            int word = (sw << 6) + System.Numerics.BitOperations.TrailingZeroCount(s);
            return (word << 6) + System.Numerics.BitOperations.TrailingZeroCount(_words[word]);
        }
    }

    private struct CompactItem
    {
        public double Value;
        public int Age;
        public int P, U;              // padded / unpadded index of the voxel
        public int SourceP, SourceU;  // padded / unpadded index of the marker voxel the flood started from
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Smaller(in CompactItem a, in CompactItem b) => a.Value != b.Value ? a.Value < b.Value : a.Age < b.Age;

    /// <summary>Compact watershed: priority value + c·distance to the source marker voxel; label at pop time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FloodCompact(float[] values, byte[] open, int[] output, int[] seeds, int[] padded, int[] unpadded, PaddedGrid grid, double compactness)
    {
        var heap = new CompactItem[1024];
        int count = 0;
        foreach (int u in seeds)
        {
            int p = PaddedIndex(u, grid);
            PushCompact(ref heap, ref count, new CompactItem { Value = values[u], Age = 0, P = p, U = u, SourceP = p, SourceU = u });
        }
        int plane = grid.PY * grid.PX, px = grid.PX;
        int age = 1;
        while (count > 0)
        {
            var e = heap[0];
            PopRootCompact(heap, ref count);
            if (output[e.U] != 0 && e.P != e.SourceP) continue;   // reached earlier from another voxel
            output[e.U] = output[e.SourceU];
            int sz = e.SourceP / plane, sr = e.SourceP - sz * plane, sy = sr / px, sx = sr - sy * px;
            for (int k = 0; k < padded.Length; k++)
            {
                int pn = e.P + padded[k];
                if (open[pn] == 0) continue;          // outside, masked or a marker
                int un = e.U + unpadded[k];
                if (output[un] != 0) continue;        // already labelled
                age++;
                int nzc = pn / plane, nr = pn - nzc * plane, nyc = nr / px, nxc = nr - nyc * px;
                double dz = nzc - sz, dy = nyc - sy, dx = nxc - sx;
                double distance = Math.Sqrt(dz * dz + dy * dy + dx * dx);
                PushCompact(ref heap, ref count, new CompactItem
                {
                    Value = values[un] + compactness * distance, Age = age, P = pn, U = un, SourceP = e.SourceP, SourceU = e.SourceU,
                });
            }
        }
    }

    private static void PushCompact(ref CompactItem[] heap, ref int count, CompactItem item)
    {
        if (count == heap.Length) Array.Resize(ref heap, heap.Length * 2);
        int child = count++;
        while (child > 0)
        {
            int parent = (child + 1) / 2 - 1;
            if (Smaller(item, heap[parent])) { heap[child] = heap[parent]; child = parent; }
            else break;
        }
        heap[child] = item;
    }

    private static void PopRootCompact(CompactItem[] heap, ref int count)
    {
        count--;
        if (count == 0) return;
        var item = heap[count];
        int i = 0;
        while (true)
        {
            int l = 2 * i + 1;
            if (l >= count) break;
            int r = l + 1;
            int smallest = i;
            if (Smaller(heap[l], item)) smallest = l;
            if (r < count && Smaller(heap[r], smallest == i ? item : heap[l])) smallest = r;
            if (smallest == i) break;
            heap[i] = heap[smallest];
            i = smallest;
        }
        heap[i] = item;
    }
}
