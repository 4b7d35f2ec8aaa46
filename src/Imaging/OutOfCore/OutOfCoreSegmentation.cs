using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Result of <see cref="OutOfCoreSegmentation.Run"/>: <paramref name="ObjectCount"/> objects after the size filter,
/// <paramref name="Threshold"/> (intensity units), <paramref name="ComponentsBeforeSizeFilter"/>, the z-slab
/// thickness <paramref name="SlabPlanes"/> and count <paramref name="Slabs"/>, the Gaussian halo
/// <paramref name="HaloPlanes"/> read on each side of a slab, and <paramref name="ProvisionalLabels"/> (size of the
/// union-find arrays). The labels file holds shape (Z, Y, X).
/// </summary>
public sealed record OutOfCoreSegmentationResult(
    int ObjectCount, double Threshold, int ComponentsBeforeSizeFilter, int SlabPlanes, int Slabs, int HaloPlanes, int ProvisionalLabels,
    (int Z, int Y, int X) Shape);

/// <summary>
/// <see cref="ClassicalSegmentation.Run"/> for a volume on disk that need not fit in memory, producing the identical
/// labels (same ids, not just the same partition) and the identical threshold. The volume is processed in z-slabs:
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Each slab is read with a halo of the Gaussian's z radius on both sides (clamped at the volume's ends) and
/// smoothed in memory; every output plane then sees exactly the planes, weights and summation order of the in-memory
/// filter, so the smoothed values are bit-identical.</item>
/// <item>Otsu: a pass for min/max, a pass for the histogram (one bin per integer for unsmoothed integer data, else 256
/// bins over [min, max] with NumPy's edges), then <see cref="Otsu.FromHistogram"/>.</item>
/// <item>Components: each slab is labelled with <see cref="ConnectedComponents.Label"/>; slab s's labels become
/// provisional ids offset_s + local id; a union-find joins ids across the two planes each side of every slab border
/// (with the same connectivity), the smaller id becoming the root. Local ids grow in raster order within a slab and
/// offsets grow with z, so a component's root is the id of its first voxel in raster order, and numbering the roots in
/// increasing order (skipping those smaller than the size filter) reproduces the in-memory ids exactly.</item>
/// <item>The first labelling pass spills the binary masks to <c>outputLabels + ".mask.tmp"</c> (1 byte per voxel, deleted
/// at the end); a last pass relabels each slab from it and writes the final ids as an int32 .npy.</item>
/// </list>
/// Memory: about 16 bytes per voxel of one haloed slab, plus 16 bytes per provisional label and two z planes. Disk:
/// the labels (4 bytes per voxel) and the temporary mask (1 byte per voxel).
/// </remarks>
public static class OutOfCoreSegmentation
{
    /// <summary>Bytes per voxel of a haloed slab during smoothing (float32 input, float64 work, float32 output).</summary>
    public const int BytesPerSlabVoxel = 16;

    /// <summary>
    /// Segments the .npy, MRC or TIFF volume <paramref name="input"/> (see <see cref="ChunkedVolume"/>) and writes int32
    /// labels (Z, Y, X) to the .npy file <paramref name="outputLabels"/>. Slabs are as thick as
    /// <paramref name="memoryBudgetBytes"/> allows (at least one plane). <paramref name="spacingOverride"/> (µm) wins
    /// over the file's voxel size.
    /// </summary>
    public static OutOfCoreSegmentationResult Run(string input, string outputLabels, ClassicalSegmentationOptions options, long memoryBudgetBytes, Spacing? spacingOverride = null)
    {
        options.Validated();
        if (memoryBudgetBytes <= 0) throw new ArgumentOutOfRangeException(nameof(memoryBudgetBytes), memoryBudgetBytes, "memory budget must be > 0 bytes");
        using var source = ChunkedVolume.Open(input, spacingOverride);
        int nz = source.NZ, ny = source.NY, nx = source.NX;
        int plane = ny * nx;
        var spacing = source.Spacing;
        int halo = 0;
        if (options.SigmaUm > 0 && options.SigmaUm / spacing.Z > 1e-15) halo = Gaussian.Kernel(options.SigmaUm / spacing.Z).Length / 2;
        // A haloed slab must also fit in one .NET array (the Gaussian's work array has one element per voxel).
        long planesInBudget = Math.Min(memoryBudgetBytes / ((long)plane * BytesPerSlabVoxel), Array.MaxLength / plane);
        int slabPlanes = (int)Math.Clamp(planesInBudget - 2L * halo, 1, nz);
        int slabs = (nz + slabPlanes - 1) / slabPlanes;
        var slabber = new Slabber(source, options.SigmaUm, halo, slabPlanes);

        // Otsu's threshold from slab-wise min/max and histogram.
        bool integerHistogram = options.SigmaUm <= 0 && source.IsIntegerType;
        double threshold = GlobalThreshold(slabber, integerHistogram);
        bool bright = options.Foreground == ForegroundPolarity.Bright;

        // Pass 1: provisional labels, voxel counts, unions across slab borders. The binary masks are spilled to a
        // temporary file (1 byte per voxel) so that pass 2 need not smooth again.
        using var maskSpill = new FileStream(outputLabels + ".mask.tmp", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
        var offsets = new int[slabs + 1];
        var uf = new UnionFind();
        int[]? previousLast = null;
        for (int s = 0; s < slabs; s++)
        {
            var (labels, count) = slabber.Label(s, threshold, bright, options.Connectivity, maskSpill, readSpill: false);
            int offset = offsets[s];
            offsets[s + 1] = checked(offset + count);
            uf.Grow(offsets[s + 1]);
            var data = labels.Data;
            var counts = uf.Counts;
            for (int i = 0; i < data.Length; i++)
                if (data[i] != 0) counts[offset + data[i]]++;
            if (previousLast is not null && count > 0) JoinAcrossBorder(uf, previousLast, data.AsSpan(0, plane), offset, ny, nx, options.Connectivity);
            previousLast ??= new int[plane];
            var last = data.AsSpan(data.Length - plane, plane);
            for (int i = 0; i < plane; i++) previousLast[i] = last[i] == 0 ? 0 : offset + last[i];
            Release(slabber.HaloedSlabVoxels);
        }

        int provisional = offsets[slabs];
        var (final, components, objects) = uf.Number(provisional, ClassicalSegmentation.MinVoxels(options.MinVolumeUm3, spacing));

        // Pass 2: final ids, written slab by slab.
        maskSpill.Position = 0;
        using (var writer = new ChunkedLabelWriter(outputLabels, nz, ny, nx))
        {
            for (int s = 0; s < slabs; s++)
            {
                var (labels, count) = slabber.Label(s, threshold, bright, options.Connectivity, maskSpill, readSpill: true);
                if (count != offsets[s + 1] - offsets[s])
                    throw new InvalidOperationException($"{outputLabels}.mask.tmp: slab {s} gave {count} components on the second read, {offsets[s + 1] - offsets[s]} on the first; the temporary mask file changed");
                var data = labels.Data;
                int offset = offsets[s];
                Parallel.For(0, labels.NZ, z =>
                {
                    for (int i = z * plane, end = i + plane; i < end; i++)
                        if (data[i] != 0) data[i] = final[offset + data[i]];
                });
                writer.Append(data);
                Release(slabber.HaloedSlabVoxels);
            }
            writer.Complete();
        }
        return new OutOfCoreSegmentationResult(objects, threshold, components, slabPlanes, slabs, halo, provisional, (nz, ny, nx));
    }

    /// <summary>
    /// Returns a large slab's arrays to the OS before the next slab is allocated, keeping the peak near one slab
    /// (the GC would otherwise let several slabs' worth of large-object heap accumulate). Small slabs skip it.
    /// </summary>
    private static void Release(long slabVoxels)
    {
        if (slabVoxels * BytesPerSlabVoxel >= 64L << 20) GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Unions the labels of the first plane of a slab with the 8/4/1 neighbours in the last plane of the slab before.</summary>
    private static void JoinAcrossBorder(UnionFind uf, int[] below, ReadOnlySpan<int> first, int offset, int ny, int nx, int connectivity)
    {
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
            {
                int l = first[y * nx + x];
                if (l == 0) continue;
                int id = offset + l;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = y + dy;
                    if ((uint)yy >= (uint)ny) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = x + dx;
                        if ((uint)xx >= (uint)nx) continue;
                        int manhattan = Math.Abs(dy) + Math.Abs(dx);
                        if (connectivity == 6 && manhattan > 0) continue;
                        if (connectivity == 18 && manhattan > 1) continue;
                        int o = below[yy * nx + xx];
                        if (o != 0) uf.Union(id, o);
                    }
                }
            }
    }

    private static double GlobalThreshold(Slabber slabber, bool integerHistogram)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        bool nan = false;
        for (int s = 0; s < slabber.Slabs; s++)
        {
            var (values, start, length) = slabber.Smoothed(s);
            foreach (float v in values.AsSpan(start, length))
            {
                if (v < min) min = v;
                if (v > max) max = v;
                if (float.IsNaN(v)) nan = true;
            }
            Release(slabber.HaloedSlabVoxels);
        }
        if (nan) throw new ArgumentException($"{slabber.Path}: image contains NaN; Otsu's threshold is undefined");
        if (float.IsInfinity(min) || float.IsInfinity(max)) throw new ArgumentException($"{slabber.Path}: image range [{min}, {max}] is not finite");
        if (min == max) return min;

        long[] counts;
        double[] centres;
        long lo = 0;
        double first = min, last = max, norm = 0;
        double[] edges = [];
        const int nbins = 256;
        if (integerHistogram)
        {
            lo = (long)Math.Floor((double)min);
            long hi = (long)Math.Floor((double)max);
            if (hi - lo + 1 > 1 << 26) throw new ArgumentException($"{slabber.Path}: integer range [{lo}, {hi}] is too wide for an integer histogram");
            int n = (int)(hi - lo + 1);
            counts = new long[n];
            centres = new double[n];
            for (int i = 0; i < n; i++) centres[i] = lo + i;
        }
        else
        {
            // numpy.histogram(bins=256): edges i·step + min (last = max), index estimated from (v − min)·norm and
            // corrected against the edges, last bin closed.
            edges = new double[nbins + 1];
            double step = (last - first) / nbins;
            for (int i = 0; i < nbins; i++) edges[i] = i * step + first;
            edges[nbins] = last;
            norm = nbins / (last - first);
            counts = new long[nbins];
            centres = new double[nbins];
            for (int i = 0; i < nbins; i++) centres[i] = (edges[i] + edges[i + 1]) / 2.0;
        }
        for (int s = 0; s < slabber.Slabs; s++)
        {
            var (values, start, length) = slabber.Smoothed(s);
            int plane = (int)slabber.PlaneVoxels;
            int planes = length / plane;
            Parallel.For(0, planes, () => new long[counts.Length], (z, _, local) =>
            {
                var span = values.AsSpan(start + z * plane, plane);
                if (integerHistogram)
                    foreach (float v in span) local[(long)v - lo]++;
                else
                    foreach (float fv in span) local[SkimageHistogram.Bin(fv, first, norm, edges)]++;
                return local;
            }, local =>
            {
                lock (counts) for (int i = 0; i < local.Length; i++) counts[i] += local[i];
            });
            Release(slabber.HaloedSlabVoxels);
        }
        return Otsu.FromHistogram(counts, centres);
    }

    /// <summary>Reads and smooths slab s (planes [s·t, min(NZ, (s+1)·t))) with its halo.</summary>
    private sealed class Slabber(ChunkedVolume source, double sigmaUm, int halo, int slabPlanes)
    {
        public int Slabs { get; } = (source.NZ + slabPlanes - 1) / slabPlanes;

        public string Path => source.Path;

        public long PlaneVoxels => source.PlaneVoxels;

        /// <summary>Voxels of the thickest haloed slab.</summary>
        public long HaloedSlabVoxels => Math.Min(source.NZ, slabPlanes + 2L * halo) * source.PlaneVoxels;

        /// <summary>The smoothed samples of the haloed slab and the flat range [start, start + length) of its own planes.</summary>
        public (float[] Values, int Start, int Length) Smoothed(int s)
        {
            int z0 = s * slabPlanes, z1 = Math.Min(source.NZ, z0 + slabPlanes);
            int r0 = Math.Max(0, z0 - halo), r1 = Math.Min(source.NZ, z1 + halo);
            var smoothed = sigmaUm > 0 ? Gaussian.Smooth(source.ReadSlab(r0, r1), sigmaUm) : source.ReadSlab(r0, r1);
            Release(HaloedSlabVoxels);   // the raw slab and the filter's float64 work array
            int plane = (int)source.PlaneVoxels;
            return (smoothed.Data, (z0 - r0) * plane, (z1 - z0) * plane);
        }

        /// <summary>
        /// Connected components of the thresholded slab s (its own planes only), ids 1..count in raster order. The mask
        /// is computed and appended to <paramref name="spill"/>, or, with <paramref name="readSpill"/>, read back from it.
        /// </summary>
        public (Volume<int> Labels, int Count) Label(int s, double threshold, bool bright, int connectivity, Stream spill, bool readSpill)
        {
            byte[] mask;
            if (readSpill)
            {
                int z0 = s * slabPlanes, z1 = Math.Min(source.NZ, z0 + slabPlanes);
                mask = GC.AllocateUninitializedArray<byte>((int)((z1 - z0) * source.PlaneVoxels));
                spill.ReadExactly(mask);
            }
            else
            {
                mask = Threshold(s, threshold, bright);
                Release(HaloedSlabVoxels);   // the smoothed slab
                spill.Write(mask);
            }
            int planes = (int)(mask.Length / source.PlaneVoxels);
            return ConnectedComponents.Label(new Volume<byte>(planes, source.NY, source.NX, source.Spacing, mask), connectivity);
        }

        private byte[] Threshold(int s, double threshold, bool bright)
        {
            var (values, start, length) = Smoothed(s);
            int plane = (int)source.PlaneVoxels;
            int planes = length / plane;
            var mask = new byte[length];
            Parallel.For(0, planes, z =>
            {
                var src = values.AsSpan(start + z * plane, plane);
                var dst = mask.AsSpan(z * plane, plane);
                for (int i = 0; i < plane; i++) dst[i] = (byte)((bright ? src[i] > threshold : src[i] <= threshold) ? 1 : 0);
            });
            return mask;
        }
    }

    /// <summary>Union-find over provisional ids 1..n with per-id voxel counts; a union makes the smaller root the root.</summary>
    private sealed class UnionFind
    {
        private int[] _parent = new int[1];

        public long[] Counts { get; private set; } = new long[1];

        private int _size;

        public void Grow(int n)
        {
            if (n + 1 > _parent.Length)
            {
                int capacity = (int)Math.Min(Array.MaxLength, Math.Max(n + 1L, _parent.Length * 2L));
                Array.Resize(ref _parent, capacity);
                var counts = Counts;
                Array.Resize(ref counts, capacity);
                Counts = counts;
            }
            for (int i = _size + 1; i <= n; i++) _parent[i] = i;
            _size = Math.Max(_size, n);
        }

        private int Find(int l)
        {
            while (_parent[l] != l)
            {
                int g = _parent[_parent[l]];
                _parent[l] = g;
                l = g;
            }
            return l;
        }

        public void Union(int a, int b)
        {
            int ra = Find(a), rb = Find(b);
            if (ra == rb) return;
            if (ra < rb) _parent[rb] = ra;
            else _parent[ra] = rb;
        }

        /// <summary>
        /// Final id of every provisional id: roots with at least <paramref name="minVoxels"/> voxels (summed over their
        /// set) numbered 1, 2, … in increasing order, others 0. Returns the map, the number of sets and of kept sets.
        /// </summary>
        public (int[] Final, int Components, int Objects) Number(int n, int minVoxels)
        {
            // Parents always point to smaller ids, so one increasing sweep flattens every id onto its root and sums
            // the counts into the roots.
            for (int l = 1; l <= n; l++)
            {
                int p = _parent[_parent[l]];
                _parent[l] = p;
                if (p != l) Counts[p] += Counts[l];
            }
            var final = new int[n + 1];
            int components = 0, objects = 0;
            for (int l = 1; l <= n; l++)
            {
                int root = _parent[l];
                if (root != l) { final[l] = final[root]; continue; }
                components++;
                if (Counts[l] >= minVoxels) final[l] = ++objects;
            }
            return (final, components, objects);
        }
    }
}
