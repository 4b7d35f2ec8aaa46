using System.Diagnostics;
using ShapeStudy.Core;

namespace ShapeStudy.Physics.Fem;

/// <summary>
/// Output of a reaction–diffusion run: per output time and per (species, compartment) the mean concentration (µM),
/// per species the total amount (µM·µm³), optionally the full fields, and the solver statistics.
/// </summary>
public sealed class ReactionDiffusionResult
{
    internal ReactionDiffusionResult(double[] times, IReadOnlyList<string> species, int[] compartments, double[][][] means, double[][] amounts,
        IReadOnlyList<double[][]>? fields, double[][] finalFields, SolverStatistics stats, IReadOnlyList<double[]>? newton)
    {
        TimesMs = times; Species = species; Compartments = compartments; _means = means; _amounts = amounts;
        Fields = fields; FinalFields = finalFields; Statistics = stats; NewtonResiduals = newton;
    }

    private readonly double[][][] _means;   // [species][compartment][time]
    private readonly double[][] _amounts;   // [species][time]

    /// <summary>Output times (ms).</summary>
    public double[] TimesMs { get; }
    /// <summary>Species names.</summary>
    public IReadOnlyList<string> Species { get; }
    /// <summary>Compartment ids (sorted) of the compartment map.</summary>
    public int[] Compartments { get; }
    /// <summary>Fields at each output time: [time][species] → one value per vertex (µM; NaN where the species does not live); null unless requested.</summary>
    public IReadOnlyList<double[][]>? Fields { get; }
    /// <summary>Fields at the final time: [species] → one value per vertex (µM; NaN where absent).</summary>
    public double[][] FinalFields { get; }
    /// <summary>Solver statistics.</summary>
    public SolverStatistics Statistics { get; }
    /// <summary>Newton residual norms ‖R‖₂ of each accepted step (first entry: at the predictor); null unless requested.</summary>
    public IReadOnlyList<double[]>? NewtonResiduals { get; }

    /// <summary>Mean concentration (µM) of <paramref name="species"/> over compartment <paramref name="compartment"/>
    /// (restricted to where the species lives; NaN when they do not overlap) at each output time.</summary>
    public double[] Mean(string species, int compartment)
    {
        int c = Array.IndexOf(Compartments, compartment);
        if (c < 0) throw new ArgumentException($"unknown compartment {compartment} (compartments: {string.Join(", ", Compartments)})", nameof(compartment));
        return _means[SpeciesIndex(species)][c];
    }

    /// <summary>Total amount ∫ c dx (µM·µm³; 1 µM·µm³ ≈ 602 molecules) of <paramref name="species"/> at each output time.</summary>
    public double[] Amount(string species) => _amounts[SpeciesIndex(species)];

    private int SpeciesIndex(string name)
    {
        for (int s = 0; s < Species.Count; s++) if (Species[s] == name) return s;
        throw new ArgumentException($"unknown species '{name}' (species: {string.Join(", ", Species)})", nameof(name));
    }
}

/// <summary>
/// Implicit time integration of a <see cref="ReactionDiffusionSystem"/>: backward Euler or variable-step BDF2, Newton's
/// method with the assembled Jacobian on each step, optional adaptive steps (local error estimated from the difference
/// between the implicit solution and an explicit polynomial predictor, Milne's device), rejection and retry with a
/// smaller step on Newton divergence, linear-solver failure, negative concentrations or too large an error.
/// </summary>
/// <remarks>
/// BDF2 with ω = Δtₙ/Δtₙ₋₁: ((1+2ω)/(1+ω) uₙ₊₁ − (1+ω) uₙ + ω²/(1+ω) uₙ₋₁)/Δtₙ = f(uₙ₊₁); the first step is backward Euler.
/// For a linear system (all rate laws affine) Newton takes one step per time step and the Jacobian, its preconditioner or
/// factorisation are reused while the step size is unchanged. For nonlinear systems the Jacobian is assembled at every
/// Newton iteration, while its incomplete factorisation (ILU(0)/IC(0)/Jacobi) is kept across iterations and steps until a
/// Krylov solve needs more than twice (+5) the iterations it needed right after the factorisation, or fails (then it is
/// retried at once with a fresh factorisation).
/// </remarks>
public static class ReactionDiffusionSolver
{
    /// <summary>Unknown count up to which <see cref="LinearSolverKind.Auto"/> uses the direct solver.</summary>
    public const int AutoDirectUnknowns = 400;

    /// <summary>Discretises and runs <paramref name="model"/> on <paramref name="mesh"/>; see the other overload.</summary>
    public static ReactionDiffusionResult Run(TetMesh mesh, ReactionDiffusionModel model, TimeIntegrationOptions options, IReadOnlyList<double> outputTimesMs, int[]? tetCompartments = null)
    {
        ValidateOptions(options);
        return Run(new ReactionDiffusionSystem(mesh, model, options.LumpedMass, options.Reorder), options, outputTimesMs, tetCompartments);
    }

    /// <summary>
    /// Integrates from t = 0 (the model's initial state, or <paramref name="initialState"/>) to the last output time.
    /// </summary>
    /// <param name="system">The discretised system.</param>
    /// <param name="options">Scheme, steps, tolerances, solver.</param>
    /// <param name="outputTimesMs">Times (ms, ≥ 0) at which means (and fields) are recorded; the integrator steps onto each exactly.</param>
    /// <param name="tetCompartments">Compartment id per tetrahedron (negative = in no compartment); null = the mesh's tet regions.</param>
    /// <param name="initialState">Initial state in unknown order (µM); null = the model's initial concentrations.</param>
    /// <exception cref="ArgumentException">Impossible options (dt ≤ 0, negative tolerances, no output times) naming the option.</exception>
    /// <exception cref="SimulationFailedException">The step fell below <see cref="TimeIntegrationOptions.MinDtMs"/>; carries the reason.</exception>
    public static ReactionDiffusionResult Run(ReactionDiffusionSystem system, TimeIntegrationOptions options, IReadOnlyList<double> outputTimesMs, int[]? tetCompartments = null, double[]? initialState = null)
    {
        ValidateOptions(options);
        if (outputTimesMs.Count == 0) throw new ArgumentException("at least one output time is required", nameof(outputTimesMs));
        foreach (var t in outputTimesMs) if (!(t >= 0) || double.IsInfinity(t)) throw new ArgumentOutOfRangeException(nameof(outputTimesMs), t, "output times must be finite and ≥ 0 ms");
        if (system.Lumped != options.LumpedMass) throw new ArgumentException("the system's mass lumping differs from options.LumpedMass", nameof(options));
        var integ = new Integrator(system, options, tetCompartments, initialState);
        return integ.Run(outputTimesMs.Distinct().Order().ToArray());
    }

    /// <summary>Checks the options; throws naming the offending one.</summary>
    public static void ValidateOptions(TimeIntegrationOptions o)
    {
        if (!(o.DtMs > 0) || double.IsInfinity(o.DtMs)) throw new ArgumentOutOfRangeException(nameof(o.DtMs), o.DtMs, "time step dt_ms must be > 0 ms");
        if (!(o.MinDtMs > 0)) throw new ArgumentOutOfRangeException(nameof(o.MinDtMs), o.MinDtMs, "minimum time step must be > 0 ms");
        if (!(o.MaxDtMs > 0)) throw new ArgumentOutOfRangeException(nameof(o.MaxDtMs), o.MaxDtMs, "maximum time step must be > 0 ms");
        if (!(o.RelativeTolerance > 0)) throw new ArgumentOutOfRangeException(nameof(o.RelativeTolerance), o.RelativeTolerance, "relative tolerance must be > 0");
        if (!(o.AbsoluteToleranceUM > 0)) throw new ArgumentOutOfRangeException(nameof(o.AbsoluteToleranceUM), o.AbsoluteToleranceUM, "absolute tolerance must be > 0 µM");
        if (!(o.NegativityTolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(o.NegativityTolerance), o.NegativityTolerance, "negativity tolerance must be ≥ 0");
        if (!(o.LinearRelativeTolerance > 0 && o.LinearRelativeTolerance < 1)) throw new ArgumentOutOfRangeException(nameof(o.LinearRelativeTolerance), o.LinearRelativeTolerance, "linear tolerance must be in (0, 1)");
        if (o.MaxNewtonIterations < 1) throw new ArgumentOutOfRangeException(nameof(o.MaxNewtonIterations), o.MaxNewtonIterations, "at least one Newton iteration is required");
        if (o.MaxLinearIterations < 1) throw new ArgumentOutOfRangeException(nameof(o.MaxLinearIterations), o.MaxLinearIterations, "at least one linear iteration is required");
        if (o.BreakpointsMs is not null) foreach (var b in o.BreakpointsMs) if (!(b >= 0)) throw new ArgumentOutOfRangeException(nameof(o.BreakpointsMs), b, "breakpoints must be ≥ 0 ms");
    }

    private sealed class Integrator
    {
        private readonly ReactionDiffusionSystem _sys;
        private readonly TimeIntegrationOptions _o;
        private readonly int _n;
        private readonly int[] _compIds;
        private readonly double[][][] _compWeights; // [species][compartment] → weight per local dof
        private double[] _u;
        private int _steps, _rejected, _newton, _linear, _direct, _assemblies;
        private double _minDt = double.PositiveInfinity, _maxDt, _mostNegative;
        private readonly Dictionary<string, int> _reasons = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        // cached linear operator (linear systems)
        private double _cachedA = double.NaN;
        private CsrMatrix? _cachedJ;
        private IPreconditioner? _cachedP;
        private DenseLu? _cachedLu;
        private bool _cachedSym;
        private double[]? _scratch;
        private EisenstatConjugateGradient? _cachedE;
        private int _freshIterations;
        private LinearSolverKind _cachedPKind;
        private bool _precStale;

        public Integrator(ReactionDiffusionSystem sys, TimeIntegrationOptions o, int[]? tetComp, double[]? init)
        {
            _sys = sys; _o = o; _n = sys.UnknownCount;
            var mesh = sys.Space.Mesh;
            tetComp ??= mesh.TetRegions;
            if (tetComp.Length != mesh.TetCount) throw new ArgumentException($"one compartment id per tetrahedron is required ({mesh.TetCount}, got {tetComp.Length})", nameof(tetComp));
            _compIds = tetComp.Where(c => c >= 0).Distinct().Order().ToArray();
            int S = sys.SpeciesNames.Count;
            _compWeights = new double[S][][];
            for (int s = 0; s < S; s++)
            {
                _compWeights[s] = new double[_compIds.Length][];
                for (int c = 0; c < _compIds.Length; c++)
                {
                    var w = new double[sys.DofVertex[s].Length];
                    for (int t = 0; t < mesh.TetCount; t++)
                    {
                        if (tetComp[t] != _compIds[c] || sys.TetMask[s][t] == 0) continue;
                        double q = sys.Space.TetVolumes[t] * 0.25;
                        for (int j = 0; j < 4; j++) w[sys.VertexDof[s][mesh.Tetrahedra[4 * t + j]]] += q;
                    }
                    _compWeights[s][c] = w;
                }
            }
            if (init is not null && init.Length != _n) throw new ArgumentException($"initial state needs {_n} values", nameof(init));
            _u = init is null ? sys.InitialState() : (double[])init.Clone();
        }

        private SolverStatistics Stats() => new(_steps, _rejected, _newton, _linear, _direct, _assemblies, _clock.Elapsed.TotalSeconds,
            double.IsInfinity(_minDt) ? 0 : _minDt, _maxDt) { Rejections = new Dictionary<string, int>(_reasons), MostNegativeUM = _mostNegative };

        public ReactionDiffusionResult Run(double[] outputs)
        {
            int S = _sys.SpeciesNames.Count, nOut = outputs.Length;
            var means = new double[S][][];
            for (int s = 0; s < S; s++) { means[s] = new double[_compIds.Length][]; for (int c = 0; c < _compIds.Length; c++) means[s][c] = new double[nOut]; }
            var amounts = new double[S][];
            for (int s = 0; s < S; s++) amounts[s] = new double[nOut];
            var fields = _o.RecordFields ? new List<double[][]>() : null;
            var newton = _o.RecordNewtonResiduals ? new List<double[]>() : null;
            int outIdx = 0;
            void Record()
            {
                for (int s = 0; s < S; s++)
                {
                    int off = _sys.Offset[s];
                    for (int c = 0; c < _compIds.Length; c++)
                    {
                        var w = _compWeights[s][c];
                        double num = 0, den = 0;
                        for (int i = 0; i < w.Length; i++) { num += w[i] * _u[off + i]; den += w[i]; }
                        means[s][c][outIdx] = den > 0 ? num / den : double.NaN;
                    }
                    amounts[s][outIdx] = _sys.Amount(_u, s);
                }
                fields?.Add(Enumerable.Range(0, S).Select(s => _sys.VertexField(_u, s)).ToArray());
                _o.Progress?.Invoke(new IntegrationProgress(outputs[outIdx], outputs[^1], _steps, _rejected));
                outIdx++;
            }

            double tEnd = outputs[^1];
            var stops = outputs.Concat(_o.BreakpointsMs ?? []).Where(x => x > 0 && x <= tEnd).Distinct().Order().ToArray();
            double t = 0;
            if (outputs[0] == 0) Record();
            double[]? uPrev = null, uPrev2 = null;
            double hPrev = 0, hPrev2 = 0;
            double dtWanted = _o.DtMs;
            int stopIdx = 0;
            var residual = new double[_n];
            var hist = new double[_n];
            var pred = new double[_n];
            var uNew = new double[_n];
            var trace = new List<double>();
            bool negativeRetry = false;
            double lastUndershoot = 0;
            while (stopIdx < stops.Length)
            {
                double next = stops[stopIdx];
                double remaining = next - t;
                if (remaining <= 1e-12 * Math.Max(1, next)) { t = next; AfterStop(); continue; }
                double h = Math.Min(dtWanted, _o.Adaptive ? _o.MaxDtMs : double.PositiveInfinity);
                bool landing = false;
                if (remaining <= h * (1 + 1e-9))
                {
                    // a landing step within rounding of the wanted step keeps that step (same matrix, no reassembly)
                    if (Math.Abs(remaining - h) > 1e-9 * h) h = remaining;
                    landing = true;
                }
                else if (remaining < 1.5 * h) h = 0.5 * remaining;
                if (h < _o.MinDtMs)
                    throw new SimulationFailedException($"time step {h:G3} ms fell below the minimum {_o.MinDtMs:G3} ms at t = {t:G6} ms after rejections ({string.Join(", ", _reasons.Select(kv => $"{kv.Key}: {kv.Value}"))})", t, Stats());

                // scheme coefficients
                bool bdf2 = _o.Scheme == TimeScheme.Bdf2 && uPrev is not null && h / hPrev <= 3.0;
                int order = bdf2 ? 2 : 1;
                double a;
                if (bdf2)
                {
                    double w = h / hPrev, a0 = (1 + 2 * w) / (1 + w), a1 = -(1 + w), a2 = w * w / (1 + w);
                    a = a0 / h;
                    for (int i = 0; i < _n; i++) hist[i] = (a1 * _u[i] + a2 * uPrev![i]) / h;
                }
                else
                {
                    a = 1 / h;
                    for (int i = 0; i < _n; i++) hist[i] = -_u[i] / h;
                }
                // predictor (initial Newton guess): quadratic extrapolation through the last three states, linear with two
                if (uPrev is not null && uPrev2 is not null && hPrev2 > 0)
                {
                    double x0 = -(hPrev + hPrev2), x1 = -hPrev, x = h;
                    double l0 = (x - x1) * x / ((x0 - x1) * x0), l1 = (x - x0) * x / ((x1 - x0) * x1), l2 = (x - x0) * (x - x1) / (x0 * x1);
                    var up = uPrev; var up2 = uPrev2; var uc = _u;
                    VectorOps.Apply(_n, (lo, hi) => { for (int i = lo; i < hi; i++) pred[i] = l0 * up2[i] + l1 * up[i] + l2 * uc[i]; });
                }
                else if (uPrev is not null) { double w = h / hPrev; for (int i = 0; i < _n; i++) pred[i] = _u[i] + w * (_u[i] - uPrev[i]); }
                else Array.Copy(_u, pred, _n);
                Array.Copy(pred, uNew, _n);

                trace.Clear();
                string? failure = Newton(t + h, a, hist, uNew, residual, trace);
                if (failure is null)
                {
                    double max = 0, min = 0, minOld = 0;
                    for (int i = 0; i < _n; i++) { max = Math.Max(max, Math.Abs(uNew[i])); min = Math.Min(min, uNew[i]); minOld = Math.Min(minOld, _u[i]); }
                    _mostNegative = Math.Min(_mostNegative, min);
                    // only a step from a non-negative state can be blamed for negative values; when a 4× smaller step
                    // does not halve the undershoot, it comes from the spatial discretisation and the step is accepted
                    double undershoot = -min;
                    if (_o.RejectNegative && minOld >= -_o.AbsoluteToleranceUM && undershoot > _o.AbsoluteToleranceUM + _o.NegativityTolerance * max
                        && !(negativeRetry && undershoot > 0.5 * lastUndershoot))
                    {
                        failure = "negative";
                        lastUndershoot = undershoot;
                    }
                }
                double factor = 2;
                if (failure is null && _o.Adaptive)
                {
                    double err = ErrorEstimate(order, h, hPrev, hPrev2, uNew, uPrev, uPrev2);
                    if (!double.IsNaN(err))
                    {
                        factor = err == 0 ? 2 : Math.Clamp(0.9 * Math.Pow(err, -1.0 / (order + 1)), 0.2, 2);
                        if (err > 1) failure = "error";
                    }
                }
                negativeRetry = failure == "negative";
                if (failure is not null)
                {
                    _rejected++;
                    _reasons[failure] = _reasons.GetValueOrDefault(failure) + 1;
                    dtWanted = failure == "error" ? h * factor : h * 0.25;
                    continue;
                }
                // accept
                _steps++;
                _minDt = Math.Min(_minDt, h); _maxDt = Math.Max(_maxDt, h);
                newton?.Add(trace.ToArray());
                var dropped = uPrev2;
                uPrev2 = uPrev; uPrev = _u; _u = uNew; uNew = dropped ?? new double[_n];
                hPrev2 = hPrev; hPrev = h;
                t = landing ? next : t + h;
                dtWanted = _o.Adaptive ? Math.Min(h * factor, _o.MaxDtMs) : Math.Min(_o.DtMs, 2 * Math.Max(dtWanted, h));
                if (landing) AfterStop();
            }
            var finalFields = Enumerable.Range(0, S).Select(s => _sys.VertexField(_u, s)).ToArray();
            return new ReactionDiffusionResult(outputs, _sys.SpeciesNames, _compIds, means, amounts, fields, finalFields, Stats(), newton);

            void AfterStop()
            {
                while (outIdx < nOut && Math.Abs(outputs[outIdx] - t) <= 1e-12 * Math.Max(1, t)) Record();
                stopIdx++;
            }
        }

        private double ErrorEstimate(int order, double h, double hp, double hpp, double[] u, double[]? u1, double[]? u2)
        {
            // _u is u_n, u1 = u_{n−1}, u2 = u_{n−2} (before the history shift)
            double eb, ep;
            var un = _u;
            var p = new double[_n];
            if (order == 1)
            {
                if (u1 is null) return double.NaN;
                double w = h / hp;
                for (int i = 0; i < _n; i++) p[i] = un[i] + w * (un[i] - u1[i]);
                eb = h * h / 2; ep = h * (h + hp) / 2;
            }
            else
            {
                if (u1 is null || u2 is null || hpp <= 0) return double.NaN;
                // quadratic extrapolation through (t_{n−2}, t_{n−1}, t_n) to t_{n+1}, with t_n = 0
                double x0 = -(hp + hpp), x1 = -hp, x2 = 0, x = h;
                double l0 = (x - x1) * (x - x2) / ((x0 - x1) * (x0 - x2));
                double l1 = (x - x0) * (x - x2) / ((x1 - x0) * (x1 - x2));
                double l2 = (x - x0) * (x - x1) / ((x2 - x0) * (x2 - x1));
                for (int i = 0; i < _n; i++) p[i] = l0 * u2[i] + l1 * u1[i] + l2 * un[i];
                double w = h / hp, a0 = (1 + 2 * w) / (1 + w), a1 = -(1 + w), a2 = w * w / (1 + w);
                eb = (a1 * h * h * h + a2 * Math.Pow(h + hp, 3)) / (6 * a0);
                ep = h * (h + hp) * (h + hp + hpp) / 6;
            }
            double c = eb / (eb + ep), sum = 0;
            for (int i = 0; i < _n; i++)
            {
                double e = c * (u[i] - p[i]);
                double sc = _o.AbsoluteToleranceUM + _o.RelativeTolerance * Math.Max(Math.Abs(u[i]), Math.Abs(un[i]));
                sum += e / sc * (e / sc);
            }
            return Math.Sqrt(sum / _n);
        }

        /// <summary>Newton's method on R(u) = 0; returns null on convergence or the failure reason.</summary>
        private string? Newton(double t, double a, double[] hist, double[] u, double[] r, List<double> trace)
        {
            var delta = new double[_n];
            double r0 = 0;
            for (int it = 0; ; it++)
            {
                _sys.Residual(t, u, a, hist, r);
                double rn = VectorOps.Norm(r, _n);
                trace.Add(rn);
                if (double.IsNaN(rn) || double.IsInfinity(rn)) return "newton";
                if (it == 0) r0 = rn;
                else if (rn <= _o.NewtonRelativeTolerance * r0) return null;
                if (rn == 0) return null;
                if (it > 0 && rn > 1e6 * r0) return "newton";
                if (it >= _o.MaxNewtonIterations) return "newton";
                for (int i = 0; i < _n; i++) r[i] = -r[i];
                Array.Clear(delta);
                if (!SolveLinear(t, u, a, r, delta)) return "linear";
                _newton++;
                double dmax = 0, umax = 0;
                for (int i = 0; i < _n; i++) { u[i] += delta[i]; dmax = Math.Max(dmax, Math.Abs(delta[i])); umax = Math.Max(umax, Math.Abs(u[i])); }
                if (_sys.IsLinear) return null; // exact up to the linear tolerance
                if (dmax <= _o.NewtonStepTolerance * (umax + _o.AbsoluteToleranceUM))
                {
                    _sys.Residual(t, u, a, hist, r);
                    trace.Add(VectorOps.Norm(r, _n));
                    return null;
                }
            }
        }

        private IPreconditioner Preconditioner(LinearSolverKind kind, CsrMatrix j)
        {
            try
            {
                _cachedP ??= kind == LinearSolverKind.CgJacobi ? new JacobiPreconditioner(j) : new IncompleteLu(j, kind == LinearSolverKind.CgIncompleteCholesky);
            }
            catch (InvalidOperationException) { _cachedP = new JacobiPreconditioner(j); }
            return _cachedP;
        }

        private bool SolveLinear(double t, double[] u, double a, double[] b, double[] x)
        {
            CsrMatrix j;
            bool reuse = _sys.IsLinear && a == _cachedA && _cachedJ is not null;
            if (!reuse)
            {
                j = _sys.Jacobian(t, u, a);
                _assemblies++;
                _cachedJ = j; _cachedA = _sys.IsLinear ? a : double.NaN;
                // an incomplete factorisation of an earlier Jacobian stays a good preconditioner while the Krylov solver
                // converges about as fast as right after the factorisation (nonlinear systems; the operator is always current)
                if (_sys.IsLinear || _precStale) _cachedP = null;
                _cachedLu = null; _cachedE = null;
                _cachedSym = _sys.IsSymmetric(j);
            }
            j = _cachedJ!;
            var kind = _o.LinearSolver;
            if (kind == LinearSolverKind.Auto)
                kind = _n <= AutoDirectUnknowns ? LinearSolverKind.Direct : _cachedSym ? LinearSolverKind.CgEisenstat : LinearSolverKind.BiCgStabIlu;
            if ((kind == LinearSolverKind.CgJacobi || kind == LinearSolverKind.CgIncompleteCholesky || kind == LinearSolverKind.CgEisenstat) && !_cachedSym) kind = LinearSolverKind.BiCgStabIlu;
            if (kind == LinearSolverKind.CgEisenstat)
            {
                try { _cachedE ??= new EisenstatConjugateGradient(j); }
                catch (InvalidOperationException) { kind = LinearSolverKind.CgJacobi; }
            }
            if (kind != LinearSolverKind.Direct)
            {
                double rtol = _o.LinearRelativeTolerance;
                if (_sys.IsLinear)
                {
                    // relative to the full right-hand side f of J u = f (f = J u₀ − R(u₀)), as a direct solve of the step would be
                    _scratch ??= new double[_n];
                    j.Multiply(u, _scratch);
                    for (int i = 0; i < _n; i++) _scratch[i] += b[i];
                    double bn = VectorOps.Norm(b, _n);
                    if (bn > 0) rtol = Math.Min(0.5, rtol * VectorOps.Norm(_scratch, _n) / bn);
                }
                LinearSolveResult Krylov() => kind == LinearSolverKind.CgEisenstat ? _cachedE!.Solve(b, x, rtol, _o.MaxLinearIterations)
                    : kind == LinearSolverKind.BiCgStabIlu ? KrylovSolvers.BiCgStab(j, b, x, Preconditioner(kind, j), rtol, _o.MaxLinearIterations)
                    : KrylovSolvers.ConjugateGradient(j, b, x, Preconditioner(kind, j), rtol, _o.MaxLinearIterations);
                if (_cachedPKind != kind) { _cachedP = null; _cachedPKind = kind; }
                bool fresh = _cachedP is null;
                var res = Krylov();
                _linear += res.Iterations;
                if (kind != LinearSolverKind.CgEisenstat)
                {
                    if (fresh) { _freshIterations = res.Iterations; _precStale = false; }
                    else if (!res.Converged || res.Iterations > 2 * _freshIterations + 5)
                    {
                        _precStale = true;
                        if (!res.Converged)
                        {
                            // retry with a factorisation of the current Jacobian
                            _cachedP = null;
                            Array.Clear(x);
                            res = Krylov();
                            _linear += res.Iterations;
                            _freshIterations = res.Iterations; _precStale = false;
                        }
                    }
                }
                if (res.Converged) return true;
                if (_n > _o.DirectMaxUnknowns) return false;
                Array.Clear(x);
            }
            try
            {
                _cachedLu ??= new DenseLu(j);
                _cachedLu.Solve(b, x);
                _direct++;
                return true;
            }
            catch (InvalidOperationException) { return false; }
        }
    }
}
