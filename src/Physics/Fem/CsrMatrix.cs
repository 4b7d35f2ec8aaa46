using System.Numerics;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// A square sparse matrix in compressed sparse row form: row i holds the entries
/// <c>Values[RowPointers[i] .. RowPointers[i + 1])</c> in the columns <c>ColumnIndices[...]</c>, sorted ascending
/// within each row, every row containing its diagonal. The structure is immutable; <see cref="Values"/> may be rewritten
/// in place (assembly). Matrix–vector products run in parallel over row blocks of balanced non-zero counts.
/// </summary>
public sealed class CsrMatrix
{
    /// <summary>Number of rows (= columns).</summary>
    public int RowCount { get; }
    /// <summary>RowCount + 1 offsets into <see cref="ColumnIndices"/> and <see cref="Values"/>.</summary>
    public int[] RowPointers { get; }
    /// <summary>Column of each stored entry, ascending within a row.</summary>
    public int[] ColumnIndices { get; }
    /// <summary>Value of each stored entry.</summary>
    public double[] Values { get; }
    /// <summary>Position of the diagonal entry of each row in <see cref="Values"/>.</summary>
    public int[] DiagonalPositions { get; }

    internal readonly int[] Blocks; // row ranges for parallel products (Blocks.Length - 1 blocks)

    /// <summary>Stored-entry count from which products and preconditioner sweeps run in parallel: below it a product takes
    /// well under a millisecond and the hand-off to other threads costs more than it saves (on a loaded machine, far more).</summary>
    internal const int ParallelNonZeros = 600_000;

    /// <summary>Wraps CSR arrays (not copied). Columns must be sorted within rows and every row must store its diagonal.</summary>
    /// <exception cref="ArgumentException">Inconsistent arrays, unsorted columns or a missing diagonal.</exception>
    public CsrMatrix(int rowCount, int[] rowPointers, int[] columnIndices, double[]? values = null)
    {
        if (rowCount < 0 || rowPointers.Length != rowCount + 1) throw new ArgumentException("rowPointers must have rowCount + 1 entries", nameof(rowPointers));
        if (rowPointers[0] != 0 || rowPointers[rowCount] != columnIndices.Length) throw new ArgumentException("rowPointers must start at 0 and end at the entry count", nameof(rowPointers));
        values ??= new double[columnIndices.Length];
        if (values.Length != columnIndices.Length) throw new ArgumentException("one value per column index is required", nameof(values));
        RowCount = rowCount;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
        DiagonalPositions = new int[rowCount];
        for (int i = 0; i < rowCount; i++)
        {
            int d = -1;
            for (int k = rowPointers[i]; k < rowPointers[i + 1]; k++)
            {
                int c = columnIndices[k];
                if ((uint)c >= (uint)rowCount) throw new ArgumentException($"column {c} out of range in row {i}", nameof(columnIndices));
                if (k > rowPointers[i] && columnIndices[k - 1] >= c) throw new ArgumentException($"columns of row {i} are not strictly ascending", nameof(columnIndices));
                if (c == i) d = k;
            }
            if (d < 0) throw new ArgumentException($"row {i} has no diagonal entry", nameof(columnIndices));
            DiagonalPositions[i] = d;
        }
        Blocks = Partition(rowPointers, rowCount);
    }

    private CsrMatrix(CsrMatrix structure, double[] values)
    {
        RowCount = structure.RowCount;
        RowPointers = structure.RowPointers;
        ColumnIndices = structure.ColumnIndices;
        DiagonalPositions = structure.DiagonalPositions;
        Blocks = structure.Blocks;
        Values = values;
    }

    /// <summary>Number of stored entries.</summary>
    public int NonZeroCount => ColumnIndices.Length;

    /// <summary>A matrix sharing this structure with new values (zero when <paramref name="values"/> is null; not copied otherwise).</summary>
    public CsrMatrix WithValues(double[]? values = null)
    {
        values ??= new double[NonZeroCount];
        if (values.Length != NonZeroCount) throw new ArgumentException("one value per stored entry is required", nameof(values));
        return new CsrMatrix(this, values);
    }

    /// <summary>Position of entry (row, col) in <see cref="Values"/>, or −1 when it is not stored.</summary>
    public int Find(int row, int col)
    {
        int k = Array.BinarySearch(ColumnIndices, RowPointers[row], RowPointers[row + 1] - RowPointers[row], col);
        return k >= 0 ? k : -1;
    }

    /// <summary>Entry (row, col); zero when not stored.</summary>
    public double this[int row, int col] { get { int k = Find(row, col); return k >= 0 ? Values[k] : 0.0; } }

    /// <summary>The diagonal as a new array.</summary>
    public double[] Diagonal()
    {
        var d = new double[RowCount];
        for (int i = 0; i < RowCount; i++) d[i] = Values[DiagonalPositions[i]];
        return d;
    }

    /// <summary>y = A x (x and y of length RowCount, distinct arrays).</summary>
    public unsafe void Multiply(double[] x, double[] y)
    {
        if (x.Length < RowCount || y.Length < RowCount) throw new ArgumentException("vector shorter than the matrix");
        ForBlocks(Blocks, (lo, hi) =>
        {
            fixed (int* rp = RowPointers, ci = ColumnIndices)
            fixed (double* v = Values, xp = x, yp = y)
                for (int i = lo; i < hi; i++)
                {
                    double s = 0;
                    for (int k = rp[i], end = rp[i + 1]; k < end; k++) s += v[k] * xp[ci[k]];
                    yp[i] = s;
                }
        });
    }

    /// <summary>y = A x and returns x·y (one pass; distinct arrays).</summary>
    public unsafe double MultiplyDot(double[] x, double[] y)
    {
        if (x.Length < RowCount || y.Length < RowCount) throw new ArgumentException("vector shorter than the matrix");
        var partial = new double[Blocks.Length - 1];
        ForBlocks(Blocks, (lo, hi) =>
        {
            double acc = 0;
            fixed (int* rp = RowPointers, ci = ColumnIndices)
            fixed (double* v = Values, xp = x, yp = y)
                for (int i = lo; i < hi; i++)
                {
                    double s = 0;
                    for (int k = rp[i], end = rp[i + 1]; k < end; k++) s += v[k] * xp[ci[k]];
                    yp[i] = s;
                    acc += s * xp[i];
                }
            partial[Array.BinarySearch(Blocks, lo)] = acc;
        });
        double sum = 0;
        foreach (var p in partial) sum += p;
        return sum;
    }

    /// <summary>Dense copy (row-major RowCount × RowCount), for small systems and tests.</summary>
    public double[,] ToDense()
    {
        var a = new double[RowCount, RowCount];
        for (int i = 0; i < RowCount; i++)
            for (int k = RowPointers[i]; k < RowPointers[i + 1]; k++) a[i, ColumnIndices[k]] += Values[k];
        return a;
    }

    /// <summary>For each stored entry (i, j), the position of (j, i), or −1 when the structure is not symmetric there.</summary>
    public int[] TransposePositions()
    {
        var t = new int[NonZeroCount];
        for (int i = 0; i < RowCount; i++)
            for (int k = RowPointers[i]; k < RowPointers[i + 1]; k++) t[k] = Find(ColumnIndices[k], i);
        return t;
    }

    /// <summary>Builds a structure (zero values) from per-row column sets given as sorted, distinct arrays each containing the row.</summary>
    public static CsrMatrix FromRows(int[][] rows)
    {
        var rp = new int[rows.Length + 1];
        for (int i = 0; i < rows.Length; i++) rp[i + 1] = rp[i] + rows[i].Length;
        var ci = new int[rp[^1]];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(ci, rp[i]);
        return new CsrMatrix(rows.Length, rp, ci);
    }

    internal static int[] Partition(int[] rowPointers, int n)
    {
        int workers = rowPointers[n] < ParallelNonZeros ? 1 : Math.Max(1, Environment.ProcessorCount) * 4;
        var b = new List<int> { 0 };
        long nnz = rowPointers[n];
        for (int p = 1; p < workers; p++)
        {
            long target = nnz * p / workers;
            int lo = b[^1], hi = n;
            while (lo < hi) { int mid = (lo + hi) >> 1; if (rowPointers[mid] < target) lo = mid + 1; else hi = mid; }
            if (lo > b[^1] && lo < n) b.Add(lo);
        }
        b.Add(n);
        return b.ToArray();
    }

    internal static void ForBlocks(int[] blocks, Action<int, int> body)
    {
        int nb = blocks.Length - 1;
        if (nb == 1) { body(blocks[0], blocks[1]); return; }
        Parallel.For(0, nb, b => body(blocks[b], blocks[b + 1]));
    }
}

/// <summary>Dense vector kernels on double arrays (SIMD via <see cref="Vector{T}"/>; parallel above ~100k entries).</summary>
public static class VectorOps
{
    private const int ParallelThreshold = 100_000;

    /// <summary>Σ x_i y_i over the first n entries.</summary>
    public static double Dot(double[] x, double[] y, int n)
    {
        if (n < ParallelThreshold) return DotRange(x, y, 0, n);
        int parts = Math.Max(2, Environment.ProcessorCount);
        var partial = new double[parts];
        Parallel.For(0, parts, p => partial[p] = DotRange(x, y, (int)((long)n * p / parts), (int)((long)n * (p + 1) / parts)));
        double s = 0;
        foreach (var v in partial) s += v;
        return s;
    }

    private static double DotRange(double[] x, double[] y, int lo, int hi)
    {
        int w = Vector<double>.Count, i = lo;
        var acc = Vector<double>.Zero;
        var xs = x.AsSpan(); var ys = y.AsSpan();
        for (; i + w <= hi; i += w) acc += new Vector<double>(xs.Slice(i, w)) * new Vector<double>(ys.Slice(i, w));
        double s = Vector.Sum(acc);
        for (; i < hi; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>‖x‖₂ over the first n entries.</summary>
    public static double Norm(double[] x, int n) => Math.Sqrt(Dot(x, x, n));

    /// <summary>y ← y + a x over the first n entries.</summary>
    public static void Axpy(double a, double[] x, double[] y, int n) => Apply(n, (lo, hi) =>
    {
        int w = Vector<double>.Count, i = lo;
        var av = new Vector<double>(a);
        var xs = x.AsSpan(); var ys = y.AsSpan();
        for (; i + w <= hi; i += w) (new Vector<double>(ys.Slice(i, w)) + av * new Vector<double>(xs.Slice(i, w))).CopyTo(ys.Slice(i, w));
        for (; i < hi; i++) y[i] += a * x[i];
    });

    /// <summary>y ← x + b y over the first n entries.</summary>
    public static void Xpby(double[] x, double b, double[] y, int n) => Apply(n, (lo, hi) =>
    {
        int w = Vector<double>.Count, i = lo;
        var bv = new Vector<double>(b);
        var xs = x.AsSpan(); var ys = y.AsSpan();
        for (; i + w <= hi; i += w) (new Vector<double>(xs.Slice(i, w)) + bv * new Vector<double>(ys.Slice(i, w))).CopyTo(ys.Slice(i, w));
        for (; i < hi; i++) y[i] = x[i] + b * y[i];
    });

    /// <summary>x ← x + a·d, r ← r − a·q over the first n entries; returns ‖r‖₂² (the fused CG update).</summary>
    public static double CgUpdate(double a, double[] d, double[] q, double[] x, double[] r, int n)
    {
        int parts = n < ParallelThreshold ? 1 : Math.Max(2, Environment.ProcessorCount);
        var partial = new double[parts];
        void Body(int p)
        {
            int lo = (int)((long)n * p / parts), hi = (int)((long)n * (p + 1) / parts);
            int w = Vector<double>.Count, i = lo;
            var av = new Vector<double>(a);
            var acc = Vector<double>.Zero;
            var ds = d.AsSpan(); var qs = q.AsSpan(); var xs = x.AsSpan(); var rs = r.AsSpan();
            for (; i + w <= hi; i += w)
            {
                (new Vector<double>(xs.Slice(i, w)) + av * new Vector<double>(ds.Slice(i, w))).CopyTo(xs.Slice(i, w));
                var rv = new Vector<double>(rs.Slice(i, w)) - av * new Vector<double>(qs.Slice(i, w));
                rv.CopyTo(rs.Slice(i, w));
                acc += rv * rv;
            }
            double s = Vector.Sum(acc);
            for (; i < hi; i++) { x[i] += a * d[i]; r[i] -= a * q[i]; s += r[i] * r[i]; }
            partial[p] = s;
        }
        if (parts == 1) Body(0); else Parallel.For(0, parts, Body);
        double sum = 0;
        foreach (var v in partial) sum += v;
        return sum;
    }

    internal static void Apply(int n, Action<int, int> body)
    {
        if (n < ParallelThreshold) { body(0, n); return; }
        int parts = Math.Max(2, Environment.ProcessorCount);
        Parallel.For(0, parts, p => body((int)((long)n * p / parts), (int)((long)n * (p + 1) / parts)));
    }
}
