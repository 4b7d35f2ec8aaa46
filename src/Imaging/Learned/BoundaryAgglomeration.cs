using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Settings of <see cref="BoundaryAgglomeration"/>. The boundary map is smoothed with σ = <paramref name="SmoothingUm"/> µm
/// (0 = not); voxels below <paramref name="InteriorThreshold"/> are cell interior, and the h-maxima (height
/// <paramref name="HUm"/> µm; null = half the smallest voxel size) of the interior's Euclidean distance transform seed the watershed; supervoxels whose
/// shared boundary has a mean probability below <paramref name="MergeThreshold"/> are merged; final objects smaller
/// than <paramref name="MinVolumeUm3"/> µm³ are merged into the neighbour they share the weakest boundary with.
/// </summary>
public sealed record BoundaryAgglomerationOptions(double InteriorThreshold = 0.5, double? HUm = null, double MergeThreshold = 0.2,
    double SmoothingUm = 0, double MinVolumeUm3 = 0)
{
    /// <summary>Throws naming the first out-of-range setting.</summary>
    public BoundaryAgglomerationOptions Validated()
    {
        if (!(InteriorThreshold is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(InteriorThreshold), InteriorThreshold, "interior threshold must lie in (0, 1)");
        if (HUm is { } h && (!(h > 0) || !double.IsFinite(h))) throw new ArgumentOutOfRangeException(nameof(HUm), HUm, "h must be a positive number of µm");
        if (!(MergeThreshold is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(MergeThreshold), MergeThreshold, "merge threshold must lie in [0, 1]");
        if (!(SmoothingUm >= 0) || !double.IsFinite(SmoothingUm)) throw new ArgumentOutOfRangeException(nameof(SmoothingUm), SmoothingUm, "smoothing must be ≥ 0 µm");
        if (!(MinVolumeUm3 >= 0) || !double.IsFinite(MinVolumeUm3)) throw new ArgumentOutOfRangeException(nameof(MinVolumeUm3), MinVolumeUm3, "min volume must be ≥ 0 µm³");
        return this;
    }
}

/// <summary>Result of <see cref="BoundaryAgglomeration.Run"/>: labels 1..<paramref name="Objects"/> (dense, no 0) and the supervoxel count before merging.</summary>
public sealed record BoundaryAgglomerationResult(Volume<int> Labels, int Objects, int Supervoxels);

/// <summary>
/// Instances from a boundary-probability map, the standard connectomics recipe: a seeded watershed of the boundary
/// map over the whole volume (6-connected flood from h-maxima of the interior's distance transform) gives supervoxels; a
/// region-adjacency graph weighted by the mean boundary probability on each shared face is agglomerated greedily,
/// always merging the currently weakest boundary, until every remaining boundary is at least the merge threshold
/// (the mean over a merged boundary is the face-count-weighted mean of its parts, i.e. GALA's mean-boundary policy).
/// </summary>
public static class BoundaryAgglomeration
{
    /// <summary>Segments <paramref name="boundary"/> (values in [0, 1], 1 = membrane) into dense labels, numbered in raster order of first voxel.</summary>
    public static BoundaryAgglomerationResult Run(Volume<float> boundary, BoundaryAgglomerationOptions options)
    {
        options.Validated();
        var prob = options.SmoothingUm > 0 ? Gaussian.Smooth(boundary, options.SmoothingUm) : boundary;
        foreach (var v in prob.Data)
            if (float.IsNaN(v)) throw new ArgumentException("the boundary map holds NaN");

        // Seeds: h-maxima of the distance to the nearest boundary voxel inside the interior.
        var interior = prob.WithData(Array.ConvertAll(prob.Data, v => v < options.InteriorThreshold ? (byte)1 : (byte)0));
        var distance = DistanceTransform.Euclidean(interior);
        var sp = boundary.Spacing;
        var (markers, seeds) = HMaxima.Markers(distance, options.HUm ?? 0.5 * Math.Min(sp.Z, Math.Min(sp.Y, sp.X)), 26);
        if (seeds == 0)
            return new BoundaryAgglomerationResult(boundary.WithData(Enumerable.Repeat(1, boundary.Length).ToArray()), 1, 0);
        var supervoxels = Watershed.Run(prob, markers, connectivity: 6);

        var graph = RegionGraph.Build(supervoxels, prob, seeds);
        graph.MergeBelow(options.MergeThreshold);
        if (options.MinVolumeUm3 > 0)
            graph.AbsorbSmall((long)Math.Ceiling(options.MinVolumeUm3 / boundary.Spacing.VoxelVolume));
        var labels = graph.Relabel(supervoxels, out int objects);
        return new BoundaryAgglomerationResult(labels, objects, seeds);
    }

    /// <summary>Region-adjacency graph with union-find merging; edge weights are (sum, count) of boundary probability.</summary>
    private sealed class RegionGraph
    {
        private readonly int[] _parent;
        private readonly long[] _size;
        private readonly Dictionary<int, (double Sum, long Count)>[] _edges;

        private RegionGraph(int regions)
        {
            _parent = Enumerable.Range(0, regions + 1).ToArray();
            _size = new long[regions + 1];
            _edges = new Dictionary<int, (double, long)>[regions + 1];
            for (int i = 0; i <= regions; i++) _edges[i] = new Dictionary<int, (double, long)>();
        }

        public static RegionGraph Build(Volume<int> labels, Volume<float> prob, int regions)
        {
            var g = new RegionGraph(regions);
            int nz = labels.NZ, ny = labels.NY, nx = labels.NX, plane = ny * nx;
            var l = labels.Data;
            var p = prob.Data;
            foreach (var v in l) g._size[v]++;
            void Face(int i, int j)
            {
                int a = l[i], b = l[j];
                if (a == b || a == 0 || b == 0) return;
                double w = 0.5 * (p[i] + p[j]);
                Add(g._edges[a], b, w, 1);
                Add(g._edges[b], a, w, 1);
            }
            for (int z = 0; z < nz; z++)
                for (int y = 0; y < ny; y++)
                    for (int x = 0; x < nx; x++)
                    {
                        int i = z * plane + y * nx + x;
                        if (x + 1 < nx) Face(i, i + 1);
                        if (y + 1 < ny) Face(i, i + nx);
                        if (z + 1 < nz) Face(i, i + plane);
                    }
            return g;
        }

        private static void Add(Dictionary<int, (double Sum, long Count)> edges, int to, double sum, long count)
        {
            var (s, c) = edges.GetValueOrDefault(to);
            edges[to] = (s + sum, c + count);
        }

        private int Find(int a)
        {
            while (_parent[a] != a) a = _parent[a] = _parent[_parent[a]];
            return a;
        }

        /// <summary>Merges a into b (both roots): b inherits a's size and boundaries.</summary>
        private void Merge(int a, int b)
        {
            _parent[a] = b;
            _size[b] += _size[a];
            foreach (var (n, (s, c)) in _edges[a])
            {
                _edges[n].Remove(a);
                if (n == b) continue;
                Add(_edges[b], n, s, c);
                Add(_edges[n], b, s, c);
            }
            _edges[a].Clear();
            _edges[b].Remove(a);
        }

        /// <summary>Greedy agglomeration: repeatedly merge the weakest boundary while its mean is below the threshold.</summary>
        public void MergeBelow(double threshold)
        {
            var queue = new PriorityQueue<(int A, int B, long Count), (double, int, int)>();
            for (int a = 1; a < _edges.Length; a++)
                foreach (var (b, (s, c)) in _edges[a])
                    if (a < b && s / c < threshold) queue.Enqueue((a, b, c), (s / c, a, b));
            while (queue.TryDequeue(out var e, out _))
            {
                int ra = Find(e.A), rb = Find(e.B);
                if (ra != e.A || rb != e.B || ra == rb) continue;                 // a merged endpoint: stale
                if (!_edges[ra].TryGetValue(rb, out var current) || current.Count != e.Count) continue;   // boundary grew: stale
                // Keep the larger region's id as root (ties: the smaller id) so results do not depend on queue order.
                int keep = _size[ra] > _size[rb] || (_size[ra] == _size[rb] && ra < rb) ? ra : rb;
                int drop = keep == ra ? rb : ra;
                Merge(drop, keep);
                foreach (var (n, (s, c)) in _edges[keep])
                    if (s / c < threshold) queue.Enqueue((Math.Min(keep, n), Math.Max(keep, n), c), (s / c, Math.Min(keep, n), Math.Max(keep, n)));
            }
        }

        /// <summary>Merges every region smaller than <paramref name="minVoxels"/> into its weakest-boundary neighbour, smallest first.</summary>
        public void AbsorbSmall(long minVoxels)
        {
            bool changed = true;
            while (changed)
            {
                changed = false;
                var small = Enumerable.Range(1, _edges.Length - 1).Where(r => Find(r) == r && _size[r] < minVoxels && _edges[r].Count > 0)
                    .OrderBy(r => _size[r]).ThenBy(r => r).ToArray();
                foreach (var r in small)
                {
                    if (Find(r) != r || _size[r] >= minVoxels || _edges[r].Count == 0) continue;
                    var target = _edges[r].OrderBy(kv => kv.Value.Sum / kv.Value.Count).ThenBy(kv => kv.Key).First().Key;
                    Merge(r, target);
                    changed = true;
                }
            }
        }

        public Volume<int> Relabel(Volume<int> supervoxels, out int objects)
        {
            var ids = new int[_parent.Length];
            int next = 0;
            var output = new int[supervoxels.Length];
            for (int i = 0; i < output.Length; i++)
            {
                int root = Find(supervoxels.Data[i]);
                if (ids[root] == 0) ids[root] = ++next;
                output[i] = ids[root];
            }
            objects = next;
            return supervoxels.WithData(output);
        }
    }
}
