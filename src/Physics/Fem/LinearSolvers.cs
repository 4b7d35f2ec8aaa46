namespace ShapeStudy.Physics.Fem;

/// <summary>A preconditioner z = P⁻¹ r.</summary>
public interface IPreconditioner
{
    /// <summary>Writes P⁻¹ r into z (distinct arrays of the system's size).</summary>
    void Apply(double[] r, double[] z);
}

/// <summary>Jacobi (diagonal) preconditioner.</summary>
public sealed class JacobiPreconditioner : IPreconditioner
{
    private readonly double[] _inv;

    /// <summary>Inverts the diagonal of <paramref name="a"/> (zero diagonals are treated as 1).</summary>
    public JacobiPreconditioner(CsrMatrix a)
    {
        _inv = a.Diagonal();
        for (int i = 0; i < _inv.Length; i++) _inv[i] = _inv[i] != 0 ? 1.0 / _inv[i] : 1.0;
    }

    /// <inheritdoc/>
    public void Apply(double[] r, double[] z) => VectorOps.Apply(_inv.Length, (lo, hi) =>
    {
        for (int i = lo; i < hi; i++) z[i] = r[i] * _inv[i];
    });
}

/// <summary>
/// Incomplete LU factorisation with zero fill, ILU(0), on the matrix's own sparsity structure. On a symmetric positive
/// definite matrix it is incomplete Cholesky IC(0) in LDLᵀ form (U = D Lᵀ), a symmetric preconditioner suitable for CG.
/// With <c>blocks</c> &gt; 1 the rows are split into that many contiguous blocks of balanced non-zero counts and each
/// diagonal block is factored and solved on its own, in parallel (block-Jacobi ILU(0)/IC(0): couplings between blocks are
/// dropped; with a bandwidth-reducing numbering they are few). When a pivot is not positive (or, for a general matrix,
/// vanishes), the factorisation restarts on A + α·diag(A) with α = 1e-3, 1e-2, … (Manteuffel shift).
/// </summary>
public sealed class IncompleteLu : IPreconditioner
{
    private readonly CsrMatrix _f;
    private readonly int[] _blocks;
    private readonly int[] _lowStart, _highEnd; // per row: first entry with column ≥ block start, first with column ≥ block end

    /// <summary>Diagonal shift α that was needed (0 when none).</summary>
    public double Shift { get; }

    /// <summary>Factors <paramref name="a"/>; <paramref name="requirePositivePivots"/> = true for the IC(0) use;
    /// <paramref name="blocks"/> = number of independent diagonal blocks (0 = one per processor for matrices of 600k stored entries or more).</summary>
    public IncompleteLu(CsrMatrix a, bool requirePositivePivots, int blocks = 0)
    {
        int n = a.RowCount;
        if (blocks <= 0) blocks = a.NonZeroCount >= CsrMatrix.ParallelNonZeros ? Environment.ProcessorCount : 1;
        _blocks = blocks == 1 ? [0, n] : BlockBounds(a, blocks);
        _lowStart = new int[n]; _highEnd = new int[n];
        var rp = a.RowPointers; var ci = a.ColumnIndices;
        for (int b = 0; b + 1 < _blocks.Length; b++)
        {
            int lo = _blocks[b], hi = _blocks[b + 1];
            for (int i = lo; i < hi; i++)
            {
                int k = rp[i];
                while (k < rp[i + 1] && ci[k] < lo) k++;
                _lowStart[i] = k;
                while (k < rp[i + 1] && ci[k] < hi) k++;
                _highEnd[i] = k;
            }
        }
        double shift = 0;
        while (true)
        {
            var f = a.WithValues((double[])a.Values.Clone());
            if (shift > 0) foreach (int d in a.DiagonalPositions) f.Values[d] *= 1 + shift;
            var ok = new bool[_blocks.Length - 1];
            Parallel.For(0, ok.Length, b => ok[b] = Factor(f, requirePositivePivots, _blocks[b], _blocks[b + 1]));
            if (ok.All(x => x)) { _f = f; Shift = shift; return; }
            shift = shift == 0 ? 1e-3 : shift * 10;
            if (shift > 1e3) throw new InvalidOperationException("incomplete factorisation failed even with a large diagonal shift");
        }
    }

    private static int[] BlockBounds(CsrMatrix a, int blocks)
    {
        var b = new List<int> { 0 };
        long nnz = a.NonZeroCount;
        for (int p = 1; p < blocks; p++)
        {
            long target = nnz * p / blocks;
            int lo = b[^1], hi = a.RowCount;
            while (lo < hi) { int mid = (lo + hi) >> 1; if (a.RowPointers[mid] < target) lo = mid + 1; else hi = mid; }
            if (lo > b[^1] && lo < a.RowCount) b.Add(lo);
        }
        b.Add(a.RowCount);
        return b.ToArray();
    }

    private bool Factor(CsrMatrix f, bool positive, int lo, int hi)
    {
        var rp = f.RowPointers; var ci = f.ColumnIndices; var v = f.Values; var dp = f.DiagonalPositions;
        var where = new int[hi - lo];
        Array.Fill(where, -1);
        for (int i = lo; i < hi; i++)
        {
            int k0 = _lowStart[i], k1 = _highEnd[i];
            for (int k = k0; k < k1; k++) where[ci[k] - lo] = k;
            for (int k = k0; k < dp[i]; k++)
            {
                int col = ci[k];
                double lik = v[k] / v[dp[col]];
                v[k] = lik;
                for (int kk = dp[col] + 1; kk < _highEnd[col]; kk++)
                {
                    int w = where[ci[kk] - lo];
                    if (w >= 0) v[w] -= lik * v[kk];
                }
            }
            for (int k = k0; k < k1; k++) where[ci[k] - lo] = -1;
            double d = v[dp[i]];
            if (positive ? !(d > 0) : !(Math.Abs(d) > 1e-300) || double.IsNaN(d)) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public void Apply(double[] r, double[] z)
    {
        if (_blocks.Length == 2) { Solve(r, z, 0, _blocks[1]); return; }
        Parallel.For(0, _blocks.Length - 1, b => Solve(r, z, _blocks[b], _blocks[b + 1]));
    }

    private void Solve(double[] r, double[] z, int lo, int hi)
    {
        var ci = _f.ColumnIndices; var v = _f.Values; var dp = _f.DiagonalPositions;
        for (int i = lo; i < hi; i++)
        {
            double s = r[i];
            for (int k = _lowStart[i]; k < dp[i]; k++) s -= v[k] * z[ci[k]];
            z[i] = s;
        }
        for (int i = hi - 1; i >= lo; i--)
        {
            double s = z[i];
            for (int k = dp[i] + 1; k < _highEnd[i]; k++) s -= v[k] * z[ci[k]];
            z[i] = s / v[dp[i]];
        }
    }
}

/// <summary>Outcome of an iterative solve: convergence, iterations, final relative residual ‖b − Ax‖₂/‖b‖₂.</summary>
public readonly record struct LinearSolveResult(bool Converged, int Iterations, double RelativeResidual);

/// <summary>Krylov solvers on <see cref="CsrMatrix"/> (x holds the initial guess on entry and the solution on exit).</summary>
public static class KrylovSolvers
{
    /// <summary>Preconditioned conjugate gradients for symmetric positive definite A (P symmetric positive definite).</summary>
    public static LinearSolveResult ConjugateGradient(CsrMatrix a, double[] b, double[] x, IPreconditioner p, double relativeTolerance, int maxIterations)
    {
        int n = a.RowCount;
        double bn = VectorOps.Norm(b, n);
        if (bn == 0) { Array.Clear(x, 0, n); return new(true, 0, 0); }
        var r = new double[n]; var z = new double[n]; var q = new double[n]; var d = new double[n];
        a.Multiply(x, r);
        VectorOps.Apply(n, (lo, hi) => { for (int i = lo; i < hi; i++) r[i] = b[i] - r[i]; });
        double rn = VectorOps.Norm(r, n), target = relativeTolerance * bn;
        if (rn <= target) return new(true, 0, rn / bn);
        p.Apply(r, z);
        Array.Copy(z, d, n);
        double rz = VectorOps.Dot(r, z, n);
        for (int it = 1; it <= maxIterations; it++)
        {
            double dq = a.MultiplyDot(d, q);
            if (!(dq > 0)) return new(false, it, rn / bn);
            double alpha = rz / dq;
            rn = Math.Sqrt(VectorOps.CgUpdate(alpha, d, q, x, r, n));
            if (rn <= target) return new(true, it, rn / bn);
            if (double.IsNaN(rn)) return new(false, it, rn);
            p.Apply(r, z);
            double rzNew = VectorOps.Dot(r, z, n);
            VectorOps.Xpby(z, rzNew / rz, d, n);
            rz = rzNew;
        }
        return new(false, maxIterations, rn / bn);
    }

    /// <summary>Preconditioned BiCGStab (van der Vorst) for general A.</summary>
    public static LinearSolveResult BiCgStab(CsrMatrix a, double[] b, double[] x, IPreconditioner p, double relativeTolerance, int maxIterations)
    {
        int n = a.RowCount;
        double bn = VectorOps.Norm(b, n);
        if (bn == 0) { Array.Clear(x, 0, n); return new(true, 0, 0); }
        var r = new double[n]; var r0 = new double[n]; var pv = new double[n]; var v = new double[n];
        var ph = new double[n]; var s = new double[n]; var sh = new double[n]; var t = new double[n];
        a.Multiply(x, r);
        for (int i = 0; i < n; i++) r[i] = b[i] - r[i];
        double rn = VectorOps.Norm(r, n), target = relativeTolerance * bn;
        if (rn <= target) return new(true, 0, rn / bn);
        Array.Copy(r, r0, n);
        double rho = 1, alpha = 1, omega = 1;
        for (int it = 1; it <= maxIterations; it++)
        {
            double rhoNew = VectorOps.Dot(r0, r, n);
            if (rhoNew == 0 || omega == 0) return new(false, it, rn / bn);
            double beta = rhoNew / rho * (alpha / omega);
            rho = rhoNew;
            for (int i = 0; i < n; i++) pv[i] = r[i] + beta * (pv[i] - omega * v[i]);
            p.Apply(pv, ph);
            a.Multiply(ph, v);
            double r0v = VectorOps.Dot(r0, v, n);
            if (r0v == 0) return new(false, it, rn / bn);
            alpha = rho / r0v;
            for (int i = 0; i < n; i++) s[i] = r[i] - alpha * v[i];
            double sn = VectorOps.Norm(s, n);
            if (sn <= target) { VectorOps.Axpy(alpha, ph, x, n); return new(true, it, sn / bn); }
            p.Apply(s, sh);
            a.Multiply(sh, t);
            double tt = VectorOps.Dot(t, t, n);
            omega = tt > 0 ? VectorOps.Dot(t, s, n) / tt : 0;
            for (int i = 0; i < n; i++) { x[i] += alpha * ph[i] + omega * sh[i]; r[i] = s[i] - omega * t[i]; }
            rn = VectorOps.Norm(r, n);
            if (rn <= target) return new(true, it, rn / bn);
            if (double.IsNaN(rn)) return new(false, it, rn);
        }
        return new(false, maxIterations, rn / bn);
    }
}

/// <summary>Dense LU with partial pivoting, for small systems (n up to a few thousand).</summary>
public sealed class DenseLu
{
    private readonly double[] _lu;
    private readonly int[] _perm;
    private readonly int _n;

    /// <summary>Factors the matrix.</summary>
    /// <exception cref="InvalidOperationException">The matrix is singular to working precision.</exception>
    public DenseLu(CsrMatrix a)
    {
        int n = _n = a.RowCount;
        _lu = new double[(long)n * n];
        for (int i = 0; i < n; i++)
            for (int k = a.RowPointers[i]; k < a.RowPointers[i + 1]; k++) _lu[(long)i * n + a.ColumnIndices[k]] += a.Values[k];
        _perm = new int[n];
        for (int i = 0; i < n; i++) _perm[i] = i;
        for (int k = 0; k < n; k++)
        {
            int piv = k; double best = Math.Abs(_lu[(long)k * n + k]);
            for (int i = k + 1; i < n; i++) { double m = Math.Abs(_lu[(long)i * n + k]); if (m > best) { best = m; piv = i; } }
            if (!(best > 0)) throw new InvalidOperationException($"matrix is singular (column {k})");
            if (piv != k)
            {
                for (int j = 0; j < n; j++) (_lu[(long)k * n + j], _lu[(long)piv * n + j]) = (_lu[(long)piv * n + j], _lu[(long)k * n + j]);
                (_perm[k], _perm[piv]) = (_perm[piv], _perm[k]);
            }
            double inv = 1.0 / _lu[(long)k * n + k];
            var lu = _lu;
            int kk = k;
            void Row(int i)
            {
                long ri = (long)i * n, rk = (long)kk * n;
                double l = lu[ri + kk] * inv;
                lu[ri + kk] = l;
                if (l != 0) for (int j = kk + 1; j < n; j++) lu[ri + j] -= l * lu[rk + j];
            }
            if ((long)(n - k) * (n - k) > 200_000) Parallel.For(k + 1, n, Row);
            else for (int i = k + 1; i < n; i++) Row(i);
        }
    }

    /// <summary>Solves A x = b.</summary>
    public void Solve(double[] b, double[] x)
    {
        int n = _n;
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[_perm[i]];
            for (int j = 0; j < i; j++) s -= _lu[(long)i * n + j] * y[j];
            y[i] = s;
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int j = i + 1; j < n; j++) s -= _lu[(long)i * n + j] * x[j];
            x[i] = s / _lu[(long)i * n + i];
        }
    }
}

/// <summary>
/// Conjugate gradients preconditioned with the diagonal incomplete Cholesky factorisation P = (D̃ + L) D̃⁻¹ (D̃ + Lᵀ)
/// (L the strict lower triangle of A, D̃ chosen so that diag(P) = diag(A): d̃ᵢ = aᵢᵢ − Σ_{j&lt;i} aᵢⱼ²/d̃ⱼ), applied with
/// Eisenstat's trick: CG runs on the split-preconditioned operator D̃^½ (D̃+L)⁻¹ A (D̃+Lᵀ)⁻¹ D̃^½, whose product costs
/// one backward and one forward sweep over the triangles of A, i.e. about one matrix–vector product per iteration instead
/// of two. The strict upper and lower triangles inside the blocks are stored apart from the couplings between blocks, so
/// the backward sweep streams the upper and the forward sweep the lower half: an iteration reads the matrix once. Rows are split
/// into contiguous blocks (one per processor for large matrices) whose sweeps run in parallel; the factor ignores
/// couplings between blocks (kept in a small separate matrix) and the operator adds them back, so the solve is exact for
/// A. The stopping test uses the preconditioned residual (‖W⁻¹(b − Ax)‖₂ ≤ tol·‖W⁻¹b‖₂, W = (D̃ + L) D̃^−½), like
/// PETSc's default for CG.
/// </summary>
public sealed class EisenstatConjugateGradient
{
    private readonly int _n;
    private readonly double[] _dInv, _s, _sInv, _e, _d; // 1/d̃, √d̃, 1/√d̃, aᵢᵢ − 2d̃ᵢ, d̃
    private readonly int[] _blocks;
    private readonly int[] _urp, _uci; // strict upper triangle inside each block (CSR)
    private readonly double[] _uv;
    private readonly int[] _lrp, _lci; // strict lower triangle inside each block (CSR, the transpose of the upper one)
    private readonly double[] _lv;
    private readonly int[] _crp, _cci; // couplings between blocks (CSR, both triangles)
    private readonly double[] _cv;

    /// <summary>Diagonal shift α (relative) that was needed for positive pivots (0 when none).</summary>
    public double Shift { get; }

    /// <summary>Prepares the preconditioner of the symmetric positive definite matrix <paramref name="a"/> (its values are
    /// copied: later changes to <paramref name="a"/> are not seen).</summary>
    /// <exception cref="InvalidOperationException">No positive factor even with a large shift.</exception>
    public EisenstatConjugateGradient(CsrMatrix a, int blocks = 0)
    {
        int n = _n = a.RowCount;
        if (blocks <= 0) blocks = a.NonZeroCount >= CsrMatrix.ParallelNonZeros ? Environment.ProcessorCount : 1;
        var rp = a.RowPointers; var ci = a.ColumnIndices; var v = a.Values; var dp = a.DiagonalPositions;
        var bl = new List<int> { 0 };
        for (int p = 1; p < blocks; p++)
        {
            long target = (long)a.NonZeroCount * p / blocks;
            int lo = bl[^1], hi = n;
            while (lo < hi) { int mid = (lo + hi) >> 1; if (rp[mid] < target) lo = mid + 1; else hi = mid; }
            if (lo > bl[^1] && lo < n) bl.Add(lo);
        }
        bl.Add(n);
        _blocks = bl.ToArray();
        var lowStart = new int[n]; var highEnd = new int[n];
        _urp = new int[n + 1]; _crp = new int[n + 1]; _lrp = new int[n + 1];
        for (int b = 0; b + 1 < _blocks.Length; b++)
            for (int i = _blocks[b]; i < _blocks[b + 1]; i++)
            {
                int k = rp[i];
                while (k < rp[i + 1] && ci[k] < _blocks[b]) k++;
                lowStart[i] = k;
                while (k < rp[i + 1] && ci[k] < _blocks[b + 1]) k++;
                highEnd[i] = k;
                _urp[i + 1] = _urp[i] + highEnd[i] - dp[i] - 1;
                _lrp[i + 1] = _lrp[i] + dp[i] - lowStart[i];
                _crp[i + 1] = _crp[i] + (lowStart[i] - rp[i]) + (rp[i + 1] - highEnd[i]);
            }
        _uci = new int[_urp[n]]; _uv = new double[_urp[n]];
        _lci = new int[_lrp[n]]; _lv = new double[_lrp[n]];
        _cci = new int[_crp[n]]; _cv = new double[_crp[n]];
        for (int i = 0; i < n; i++)
        {
            int u = _urp[i], c = _crp[i], l = _lrp[i];
            for (int k = lowStart[i]; k < dp[i]; k++, l++) { _lci[l] = ci[k]; _lv[l] = v[k]; }
            for (int k = dp[i] + 1; k < highEnd[i]; k++, u++) { _uci[u] = ci[k]; _uv[u] = v[k]; }
            for (int k = rp[i]; k < lowStart[i]; k++, c++) { _cci[c] = ci[k]; _cv[c] = v[k]; }
            for (int k = highEnd[i]; k < rp[i + 1]; k++, c++) { _cci[c] = ci[k]; _cv[c] = v[k]; }
        }
        _d = new double[n]; _dInv = new double[n]; _s = new double[n]; _sInv = new double[n]; _e = new double[n];
        var g = new double[n];
        double shift = 0;
        while (true)
        {
            // d̃ᵢ = aᵢᵢ − Σ_{j<i} aⱼᵢ²/d̃ⱼ, by columns of the upper triangle
            Array.Clear(g);
            bool ok = true;
            for (int i = 0; i < n && ok; i++)
            {
                double d = v[dp[i]] * (1 + shift) - g[i];
                _d[i] = d;
                ok = d > 0;
                for (int k = _urp[i]; k < _urp[i + 1]; k++) g[_uci[k]] += _uv[k] * _uv[k] / d;
            }
            if (ok) break;
            shift = shift == 0 ? 1e-3 : shift * 10;
            if (shift > 1e3) throw new InvalidOperationException("diagonal incomplete Cholesky failed even with a large diagonal shift");
        }
        Shift = shift;
        for (int i = 0; i < n; i++) { _s[i] = Math.Sqrt(_d[i]); _sInv[i] = 1 / _s[i]; _dInv[i] = 1 / _d[i]; _e[i] = v[dp[i]] - 2 * _d[i]; }
    }

    private void ForBlocks(Action<int, int> body)
    {
        if (_blocks.Length == 2) body(0, _blocks[1]);
        else Parallel.For(0, _blocks.Length - 1, b => body(_blocks[b], _blocks[b + 1]));
    }

    /// <summary>out = Â y = S (t + (D̃+L)⁻¹(S y + E t + C t)) with t = (D̃+Lᵀ)⁻¹ S y (C: couplings between blocks); returns y·out.</summary>
    private unsafe double Operator(double[] y, double[] t, double[] w, double[] result)
    {
        var partial = new double[_blocks.Length - 1];
        ForBlocks((lo, hi) =>
        {
            fixed (int* urp = _urp, uci = _uci)
            fixed (double* uv = _uv, tp = t, yp = y, d = _dInv, sq = _s)
            {
                // farthest column first: the term on the row just computed comes last, so rows overlap in the pipeline
                for (int i = hi - 1; i >= lo; i--)
                {
                    double s = sq[i] * yp[i];
                    for (int k = urp[i + 1] - 1, end = urp[i]; k >= end; k--) s -= uv[k] * tp[uci[k]];
                    tp[i] = s * d[i];
                }
            }
        });
        // barrier: the forward sweep reads t of the other blocks through the couplings between blocks
        ForBlocks((lo, hi) =>
        {
            fixed (int* lrp = _lrp, lci = _lci, crp = _crp, cci = _cci)
            fixed (double* lv = _lv, cv = _cv, tp = t, yp = y, wp = w, rs = result, d = _dInv, sq = _s, e = _e)
            {
                double acc = 0;
                for (int i = lo; i < hi; i++)
                {
                    double s = sq[i] * yp[i] + e[i] * tp[i];
                    for (int k = crp[i], end = crp[i + 1]; k < end; k++) s += cv[k] * tp[cci[k]];
                    // farthest column first, as in the backward sweep
                    for (int k = lrp[i], end = lrp[i + 1]; k < end; k++) s -= lv[k] * wp[lci[k]];
                    double wi = s * d[i];
                    wp[i] = wi;
                    double r = sq[i] * (tp[i] + wi);
                    rs[i] = r;
                    acc += yp[i] * r;
                }
                partial[Array.BinarySearch(_blocks, lo)] = acc;
            }
        });
        double sum = 0;
        foreach (var p in partial) sum += p;
        return sum;
    }

    /// <summary>Solves A x = b (x: initial guess in, solution out) to relative preconditioned residual <paramref name="relativeTolerance"/>.</summary>
    public LinearSolveResult Solve(double[] b, double[] x, double relativeTolerance, int maxIterations)
    {
        int n = _n;
        var bh = new double[n]; var y = new double[n]; var r = new double[n]; var d = new double[n]; var q = new double[n]; var t = new double[n]; var w = new double[n];
        // b̂ = S (D̃+L_B)⁻¹ b, ŷ₀ = S⁻¹ (D̃+U_B) x₀ (w holds (D̃+L_B)⁻¹ b)
        ForBlocks((lo, hi) =>
        {
            for (int i = lo; i < hi; i++)
            {
                double s0 = b[i];
                for (int k = _lrp[i]; k < _lrp[i + 1]; k++) s0 -= _lv[k] * w[_lci[k]];
                double wi = s0 * _dInv[i];
                w[i] = wi;
                bh[i] = wi * _s[i];
                double s = _d[i] * x[i];
                for (int k = _urp[i]; k < _urp[i + 1]; k++) s += _uv[k] * x[_uci[k]];
                y[i] = s * _sInv[i];
            }
        });
        double bn = VectorOps.Norm(bh, n);
        if (bn == 0) { Array.Clear(x, 0, n); return new(true, 0, 0); }
        Operator(y, t, w, r);
        for (int i = 0; i < n; i++) r[i] = bh[i] - r[i];
        double rr = VectorOps.Dot(r, r, n), target = relativeTolerance * bn;
        int it = 0;
        bool converged = Math.Sqrt(rr) <= target;
        if (!converged)
        {
            Array.Copy(r, d, n);
            for (it = 1; it <= maxIterations; it++)
            {
                double dq = Operator(d, t, w, q);
                if (!(dq > 0)) break;
                double alpha = rr / dq;
                double rrNew = VectorOps.CgUpdate(alpha, d, q, y, r, n);
                if (double.IsNaN(rrNew)) break;
                if (Math.Sqrt(rrNew) <= target) { rr = rrNew; converged = true; break; }
                VectorOps.Xpby(r, rrNew / rr, d, n);
                rr = rrNew;
            }
            it = Math.Min(it, maxIterations);
        }
        // x = (D̃+U_B)⁻¹ S ŷ
        ForBlocks((lo, hi) =>
        {
            for (int i = hi - 1; i >= lo; i--)
            {
                double s = _s[i] * y[i];
                for (int k = _urp[i]; k < _urp[i + 1]; k++) s -= _uv[k] * x[_uci[k]];
                x[i] = s * _dInv[i];
            }
        });
        return new(converged, it, Math.Sqrt(rr) / bn);
    }
}
