namespace ShapeStudy.Physics;

/// <summary>
/// Geometric aggregation multigrid for operators of the form A = α·M + D·K on a voxel domain, where M is the (diagonal)
/// volume matrix and K a 7-point finite-volume Laplacian (symmetric, zero row sums). Levels are built once per geometry by
/// merging 2 × 2 × 2 blocks of cells (piecewise-constant prolongation P, Galerkin coarse operators Pᵀ M P and Pᵀ K P),
/// so a run with new α and D only rescales stored values. Used as a symmetric V-cycle preconditioner for CG
/// (forward Gauss–Seidel before, backward Gauss–Seidel after the coarse correction, exact dense solve on the coarsest level).
/// </summary>
internal sealed class AggregationMultigrid
{
    private const int CoarsestSize = 96;

    internal sealed class Level
    {
        public int N;
        public int[] Nb = [];       // 6 per cell; N = no neighbour
        public double[] KOff = [];  // 6 per cell; K_ij = −KOff
        public double[] KDiag = [];
        public double[] Mass = [];
        public int[] Agg = [];      // cell → coarse cell (empty on the coarsest level)
        /// <summary>When set, KOff equals these per-axis weights (x, y, z) wherever a neighbour exists; since absent
        /// neighbours point at a zero dummy entry the smoother may then use the constants.</summary>
        public double[]? AxisWeights;
    }

    private readonly Level[] _levels;

    public AggregationMultigrid(Level fine, int[] cz, int[] cy, int[] cx)
    {
        var levels = new List<Level> { fine };
        var cur = fine;
        while (cur.N > CoarsestSize)
        {
            var (next, nz, ny, nx) = Coarsen(cur, cz, cy, cx);
            if (next.N > 0.9 * cur.N) break;
            levels.Add(next);
            cur = next; cz = nz; cy = ny; cx = nx;
        }
        _levels = levels.ToArray();
    }

    public int LevelCount => _levels.Length;

    private static (Level Coarse, int[] Z, int[] Y, int[] X) Coarsen(Level f, int[] cz, int[] cy, int[] cx)
    {
        int n = f.N;
        var map = new Dictionary<long, int>();
        f.Agg = new int[n];
        var zs = new List<int>(); var ys = new List<int>(); var xs = new List<int>();
        for (int i = 0; i < n; i++)
        {
            int bz = cz[i] >> 1, by = cy[i] >> 1, bx = cx[i] >> 1;
            long key = ((long)bz << 42) | ((long)by << 21) | (uint)bx;
            if (!map.TryGetValue(key, out int a))
            {
                a = map.Count;
                map[key] = a;
                zs.Add(bz); ys.Add(by); xs.Add(bx);
            }
            f.Agg[i] = a;
        }
        int m = map.Count;
        var c = new Level { N = m, Nb = new int[6 * m], KOff = new double[6 * m], KDiag = new double[m], Mass = new double[m] };
        Array.Fill(c.Nb, m);
        for (int i = 0; i < n; i++)
        {
            int I = f.Agg[i];
            c.KDiag[I] += f.KDiag[i];
            c.Mass[I] += f.Mass[i];
            for (int d = 0; d < 6; d++)
            {
                int j = f.Nb[6 * i + d];
                if (j == n) continue;
                int J = f.Agg[j];
                double w = f.KOff[6 * i + d];
                if (J == I) c.KDiag[I] -= w;
                else { c.Nb[6 * I + d] = J; c.KOff[6 * I + d] += w; }
            }
        }
        return (c, zs.ToArray(), ys.ToArray(), xs.ToArray());
    }

    /// <summary>Per-run numeric state: diagonals of α M + D K on every level, coarsest Cholesky factor, work arrays.</summary>
    public sealed class Workspace
    {
        internal double[][] Diag = [];
        internal double[][] InvDiag = [];
        internal double[][] X = [];
        internal double[][] B = [];
        internal double[] Chol = [];
        internal double D;
    }

    public Workspace CreateWorkspace(double alpha, double d)
    {
        var ws = new Workspace { D = d, Diag = new double[_levels.Length][], InvDiag = new double[_levels.Length][], X = new double[_levels.Length][], B = new double[_levels.Length][] };
        for (int l = 0; l < _levels.Length; l++)
        {
            var lv = _levels[l];
            var diag = new double[lv.N];
            for (int i = 0; i < lv.N; i++) diag[i] = alpha * lv.Mass[i] + d * lv.KDiag[i];
            ws.Diag[l] = diag;
            var inv = new double[lv.N];
            for (int i = 0; i < lv.N; i++) inv[i] = 1 / diag[i];
            ws.InvDiag[l] = inv;
            ws.X[l] = new double[lv.N + 1];
            ws.B[l] = new double[lv.N];
        }
        // Dense Cholesky of the coarsest operator (SPD because α > 0).
        var last = _levels[^1];
        int nc = last.N;
        var a = new double[nc * nc];
        for (int i = 0; i < nc; i++)
        {
            a[i * nc + i] = ws.Diag[^1][i];
            for (int q = 0; q < 6; q++)
            {
                int j = last.Nb[6 * i + q];
                if (j < nc) a[i * nc + j] -= d * last.KOff[6 * i + q];
            }
        }
        for (int j = 0; j < nc; j++)
        {
            double s = a[j * nc + j];
            for (int k = 0; k < j; k++) s -= a[j * nc + k] * a[j * nc + k];
            double ljj = Math.Sqrt(s);
            a[j * nc + j] = ljj;
            for (int i = j + 1; i < nc; i++)
            {
                double t = a[i * nc + j];
                for (int k = 0; k < j; k++) t -= a[i * nc + k] * a[j * nc + k];
                a[i * nc + j] = t / ljj;
            }
        }
        ws.Chol = a;
        return ws;
    }

    /// <summary>z ≈ A⁻¹ r by one symmetric V-cycle (z has length n, the fine size).</summary>
    public void Apply(Workspace ws, double[] r, double[] z)
    {
        var b0 = ws.B[0];
        Array.Copy(r, b0, b0.Length);
        Cycle(ws, 0);
        Array.Copy(ws.X[0], z, z.Length);
    }

    private void Cycle(Workspace ws, int l)
    {
        var lv = _levels[l];
        int n = lv.N;
        var x = ws.X[l];
        var b = ws.B[l];
        if (l == _levels.Length - 1)
        {
            // Forward and backward substitution with the Cholesky factor.
            var a = ws.Chol;
            for (int i = 0; i < n; i++)
            {
                double s = b[i];
                for (int k = 0; k < i; k++) s -= a[i * n + k] * x[k];
                x[i] = s / a[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = x[i];
                for (int k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
                x[i] = s / a[i * n + i];
            }
            x[n] = 0;
            return;
        }
        double d = ws.D;
        var diag = ws.Diag[l];
        var inv = ws.InvDiag[l];
        var nb = lv.Nb;
        var off = lv.KOff;
        Array.Clear(x, 0, n + 1);
        if (lv.AxisWeights is { } aw)
        {
            UniformCycle(ws, l, lv, aw[0] * d, aw[1] * d, aw[2] * d);
            return;
        }
        // Forward Gauss–Seidel from zero.
        for (int i = 0; i < n; i++)
        {
            int o = 6 * i;
            // The −x neighbour (just updated) is added last to keep the loop-carried dependency short.
            double s = off[o + 1] * x[nb[o + 1]] + off[o + 2] * x[nb[o + 2]] + off[o + 3] * x[nb[o + 3]]
                     + off[o + 4] * x[nb[o + 4]] + off[o + 5] * x[nb[o + 5]];
            double bi = (b[i] + d * s) * inv[i];
            x[i] = bi + (d * off[o] * inv[i]) * x[nb[o]];
        }
        // Restrict the residual.
        var bc = ws.B[l + 1];
        Array.Clear(bc);
        var agg = lv.Agg;
        for (int i = 0; i < n; i++)
        {
            int o = 6 * i;
            double s = off[o] * x[nb[o]] + off[o + 1] * x[nb[o + 1]] + off[o + 2] * x[nb[o + 2]]
                     + off[o + 3] * x[nb[o + 3]] + off[o + 4] * x[nb[o + 4]] + off[o + 5] * x[nb[o + 5]];
            bc[agg[i]] += b[i] - (diag[i] * x[i] - d * s);
        }
        Cycle(ws, l + 1);
        var xc = ws.X[l + 1];
        for (int i = 0; i < n; i++) x[i] += xc[agg[i]];
        // Backward Gauss–Seidel.
        for (int i = n - 1; i >= 0; i--)
        {
            int o = 6 * i;
            // The +x neighbour (just updated) is added last.
            double s = off[o] * x[nb[o]] + off[o + 2] * x[nb[o + 2]] + off[o + 3] * x[nb[o + 3]]
                     + off[o + 4] * x[nb[o + 4]] + off[o + 5] * x[nb[o + 5]];
            double bi = (b[i] + d * s) * inv[i];
            x[i] = bi + (d * off[o + 1] * inv[i]) * x[nb[o + 1]];
        }
    }

    /// <summary>The same V-cycle step as <see cref="Cycle"/> for a level with constant per-axis weights.</summary>
    private void UniformCycle(Workspace ws, int l, Level lv, double ax, double ay, double az)
    {
        int n = lv.N;
        var x = ws.X[l];
        var b = ws.B[l];
        var diag = ws.Diag[l];
        var inv = ws.InvDiag[l];
        var nb = lv.Nb;
        for (int i = 0; i < n; i++)
        {
            int o = 6 * i;
            double s = ax * x[nb[o + 1]] + ay * (x[nb[o + 2]] + x[nb[o + 3]]) + az * (x[nb[o + 4]] + x[nb[o + 5]]);
            double bi = (b[i] + s) * inv[i];
            x[i] = bi + (ax * inv[i]) * x[nb[o]];
        }
        var bc = ws.B[l + 1];
        Array.Clear(bc);
        var agg = lv.Agg;
        for (int i = 0; i < n; i++)
        {
            int o = 6 * i;
            double s = ax * (x[nb[o]] + x[nb[o + 1]]) + ay * (x[nb[o + 2]] + x[nb[o + 3]]) + az * (x[nb[o + 4]] + x[nb[o + 5]]);
            bc[agg[i]] += b[i] - (diag[i] * x[i] - s);
        }
        Cycle(ws, l + 1);
        var xc = ws.X[l + 1];
        for (int i = 0; i < n; i++) x[i] += xc[agg[i]];
        for (int i = n - 1; i >= 0; i--)
        {
            int o = 6 * i;
            double s = ax * x[nb[o]] + ay * (x[nb[o + 2]] + x[nb[o + 3]]) + az * (x[nb[o + 4]] + x[nb[o + 5]]);
            double bi = (b[i] + s) * inv[i];
            x[i] = bi + (ax * inv[i]) * x[nb[o + 1]];
        }
    }
}
