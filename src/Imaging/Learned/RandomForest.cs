using System.Text;
using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Random-forest settings: <paramref name="Trees"/> trees of depth at most <paramref name="MaxDepth"/>, leaves of at
/// least <paramref name="MinSamplesLeaf"/> samples, <paramref name="FeaturesPerSplit"/> candidate features per split
/// (null = √features), split thresholds searched over <paramref name="Bins"/> quantile bins per feature (2..256), each
/// tree trained on a bootstrap sample; <paramref name="Seed"/> makes training deterministic.
/// </summary>
public sealed record RandomForestOptions(int Trees = 64, int MaxDepth = 18, int MinSamplesLeaf = 3, int? FeaturesPerSplit = null,
    int Bins = 64, ulong Seed = 0)
{
    /// <summary>Throws naming the first out-of-range setting.</summary>
    public RandomForestOptions Validated()
    {
        if (Trees is < 1 or > 10000) throw new ArgumentOutOfRangeException(nameof(Trees), Trees, "trees must be 1..10000");
        if (MaxDepth is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(MaxDepth), MaxDepth, "max depth must be 1..64");
        if (MinSamplesLeaf < 1) throw new ArgumentOutOfRangeException(nameof(MinSamplesLeaf), MinSamplesLeaf, "min samples per leaf must be ≥ 1");
        if (FeaturesPerSplit is < 1) throw new ArgumentOutOfRangeException(nameof(FeaturesPerSplit), FeaturesPerSplit, "features per split must be ≥ 1");
        if (Bins is < 2 or > 256) throw new ArgumentOutOfRangeException(nameof(Bins), Bins, "bins must be 2..256");
        return this;
    }
}

/// <summary>
/// A random-forest classifier (Breiman 2001): CART trees grown on bootstrap samples with Gini impurity, a random
/// subset of features per split, thresholds chosen among per-feature quantile bin edges (histogram split search, as
/// in LightGBM/scikit-learn's HistGradientBoosting), class probabilities averaged over the trees' leaf frequencies.
/// Features are given feature-major: <c>features[f][i]</c> is feature f of sample (voxel) i.
/// </summary>
public sealed class RandomForest
{
    private const string Magic = "SSRF1";

    // Per tree, nodes in arrays: Feature = −1 marks a leaf whose class probabilities start at Value[node]·Classes in Leaf.
    private readonly Tree[] _trees;

    /// <summary>Number of classes (0..Classes−1).</summary>
    public int Classes { get; }

    /// <summary>Number of features a sample has.</summary>
    public int Features { get; }

    /// <summary>Number of trees.</summary>
    public int TreeCount => _trees.Length;

    private RandomForest(int classes, int features, Tree[] trees)
    {
        Classes = classes; Features = features; _trees = trees;
    }

    private sealed class Tree(int[] feature, float[] threshold, int[] left, int[] right, float[] leaf)
    {
        public readonly int[] Feature = feature;
        public readonly float[] Threshold = threshold;
        public readonly int[] Left = left;
        public readonly int[] Right = right;
        public readonly float[] Leaf = leaf;
    }

    /// <summary>
    /// Trains on the samples <paramref name="samples"/> (indices into the feature arrays) with class labels
    /// <paramref name="labels"/> (0..classes−1, one per sample). Trees are built in parallel, each from its own seed,
    /// so the forest is identical for a given seed on any number of cores.
    /// </summary>
    public static RandomForest Train(float[][] features, int[] samples, int[] labels, int classes, RandomForestOptions options)
    {
        options.Validated();
        if (features.Length == 0) throw new ArgumentException("at least one feature is required");
        if (samples.Length != labels.Length) throw new ArgumentException("one label per sample is required");
        if (samples.Length < 2) throw new ArgumentException($"at least 2 labelled samples are required, got {samples.Length}");
        if (classes < 2) throw new ArgumentException($"at least 2 classes are required, got {classes}");
        foreach (var l in labels)
            if ((uint)l >= (uint)classes) throw new ArgumentException($"label {l} is outside 0..{classes - 1}");
        int nf = features.Length, n = samples.Length;
        int mtry = Math.Min(nf, options.FeaturesPerSplit ?? Math.Max(1, (int)Math.Round(Math.Sqrt(nf))));

        // Quantile bin edges per feature from the training samples; codes[f][s] = number of edges < value.
        var edges = new float[nf][];
        var codes = new byte[nf][];
        Parallel.For(0, nf, f =>
        {
            var values = new float[n];
            for (int s = 0; s < n; s++) values[s] = features[f][samples[s]];
            var sorted = (float[])values.Clone();
            Array.Sort(sorted);
            var e = new List<float>(options.Bins - 1);
            for (int b = 1; b < options.Bins; b++)
            {
                float q = sorted[(int)((long)b * (n - 1) / options.Bins)];
                if (e.Count == 0 || q > e[^1]) e.Add(q);
            }
            edges[f] = e.ToArray();
            var c = new byte[n];
            for (int s = 0; s < n; s++) c[s] = (byte)LowerBound(edges[f], values[s]);
            codes[f] = c;
        });

        var trees = new Tree[options.Trees];
        Parallel.For(0, options.Trees, t =>
        {
            var rng = Seeds.Rng(Seeds.Child(options.Seed, $"tree/{t}"));
            var index = new int[n];
            for (int i = 0; i < n; i++) index[i] = rng.Next(n);
            trees[t] = new TreeBuilder(codes, edges, labels, classes, mtry, options, rng).Build(index);
        });
        return new RandomForest(classes, nf, trees);
    }

    private static int LowerBound(float[] edges, float v)
    {
        int lo = 0, hi = edges.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (edges[mid] < v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private sealed class TreeBuilder(byte[][] codes, float[][] edges, int[] labels, int classes, int mtry, RandomForestOptions options, Random rng)
    {
        private readonly List<int> _feature = [], _left = [], _right = [];
        private readonly List<float> _threshold = [], _leaf = [];
        private readonly int[] _order = Enumerable.Range(0, codes.Length).ToArray();
        private readonly long[] _hist = new long[256 * classes];
        private readonly long[] _total = new long[classes];
        private readonly long[] _leftCounts = new long[classes];

        public Tree Build(int[] index)
        {
            Grow(index, 0, index.Length, 0);
            return new Tree(_feature.ToArray(), _threshold.ToArray(), _left.ToArray(), _right.ToArray(), _leaf.ToArray());
        }

        private int Grow(int[] index, int start, int end, int depth)
        {
            int node = _feature.Count;
            _feature.Add(-1); _threshold.Add(0); _left.Add(-1); _right.Add(-1);
            int n = end - start;
            Array.Clear(_total);
            for (int i = start; i < end; i++) _total[labels[index[i]]]++;
            int nonEmpty = 0;
            foreach (var c in _total) if (c > 0) nonEmpty++;
            if (depth >= options.MaxDepth || n < 2 * options.MinSamplesLeaf || nonEmpty <= 1 || !FindSplit(index, start, end, out int feature, out int bin))
            {
                MakeLeaf(node, n);
                return node;
            }
            // Partition: code ≤ bin goes left.
            var code = codes[feature];
            int lo = start, hi = end - 1;
            while (lo <= hi)
            {
                if (code[index[lo]] <= bin) lo++;
                else { (index[lo], index[hi]) = (index[hi], index[lo]); hi--; }
            }
            _feature[node] = feature;
            _threshold[node] = edges[feature][bin];
            int l = Grow(index, start, lo, depth + 1);
            int r = Grow(index, lo, end, depth + 1);
            _left[node] = l; _right[node] = r;
            return node;
        }

        private void MakeLeaf(int node, int n)
        {
            _threshold[node] = _leaf.Count / classes;
            for (int c = 0; c < classes; c++) _leaf.Add((float)_total[c] / n);
        }

        /// <summary>Best Gini split over <c>mtry</c> random features; false when no split leaves both sides ≥ min leaf.</summary>
        private bool FindSplit(int[] index, int start, int end, out int bestFeature, out int bestBin)
        {
            bestFeature = -1; bestBin = -1;
            int n = end - start;
            double bestScore = double.NegativeInfinity;
            double parentSq = 0;
            for (int c = 0; c < classes; c++) parentSq += (double)_total[c] * _total[c];
            double parentScore = parentSq / n;
            // Partial Fisher–Yates over the feature order picks mtry distinct features.
            for (int k = 0; k < mtry; k++)
            {
                int j = k + rng.Next(_order.Length - k);
                (_order[k], _order[j]) = (_order[j], _order[k]);
                int f = _order[k];
                int bins = edges[f].Length + 1;
                if (bins < 2) continue;
                Array.Clear(_hist, 0, bins * classes);
                var code = codes[f];
                for (int i = start; i < end; i++) _hist[code[index[i]] * classes + labels[index[i]]]++;
                Array.Clear(_leftCounts);
                long leftN = 0;
                for (int b = 0; b < bins - 1; b++)
                {
                    for (int c = 0; c < classes; c++) { _leftCounts[c] += _hist[b * classes + c]; leftN += _hist[b * classes + c]; }
                    long rightN = n - leftN;
                    if (leftN < options.MinSamplesLeaf) continue;
                    if (rightN < options.MinSamplesLeaf) break;
                    // Gini decrease ∝ Σ_c L_c²/|L| + Σ_c R_c²/|R| − Σ_c N_c²/N.
                    double ls = 0, rs = 0;
                    for (int c = 0; c < classes; c++)
                    {
                        double lc = _leftCounts[c], rc = _total[c] - lc;
                        ls += lc * lc; rs += rc * rc;
                    }
                    double score = ls / leftN + rs / rightN;
                    if (score > bestScore + 1e-12) { bestScore = score; bestFeature = f; bestBin = b; }
                }
            }
            return bestFeature >= 0 && bestScore > parentScore + 1e-9;
        }
    }

    /// <summary>
    /// Class probabilities of every sample i in 0..<paramref name="count"/>−1 of <paramref name="features"/>
    /// (feature-major, same feature order as training): result[c][i], summing to 1 over c.
    /// </summary>
    public float[][] PredictProbabilities(float[][] features, int count)
    {
        if (features.Length != Features) throw new ArgumentException($"the forest was trained on {Features} features, got {features.Length}");
        var result = new float[Classes][];
        for (int c = 0; c < Classes; c++) result[c] = new float[count];
        const int chunk = 4096;
        Parallel.For(0, (count + chunk - 1) / chunk, block =>
        {
            var acc = new double[Classes];
            int end = Math.Min(count, (block + 1) * chunk);
            for (int i = block * chunk; i < end; i++)
            {
                Array.Clear(acc);
                foreach (var tree in _trees)
                {
                    int node = 0;
                    while (tree.Feature[node] >= 0)
                        node = features[tree.Feature[node]][i] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
                    int at = (int)tree.Threshold[node] * Classes;
                    for (int c = 0; c < Classes; c++) acc[c] += tree.Leaf[at + c];
                }
                for (int c = 0; c < Classes; c++) result[c][i] = (float)(acc[c] / _trees.Length);
            }
        });
        return result;
    }

    /// <summary>Writes the forest in a versioned little-endian binary form.</summary>
    public void Write(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Classes); w.Write(Features); w.Write(_trees.Length);
        foreach (var t in _trees)
        {
            w.Write(t.Feature.Length);
            for (int i = 0; i < t.Feature.Length; i++) { w.Write(t.Feature[i]); w.Write(t.Threshold[i]); w.Write(t.Left[i]); w.Write(t.Right[i]); }
            w.Write(t.Leaf.Length);
            foreach (var p in t.Leaf) w.Write(p);
        }
    }

    /// <summary>Reads a forest written by <see cref="Write"/>; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">Not a forest, truncated, or structurally invalid.</exception>
    public static RandomForest Read(Stream stream, string source)
    {
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (r.ReadString() != Magic) throw new InvalidDataException($"{source}: not a ShapeStudy random forest (bad magic)");
            int classes = r.ReadInt32(), features = r.ReadInt32(), count = r.ReadInt32();
            if (classes is < 2 or > 256 || features is < 1 or > 100000 || count is < 1 or > 10000)
                throw new InvalidDataException($"{source}: implausible forest header ({classes} classes, {features} features, {count} trees)");
            var trees = new Tree[count];
            for (int t = 0; t < count; t++)
            {
                int nodes = r.ReadInt32();
                if (nodes < 1 || nodes > stream.Length / 16) throw new InvalidDataException($"{source}: tree {t} declares {nodes} nodes");
                var f = new int[nodes]; var th = new float[nodes]; var l = new int[nodes]; var rr = new int[nodes];
                for (int i = 0; i < nodes; i++) { f[i] = r.ReadInt32(); th[i] = r.ReadSingle(); l[i] = r.ReadInt32(); rr[i] = r.ReadInt32(); }
                int leafLength = r.ReadInt32();
                if (leafLength < classes || leafLength % classes != 0 || leafLength > stream.Length / 4)
                    throw new InvalidDataException($"{source}: tree {t} has {leafLength} leaf values");
                var leaf = new float[leafLength];
                for (int i = 0; i < leafLength; i++) leaf[i] = r.ReadSingle();
                for (int i = 0; i < nodes; i++)
                {
                    bool ok = f[i] < 0
                        ? th[i] >= 0 && th[i] * classes + classes <= leafLength && th[i] == Math.Floor(th[i])
                        : f[i] < features && l[i] > i && l[i] < nodes && rr[i] > i && rr[i] < nodes;
                    if (!ok) throw new InvalidDataException($"{source}: tree {t} node {i} is invalid");
                }
                trees[t] = new Tree(f, th, l, rr, leaf);
            }
            return new RandomForest(classes, features, trees);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{source}: truncated random-forest file");
        }
    }
}
