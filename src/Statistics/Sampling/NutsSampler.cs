namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="NutsSampler"/> (defaults as Stan's).</summary>
/// <param name="Chains">Independent chains, run in parallel (≥ 1; ≥ 2 for R̂).</param>
/// <param name="Warmup">Adaptation iterations per chain (discarded).</param>
/// <param name="Draws">Kept iterations per chain after warmup (step size and mass matrix frozen).</param>
/// <param name="Seed">Root seed; chain c draws from stream <c>nuts/chain/c</c>.</param>
/// <param name="TargetAcceptance">Dual-averaging target δ of the mean Metropolis acceptance statistic.</param>
/// <param name="MaxTreeDepth">Maximum tree depth (at most 2^depth leapfrog steps per iteration).</param>
/// <param name="InitialStepSize">Starting leapfrog step size in parameter units (refined by a doubling/halving heuristic).</param>
/// <param name="AdaptMassMatrix">Estimate a diagonal inverse mass matrix in Stan's doubling warmup windows (75/25…/50 iterations).</param>
public sealed record NutsOptions(
    int Chains = 4,
    int Warmup = 1000,
    int Draws = 1000,
    ulong Seed = 1,
    double TargetAcceptance = 0.8,
    int MaxTreeDepth = 10,
    double InitialStepSize = 1,
    bool AdaptMassMatrix = true);

/// <summary>Complete state of one NUTS chain (position, gradient, RNG, step-size dual averaging, variance estimator, warmup windows, kept draws).</summary>
/// <param name="Iteration">Completed iterations (warmup included).</param>
/// <param name="Position">Current position θ.</param>
/// <param name="LogDensity">log p(θ) at <paramref name="Position"/>.</param>
/// <param name="Gradient">∇ log p(θ) at <paramref name="Position"/>.</param>
/// <param name="Rng">RNG state.</param>
/// <param name="StepSize">Current leapfrog step size ε.</param>
/// <param name="Mu">Dual-averaging shrinkage point μ = log(10 ε₀).</param>
/// <param name="SBar">Dual-averaging running mean of δ − acceptance.</param>
/// <param name="XBar">Dual-averaging iterate average of log ε.</param>
/// <param name="AdaptCounter">Dual-averaging iteration counter since its last restart.</param>
/// <param name="InverseMass">Diagonal of the inverse mass matrix M⁻¹ (squared parameter units).</param>
/// <param name="VarianceCount">Samples in the current variance window.</param>
/// <param name="VarianceMean">Running mean of the window (Welford).</param>
/// <param name="VarianceM2">Running sum of squared deviations of the window (Welford).</param>
/// <param name="WindowCounter">Stan's warmup window counter.</param>
/// <param name="WindowSize">Current variance window size.</param>
/// <param name="NextWindow">Iteration at which the current variance window ends.</param>
/// <param name="Draws">Kept draws, flat [draw · d + parameter].</param>
/// <param name="AcceptStats">Mean Metropolis acceptance statistic of each kept iteration.</param>
/// <param name="TreeDepths">Tree depth of each kept iteration.</param>
/// <param name="Divergent">Whether each kept iteration ended in a divergence.</param>
public sealed record NutsChainState(
    long Iteration, double[] Position, double LogDensity, double[] Gradient, RngState Rng,
    double StepSize, double Mu, double SBar, double XBar, long AdaptCounter,
    double[] InverseMass, long VarianceCount, double[] VarianceMean, double[] VarianceM2,
    int WindowCounter, int WindowSize, int NextWindow,
    double[] Draws, double[] AcceptStats, int[] TreeDepths, bool[] Divergent);

/// <summary>Complete state of a <see cref="NutsSampler"/> (serialize with <see cref="CheckpointJson"/>).</summary>
/// <param name="Dimension">Number of parameters d.</param>
/// <param name="Options">Options the sampler was built with.</param>
/// <param name="Chains">State of each chain.</param>
public sealed record NutsState(int Dimension, NutsOptions Options, NutsChainState[] Chains);

/// <summary>Post-warmup output of a NUTS run.</summary>
/// <param name="Draws">Kept draws, [chain][draw][parameter].</param>
/// <param name="StepSizes">Frozen step size per chain.</param>
/// <param name="InverseMass">Frozen diagonal inverse mass matrix per chain.</param>
/// <param name="MeanAcceptStat">Mean acceptance statistic of the kept iterations per chain.</param>
/// <param name="Divergences">Divergent kept iterations per chain.</param>
/// <param name="MeanTreeDepth">Mean tree depth of the kept iterations per chain.</param>
public sealed record NutsResult(double[][][] Draws, double[] StepSizes, double[][] InverseMass, double[] MeanAcceptStat,
    int[] Divergences, double[] MeanTreeDepth)
{
    /// <summary>Draws of one parameter, [chain][draw], for <see cref="Diagnostics"/>.</summary>
    public double[][] Parameter(int index) => MultiChain.Parameter(Draws, index);
}

/// <summary>
/// No-U-Turn sampler (Hoffman &amp; Gelman 2014) in the multinomial variant used by Stan (Betancourt 2017): trajectories
/// double forwards or backwards until the generalized no-U-turn criterion (checked on the whole trajectory and across
/// adjacent subtrees) fails, a divergence (energy error &gt; 1000) occurs or the maximum depth is reached; the new state is
/// drawn from the trajectory with weights exp(−H), biased towards the newest subtree at the top level. Warmup adapts the
/// step size by dual averaging (γ = 0.05, t₀ = 10, κ = 0.75) and a diagonal mass matrix from the regularized sample
/// variance of doubling windows, as Stan. Chains run in parallel; the log-density-and-gradient must be thread-safe.
/// </summary>
public sealed class NutsSampler
{
    private readonly Func<double[], (double LogDensity, double[] Gradient)> _f;
    private readonly NutsOptions _options;
    private readonly int _d;
    private readonly Chain[] _chains;

    /// <summary>
    /// A sampler of the density with log-density and gradient <paramref name="logDensityAndGradient"/>; <paramref name="initial"/>
    /// holds one starting point per chain (finite log-density required).
    /// </summary>
    public NutsSampler(Func<double[], (double LogDensity, double[] Gradient)> logDensityAndGradient, double[][] initial, NutsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(logDensityAndGradient);
        ArgumentNullException.ThrowIfNull(initial);
        _options = options ?? new NutsOptions();
        Check(_options);
        if (initial.Length != _options.Chains) throw new ArgumentException($"need {_options.Chains} initial positions, got {initial.Length}");
        _d = initial[0].Length;
        if (_d < 1) throw new ArgumentException("need at least one parameter");
        _f = logDensityAndGradient;
        _chains = new Chain[_options.Chains];
        for (int c = 0; c < _chains.Length; c++)
        {
            if (initial[c].Length != _d) throw new ArgumentException("initial positions must all have the same dimension");
            _chains[c] = new Chain(_f, _options, (double[])initial[c].Clone(), ResumableRandom.ForStream(_options.Seed, FormattableString.Invariant($"nuts/chain/{c}")));
        }
    }

    private NutsSampler(Func<double[], (double LogDensity, double[] Gradient)> f, NutsState state)
    {
        _f = f;
        _options = state.Options;
        Check(_options);
        _d = state.Dimension;
        if (state.Chains.Length != _options.Chains) throw new ArgumentException("checkpoint chain count differs from its options");
        _chains = new Chain[state.Chains.Length];
        for (int c = 0; c < _chains.Length; c++) _chains[c] = new Chain(f, _options, state.Chains[c]);
    }

    /// <summary>Rebuilds a sampler from a checkpoint; later draws equal those of the sampler that wrote it.</summary>
    public static NutsSampler Resume(Func<double[], (double LogDensity, double[] Gradient)> logDensityAndGradient, NutsState state)
    {
        ArgumentNullException.ThrowIfNull(logDensityAndGradient);
        ArgumentNullException.ThrowIfNull(state);
        return new NutsSampler(logDensityAndGradient, state);
    }

    /// <summary>Completed iterations per chain (warmup included).</summary>
    public long Iteration => _chains[0].Iteration;

    /// <summary>Whether all warmup and draw iterations are done.</summary>
    public bool IsComplete => Iteration >= _options.Warmup + _options.Draws;

    /// <summary>The complete current state (deep copy).</summary>
    public NutsState Checkpoint()
    {
        var states = new NutsChainState[_chains.Length];
        for (int c = 0; c < states.Length; c++) states[c] = _chains[c].Save();
        return new NutsState(_d, _options, states);
    }

    /// <summary>
    /// Advances every chain by up to <paramref name="iterations"/> iterations (never past warmup + draws), chains in
    /// parallel, calling <paramref name="onCheckpoint"/> every <paramref name="checkpointEvery"/> iterations when given; returns
    /// the kept draws so far (all of them once <see cref="IsComplete"/>).
    /// </summary>
    public NutsResult Run(int iterations, int checkpointEvery = 0, Action<NutsState>? onCheckpoint = null)
    {
        MultiChain.Run(_chains, _options.Warmup + _options.Draws, iterations, checkpointEvery, onCheckpoint, Checkpoint);
        return Result();
    }

    /// <summary>Kept draws so far.</summary>
    public NutsResult Result()
    {
        int m = _chains.Length;
        var draws = new double[m][][];
        var eps = new double[m];
        var inv = new double[m][];
        var acc = new double[m];
        var div = new int[m];
        var depth = new double[m];
        for (int c = 0; c < m; c++)
        {
            var ch = _chains[c];
            draws[c] = MultiChain.Unflatten(ch.DrawsFlat, ch.Kept, _d);
            eps[c] = ch.StepSize;
            inv[c] = (double[])ch.InverseMass.Clone();
            double a = 0, t = 0;
            for (int i = 0; i < ch.Kept; i++) { a += ch.AcceptStats[i]; t += ch.TreeDepths[i]; if (ch.Divergent[i]) div[c]++; }
            acc[c] = ch.Kept > 0 ? a / ch.Kept : double.NaN;
            depth[c] = ch.Kept > 0 ? t / ch.Kept : double.NaN;
        }
        return new NutsResult(draws, eps, inv, acc, div, depth);
    }

    private static void Check(NutsOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Chains < 1) throw new ArgumentOutOfRangeException(nameof(o), "need at least one chain");
        if (o.Warmup < 0 || o.Draws < 1) throw new ArgumentOutOfRangeException(nameof(o), "warmup must be ≥ 0 and draws ≥ 1");
        if (!(o.TargetAcceptance > 0 && o.TargetAcceptance < 1)) throw new ArgumentOutOfRangeException(nameof(o), "target acceptance must lie in (0, 1)");
        if (o.MaxTreeDepth < 1) throw new ArgumentOutOfRangeException(nameof(o), "max tree depth must be ≥ 1");
        if (!(o.InitialStepSize > 0)) throw new ArgumentOutOfRangeException(nameof(o), "initial step size must be positive");
    }

    /// <summary>A phase-space point: position, momentum, log-density and its gradient.</summary>
    private sealed class Point
    {
        public readonly double[] Q, P, G;
        public double Lp;

        public Point(int d) { Q = new double[d]; P = new double[d]; G = new double[d]; }

        public void CopyFrom(Point o)
        {
            Array.Copy(o.Q, Q, Q.Length);
            Array.Copy(o.P, P, P.Length);
            Array.Copy(o.G, G, G.Length);
            Lp = o.Lp;
        }
    }

    private sealed class Chain : IResumableChain
    {
        private const double Gamma = 0.05, T0 = 10, Kappa = 0.75, MaxDeltaH = 1000;
        private readonly Func<double[], (double LogDensity, double[] Gradient)> _f;
        private readonly NutsOptions _o;
        private readonly int _d;
        private readonly ResumableRandom _rng;
        private readonly double[] _q, _g;
        private double _lp;
        private double _mu, _sBar, _xBar;
        private long _adaptCounter;
        private long _varN;
        private readonly double[] _varMean, _varM2;
        private int _windowCounter, _windowSize, _nextWindow;
        private readonly int _initBuffer, _termBuffer;
        private readonly bool _adaptMass;
        private bool _divergent;

        public long Iteration { get; private set; }
        public double StepSize;
        public readonly double[] InverseMass;
        public double[] DrawsFlat;
        public double[] AcceptStats;
        public int[] TreeDepths;
        public bool[] Divergent;
        public int Kept;

        public Chain(Func<double[], (double LogDensity, double[] Gradient)> f, NutsOptions o, double[] start, ResumableRandom rng)
            : this(f, o, start.Length, rng)
        {
            Array.Copy(start, _q, _d);
            var (lp, g) = f((double[])start.Clone());
            if (!double.IsFinite(lp)) throw new ArgumentException("log-density must be finite at the initial positions");
            _lp = lp;
            CopyGradient(g, _g);
            Array.Fill(InverseMass, 1.0);
            StepSize = o.InitialStepSize;
            InitStepSize();
            _mu = Math.Log(10 * StepSize);
            _windowCounter = 0;
            _windowSize = WindowBase(o.Warmup, out _, out _);
            _nextWindow = _initBuffer + _windowSize - 1;
        }

        public Chain(Func<double[], (double LogDensity, double[] Gradient)> f, NutsOptions o, NutsChainState s)
            : this(f, o, s.Position.Length, ResumableRandom.FromState(s.Rng))
        {
            Array.Copy(s.Position, _q, _d);
            _lp = s.LogDensity;
            Array.Copy(s.Gradient, _g, _d);
            StepSize = s.StepSize;
            (_mu, _sBar, _xBar, _adaptCounter) = (s.Mu, s.SBar, s.XBar, s.AdaptCounter);
            Array.Copy(s.InverseMass, InverseMass, _d);
            _varN = s.VarianceCount;
            Array.Copy(s.VarianceMean, _varMean, _d);
            Array.Copy(s.VarianceM2, _varM2, _d);
            (_windowCounter, _windowSize, _nextWindow) = (s.WindowCounter, s.WindowSize, s.NextWindow);
            Iteration = s.Iteration;
            Kept = s.AcceptStats.Length;
            Array.Copy(s.Draws, DrawsFlat, s.Draws.Length);
            Array.Copy(s.AcceptStats, AcceptStats, Kept);
            Array.Copy(s.TreeDepths, TreeDepths, Kept);
            Array.Copy(s.Divergent, Divergent, Kept);
        }

        private Chain(Func<double[], (double LogDensity, double[] Gradient)> f, NutsOptions o, int d, ResumableRandom rng)
        {
            _f = f;
            _o = o;
            _d = d;
            _rng = rng;
            _q = new double[d];
            _g = new double[d];
            InverseMass = new double[d];
            _varMean = new double[d];
            _varM2 = new double[d];
            WindowBase(o.Warmup, out _initBuffer, out _termBuffer);
            _adaptMass = o.AdaptMassMatrix && o.Warmup >= 20;
            DrawsFlat = new double[o.Draws * d];
            AcceptStats = new double[o.Draws];
            TreeDepths = new int[o.Draws];
            Divergent = new bool[o.Draws];
        }

        /// <summary>Stan's window sizes: init buffer 75, terminal buffer 50, base window 25, shrunk to 15 %/75 %/10 % of short warmups.</summary>
        private static int WindowBase(int warmup, out int init, out int term)
        {
            init = 75; term = 50;
            int b = 25;
            if (init + term + b > warmup)
            {
                init = (int)(0.15 * warmup);
                term = (int)(0.1 * warmup);
                b = warmup - (init + term);
            }
            return b;
        }

        public NutsChainState Save() => new(Iteration, (double[])_q.Clone(), _lp, (double[])_g.Clone(), _rng.State,
            StepSize, _mu, _sBar, _xBar, _adaptCounter, (double[])InverseMass.Clone(), _varN, (double[])_varMean.Clone(), (double[])_varM2.Clone(),
            _windowCounter, _windowSize, _nextWindow, DrawsFlat[..(Kept * _d)], AcceptStats[..Kept], TreeDepths[..Kept], Divergent[..Kept]);

        public void Advance(int iterations)
        {
            for (int k = 0; k < iterations; k++)
            {
                bool warmup = Iteration < _o.Warmup;
                var (accept, depth) = Transition();
                if (warmup)
                {
                    LearnStepSize(accept);
                    if (_adaptMass && LearnVariance())
                    {
                        InitStepSize();
                        _mu = Math.Log(10 * StepSize);
                        _adaptCounter = 0; _sBar = 0; _xBar = 0;
                    }
                    if (Iteration == _o.Warmup - 1) StepSize = Math.Exp(_xBar);
                }
                else
                {
                    Array.Copy(_q, 0, DrawsFlat, Kept * _d, _d);
                    AcceptStats[Kept] = accept;
                    TreeDepths[Kept] = depth;
                    Divergent[Kept] = _divergent;
                    Kept++;
                }
                Iteration++;
            }
        }

        private void LearnStepSize(double acceptStat)
        {
            _adaptCounter++;
            acceptStat = Math.Min(1, acceptStat);
            double eta = 1.0 / (_adaptCounter + T0);
            _sBar = (1 - eta) * _sBar + eta * (_o.TargetAcceptance - acceptStat);
            double x = _mu - _sBar * Math.Sqrt(_adaptCounter) / Gamma;
            double xEta = Math.Pow(_adaptCounter, -Kappa);
            _xBar = (1 - xEta) * _xBar + xEta * x;
            StepSize = Math.Exp(x);
        }

        private bool LearnVariance()
        {
            int warmup = _o.Warmup;
            bool inWindow = _windowCounter >= _initBuffer && _windowCounter < warmup - _termBuffer && _windowCounter != warmup;
            if (inWindow)
            {
                _varN++;
                for (int i = 0; i < _d; i++)
                {
                    double delta = _q[i] - _varMean[i];
                    _varMean[i] += delta / _varN;
                    _varM2[i] += delta * (_q[i] - _varMean[i]);
                }
            }
            if (_windowCounter == _nextWindow && _windowCounter != warmup)
            {
                ComputeNextWindow();
                double n = _varN;
                for (int i = 0; i < _d; i++)
                {
                    double v = n > 1 ? _varM2[i] / (n - 1) : 1;
                    InverseMass[i] = n / (n + 5) * v + 1e-3 * (5 / (n + 5));
                }
                _varN = 0;
                Array.Clear(_varMean);
                Array.Clear(_varM2);
                _windowCounter++;
                return true;
            }
            _windowCounter++;
            return false;
        }

        private void ComputeNextWindow()
        {
            int last = _o.Warmup - _termBuffer - 1;
            if (_nextWindow == last) return;
            _windowSize *= 2;
            _nextWindow = _windowCounter + _windowSize;
            if (_nextWindow != last && _nextWindow + 2 * _windowSize >= _o.Warmup - _termBuffer) _nextWindow = last;
        }

        private double Hamiltonian(Point z)
        {
            if (!double.IsFinite(z.Lp)) return double.PositiveInfinity;
            double k = 0;
            for (int i = 0; i < _d; i++) k += InverseMass[i] * z.P[i] * z.P[i];
            double h = -z.Lp + 0.5 * k;
            return double.IsNaN(h) ? double.PositiveInfinity : h;
        }

        private void SampleMomentum(Point z)
        {
            for (int i = 0; i < _d; i++) z.P[i] = _rng.NextStandardNormal() / Math.Sqrt(InverseMass[i]);
        }

        private void Leapfrog(Point z, double eps)
        {
            double half = 0.5 * eps;
            for (int i = 0; i < _d; i++) z.P[i] += half * z.G[i];
            var q = new double[_d];
            for (int i = 0; i < _d; i++) { z.Q[i] += eps * InverseMass[i] * z.P[i]; q[i] = z.Q[i]; }
            var (lp, g) = _f(q);
            if (double.IsNaN(lp) || g is null || g.Length != _d) lp = double.NegativeInfinity;
            z.Lp = lp;
            if (double.IsFinite(lp)) CopyGradient(g!, z.G);
            else Array.Clear(z.G);
            for (int i = 0; i < _d; i++) z.P[i] += half * z.G[i];
        }

        private void CopyGradient(double[] g, double[] to)
        {
            if (g is null || g.Length != _d) throw new ArgumentException($"gradient must have {_d} entries");
            Array.Copy(g, to, _d);
        }

        private void InitStepSize()
        {
            if (!(StepSize > 0) || StepSize > 1e7) return;
            var z = new Point(_d);
            double logTarget = Math.Log(0.8);
            double DeltaH()
            {
                Array.Copy(_q, z.Q, _d); Array.Copy(_g, z.G, _d); z.Lp = _lp;
                SampleMomentum(z);
                double h0 = Hamiltonian(z);
                Leapfrog(z, StepSize);
                return h0 - Hamiltonian(z);
            }
            int direction = DeltaH() > logTarget ? 1 : -1;
            for (int iter = 0; iter < 100; iter++)
            {
                double dh = DeltaH();
                if (direction == 1 && !(dh > logTarget)) break;
                if (direction == -1 && !(dh < logTarget)) break;
                double next = direction == 1 ? 2 * StepSize : 0.5 * StepSize;
                if (next > 1e7 || next < 1e-12) break;
                StepSize = next;
            }
        }

        private static bool Criterion(double[] pSharpMinus, double[] pSharpPlus, double[] rho)
        {
            double a = 0, b = 0;
            for (int i = 0; i < rho.Length; i++) { a += pSharpPlus[i] * rho[i]; b += pSharpMinus[i] * rho[i]; }
            return a > 0 && b > 0;
        }

        private static double LogSumExp(double a, double b)
        {
            if (double.IsNegativeInfinity(a)) return b;
            if (double.IsNegativeInfinity(b)) return a;
            double m = Math.Max(a, b);
            return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m));
        }

        private static void Sum(double[] a, double[] b, double[] into)
        {
            for (int i = 0; i < into.Length; i++) into[i] = a[i] + b[i];
        }

        private (double AcceptStat, int Depth) Transition()
        {
            _divergent = false;
            var z = new Point(_d);
            Array.Copy(_q, z.Q, _d); Array.Copy(_g, z.G, _d); z.Lp = _lp;
            SampleMomentum(z);
            double h0 = Hamiltonian(z);
            var zFwd = new Point(_d); zFwd.CopyFrom(z);
            var zBck = new Point(_d); zBck.CopyFrom(z);
            var zSample = new Point(_d); zSample.CopyFrom(z);
            var zPropose = new Point(_d);
            var pSharp0 = new double[_d];
            for (int i = 0; i < _d; i++) pSharp0[i] = InverseMass[i] * z.P[i];
            double[] pSharpFwdFwd = (double[])pSharp0.Clone(), pSharpFwdBck = (double[])pSharp0.Clone();
            double[] pSharpBckFwd = (double[])pSharp0.Clone(), pSharpBckBck = (double[])pSharp0.Clone();
            double[] pFwdFwd = (double[])z.P.Clone(), pFwdBck = (double[])z.P.Clone(), pBckFwd = (double[])z.P.Clone(), pBckBck = (double[])z.P.Clone();
            var rho = (double[])z.P.Clone();
            var rhoFwd = new double[_d];
            var rhoBck = new double[_d];
            var rhoExt = new double[_d];
            double logSumWeight = 0, sumMetro = 0;
            long nLeapfrog = 0;
            int depth = 0;
            while (depth < _o.MaxTreeDepth)
            {
                Array.Clear(rhoFwd);
                Array.Clear(rhoBck);
                double lswSubtree = double.NegativeInfinity;
                bool valid;
                if (_rng.NextDouble() > 0.5)
                {
                    z.CopyFrom(zFwd);
                    Array.Copy(rho, rhoBck, _d);
                    Array.Copy(pFwdFwd, pBckFwd, _d);
                    Array.Copy(pSharpFwdFwd, pSharpBckFwd, _d);
                    valid = BuildTree(depth, z, zPropose, pSharpFwdBck, pSharpFwdFwd, rhoFwd, pFwdBck, pFwdFwd, h0, 1, ref nLeapfrog, ref lswSubtree, ref sumMetro);
                    zFwd.CopyFrom(z);
                }
                else
                {
                    z.CopyFrom(zBck);
                    Array.Copy(rho, rhoFwd, _d);
                    Array.Copy(pBckBck, pFwdBck, _d);
                    Array.Copy(pSharpBckBck, pSharpFwdBck, _d);
                    valid = BuildTree(depth, z, zPropose, pSharpBckFwd, pSharpBckBck, rhoBck, pBckFwd, pBckBck, h0, -1, ref nLeapfrog, ref lswSubtree, ref sumMetro);
                    zBck.CopyFrom(z);
                }
                if (!valid) break;
                depth++;
                if (lswSubtree > logSumWeight) zSample.CopyFrom(zPropose);
                else if (_rng.NextDouble() < Math.Exp(lswSubtree - logSumWeight)) zSample.CopyFrom(zPropose);
                logSumWeight = LogSumExp(logSumWeight, lswSubtree);
                Sum(rhoBck, rhoFwd, rho);
                bool persist = Criterion(pSharpBckBck, pSharpFwdFwd, rho);
                Sum(rhoBck, pFwdBck, rhoExt);
                persist &= Criterion(pSharpBckBck, pSharpFwdBck, rhoExt);
                Sum(rhoFwd, pBckFwd, rhoExt);
                persist &= Criterion(pSharpBckFwd, pSharpFwdFwd, rhoExt);
                if (!persist) break;
            }
            Array.Copy(zSample.Q, _q, _d);
            Array.Copy(zSample.G, _g, _d);
            _lp = zSample.Lp;
            return (nLeapfrog > 0 ? sumMetro / nLeapfrog : 0, depth);
        }

        private bool BuildTree(int depth, Point z, Point zPropose, double[] pSharpBeg, double[] pSharpEnd, double[] rho,
            double[] pBeg, double[] pEnd, double h0, int sign, ref long nLeapfrog, ref double logSumWeight, ref double sumMetro)
        {
            if (depth == 0)
            {
                Leapfrog(z, sign * StepSize);
                nLeapfrog++;
                double h = Hamiltonian(z);
                if (h - h0 > MaxDeltaH) _divergent = true;
                logSumWeight = LogSumExp(logSumWeight, h0 - h);
                sumMetro += h0 - h > 0 ? 1 : Math.Exp(h0 - h);
                zPropose.CopyFrom(z);
                for (int i = 0; i < _d; i++)
                {
                    pSharpBeg[i] = InverseMass[i] * z.P[i];
                    pSharpEnd[i] = pSharpBeg[i];
                    rho[i] += z.P[i];
                    pBeg[i] = z.P[i];
                    pEnd[i] = z.P[i];
                }
                return !_divergent;
            }
            double lswInit = double.NegativeInfinity;
            var pInitEnd = new double[_d];
            var pSharpInitEnd = new double[_d];
            var rhoInit = new double[_d];
            if (!BuildTree(depth - 1, z, zPropose, pSharpBeg, pSharpInitEnd, rhoInit, pBeg, pInitEnd, h0, sign, ref nLeapfrog, ref lswInit, ref sumMetro))
                return false;
            var zProposeFinal = new Point(_d);
            double lswFinal = double.NegativeInfinity;
            var pFinalBeg = new double[_d];
            var pSharpFinalBeg = new double[_d];
            var rhoFinal = new double[_d];
            if (!BuildTree(depth - 1, z, zProposeFinal, pSharpFinalBeg, pSharpEnd, rhoFinal, pFinalBeg, pEnd, h0, sign, ref nLeapfrog, ref lswFinal, ref sumMetro))
                return false;
            double lswSubtree = LogSumExp(lswInit, lswFinal);
            logSumWeight = LogSumExp(logSumWeight, lswSubtree);
            if (lswFinal > lswSubtree) zPropose.CopyFrom(zProposeFinal);
            else if (_rng.NextDouble() < Math.Exp(lswFinal - lswSubtree)) zPropose.CopyFrom(zProposeFinal);
            var rhoSubtree = new double[_d];
            Sum(rhoInit, rhoFinal, rhoSubtree);
            for (int i = 0; i < _d; i++) rho[i] += rhoSubtree[i];
            bool persist = Criterion(pSharpBeg, pSharpEnd, rhoSubtree);
            var rhoExt = new double[_d];
            Sum(rhoInit, pFinalBeg, rhoExt);
            persist &= Criterion(pSharpBeg, pSharpFinalBeg, rhoExt);
            Sum(rhoFinal, pInitEnd, rhoExt);
            persist &= Criterion(pSharpInitEnd, pSharpEnd, rhoExt);
            return persist;
        }
    }
}
