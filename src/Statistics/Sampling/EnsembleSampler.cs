using System.Diagnostics;

namespace ShapeStudy.Statistics;

/// <summary>Options of <see cref="EnsembleSampler"/>.</summary>
/// <param name="Seed">Root seed: walker j draws from its own stream <c>walker/j</c>, the red/blue split from <c>split</c>, so draws do not depend on thread scheduling.</param>
/// <param name="Thin">Keep every <paramref name="Thin"/>-th step (counted from the first step of the sampler's life, across resumes).</param>
/// <param name="StretchScale">Stretch-move scale a &gt; 1 (emcee's <c>StretchMove(a=2)</c>); z is drawn from g(z) ∝ 1/√z on [1/a, a].</param>
/// <param name="RandomizeSplit">Reshuffle walkers into the two halves every step (emcee's default); false = even/odd indices.</param>
/// <param name="MaxDegreeOfParallelism">Threads evaluating one half: 1 = serial, &gt; 1 = that many, 0 = automatic (parallel only when a half-step takes long enough to pay for it). Never changes the draws.</param>
public sealed record EnsembleOptions(
    ulong Seed = 1,
    int Thin = 1,
    double StretchScale = 2.0,
    bool RandomizeSplit = true,
    int MaxDegreeOfParallelism = 0);

/// <summary>
/// Complete state of an <see cref="EnsembleSampler"/> (serialize with <see cref="CheckpointJson"/>): positions, log-densities,
/// RNG states, step counter and the kept draws so far, so a resumed sampler continues with identical draws.
/// </summary>
/// <param name="Dimension">Number of parameters d.</param>
/// <param name="Options">Options the sampler was built with.</param>
/// <param name="Step">Completed steps.</param>
/// <param name="Positions">Current walker positions, [walker][parameter].</param>
/// <param name="LogProbs">Current log-density per walker.</param>
/// <param name="Accepted">Accepted proposals per walker since the start.</param>
/// <param name="SplitRng">State of the stream that shuffles walkers into halves.</param>
/// <param name="WalkerRngs">State of each walker's stream.</param>
/// <param name="Kept">Number of kept (thinned) steps.</param>
/// <param name="Chain">Kept draws, [walker][kept · d + parameter] (flat per walker).</param>
/// <param name="ChainLogProbs">Log-density of each kept draw, [walker][kept].</param>
public sealed record EnsembleState(
    int Dimension,
    EnsembleOptions Options,
    long Step,
    double[][] Positions,
    double[] LogProbs,
    long[] Accepted,
    RngState SplitRng,
    RngState[] WalkerRngs,
    int Kept,
    double[][] Chain,
    double[][] ChainLogProbs);

/// <summary>
/// Draws of an ensemble run: kept positions [walker][kept step][parameter] with their log-densities. Holds the kept draws
/// in flat per-walker arrays shared with the sampler (the kept region is never rewritten), so returning it is free;
/// <see cref="Chain"/> and <see cref="LogProb"/> materialize jagged copies on first use.
/// </summary>
public sealed class EnsembleResult
{
    private readonly double[][] _flat, _lp;
    private double[][][]? _chain;
    private double[][]? _logProb;

    internal EnsembleResult(double[][] flat, double[][] logProb, int kept, int dimension, double[] acceptance, long steps)
    {
        _flat = flat;
        _lp = logProb;
        Kept = kept;
        Dimension = dimension;
        AcceptanceFraction = acceptance;
        Steps = steps;
    }

    /// <summary>Number of walkers.</summary>
    public int Walkers => _flat.Length;

    /// <summary>Number of kept steps per walker (Steps / Thin).</summary>
    public int Kept { get; }

    /// <summary>Number of parameters.</summary>
    public int Dimension { get; }

    /// <summary>Steps taken so far.</summary>
    public long Steps { get; }

    /// <summary>Fraction of accepted proposals per walker over all steps so far.</summary>
    public double[] AcceptanceFraction { get; }

    /// <summary>Kept positions, [walker][kept step][parameter] (materialized on first use).</summary>
    public double[][][] Chain => _chain ??= BuildChain();

    /// <summary>Log-density of each kept position, [walker][kept step].</summary>
    public double[][] LogProb => _logProb ??= _lp.Select(l => l[..Kept]).ToArray();

    /// <summary>Parameter <paramref name="parameter"/> of walker <paramref name="walker"/> at kept step <paramref name="step"/>.</summary>
    public double this[int walker, int step, int parameter]
    {
        get
        {
            if ((uint)step >= (uint)Kept || (uint)parameter >= (uint)Dimension) throw new ArgumentOutOfRangeException(nameof(step));
            return _flat[walker][step * Dimension + parameter];
        }
    }

    /// <summary>Kept draws of parameter <paramref name="index"/>, [walker][kept step], dropping the first <paramref name="discard"/> kept steps.</summary>
    public double[][] Parameter(int index, int discard = 0)
    {
        if ((uint)index >= (uint)Dimension) throw new ArgumentOutOfRangeException(nameof(index));
        if (discard < 0 || discard > Kept) throw new ArgumentOutOfRangeException(nameof(discard));
        var result = new double[Walkers][];
        for (int w = 0; w < Walkers; w++)
        {
            var src = _flat[w];
            var col = new double[Kept - discard];
            for (int i = discard; i < Kept; i++) col[i - discard] = src[i * Dimension + index];
            result[w] = col;
        }
        return result;
    }

    /// <summary>emcee's integrated autocorrelation time per parameter (in kept steps) after dropping <paramref name="discard"/> kept steps.</summary>
    public double[] AutocorrelationTime(int discard = 0, double c = 5)
    {
        var tau = new double[Dimension];
        for (int j = 0; j < tau.Length; j++) tau[j] = Diagnostics.AutocorrelationTime(Parameter(j, discard), c);
        return tau;
    }

    private double[][][] BuildChain()
    {
        var chain = new double[Walkers][][];
        for (int w = 0; w < Walkers; w++)
        {
            var rows = new double[Kept][];
            for (int k = 0; k < Kept; k++) rows[k] = _flat[w].AsSpan(k * Dimension, Dimension).ToArray();
            chain[w] = rows;
        }
        return chain;
    }
}

/// <summary>
/// Affine-invariant ensemble sampler with the Goodman &amp; Weare (2010) stretch move, parallelized as emcee
/// (Foreman-Mackey et al. 2013): the walkers are split into two halves; each walker of one half proposes
/// Y = X_c + z (X_j − X_c) with X_c a random walker of the other half and z ~ g(z) ∝ 1/√z on [1/a, a], and accepts with
/// probability min(1, z^(d−1) p(Y)/p(X_j)). Walkers within a half are independent given the other half and are
/// updated in parallel. The log-density must be thread-safe and must not keep the array it is given.
/// </summary>
public sealed class EnsembleSampler
{
    private readonly Func<double[], double> _logDensity;
    private readonly EnsembleOptions _options;
    private readonly int _d, _walkers, _half;
    private readonly double[][] _pos, _prop;
    private readonly double[] _lp;
    private readonly long[] _accepted;
    private readonly ResumableRandom _splitRng;
    private readonly ResumableRandom[] _rngs;
    private readonly int[] _order;
    private readonly double[][] _chain, _chainLp;
    private readonly double _aMinus1, _invA, _dMinus1;
    private readonly Action<int> _parallelBody;
    private readonly ParallelOptions _parallelOptions;
    private long _step;
    private int _kept;
    private int _activeOffset, _complementOffset;
    private bool? _parallel;
    private double _fastestHalf = double.PositiveInfinity;
    private int _timedHalves;

    /// <summary>
    /// A sampler over d = initial[0].Length parameters with one walker per row of <paramref name="initial"/> (an even number
    /// ≥ 2d of distinct points, e.g. a small ball around a guess). Evaluates the initial log-densities (NaN is an error).
    /// </summary>
    public EnsembleSampler(Func<double[], double> logDensity, double[][] initial, EnsembleOptions? options = null)
        : this(logDensity, options ?? new EnsembleOptions(), Validate(initial), null)
    {
    }

    private EnsembleSampler(Func<double[], double> logDensity, EnsembleOptions options, double[][] initial, EnsembleState? state)
    {
        ArgumentNullException.ThrowIfNull(logDensity);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Thin < 1) throw new ArgumentOutOfRangeException(nameof(options), "thin must be ≥ 1");
        if (!(options.StretchScale > 1)) throw new ArgumentOutOfRangeException(nameof(options), "stretch scale a must exceed 1");
        if (options.MaxDegreeOfParallelism < 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxDegreeOfParallelism must be ≥ 0");
        _logDensity = logDensity;
        _options = options;
        _walkers = initial.Length;
        _d = initial[0].Length;
        if (_walkers % 2 != 0 || _walkers < 2 * _d) throw new ArgumentException($"need an even number of walkers ≥ 2·d = {2 * _d}, got {_walkers}");
        _half = _walkers / 2;
        _pos = new double[_walkers][];
        _prop = new double[_walkers][];
        for (int w = 0; w < _walkers; w++) { _pos[w] = (double[])initial[w].Clone(); _prop[w] = new double[_d]; }
        _lp = new double[_walkers];
        _accepted = new long[_walkers];
        _order = new int[_walkers];
        _chain = new double[_walkers][];
        _chainLp = new double[_walkers][];
        _aMinus1 = options.StretchScale - 1;
        _invA = 1 / options.StretchScale;
        _dMinus1 = _d - 1;
        _parallelBody = k => MoveWalker(k);
        _parallelOptions = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : -1 };
        if (options.MaxDegreeOfParallelism == 1) _parallel = false;
        else if (options.MaxDegreeOfParallelism > 1) _parallel = true;
        if (state is null)
        {
            _splitRng = ResumableRandom.ForStream(options.Seed, "split");
            _rngs = new ResumableRandom[_walkers];
            for (int w = 0; w < _walkers; w++)
            {
                _rngs[w] = ResumableRandom.ForStream(options.Seed, FormattableString.Invariant($"walker/{w}"));
                _chain[w] = [];
                _chainLp[w] = [];
            }
            for (int w = 0; w < _walkers; w++)
            {
                double lp = logDensity(Copy(_pos[w], _prop[w]));
                if (double.IsNaN(lp)) throw new ArgumentException($"log-density is NaN at the initial position of walker {w}");
                _lp[w] = lp;
            }
        }
        else
        {
            _splitRng = ResumableRandom.FromState(state.SplitRng);
            _rngs = new ResumableRandom[_walkers];
            for (int w = 0; w < _walkers; w++)
            {
                _rngs[w] = ResumableRandom.FromState(state.WalkerRngs[w]);
                _lp[w] = state.LogProbs[w];
                _accepted[w] = state.Accepted[w];
                _chain[w] = (double[])state.Chain[w].Clone();
                _chainLp[w] = (double[])state.ChainLogProbs[w].Clone();
            }
            _step = state.Step;
            _kept = state.Kept;
        }
    }

    /// <summary>Rebuilds a sampler from a checkpoint; later draws equal those of the sampler that wrote it.</summary>
    public static EnsembleSampler Resume(Func<double[], double> logDensity, EnsembleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int w = state.Positions.Length;
        if (state.LogProbs.Length != w || state.Accepted.Length != w || state.WalkerRngs.Length != w
            || state.Chain.Length != w || state.ChainLogProbs.Length != w)
            throw new ArgumentException("inconsistent ensemble checkpoint: per-walker arrays differ in length");
        foreach (var p in state.Positions) if (p.Length != state.Dimension) throw new ArgumentException("inconsistent ensemble checkpoint: position length ≠ dimension");
        return new EnsembleSampler(logDensity, state.Options, state.Positions, state);
    }

    /// <summary>Number of parameters.</summary>
    public int Dimension => _d;

    /// <summary>Number of walkers.</summary>
    public int Walkers => _walkers;

    /// <summary>Completed steps.</summary>
    public long Step => _step;

    /// <summary>The complete current state (deep copy).</summary>
    public EnsembleState Checkpoint()
    {
        var chain = new double[_walkers][];
        var chainLp = new double[_walkers][];
        var pos = new double[_walkers][];
        var rngs = new RngState[_walkers];
        for (int w = 0; w < _walkers; w++)
        {
            chain[w] = _chain[w][..(_kept * _d)];
            chainLp[w] = _chainLp[w][.._kept];
            pos[w] = (double[])_pos[w].Clone();
            rngs[w] = _rngs[w].State;
        }
        return new EnsembleState(_d, _options, _step, pos, (double[])_lp.Clone(), (long[])_accepted.Clone(), _splitRng.State, rngs,
            _kept, chain, chainLp);
    }

    /// <summary>
    /// Advances every walker by <paramref name="steps"/> stretch-move steps and returns all kept draws since the sampler
    /// started (including those before a resume). When <paramref name="checkpointEvery"/> &gt; 0, calls
    /// <paramref name="onCheckpoint"/> with <see cref="Checkpoint"/> after every that many steps.
    /// </summary>
    public EnsembleResult Run(int steps, int checkpointEvery = 0, Action<EnsembleState>? onCheckpoint = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (checkpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(checkpointEvery));
        EnsureCapacity(checked((int)((_step + steps) / _options.Thin)));
        for (int s = 0; s < steps; s++)
        {
            OneStep();
            if (checkpointEvery > 0 && onCheckpoint is not null && (s + 1) % checkpointEvery == 0) onCheckpoint(Checkpoint());
        }
        return Result();
    }

    /// <summary>All kept draws so far (shares the sampler's storage of the kept region; no copy).</summary>
    public EnsembleResult Result()
    {
        var acc = new double[_walkers];
        for (int w = 0; w < _walkers; w++) acc[w] = _step > 0 ? (double)_accepted[w] / _step : double.NaN;
        return new EnsembleResult((double[][])_chain.Clone(), (double[][])_chainLp.Clone(), _kept, _d, acc, _step);
    }

    private void EnsureCapacity(int keptTotal)
    {
        if (_chainLp[0].Length >= keptTotal) return;
        for (int w = 0; w < _walkers; w++)
        {
            var c = new double[keptTotal * _d];
            Array.Copy(_chain[w], c, _kept * _d);
            _chain[w] = c;
            var l = new double[keptTotal];
            Array.Copy(_chainLp[w], l, _kept);
            _chainLp[w] = l;
        }
    }

    private void OneStep()
    {
        var order = _order;
        for (int i = 0; i < _walkers; i++) order[i] = _options.RandomizeSplit ? i : (i % 2) * _half + i / 2;
        if (_options.RandomizeSplit)
            for (int i = _walkers - 1; i > 0; i--)
            {
                int k = (int)_splitRng.NextBounded((ulong)(i + 1));
                (order[i], order[k]) = (order[k], order[i]);
            }
        for (int h = 0; h < 2; h++)
        {
            _activeOffset = h * _half;
            _complementOffset = (1 - h) * _half;
            if (_parallel is null)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int k = 0; k < _half; k++) MoveWalker(k);
                double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                // A Parallel.For costs several µs (much more on a busy machine); use it only when the fastest of the first
                // few serial half-steps clearly exceeds that. The choice never changes the draws.
                _fastestHalf = Math.Min(_fastestHalf, seconds);
                if (++_timedHalves >= 8) _parallel = Environment.ProcessorCount > 1 && _fastestHalf > 200e-6;
            }
            else if (_parallel.Value)
            {
                Parallel.For(0, _half, _parallelOptions, _parallelBody);
            }
            else
            {
                for (int k = 0; k < _half; k++) MoveWalker(k);
            }
        }
        _step++;
        if (_step % _options.Thin == 0)
        {
            int baseIndex = _kept * _d;
            for (int w = 0; w < _walkers; w++)
            {
                var x = _pos[w];
                var dst = _chain[w];
                for (int i = 0; i < x.Length; i++) dst[baseIndex + i] = x[i];
                _chainLp[w][_kept] = _lp[w];
            }
            _kept++;
        }
    }

    private void MoveWalker(int k)
    {
        int j = _order[_activeOffset + k];
        var rng = _rngs[j];
        double u = rng.NextDouble();
        double sqrtZ = _aMinus1 * u + 1;
        double z = sqrtZ * sqrtZ * _invA;
        int c = _order[_complementOffset + (int)rng.NextBounded((ulong)_half)];
        double uAccept = rng.NextDouble();
        var xj = _pos[j];
        var xc = _pos[c];
        var y = _prop[j];
        for (int i = 0; i < y.Length; i++) y[i] = xc[i] - z * (xc[i] - xj[i]);
        double lpy = _logDensity(y);
        if (double.IsNaN(lpy)) lpy = double.NegativeInfinity;
        double logRatio = lpy - _lp[j];
        if (_dMinus1 != 0) logRatio += _dMinus1 * Math.Log(z);
        // Accept when log-ratio > log u; u ≤ 1 so a non-negative log-ratio always accepts and needs no logarithm.
        if (lpy > double.NegativeInfinity && (logRatio >= 0 || logRatio > Math.Log(uAccept)))
        {
            _pos[j] = y;
            _prop[j] = xj;
            _lp[j] = lpy;
            _accepted[j]++;
        }
    }

    private static double[] Copy(double[] from, double[] to)
    {
        Array.Copy(from, to, from.Length);
        return to;
    }

    private static double[][] Validate(double[][] initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        if (initial.Length == 0 || initial[0] is null || initial[0].Length == 0) throw new ArgumentException("need at least one walker with at least one parameter");
        int d = initial[0].Length;
        foreach (var x in initial)
        {
            if (x is null || x.Length != d) throw new ArgumentException("all initial positions must have the same dimension");
            foreach (var v in x) if (!double.IsFinite(v)) throw new ArgumentException("initial positions must be finite");
        }
        return initial;
    }
}
