using ShapeStudy.Core;

namespace ShapeStudy.Imaging;

/// <summary>
/// Sparse contingency table of two label volumes of the same shape: entry k says that
/// <see cref="Count"/>[k] voxels carry label <see cref="Truth"/>[k] in the truth and <see cref="Pred"/>[k] in the
/// prediction. Entries are sorted by (truth, pred) and only non-zero counts are stored; labels are arbitrary ints
/// (0 is the background by convention).
/// </summary>
public sealed class ContingencyTable
{
    /// <summary>Truth label of each entry.</summary>
    public int[] Truth { get; }
    /// <summary>Predicted label of each entry.</summary>
    public int[] Pred { get; }
    /// <summary>Voxel count of each entry (&gt; 0).</summary>
    public long[] Count { get; }
    /// <summary>Total number of voxels (sum of <see cref="Count"/>).</summary>
    public long Total { get; }

    private ContingencyTable(int[] truth, int[] pred, long[] count)
    {
        Truth = truth; Pred = pred; Count = count;
        long total = 0;
        foreach (var c in count) total += c;
        Total = total;
    }

    /// <summary>Number of distinct (truth, pred) pairs.</summary>
    public int Entries => Count.Length;

    /// <summary>
    /// Counts the (truth, pred) label pairs of two volumes of equal shape (Z, Y, X). Runs of equal pairs are
    /// collapsed before hashing and chunks are counted in parallel, so 1M voxels take a few milliseconds.
    /// </summary>
    public static ContingencyTable Build(Volume<int> truth, Volume<int> pred)
    {
        if (truth.Shape != pred.Shape)
            throw new ArgumentException($"truth shape {truth.Shape} and prediction shape {pred.Shape} differ");
        var t = truth.Data;
        var p = pred.Data;
        const int Chunk = 1 << 16;
        int chunks = (t.Length + Chunk - 1) / Chunk;
        var merged = new Dictionary<long, long>();
        Parallel.For(0, chunks, () => new Dictionary<long, long>(), (c, _, local) =>
        {
            int start = c * Chunk, end = Math.Min(t.Length, start + Chunk);
            int i = start;
            while (i < end)
            {
                int a = t[i], b = p[i];
                int j = i + 1;
                while (j < end && t[j] == a && p[j] == b) j++;
                long key = Key(a, b);
                local[key] = local.GetValueOrDefault(key) + (j - i);
                i = j;
            }
            return local;
        }, local =>
        {
            lock (merged)
                foreach (var (k, v) in local) merged[k] = merged.GetValueOrDefault(k) + v;
        });
        var keys = new long[merged.Count];
        var counts = new long[merged.Count];
        int n = 0;
        foreach (var (k, v) in merged) { keys[n] = k; counts[n] = v; n++; }
        Array.Sort(keys, counts);
        var tl = new int[n];
        var pl = new int[n];
        for (int k = 0; k < n; k++) (tl[k], pl[k]) = Unkey(keys[k]);
        return new ContingencyTable(tl, pl, counts);
    }

    // Order-preserving key: sorting keys sorts by (truth, pred) as signed ints.
    private static long Key(int a, int b) => ((long)a << 32) | (uint)(b ^ int.MinValue);

    private static (int, int) Unkey(long key) => ((int)(key >> 32), (int)(uint)key ^ int.MinValue);
}
