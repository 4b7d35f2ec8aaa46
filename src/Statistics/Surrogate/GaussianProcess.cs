namespace ShapeStudy.Statistics;

/// <summary>Stationary covariance functions with one length scale per input (automatic relevance determination).</summary>
public enum GpKernel
{
    /// <summary>k(r) = exp(−r²/2), r² = Σ_m (Δx_m/ℓ_m)²: infinitely smooth.</summary>
    SquaredExponential,

    /// <summary>Matérn ν = 5/2: k(r) = (1 + √5 r + 5r²/3) exp(−√5 r); twice differentiable, usually the safer default.</summary>
    Matern52,
}

/// <summary>Options of <see cref="GaussianProcess.Fit"/>.</summary>
/// <param name="Kernel">Covariance function.</param>
/// <param name="Restarts">Optimizer starts (the first at a default guess, the rest seeded random); the best log marginal likelihood wins.</param>
/// <param name="Seed">Seed of the random restarts (stream <c>gp/restart/r</c>).</param>
/// <param name="MaxIterations">BFGS iterations per start.</param>
/// <param name="MinNoiseVariance">Lower bound of the noise (nugget) variance on the standardized output scale (keeps K well conditioned for deterministic simulators).</param>
/// <param name="MaxNoiseVariance">Upper bound of that variance (standardized scale).</param>
/// <param name="MinLengthScale">Lower bound of each length scale as a fraction of the input's design range.</param>
/// <param name="MaxLengthScale">Upper bound of each length scale as a fraction of the input's design range.</param>
public sealed record GaussianProcessOptions(
    GpKernel Kernel = GpKernel.Matern52,
    int Restarts = 4,
    ulong Seed = 1,
    int MaxIterations = 200,
    double MinNoiseVariance = 1e-8,
    double MaxNoiseVariance = 1.0,
    double MinLengthScale = 0.01,
    double MaxLengthScale = 100);

/// <summary>Leave-one-out validation of a Gaussian process (Rasmussen &amp; Williams 2006, eq. 5.12; exact, no refits).</summary>
/// <param name="Mean">LOO predictive mean at each design point, output units.</param>
/// <param name="Variance">LOO predictive variance (noise included), output units².</param>
/// <param name="Rmse">Root-mean-square LOO error, output units.</param>
/// <param name="RelativeRmse">Rmse divided by the standard deviation of the design outputs (1 ≈ no better than the mean).</param>
/// <param name="Coverage95">Fraction of design outputs inside their central 95 % LOO predictive interval (≈ 0.95 when calibrated).</param>
public sealed record GpLeaveOneOut(double[] Mean, double[] Variance, double Rmse, double RelativeRmse, double Coverage95);

/// <summary>
/// Gaussian-process regression of one scalar output on d inputs, for surrogates of expensive simulators. Inputs are
/// rescaled to the unit cube spanned by the design and the output is standardized (zero mean, unit sd); the kernel is
/// σ_f²·k(r) + σ_n²·δ with ARD length scales; hyperparameters maximize the log marginal likelihood
/// −½ yᵀK⁻¹y − ½ log|K| − n/2 log 2π (analytic gradient, BFGS on a bounded logistic reparametrization, several starts).
/// Dense Cholesky on flat arrays: meant for designs up to a few hundred points. Immutable and thread-safe after fitting.
/// </summary>
public sealed class GaussianProcess
{
    private readonly int _n, _d;
    private readonly double[] _lower, _range;
    private readonly double _yMean, _ySd;
    private readonly double[] _invLength; // 1/ℓ_m in normalized units
    private readonly double[] _xScaled;   // design divided by the length scales, flat [point · d + m]
    private readonly double _signal, _noise; // standardized scale
    private readonly double[] _chol;     // lower Cholesky factor of K, flat n × n
    private readonly double[] _alpha;    // K⁻¹ y (standardized)
    private readonly GpKernel _kernel;
    private readonly double[] _yStd;

    private GaussianProcess(int n, int d, double[] x, double[] lower, double[] range, double yMean, double ySd, double[] yStd,
        GpKernel kernel, Hyper h, double[] chol, double[] alpha, double logMarginal)
    {
        (_n, _d, _lower, _range, _yMean, _ySd, _yStd, _kernel) = (n, d, lower, range, yMean, ySd, yStd, kernel);
        _invLength = new double[d];
        for (int m = 0; m < d; m++) _invLength[m] = 1 / h.Length[m];
        _xScaled = new double[n * d];
        for (int i = 0; i < n; i++) for (int m = 0; m < d; m++) _xScaled[i * d + m] = x[i * d + m] * _invLength[m];
        _signal = h.Signal;
        _noise = h.Noise;
        _chol = chol;
        _alpha = alpha;
        LogMarginalLikelihood = logMarginal;
    }

    /// <summary>Number of inputs d.</summary>
    public int Dimension => _d;

    /// <summary>Number of design points n.</summary>
    public int Count => _n;

    /// <summary>Kernel used.</summary>
    public GpKernel Kernel => _kernel;

    /// <summary>Length scale per input, in that input's units.</summary>
    public double[] LengthScales => _invLength.Select((v, m) => _range[m] / v).ToArray();

    /// <summary>Signal variance σ_f², output units².</summary>
    public double SignalVariance => _signal * _ySd * _ySd;

    /// <summary>Noise (nugget) variance σ_n², output units².</summary>
    public double NoiseVariance => _noise * _ySd * _ySd;

    /// <summary>Maximized log marginal likelihood of the standardized outputs.</summary>
    public double LogMarginalLikelihood { get; }

    /// <summary>
    /// Fits a GP to <paramref name="inputs"/> ([point][input], physical units) and <paramref name="outputs"/> (one value per
    /// point). Needs at least 3 distinct points; a constant output gives a constant predictor with zero variance.
    /// </summary>
    public static GaussianProcess Fit(double[][] inputs, double[] outputs, GaussianProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var o = options ?? new GaussianProcessOptions();
        int n = inputs.Length;
        if (n < 3) throw new ArgumentException("a Gaussian process needs at least 3 design points");
        if (outputs.Length != n) throw new ArgumentException($"{n} inputs but {outputs.Length} outputs");
        int d = inputs[0].Length;
        if (d < 1) throw new ArgumentException("need at least one input");
        if (o.Restarts < 1 || o.MaxIterations < 1 || !(o.MinNoiseVariance > 0) || !(o.MaxNoiseVariance > o.MinNoiseVariance)
            || !(o.MinLengthScale > 0) || !(o.MaxLengthScale > o.MinLengthScale)) throw new ArgumentOutOfRangeException(nameof(options));
        var lower = new double[d];
        var range = new double[d];
        for (int m = 0; m < d; m++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (inputs[i].Length != d) throw new ArgumentException("all inputs must have the same length");
                double v = inputs[i][m];
                if (!double.IsFinite(v)) throw new ArgumentException($"input {m} of point {i} is not finite");
                lo = Math.Min(lo, v); hi = Math.Max(hi, v);
            }
            lower[m] = lo;
            range[m] = hi > lo ? hi - lo : 1;
        }
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int m = 0; m < d; m++) x[i * d + m] = (inputs[i][m] - lower[m]) / range[m];
        double mean = 0;
        foreach (var v in outputs)
        {
            if (!double.IsFinite(v)) throw new ArgumentException("outputs must be finite");
            mean += v;
        }
        mean /= n;
        double ss = 0;
        foreach (var v in outputs) ss += (v - mean) * (v - mean);
        double sd = Math.Sqrt(ss / (n - 1));
        var y = new double[n];
        if (!(sd > 1e-300))
        {
            // Constant output: exact constant predictor.
            var zeros = new double[n];
            var unit = new double[n * n];
            for (int i = 0; i < n; i++) unit[i * n + i] = 1;
            var h0 = new Hyper(Enumerable.Repeat(1.0, d).ToArray(), Noise: 0, Signal: 0);
            return new GaussianProcess(n, d, x, lower, range, mean, 0, zeros, o.Kernel, h0, unit, zeros, 0);
        }
        for (int i = 0; i < n; i++) y[i] = (outputs[i] - mean) / sd;

        var problem = new MarginalLikelihood(x, y, n, d, o);
        var starts = new double[o.Restarts][];
        for (int r = 0; r < o.Restarts; r++)
        {
            var u = new double[d + 2];
            if (r == 0)
            {
                for (int m = 0; m < d; m++) u[m] = problem.ToUnbounded(m, Math.Log(0.3));
                u[d] = problem.ToUnbounded(d, 0);
                u[d + 1] = problem.ToUnbounded(d + 1, Math.Log(Math.Max(o.MinNoiseVariance * 10, 1e-4)));
            }
            else
            {
                var rng = ResumableRandom.ForStream(o.Seed, FormattableString.Invariant($"gp/restart/{r}"));
                for (int m = 0; m < d; m++) u[m] = problem.ToUnbounded(m, Math.Log(0.05 + 1.5 * rng.NextDouble()));
                u[d] = problem.ToUnbounded(d, Math.Log(0.3 + 3 * rng.NextDouble()));
                u[d + 1] = problem.ToUnbounded(d + 1, Math.Log(o.MinNoiseVariance) + (Math.Log(0.1) - Math.Log(o.MinNoiseVariance)) * rng.NextDouble());
            }
            starts[r] = u;
        }
        var best = new (double Value, double[] U)[o.Restarts];
        Parallel.For(0, o.Restarts, r => best[r] = Bfgs.Minimize(problem.NegativeLogMarginal, starts[r], o.MaxIterations));
        int bi = 0;
        for (int r = 1; r < best.Length; r++) if (best[r].Value < best[bi].Value) bi = r;
        var hyper = problem.FromUnbounded(best[bi].U);
        var chol = new double[n * n];
        var alpha = new double[n];
        problem.Factor(hyper, chol, alpha, out double logMarginal);
        return new GaussianProcess(n, d, x, lower, range, mean, sd, y, o.Kernel, hyper, chol, alpha, logMarginal);
    }

    /// <summary>
    /// Log marginal likelihood of given hyperparameters on the same scales <see cref="Fit"/> optimizes: inputs rescaled to
    /// the design's unit cube and outputs standardized, with <paramref name="lengthScales"/> in input units and the variances
    /// in output units² (so it equals <see cref="LogMarginalLikelihood"/> at a fitted process's own hyperparameters).
    /// </summary>
    public static double LogMarginalLikelihoodAt(double[][] inputs, double[] outputs, double[] lengthScales, double signalVariance,
        double noiseVariance, GpKernel kernel = GpKernel.Matern52)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(lengthScales);
        int n = inputs.Length, d = lengthScales.Length;
        if (outputs.Length != n || n < 2) throw new ArgumentException("need matching inputs and outputs (at least 2)");
        var x = new double[n * d];
        var len = new double[d];
        for (int m = 0; m < d; m++)
        {
            double lo = inputs.Min(r => r[m]), hi = inputs.Max(r => r[m]);
            double range = hi > lo ? hi - lo : 1;
            for (int i = 0; i < n; i++) x[i * d + m] = (inputs[i][m] - lo) / range;
            len[m] = lengthScales[m] / range;
        }
        double mean = outputs.Average();
        double sd = Math.Sqrt(outputs.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        var y = outputs.Select(v => (v - mean) / sd).ToArray();
        var problem = new MarginalLikelihood(x, y, n, d, new GaussianProcessOptions(kernel));
        problem.Factor(new Hyper(len, noiseVariance / (sd * sd), signalVariance / (sd * sd)), new double[n * n], new double[n], out double lml);
        return lml;
    }

    /// <summary>Predictive mean at <paramref name="input"/> (length d, physical units), output units.</summary>
    public double PredictMean(ReadOnlySpan<double> input)
    {
        Span<double> z = _d <= 64 ? stackalloc double[_d] : new double[_d];
        Normalize(input, z);
        double s = 0;
        for (int i = 0; i < _n; i++) s += KernelAt(z, i) * _alpha[i];
        return _yMean + _ySd * _signal * s;
    }

    /// <summary>
    /// Predictive mean (output units) and variance (output units²) of the latent function at <paramref name="input"/>;
    /// add <see cref="NoiseVariance"/> for the variance of a new noisy observation.
    /// </summary>
    public (double Mean, double Variance) Predict(ReadOnlySpan<double> input)
    {
        Span<double> z = _d <= 64 ? stackalloc double[_d] : new double[_d];
        Normalize(input, z);
        Span<double> k = _n <= 1024 ? stackalloc double[_n] : new double[_n];
        double s = 0;
        for (int i = 0; i < _n; i++) { k[i] = _signal * KernelAt(z, i); s += k[i] * _alpha[i]; }
        // v = L⁻¹ k*, variance = σ_f² − vᵀv (in-place forward substitution, row prefixes as dot products).
        var chol = _chol.AsSpan();
        double vv = 0;
        for (int i = 0; i < _n; i++)
        {
            int row = i * _n;
            double t = (k[i] - Dot(chol.Slice(row, i), k[..i])) / chol[row + i];
            k[i] = t;
            vv += t * t;
        }
        double var = Math.Max(0, _signal - vv);
        return (_yMean + _ySd * s, var * _ySd * _ySd);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int i = 0;
        double s = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && a.Length >= 2 * System.Numerics.Vector<double>.Count)
        {
            var acc = System.Numerics.Vector<double>.Zero;
            int w = System.Numerics.Vector<double>.Count;
            for (; i <= a.Length - w; i += w) acc += new System.Numerics.Vector<double>(a[i..]) * new System.Numerics.Vector<double>(b[i..]);
            s = System.Numerics.Vector.Sum(acc);
        }
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Exact leave-one-out predictions at the design points and their error and 95 % coverage.</summary>
    public GpLeaveOneOut LeaveOneOut()
    {
        var kInvDiag = InverseDiagonal();
        var mean = new double[_n];
        var variance = new double[_n];
        double se = 0, ysd2 = _ySd * _ySd;
        int inside = 0;
        for (int i = 0; i < _n; i++)
        {
            double vStd = 1 / kInvDiag[i];
            double mStd = _yStd[i] - _alpha[i] * vStd;
            mean[i] = _yMean + _ySd * mStd;
            variance[i] = vStd * ysd2;
            double err = (_yStd[i] - mStd) * _ySd;
            se += err * err;
            if (Math.Abs(err) <= 1.959963984540054 * Math.Sqrt(variance[i])) inside++;
        }
        double rmse = Math.Sqrt(se / _n);
        return new GpLeaveOneOut(mean, variance, rmse, rmse / _ySd, (double)inside / _n);
    }

    /// <summary>The design outputs the process was fitted to, output units.</summary>
    public double[] TrainingOutputs => _yStd.Select(v => _yMean + _ySd * v).ToArray();

    /// <summary>Diagonal of K⁻¹ (standardized scale) from the Cholesky factor: [K⁻¹]_ii = Σ_j [L⁻¹]_ji².</summary>
    internal double[] InverseDiagonal()
    {
        var diag = new double[_n];
        var col = new double[_n];
        for (int c = 0; c < _n; c++)
        {
            // Column c of L⁻¹: solve L w = e_c (w_j = 0 for j < c).
            Array.Clear(col);
            for (int i = c; i < _n; i++)
            {
                double t = i == c ? 1 : 0;
                int row = i * _n;
                for (int j = c; j < i; j++) t -= _chol[row + j] * col[j];
                col[i] = t / _chol[row + i];
            }
            for (int i = c; i < _n; i++) diag[c] += col[i] * col[i];
        }
        return diag;
    }

    private void Normalize(ReadOnlySpan<double> input, Span<double> z)
    {
        if (input.Length != _d) throw new ArgumentException($"input has {input.Length} values, the process has {_d} inputs");
        for (int m = 0; m < _d; m++) z[m] = (input[m] - _lower[m]) / _range[m] * _invLength[m];
    }

    private double KernelAt(ReadOnlySpan<double> zScaled, int i)
    {
        double r2 = 0;
        int off = i * _d;
        for (int m = 0; m < _d; m++) { double t = zScaled[m] - _xScaled[off + m]; r2 += t * t; }
        return KernelValue(_kernel, r2);
    }

    internal static double KernelValue(GpKernel kernel, double r2)
    {
        if (kernel == GpKernel.SquaredExponential) return Math.Exp(-0.5 * r2);
        double sr = Math.Sqrt(5 * r2);
        return (1 + sr + 5.0 / 3.0 * r2) * Math.Exp(-sr);
    }

    /// <summary>Hyperparameters on the standardized scale: length scales (unit-cube units), σ_f², σ_n².</summary>
    private sealed record Hyper(double[] Length, double Noise, double Signal);

    /// <summary>Negative log marginal likelihood in an unbounded logistic parametrization of the log hyperparameters.</summary>
    private sealed class MarginalLikelihood
    {
        private readonly double[] _x, _y;
        private readonly int _n, _d;
        private readonly GpKernel _kernel;
        private readonly double[] _lo, _hi; // bounds of log hyperparameters: d log ℓ, log σ_f², log σ_n²

        public MarginalLikelihood(double[] x, double[] y, int n, int d, GaussianProcessOptions o)
        {
            (_x, _y, _n, _d, _kernel) = (x, y, n, d, o.Kernel);
            _lo = new double[d + 2];
            _hi = new double[d + 2];
            for (int m = 0; m < d; m++) (_lo[m], _hi[m]) = (Math.Log(o.MinLengthScale), Math.Log(o.MaxLengthScale));
            (_lo[d], _hi[d]) = (Math.Log(1e-2), Math.Log(1e2));
            (_lo[d + 1], _hi[d + 1]) = (Math.Log(o.MinNoiseVariance), Math.Log(o.MaxNoiseVariance));
        }

        public double ToUnbounded(int j, double logValue)
        {
            double s = Math.Clamp((logValue - _lo[j]) / (_hi[j] - _lo[j]), 1e-6, 1 - 1e-6);
            return Math.Log(s / (1 - s));
        }

        private double Sigmoid(double u) => 1 / (1 + Math.Exp(-u));

        public Hyper FromUnbounded(double[] u)
        {
            var len = new double[_d];
            for (int m = 0; m < _d; m++) len[m] = Math.Exp(_lo[m] + (_hi[m] - _lo[m]) * Sigmoid(u[m]));
            double signal = Math.Exp(_lo[_d] + (_hi[_d] - _lo[_d]) * Sigmoid(u[_d]));
            double noise = Math.Exp(_lo[_d + 1] + (_hi[_d + 1] - _lo[_d + 1]) * Sigmoid(u[_d + 1]));
            return new Hyper(len, noise, signal);
        }

        /// <summary>Builds K, factors it (lower Cholesky into <paramref name="chol"/>), solves α = K⁻¹y; false if K is not positive definite.</summary>
        public bool Factor(Hyper h, double[] chol, double[] alpha, out double logMarginal)
        {
            int n = _n, d = _d;
            var inv = new double[d];
            for (int m = 0; m < d; m++) inv[m] = 1 / h.Length[m];
            for (int i = 0; i < n; i++)
            {
                chol[i * n + i] = h.Signal + h.Noise;
                for (int j = 0; j < i; j++)
                {
                    double r2 = 0;
                    for (int m = 0; m < d; m++) { double t = (_x[i * d + m] - _x[j * d + m]) * inv[m]; r2 += t * t; }
                    chol[i * n + j] = h.Signal * KernelValue(_kernel, r2);
                }
            }
            if (!Cholesky(chol, n)) { logMarginal = double.NegativeInfinity; return false; }
            // α = L⁻ᵀ L⁻¹ y.
            for (int i = 0; i < n; i++)
            {
                double t = _y[i];
                for (int j = 0; j < i; j++) t -= chol[i * n + j] * alpha[j];
                alpha[i] = t / chol[i * n + i];
            }
            double quad = 0, logDet = 0;
            for (int i = 0; i < n; i++) { quad += alpha[i] * alpha[i]; logDet += Math.Log(chol[i * n + i]); }
            for (int i = n - 1; i >= 0; i--)
            {
                double t = alpha[i];
                for (int j = i + 1; j < n; j++) t -= chol[j * n + i] * alpha[j];
                alpha[i] = t / chol[i * n + i];
            }
            logMarginal = -0.5 * quad - logDet - 0.5 * n * Math.Log(2 * Math.PI);
            return true;
        }

        /// <summary>−log p(y | θ(u)) and its gradient with respect to u.</summary>
        public double NegativeLogMarginal(double[] u, double[] grad)
        {
            int n = _n, d = _d;
            var h = FromUnbounded(u);
            var chol = new double[n * n];
            var alpha = new double[n];
            if (!Factor(h, chol, alpha, out double lml))
            {
                Array.Clear(grad);
                return double.PositiveInfinity;
            }
            // W = ααᵀ − K⁻¹ (lower triangle used); K⁻¹ from the Cholesky factor.
            var kInv = CholeskyInverse(chol, n);
            var gLog = new double[d + 2];
            var inv = new double[d];
            for (int m = 0; m < d; m++) inv[m] = 1 / h.Length[m];
            var diff2 = new double[d];
            for (int i = 0; i < n; i++)
            {
                double wii = alpha[i] * alpha[i] - kInv[i * n + i];
                gLog[d] += 0.5 * wii * h.Signal;
                gLog[d + 1] += 0.5 * wii * h.Noise;
                for (int j = 0; j < i; j++)
                {
                    double w = alpha[i] * alpha[j] - kInv[i * n + j];
                    double r2 = 0;
                    for (int m = 0; m < d; m++) { double t = (_x[i * d + m] - _x[j * d + m]) * inv[m]; diff2[m] = t * t; r2 += diff2[m]; }
                    double k = KernelValue(_kernel, r2);
                    // Off-diagonal pairs count twice in tr(W ∂K).
                    gLog[d] += w * h.Signal * k;
                    double dkFactor;
                    if (_kernel == GpKernel.SquaredExponential) dkFactor = k;
                    else { double sr = Math.Sqrt(5 * r2); dkFactor = 5.0 / 3.0 * (1 + sr) * Math.Exp(-sr); }
                    double c = w * h.Signal * dkFactor;
                    for (int m = 0; m < d; m++) gLog[m] += c * diff2[m];
                }
            }
            // Chain rule: log θ_j = lo + (hi − lo)·σ(u_j), dσ/du = σ(1 − σ).
            for (int j = 0; j < d + 2; j++)
            {
                double s = Sigmoid(u[j]);
                grad[j] = -gLog[j] * (_hi[j] - _lo[j]) * s * (1 - s);
            }
            return -lml;
        }
    }

    /// <summary>In-place lower Cholesky factorization of the symmetric matrix whose lower triangle is in <paramref name="a"/> (row-major n × n); zeroes the upper triangle.</summary>
    internal static bool Cholesky(double[] a, int n)
    {
        var span = a.AsSpan();
        for (int j = 0; j < n; j++)
        {
            int rj = j * n;
            var rowJ = span.Slice(rj, j);
            double s = a[rj + j] - Dot(rowJ, rowJ);
            if (!(s > 0)) return false;
            double ljj = Math.Sqrt(s);
            a[rj + j] = ljj;
            double inv = 1 / ljj;
            for (int i = j + 1; i < n; i++)
            {
                int ri = i * n;
                a[ri + j] = (a[ri + j] - Dot(span.Slice(ri, j), rowJ)) * inv;
            }
            for (int k = j + 1; k < n; k++) a[rj + k] = 0;
        }
        return true;
    }

    /// <summary>K⁻¹ (full, row-major) from its lower Cholesky factor.</summary>
    private static double[] CholeskyInverse(double[] l, int n)
    {
        // Row c of mt is column c of L⁻¹ (so mt is upper triangular); then K⁻¹ = L⁻ᵀ L⁻¹ has [K⁻¹]_ij = Σ_{k ≥ max(i,j)} mt_ik mt_jk.
        // Both loops are dot products of contiguous row segments.
        var mt = new double[n * n];
        var ls = l.AsSpan();
        var ms = mt.AsSpan();
        for (int c = 0; c < n; c++)
        {
            int rc = c * n;
            for (int i = c; i < n; i++)
            {
                int ri = i * n;
                double t = (i == c ? 1 : 0) - Dot(ls.Slice(ri + c, i - c), ms.Slice(rc + c, i - c));
                mt[rc + i] = t / l[ri + i];
            }
        }
        var kInv = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double v = Dot(ms.Slice(i * n + i, n - i), ms.Slice(j * n + i, n - i));
                kInv[i * n + j] = v;
                kInv[j * n + i] = v;
            }
        return kInv;
    }

    /// <summary>BFGS with a backtracking (Armijo) line search on an unconstrained smooth objective.</summary>
    private static class Bfgs
    {
        public static (double Value, double[] U) Minimize(Func<double[], double[], double> f, double[] start, int maxIterations)
        {
            int p = start.Length;
            var x = (double[])start.Clone();
            var g = new double[p];
            double fx = f(x, g);
            if (!double.IsFinite(fx)) return (double.PositiveInfinity, x);
            var hInv = new double[p * p];
            for (int i = 0; i < p; i++) hInv[i * p + i] = 1;
            var dir = new double[p];
            var xNew = new double[p];
            var gNew = new double[p];
            for (int it = 0; it < maxIterations; it++)
            {
                double gNorm = 0;
                for (int i = 0; i < p; i++) gNorm = Math.Max(gNorm, Math.Abs(g[i]));
                if (gNorm < 1e-6) break;
                double slope = 0;
                for (int i = 0; i < p; i++)
                {
                    double di = 0;
                    for (int j = 0; j < p; j++) di -= hInv[i * p + j] * g[j];
                    dir[i] = di;
                    slope += di * g[i];
                }
                if (!(slope < 0))
                {
                    // Not a descent direction: reset to steepest descent.
                    Array.Clear(hInv);
                    for (int i = 0; i < p; i++) { hInv[i * p + i] = 1; dir[i] = -g[i]; }
                    slope = 0;
                    for (int i = 0; i < p; i++) slope -= g[i] * g[i];
                }
                double step = 1, fNew = double.PositiveInfinity;
                bool accepted = false;
                for (int ls = 0; ls < 40; ls++)
                {
                    for (int i = 0; i < p; i++) xNew[i] = x[i] + step * dir[i];
                    fNew = f(xNew, gNew);
                    if (double.IsFinite(fNew) && fNew <= fx + 1e-4 * step * slope) { accepted = true; break; }
                    step *= 0.5;
                }
                if (!accepted) break;
                var s = new double[p];
                var yv = new double[p];
                double sy = 0;
                for (int i = 0; i < p; i++) { s[i] = xNew[i] - x[i]; yv[i] = gNew[i] - g[i]; sy += s[i] * yv[i]; }
                double fOld = fx;
                Array.Copy(xNew, x, p);
                Array.Copy(gNew, g, p);
                fx = fNew;
                if (sy > 1e-12)
                {
                    // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ.
                    double rho = 1 / sy;
                    var hy = new double[p];
                    for (int i = 0; i < p; i++) { double t = 0; for (int j = 0; j < p; j++) t += hInv[i * p + j] * yv[j]; hy[i] = t; }
                    double yhy = 0;
                    for (int i = 0; i < p; i++) yhy += yv[i] * hy[i];
                    for (int i = 0; i < p; i++)
                        for (int j = 0; j < p; j++)
                            hInv[i * p + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
                }
                if (Math.Abs(fOld - fx) <= 1e-10 * Math.Max(1, Math.Abs(fx))) break;
            }
            return (fx, x);
        }
    }
}
