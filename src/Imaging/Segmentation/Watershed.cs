using System.Runtime.CompilerServices;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Marker-controlled watershed by priority flooding with the semantics of skimage.segmentation.watershed (0.19):
/// voxels are flooded from the markers in increasing image value; ties are settled by the time of entry into the
/// queue (older first), so plateaus are split between the markers that reach them first. The queue is the same
/// binary heap, neighbours are visited in the same order, so labels equal skimage's voxel for voxel.
/// </summary>
/// <remarks>
/// <para>Connectivity 6, 18 or 26 corresponds to skimage's connectivity 1, 2, 3; skimage's default is 1 (6 neighbours),
/// which is also the default here.</para>
/// <para>Without compactness a voxel is labelled when it is first pushed (skimage's fast path). With compactness c &gt; 0
/// (Neubert &amp; Protzel's compact watershed) the priority is value + c · distance in voxels (unit spacing, as
/// skimage) to the marker voxel the flood started from, and voxels are labelled when popped.</para>
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
        var (values, state) = Pad(image, markers, mask, grid);
        var offsets = Neighbourhood.WatershedOrder(connectivity);
        var flat = new int[offsets.Length];
        for (int i = 0; i < offsets.Length; i++) flat[i] = (offsets[i].Dz * grid.PY + offsets[i].Dy) * grid.PX + offsets[i].Dx;

        if (compactness > 0) FloodCompact(values, state, flat, grid, compactness);
        else Flood(values, state, flat);

        var output = new int[image.Length];
        int nz = image.NZ, ny = image.NY, nx = image.NX;
        Parallel.For(0, nz, z =>
        {
            for (int y = 0; y < ny; y++)
            {
                int src = grid.Index(z, y, 0), dst = (z * ny + y) * nx;
                for (int x = 0; x < nx; x++)
                {
                    int l = state[src + x];
                    output[dst + x] = l > 0 ? l : 0;
                }
            }
        });
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
    /// Padded copies: values (float32 image), state (−1 = outside the volume or the mask, 0 = unlabelled, &gt; 0 = label).
    /// </summary>
    private static (float[] Values, int[] State) Pad(Volume<float> image, Volume<int> markers, Volume<byte>? mask, PaddedGrid grid)
    {
        var values = new float[grid.Length];
        var state = GC.AllocateUninitializedArray<int>(grid.Length);
        Array.Fill(state, -1);
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
                    float v = img[src + x];
                    if (float.IsNaN(v)) problem = $"image holds NaN at (z={z}, y={y}, x={x})";
                    int l = mk[src + x];
                    if (l < 0) problem = $"markers hold the negative label {l} at (z={z}, y={y}, x={x})";
                    values[dst + x] = v == 0 ? 0f : v;   // −0 and +0 are equal priorities
                    state[dst + x] = ms is null || ms[src + x] != 0 ? l : -1;
                }
            }
        });
        if (problem is not null) throw new ArgumentException(problem);
        return (values, state);
    }

    /// <summary>Monotone map of a float to an unsigned integer (a &lt; b ⇔ key(a) &lt; key(b); NaN excluded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong OrderKey(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
    }

    private struct Item
    {
        public ulong Key;   // (ordered value << 32) | age
        public int Index;
    }

    /// <summary>Plain watershed: label at push time; priority (value, age) packed into one key.</summary>
    private static void Flood(float[] values, int[] state, int[] offsets)
    {
        var heap = new Item[1024];
        int count = 0;
        for (int i = 0; i < state.Length; i++)
            if (state[i] > 0) Push(ref heap, ref count, new Item { Key = OrderKey(values[i]) << 32, Index = i });
        uint age = 1;
        while (count > 0)
        {
            int index = heap[0].Index;
            PopRoot(heap, ref count);
            int label = state[index];
            foreach (int off in offsets)
            {
                int n = index + off;
                if (state[n] != 0) continue;   // outside, masked or labelled
                age++;
                state[n] = label;
                Push(ref heap, ref count, new Item { Key = (OrderKey(values[n]) << 32) | age, Index = n });
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

    /// <summary>Removes the root: the last item moves to the root and sifts down (skimage's heappop).</summary>
    private static void PopRoot(Item[] heap, ref int count)
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
            ulong smallestKey = item.Key;
            if (heap[l].Key < smallestKey) { smallest = l; smallestKey = heap[l].Key; }
            if (r < count && heap[r].Key < smallestKey) smallest = r;
            if (smallest == i) break;
            heap[i] = heap[smallest];
            i = smallest;
        }
        heap[i] = item;
    }

    private struct CompactItem
    {
        public double Value;
        public int Age;
        public int Index;
        public int Source;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Smaller(in CompactItem a, in CompactItem b) => a.Value != b.Value ? a.Value < b.Value : a.Age < b.Age;

    /// <summary>Compact watershed: priority value + c·distance to the source marker voxel; label at pop time.</summary>
    private static void FloodCompact(float[] values, int[] state, int[] offsets, PaddedGrid grid, double compactness)
    {
        var heap = new CompactItem[1024];
        int count = 0;
        for (int i = 0; i < state.Length; i++)
            if (state[i] > 0) PushCompact(ref heap, ref count, new CompactItem { Value = values[i], Age = 0, Index = i, Source = i });
        int plane = grid.PY * grid.PX, px = grid.PX;
        int age = 1;
        while (count > 0)
        {
            var e = heap[0];
            PopRootCompact(heap, ref count);
            if (state[e.Index] > 0 && e.Index != e.Source) continue;   // reached earlier from another voxel
            state[e.Index] = state[e.Source];
            int sz = e.Source / plane, sr = e.Source - sz * plane, sy = sr / px, sx = sr - sy * px;
            foreach (int off in offsets)
            {
                int n = e.Index + off;
                if (state[n] != 0) continue;
                age++;
                int nzc = n / plane, nr = n - nzc * plane, nyc = nr / px, nxc = nr - nyc * px;
                double dz = nzc - sz, dy = nyc - sy, dx = nxc - sx;
                double distance = Math.Sqrt(dz * dz + dy * dy + dx * dx);
                PushCompact(ref heap, ref count, new CompactItem { Value = values[n] + compactness * distance, Age = age, Index = n, Source = e.Source });
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
