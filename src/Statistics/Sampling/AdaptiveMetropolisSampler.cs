using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>Complete state of one <see cref="AdaptiveMetropolisSampler"/> chain.</summary>
/// <param name="Iteration">Completed iterations (warmup included).</param>
/// <param name="Position">Current position.</param>
/// <param name="LogDensity">Log-density at <paramref name="Position"/>.</param>
/// <param name="Rng">RNG state.</param>
/// <param name="Cholesky">Lower Cholesky factor of the current proposal covariance, row-major d × d.</param>
/// <param name="Mean">Running mean of the adaptation window.</param>
/// <param name="Scatter">Running scatter matrix of the adaptation window, row-major d × d.</param>
/// <param name="Count">Samples in the adaptation window.</param>
/// <param name="Accepted">Accepted post-warmup proposals.</param>
/// <param name="Draws">Kept draws, flat [draw · d + parameter].</param>
/// <param name="LogScale">log λ of the global proposal scale (the proposal covariance is λ²·<paramref name="Cholesky"/>·Choleskyᵀ).</param>
public sealed record AdaptiveMetropolisChainState(long Iteration, double[] Position, double LogDensity, RngState Rng,
    double[] Cholesky, double[] Mean, double[] Scatter, long Count, long Accepted, double[] Draws, double LogScale = 0);

/// <summary>Complete state of an <see cref="AdaptiveMetropolisSampler"/> (serialize with <see cref="CheckpointJson"/>).</summary>
/// <param name="Dimension">Number of parameters d.</param>
/// <param name="Options">Options the sampler was built with (InitialProposalSd resolved).</param>
/// <param name="Lower">Lower bounds per parameter.</param>
/// <param name="Upper">Upper bounds per parameter.</param>
/// <param name="Chains">State of each chain.</param>
public sealed record AdaptiveMetropolisState(int Dimension, AdaptiveMetropolisOptions Options, double[] Lower, double[] Upper,
    AdaptiveMetropolisChainState[] Chains);

/// <summary>
/// Adaptive Metropolis (Haario, Saksman &amp; Tamminen 2001, Bernoulli 7:223), resumable. Each chain proposes
/// x' ~ N(x, C) with C = s_d·(Σ̂ + ε I), s_d = 2.38²/d, where Σ̂ is the running covariance of the chain's own warmup
/// history. Adaptation runs only during warmup: Σ̂ is restarted halfway through warmup (so the far-off start does not
/// inflate it) and frozen at the end of warmup, so the kept draws form a time-homogeneous Metropolis chain that
/// leaves the target invariant. During warmup a global scale λ (proposal λ²C) also adapts by Robbins–Monro towards the
/// acceptance rate that is optimal for Gaussian targets at this dimension (Andrieu &amp; Thoms 2008, Stat. Comput. 18:343,
/// algorithm 4), so an initial proposal far too wide or narrow for a concentrated posterior, or a history Σ̂ still
/// inflated by the transient, is corrected before the proposal freezes. Each chain has a serializable RNG
/// (<see cref="ResumableRandom"/>, stream <c>am/chain/c</c>), so the sampler can be checkpointed and resumed with identical draws; draws do not depend on
/// thread scheduling. Chains run in parallel; the log-density must be thread-safe. <see cref="AdaptiveMetropolis"/>
/// runs it to completion in one call.
/// </summary>
public sealed class AdaptiveMetropolisSampler
{
    private readonly Func<double[], double> _logDensity;
    private readonly AdaptiveMetropolisOptions _o;
    private readonly double[] _lo, _hi;
    private readonly int _d;
    private readonly Chain[] _chains;

    /// <summary>A sampler with one starting point per chain in <paramref name="initial"/> and optional bounds (proposals outside are rejected).</summary>
    public AdaptiveMetropolisSampler(Func<double[], double> logDensity, double[][] initial, AdaptiveMetropolisOptions options,
        double[]? lower = null, double[]? upper = null)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Chains < 1) throw new ArgumentOutOfRangeException(nameof(options), "need at least one chain");
        if (options.Warmup < 0 || options.Draws < 1) throw new ArgumentOutOfRangeException(nameof(options), "warmup must be ≥ 0 and draws ≥ 1");
        if (initial.Length != options.Chains) throw new ArgumentException($"need {options.Chains} initial positions, got {initial.Length}");
        _d = initial[0].Length;
        if (_d < 1) throw new ArgumentException("need at least one parameter");
        foreach (var x in initial) if (x.Length != _d) throw new ArgumentException("initial positions must all have the same dimension");
        _lo = lower is null ? Enumerable.Repeat(double.NegativeInfinity, _d).ToArray() : (double[])lower.Clone();
        _hi = upper is null ? Enumerable.Repeat(double.PositiveInfinity, _d).ToArray() : (double[])upper.Clone();
        if (_lo.Length != _d || _hi.Length != _d) throw new ArgumentException("bounds must have one entry per parameter");
        var sd0 = options.InitialProposalSd ?? DefaultProposalSd(initial, _lo, _hi);
        if (sd0.Length != _d) throw new ArgumentException("InitialProposalSd must have one entry per parameter");
        _o = options with { InitialProposalSd = (double[])sd0.Clone() };
        _logDensity = logDensity;
        _chains = new Chain[options.Chains];
        for (int c = 0; c < _chains.Length; c++)
            _chains[c] = new Chain(this, initial[c], ResumableRandom.ForStream(options.Seed, FormattableString.Invariant($"am/chain/{c}")));
    }

    private AdaptiveMetropolisSampler(Func<double[], double> logDensity, AdaptiveMetropolisState s)
    {
        _logDensity = logDensity;
        _o = s.Options;
        _d = s.Dimension;
        _lo = (double[])s.Lower.Clone();
        _hi = (double[])s.Upper.Clone();
        _chains = new Chain[s.Chains.Length];
        for (int c = 0; c < _chains.Length; c++) _chains[c] = new Chain(this, s.Chains[c]);
    }

    /// <summary>Rebuilds a sampler from a checkpoint; later draws equal those of the sampler that wrote it.</summary>
    public static AdaptiveMetropolisSampler Resume(Func<double[], double> logDensity, AdaptiveMetropolisState state)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        ArgumentNullException.ThrowIfNull(state);
        return new AdaptiveMetropolisSampler(logDensity, state);
    }

    /// <summary>Completed iterations per chain (warmup included).</summary>
    public long Iteration => _chains[0].Iteration;

    /// <summary>Whether all warmup and draw iterations are done.</summary>
    public bool IsComplete => Iteration >= _o.Warmup + _o.Draws;

    /// <summary>The complete current state (deep copy).</summary>
    public AdaptiveMetropolisState Checkpoint()
    {
        var s = new AdaptiveMetropolisChainState[_chains.Length];
        for (int c = 0; c < s.Length; c++) s[c] = _chains[c].Save();
        return new AdaptiveMetropolisState(_d, _o, (double[])_lo.Clone(), (double[])_hi.Clone(), s);
    }

    /// <summary>
    /// Advances every chain by up to <paramref name="iterations"/> iterations (never past warmup + draws), chains in parallel,
    /// calling <paramref name="onCheckpoint"/> every <paramref name="checkpointEvery"/> iterations when given; returns the kept
    /// draws so far with the post-warmup acceptance rates and the current proposal covariances.
    /// </summary>
    public McmcResult Run(int iterations, int checkpointEvery = 0, Action<AdaptiveMetropolisState>? onCheckpoint = null)
    {
        MultiChain.Run(_chains, _o.Warmup + _o.Draws, iterations, checkpointEvery, onCheckpoint, Checkpoint);
        return Result();
    }

    /// <summary>Kept draws so far.</summary>
    public McmcResult Result()
    {
        var draws = new double[_chains.Length][][];
        var acc = new double[_chains.Length];
        var cov = new double[_chains.Length][];
        for (int c = 0; c < _chains.Length; c++)
        {
            var ch = _chains[c];
            draws[c] = MultiChain.Unflatten(ch.DrawsFlat, ch.Kept, _d);
            acc[c] = ch.Kept > 0 ? (double)ch.Accepted / ch.Kept : double.NaN;
            cov[c] = ch.Covariance();
        }
        return new McmcResult(draws, acc, cov);
    }

    private static double[] DefaultProposalSd(double[][] initial, double[] lo, double[] hi)
    {
        int d = lo.Length;
        var sd = new double[d];
        for (int j = 0; j < d; j++)
        {
            if (double.IsFinite(lo[j]) && double.IsFinite(hi[j])) { sd[j] = (hi[j] - lo[j]) / 20; continue; }
            double mn = double.MaxValue, mx = double.MinValue, mag = 0;
            foreach (var x in initial) { mn = Math.Min(mn, x[j]); mx = Math.Max(mx, x[j]); mag = Math.Max(mag, Math.Abs(x[j])); }
            sd[j] = Math.Max(0.1 * (mx - mn), 0.1 * Math.Max(mag, 1e-3));
        }
        return sd;
    }

    private sealed class Chain : IResumableChain
    {
        private readonly AdaptiveMetropolisSampler _s;
        private readonly ResumableRandom _rng;
        private readonly int _d;
        private readonly double[] _x, _y, _z, _delta, _mean, _scatter, _cov;
        private double[] _chol;
        private double _lp;
        private double _logScale;
        private long _count;
        public long Iteration { get; private set; }
        public long Accepted;
        public int Kept;
        public readonly double[] DrawsFlat;

        public Chain(AdaptiveMetropolisSampler s, double[] start, ResumableRandom rng) : this(s, rng)
        {
            Array.Copy(start, _x, _d);
            _lp = InBounds(_x) ? Eval(_x) : double.NegativeInfinity;
            var sd0 = s._o.InitialProposalSd!;
            for (int j = 0; j < _d; j++) _cov[j * _d + j] = sd0[j] * sd0[j];
            _chol = DenseCholesky.TryLower(_cov, _d) ?? throw new ArgumentException("initial proposal covariance is not positive definite; give positive InitialProposalSd");
        }

        public Chain(AdaptiveMetropolisSampler s, AdaptiveMetropolisChainState st) : this(s, ResumableRandom.FromState(st.Rng))
        {
            Array.Copy(st.Position, _x, _d);
            _lp = st.LogDensity;
            _logScale = st.LogScale;
            _chol = (double[])st.Cholesky.Clone();
            Array.Copy(st.Mean, _mean, _d);
            Array.Copy(st.Scatter, _scatter, _d * _d);
            _count = st.Count;
            Accepted = st.Accepted;
            Iteration = st.Iteration;
            Kept = st.Draws.Length / _d;
            Array.Copy(st.Draws, DrawsFlat, st.Draws.Length);
        }

        private Chain(AdaptiveMetropolisSampler s, ResumableRandom rng)
        {
            _s = s;
            _rng = rng;
            _d = s._d;
            _x = new double[_d]; _y = new double[_d]; _z = new double[_d]; _delta = new double[_d]; _mean = new double[_d];
            _scatter = new double[_d * _d];
            _cov = new double[_d * _d];
            _chol = new double[_d * _d];
            DrawsFlat = new double[s._o.Draws * _d];
        }

        public AdaptiveMetropolisChainState Save() => new(Iteration, (double[])_x.Clone(), _lp, _rng.State, (double[])_chol.Clone(),
            (double[])_mean.Clone(), (double[])_scatter.Clone(), _count, Accepted, DrawsFlat[..(Kept * _d)], _logScale);

        private double Eval(double[] x)
        {
            double v = _s._logDensity(x);
            return double.IsNaN(v) ? double.NegativeInfinity : v;
        }

        private bool InBounds(double[] x)
        {
            for (int j = 0; j < _d; j++) if (!(x[j] >= _s._lo[j] && x[j] <= _s._hi[j])) return false;
            return true;
        }

        public void Advance(int iterations)
        {
            var o = _s._o;
            int d = _d;
            double sdScale = 2.38 * 2.38 / d;
            int restartAt = o.Warmup / 2;
            int minHistory = Math.Max(2 * d, 20);
            // Acceptance rate of optimally scaled random-walk Metropolis on Gaussian targets: 0.44 at d = 1 → 0.234 as d → ∞.
            double targetAcceptance = 0.234 + 0.21 / d;
            for (int k = 0; k < iterations; k++)
            {
                long it = Iteration;
                for (int j = 0; j < d; j++) _z[j] = _rng.NextStandardNormal();
                double lambda = Math.Exp(_logScale);
                for (int i = 0; i < d; i++)
                {
                    double s = 0;
                    for (int m = 0; m <= i; m++) s += _chol[i * d + m] * _z[m];
                    _y[i] = _x[i] + lambda * s;
                }
                double lpy = InBounds(_y) ? Eval((double[])_y.Clone()) : double.NegativeInfinity;
                double logU = Math.Log(_rng.NextDouble());
                bool accept = lpy > double.NegativeInfinity && (lpy >= _lp || logU < lpy - _lp || double.IsNegativeInfinity(_lp));
                double acceptProbability = double.IsNegativeInfinity(lpy) ? 0
                    : double.IsNegativeInfinity(_lp) || lpy >= _lp ? 1 : Math.Exp(lpy - _lp);
                if (accept) { Array.Copy(_y, _x, d); _lp = lpy; }
                if (it < o.Warmup)
                {
                    // Robbins–Monro gain 2/√n, n counted afresh from the restart of the Σ̂ window (λ then re-tunes to the new Σ̂).
                    long n = it < restartAt ? it + 1 : it - restartAt + 1;
                    _logScale += (acceptProbability - targetAcceptance) * Math.Min(1, 2 / Math.Sqrt(n));
                    if (it == restartAt) { Array.Clear(_mean); Array.Clear(_scatter); _count = 0; }
                    _count++;
                    for (int j = 0; j < d; j++) { _delta[j] = _x[j] - _mean[j]; _mean[j] += _delta[j] / _count; }
                    for (int i = 0; i < d; i++)
                        for (int m = 0; m < d; m++)
                            _scatter[i * d + m] += _delta[i] * (_x[m] - _mean[m]);
                    if (_count >= minHistory)
                    {
                        for (int i = 0; i < d * d; i++) _cov[i] = sdScale * _scatter[i] / (_count - 1);
                        for (int j = 0; j < d; j++) _cov[j * d + j] += sdScale * o.Epsilon;
                        var c = DenseCholesky.TryLower(_cov, d);
                        if (c != null) _chol = c;
                    }
                }
                else
                {
                    if (accept) Accepted++;
                    Array.Copy(_x, 0, DrawsFlat, Kept * d, d);
                    Kept++;
                }
                Iteration++;
            }
        }

        public double[] Covariance()
        {
            double lambda2 = Math.Exp(2 * _logScale);
            var r = new double[_d * _d];
            for (int i = 0; i < _d; i++)
                for (int k = 0; k < _d; k++)
                {
                    double s = 0;
                    for (int m = 0; m <= Math.Min(i, k); m++) s += _chol[i * _d + m] * _chol[k * _d + m];
                    r[i * _d + k] = lambda2 * s;
                }
            return r;
        }
    }
}
