namespace ShapeStudy.Physics.Fem;

/// <summary>
/// A diffusing species. <paramref name="DiffusionUm2PerMs"/>: diffusion coefficient D (µm²/ms, ≥ 0; 0 = immobile);
/// <paramref name="InitialUM"/>: uniform initial concentration (µM, ≥ 0).
/// </summary>
public sealed record Species(string Name, double DiffusionUm2PerMs, double InitialUM)
{
    /// <summary>Per-subdomain diffusion coefficients (µm²/ms) overriding <see cref="DiffusionUm2PerMs"/> in those
    /// subdomains (keys are <see cref="Core.TetMesh.TetRegions"/> values).</summary>
    public IReadOnlyDictionary<int, double>? DiffusionBySubdomain { get; init; }

    /// <summary>Subdomains (tet region markers) the species lives in; null = the whole mesh. Its unknowns are the
    /// vertices of those tetrahedra.</summary>
    public IReadOnlyList<int>? Subdomains { get; init; }

    /// <summary>Optional initial profile c₀(x, y, z) (µM, position in µm) overriding <see cref="InitialUM"/>.</summary>
    public Func<double, double, double, double>? InitialProfile { get; init; }
}

/// <summary>
/// A volume reaction with rate r (µM/ms) and stoichiometry ν: each species s changes at ν_s·r. Example Ca + B ⇌ CaB:
/// rate <see cref="Rates.MassAction"/>(kon, [Ca, B], koff, [CaB]) with ν = {Ca: −1, B: −1, CaB: +1}.
/// Every input and every species in the stoichiometry must live in all of the reaction's subdomains.
/// </summary>
public sealed record VolumeReaction(string Name, RateLaw Rate, IReadOnlyDictionary<string, double> Stoichiometry)
{
    /// <summary>Subdomains (tet region markers) where the reaction acts; null = wherever its species all live.</summary>
    public IReadOnlyList<int>? Subdomains { get; init; }
}

/// <summary>
/// A flux density j (µM·µm/ms = amount per membrane area and time) through the boundary faces carrying region
/// <paramref name="Marker"/>: species s gains ν_s·j per unit area (ν = +1: influx into the domain, −1: extrusion).
/// Examples: influx J(t) at the PSD ({Ca: +1}, <see cref="Rates.OfTime"/>), PMCA pump ({Ca: −1}, <see cref="Rates.Hill"/>),
/// leak ({Ca: +1}, <see cref="Rates.Leak"/>), SERCA on an organelle interface ({Ca: −1, CaER: +1}).
/// </summary>
public sealed record BoundaryFlux(string Name, int Marker, RateLaw Rate, IReadOnlyDictionary<string, double> Stoichiometry);

/// <summary>A reaction–diffusion problem: species, volume reactions and boundary fluxes (all concentrations µM, time ms, length µm).</summary>
public sealed record ReactionDiffusionModel(IReadOnlyList<Species> Species, IReadOnlyList<VolumeReaction>? Reactions = null, IReadOnlyList<BoundaryFlux>? Fluxes = null)
{
    /// <summary>The reactions (empty when none).</summary>
    public IReadOnlyList<VolumeReaction> VolumeReactions => Reactions ?? [];
    /// <summary>The boundary fluxes (empty when none).</summary>
    public IReadOnlyList<BoundaryFlux> BoundaryFluxes => Fluxes ?? [];
}

/// <summary>Time-stepping scheme.</summary>
public enum TimeScheme
{
    /// <summary>Backward (implicit) Euler, order 1.</summary>
    BackwardEuler,
    /// <summary>Variable-step BDF2 (first step backward Euler), order 2.</summary>
    Bdf2,
}

/// <summary>Linear solver for the Newton systems.</summary>
public enum LinearSolverKind
{
    /// <summary>Direct LU for ≤ 400 unknowns; otherwise CG + diagonal IC (Eisenstat) when the
    /// Jacobian is symmetric, BiCGStab + ILU(0) when not.</summary>
    Auto,
    /// <summary>Conjugate gradients with Jacobi (diagonal) preconditioning (symmetric Jacobians only).</summary>
    CgJacobi,
    /// <summary>Conjugate gradients with incomplete Cholesky IC(0) (symmetric Jacobians only).</summary>
    CgIncompleteCholesky,
    /// <summary>Conjugate gradients with diagonal incomplete Cholesky applied by Eisenstat's trick (symmetric Jacobians only;
    /// about one matrix–vector product per iteration, see <see cref="EisenstatConjugateGradient"/>).</summary>
    CgEisenstat,
    /// <summary>BiCGStab with ILU(0) (any Jacobian).</summary>
    BiCgStabIlu,
    /// <summary>Dense LU with partial pivoting (small systems).</summary>
    Direct,
}

/// <summary>
/// Time integration and solver settings. Times in ms, concentrations in µM.
/// </summary>
public sealed record TimeIntegrationOptions
{
    /// <summary>Scheme (default BDF2).</summary>
    public TimeScheme Scheme { get; init; } = TimeScheme.Bdf2;
    /// <summary>Step size (ms, &gt; 0): the fixed step, or the first step when <see cref="Adaptive"/>.</summary>
    public double DtMs { get; init; } = 0.01;
    /// <summary>Adapt the step to keep the estimated local error within <see cref="RelativeTolerance"/>/<see cref="AbsoluteToleranceUM"/>.</summary>
    public bool Adaptive { get; init; }
    /// <summary>Relative local error tolerance (adaptive stepping).</summary>
    public double RelativeTolerance { get; init; } = 1e-4;
    /// <summary>Absolute local error tolerance (µM; adaptive stepping and the negativity check).</summary>
    public double AbsoluteToleranceUM { get; init; } = 1e-6;
    /// <summary>Smallest step (ms) before a run is declared failed.</summary>
    public double MinDtMs { get; init; } = 1e-9;
    /// <summary>Largest step (ms) in adaptive stepping.</summary>
    public double MaxDtMs { get; init; } = double.PositiveInfinity;
    /// <summary>Times (ms) the integrator must step onto exactly, e.g. the end of an influx pulse (output times always are).</summary>
    public IReadOnlyList<double>? BreakpointsMs { get; init; }
    /// <summary>Reject a step from a non-negative state whose solution falls below −(AbsoluteToleranceUM + NegativityTolerance·max|c|),
    /// unless a 4× smaller step does not halve that undershoot (then it stems from the spatial discretisation and is accepted).</summary>
    public bool RejectNegative { get; init; } = true;
    /// <summary>Relative undershoot tolerated by the negativity check.</summary>
    public double NegativityTolerance { get; init; } = 1e-3;
    /// <summary>Newton stops when ‖R‖₂ ≤ NewtonRelativeTolerance·‖R₀‖₂ or the update's max-norm ≤ NewtonStepTolerance·(max|c| + AbsoluteToleranceUM).</summary>
    public double NewtonRelativeTolerance { get; init; } = 1e-8;
    /// <summary>See <see cref="NewtonRelativeTolerance"/>.</summary>
    public double NewtonStepTolerance { get; init; } = 1e-10;
    /// <summary>Newton iterations before a step is rejected as diverging.</summary>
    public int MaxNewtonIterations { get; init; } = 15;
    /// <summary>Linear solver.</summary>
    public LinearSolverKind LinearSolver { get; init; } = LinearSolverKind.Auto;
    /// <summary>Relative residual at which iterative linear solves stop: ‖r‖₂ ≤ tol·‖R(u)‖₂ in Newton iterations of nonlinear
    /// systems; for linear systems (one Newton step) ‖r‖₂ ≤ tol·‖f‖₂ with f the right-hand side of the step's system J u = f.</summary>
    public double LinearRelativeTolerance { get; init; } = 1e-10;
    /// <summary>Iteration cap of the iterative linear solvers.</summary>
    public int MaxLinearIterations { get; init; } = 2000;
    /// <summary>Unknown count up to which a failed iterative solve falls back to the direct (dense LU) solver.</summary>
    public int DirectMaxUnknowns { get; init; } = 2000;
    /// <summary>Lump the mass matrices (time derivative, reactions, boundary fluxes) to their row sums: monotone, less accurate.</summary>
    public bool LumpedMass { get; init; }
    /// <summary>Renumber unknowns by reverse Cuthill–McKee (cache locality, better IC(0)/ILU(0)).</summary>
    public bool Reorder { get; init; } = true;
    /// <summary>Keep the full fields at every output time (<see cref="ReactionDiffusionResult.Fields"/>).</summary>
    public bool RecordFields { get; init; }
    /// <summary>Keep the Newton residual norms ‖R‖₂ of every accepted step (<see cref="ReactionDiffusionResult.NewtonResiduals"/>).</summary>
    public bool RecordNewtonResiduals { get; init; }
    /// <summary>Called on the integrating thread after each output time is recorded (progress of long runs).</summary>
    public Action<IntegrationProgress>? Progress { get; init; }
}

/// <summary>How far a run has come: the output time just recorded and the last one (ms), steps accepted and rejected so far.</summary>
public readonly record struct IntegrationProgress(double TimeMs, double EndMs, int Steps, int RejectedSteps);

/// <summary>Solver statistics of one run: accepted and rejected steps, Newton and linear iterations, wall time (s).</summary>
public sealed record SolverStatistics(int Steps, int RejectedSteps, int NewtonIterations, int LinearIterations, int DirectSolves, int JacobianAssemblies, double WallSeconds, double MinDtMs, double MaxDtMs)
{
    /// <summary>Why steps were rejected (counts per reason: "newton", "linear", "negative", "error").</summary>
    public IReadOnlyDictionary<string, int> Rejections { get; init; } = new Dictionary<string, int>();
    /// <summary>Most negative value (µM, ≤ 0) in any accepted or tried step (an undershoot of the discretisation when &lt; 0).</summary>
    public double MostNegativeUM { get; init; }
}

/// <summary>Thrown when a run cannot proceed: the step fell below <see cref="TimeIntegrationOptions.MinDtMs"/> after rejections.</summary>
public sealed class SimulationFailedException(string message, double timeMs, SolverStatistics statistics) : Exception(message)
{
    /// <summary>Time (ms) reached before the failure.</summary>
    public double TimeMs { get; } = timeMs;
    /// <summary>Statistics up to the failure.</summary>
    public SolverStatistics Statistics { get; } = statistics;
}
