namespace ShapeStudy.Actors.Monitoring;

/// <summary>Everything the dashboard shows at one instant (serialized as the JSON of <c>/api/state</c>).</summary>
/// <param name="TimeUtc">When the snapshot was taken.</param>
/// <param name="Studies">Studies this process coordinates (newest last).</param>
/// <param name="Members">Cluster members with their worker slots (empty until the node joined).</param>
/// <param name="Actors">Mailbox depth and message rates per actor type in this process.</param>
public sealed record DashboardSnapshot(DateTime TimeUtc, IReadOnlyList<StudyView> Studies, IReadOnlyList<MemberView> Members,
    IReadOnlyList<ActorView> Actors);

/// <summary>
/// One study: state (<c>running</c>, <c>finished</c>, <c>failed</c>), elapsed seconds, task counts over the tasks planned
/// so far (the plan unfolds as results arrive), throughput (tasks/s over the last minute), the estimated time to finish
/// the planned tasks (s; null while nothing finished in the last minute), stages, the per-cell grid, failures and science,
/// and the latest progress line of each running task that reported one (<paramref name="Progress"/>, ordered by stage and subject).
/// </summary>
public sealed record StudyView(string StudyId, string OutputDir, string State, double ElapsedSeconds, int Tasks, int Finished,
    int Failed, int Running, double TasksPerSecond, double? EtaSeconds, IReadOnlyList<StageView> Stages, IReadOnlyList<CellView> Cells,
    IReadOnlyList<FailureView> Failures, ScienceView Science, IReadOnlyList<string> Errors, IReadOnlyList<TaskProgressView>? Progress = null);

/// <summary>A running task's latest progress line (e.g. "epoch 12/40: validation boundary F1 0.823") and when it arrived.</summary>
public sealed record TaskProgressView(string Key, string Stage, string Subject, string? Cell, string Text, DateTime TimeUtc);

/// <summary>
/// One stage: tasks planned, done (executed), cached, failed, running (leased), queued (ready or waiting for a retry),
/// completions per minute over the last minute, retries so far, and the mean duration (s) of its executed tasks.
/// </summary>
public sealed record StageView(string Stage, int Total, int Done, int Cached, int Failed, int Running, int Queued, double PerMinute,
    int Retries, double? MeanSeconds);

/// <summary>
/// One real cell's pipeline: its overall status (<c>pending</c>, <c>running</c>, <c>done</c>, <c>failed</c>), the
/// status of each stage that has tasks for it, and the first failure reason.
/// </summary>
public sealed record CellView(string Cell, string Status, IReadOnlyDictionary<string, CellStageView> Stages, string? Error);

/// <summary>
/// A cell's tasks of one stage: how many were seen, finished, running and failed; <c>Status</c> summarizes them;
/// <c>Progress</c> is the newest progress line of its running tasks (null when none reported one).
/// </summary>
public sealed record CellStageView(string Status, int Tasks, int Finished, int Running, int Failed, string? Error, string? Progress = null);

/// <summary>A task that failed for good (<c>failed</c> or <c>quarantined</c>), or a transient failure being retried (<c>retrying</c>).</summary>
public sealed record FailureView(string Kind, string Stage, string Subject, string? Cell, string Reason, int Attempt, DateTime TimeUtc);

/// <summary>Science panels: mesh quality, solver effort, posterior diagnostics and segmentation quality (when ground truth exists).</summary>
public sealed record ScienceView(MeshQualityView Meshes, SolverView Solver, IReadOnlyList<FitView> Fits, IReadOnlyList<SegmentationView> Segmentation);

/// <summary>
/// Surface meshes so far: count, watertight count, the histogram of each mesh's minimum triangle angle (degrees; bin i
/// covers [i·<see cref="BinDegrees"/>, (i+1)·<see cref="BinDegrees"/>), the last bin includes 60°), the summed histogram
/// of all triangle angles (18 bins of 10°), and the smallest minimum angle (degrees).
/// </summary>
public sealed record MeshQualityView(int Meshes, int Watertight, double BinDegrees, int[] MinAngleHistogram, long[] AngleHistogram, double? WorstMinAngleDeg);

/// <summary>
/// Simulations so far: count; time steps (mean, max); linear-solver (CG) iterations per run (mean, max) with a histogram of
/// iterations per step (bin edges in <see cref="IterationsPerStepEdges"/>, last bin open); solve time (s, mean, max);
/// FEM runs with rejected steps and dt halvings.
/// </summary>
public sealed record SolverView(int Simulations, double MeanSteps, int MaxSteps, double MeanIterations, int MaxIterations,
    double[] IterationsPerStepEdges, int[] IterationsPerStepHistogram, double MeanSolveSeconds, double MaxSolveSeconds,
    int FemRuns, int RejectedSteps, int DtHalvings);

/// <summary>Posterior summary of one fitted parameter: mean, sd, R̂ (rank-normalized split), bulk and tail ESS, the true value when known.</summary>
public sealed record FitView(string Cell, string Parameter, double Mean, double Sd, double RHat, double EssBulk, double EssTail,
    int Chains, int Draws, double AcceptanceRate, double? TrueValue);

/// <summary>Agreement of one input's segmentation with its ground truth (Dice, IoU, adapted Rand error, VOI split/merge in bits).</summary>
public sealed record SegmentationView(string Input, double Dice, double Iou, double AdaptedRandError, double VoiSplit, double VoiMerge,
    int GroundTruthObjects, int PredictedObjects);

/// <summary>
/// A cluster member: address, roles, status (Joining, Up, Leaving, Exiting, Down, Removed), reachability from this
/// node, and its worker slots as the coordinator sees them (null when this process does not coordinate a study).
/// </summary>
public sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, int? Slots, int? Busy);

/// <summary>One actor type: live actors, messages waiting, messages per second over the last sample interval, totals.</summary>
public sealed record ActorView(string ActorType, long Actors, long MailboxDepth, double MessagesPerSecond, long Enqueued, long Dequeued);
