using System.Text.Json;
using System.Text.Json.Serialization;
using ShapeStudy.Core;

namespace ShapeStudy.Study.Pipeline;

/// <summary>Stage names, as they appear in the <c>tasks</c> table.</summary>
public static class Stages
{
    public const string Segment = "segment";
    public const string LoadMesh = "load_mesh";
    public const string Surface = "surface_mesh";
    public const string Describe = "describe";
    public const string ShapeModel = "shape_model";
    public const string Variant = "variant";
    public const string TetMesh = "tet_mesh";
    public const string Simulate = "simulate";
    public const string Associate = "associate";
    public const string Fit = "fit";
    public const string FitDesign = "fit_design";
    public const string TrainSegmenter = "train_segmenter";

    /// <summary>Algorithm versions: bump one when its kernel's results change, so cached results are recomputed.</summary>
    public static string VersionOf(string stage) => stage switch
    {
        Segment => "segment/2",
        LoadMesh => "obj-condition-voxelize/3",
        Surface => "marching-cubes-condition/2",
        Describe => "descriptors/1",
        ShapeModel => "pca-descriptors/1",
        Variant => "principal-axis-warp/1",
        TetMesh => "isosurface-stuffing-psd/1",
        Simulate => "fv-diffusion-decay+fem-calcium-spine/2",
        Associate => "associations-5-methods/3",
        Fit => "adaptive-metropolis+gp-surrogate/2",
        FitDesign => "fv-far-trace/1",
        TrainSegmenter => "rf-unet-boundary-classifier/2",
        _ => throw new ArgumentException($"unknown stage '{stage}'"),
    };
}

/// <summary>
/// Mesh size and quality figures of a conditioned surface (µm, µm², µm³, degrees): topology (components, watertight,
/// manifold, outward, Euler characteristic, genus, self-intersecting triangle pairs), angles (min, max, mean per-triangle
/// minimum, histogram of all angles in 18 bins of 10°), aspect ratio circumradius / (2 · inradius) (mean, max), edge
/// lengths, the input's minimum angle, the relative volume change against the (repaired) input, and the repairs made.
/// </summary>
public sealed record MeshQuality(int Vertices, int Triangles, bool Watertight, int EulerCharacteristic, double AreaUm2,
    double VolumeUm3, double MinAngleDeg, double MaxAngleDeg, double MeanEdgeUm, int Components, bool Manifold, bool Outward,
    int Genus, int SelfIntersections, double MeanMinAngleDeg, double MeanAspectRatio, double MaxAspectRatio, double MinEdgeUm,
    double MaxEdgeUm, int[] AngleHistogram, double InputMinAngleDeg, double RelativeVolumeChange, IReadOnlyList<string> Repairs);

/// <summary>One segmented object: its label, size and cropped binary mask.</summary>
public sealed record SegmentedObject(int Label, long Voxels, double VolumeUm3, ArtifactRef Mask);

/// <summary>
/// Result of segmenting one input volume. Spacing in µm (z, y, x). <paramref name="MergeThreshold"/>: the agglomeration's
/// merge threshold (rf/unet; null for the classical methods).
/// </summary>
public sealed record SegmentResult(double Threshold, int ComponentsBeforeFilter, double[] SpacingUm, string DType,
    IReadOnlyList<SegmentedObject> Objects, SegmentationScore? Quality, double? MergeThreshold = null);

/// <summary>
/// Agreement with a ground-truth label volume (CREMI definitions): foreground Dice/IoU, mean IoU of matched objects,
/// truth objects matched at IoU &gt; 0.5, |#pred − #truth|, adapted Rand error, VOI split and merge (bits).
/// </summary>
public sealed record SegmentationScore(double Dice, double Iou, int GroundTruthObjects, int PredictedObjects, double MeanMatchedIou,
    int MatchedAtIou05, int ObjectCountError, double AdaptedRandError, double VoiSplit, double VoiMerge);

/// <summary>
/// Result of the train_segmenter stage: the saved model (rf: .sspc bytes, unet: .ssun bytes) as an artifact, the model file's
/// SHA-256 (lowercase hex; the provenance key shapestudy.segmentation_model_sha256), and the training's feature, sample and
/// labelled-voxel counts (rf; a U-Net has no feature bank and trains on patches of every voxel: 0, 0 and the volume's voxels).
/// </summary>
public sealed record TrainSegmenterResult(ArtifactRef Model, string ModelSha256, int Features, int SamplesUsed, long LabelledVoxels)
{
    /// <summary>The U-Net's training record (method unet); null for rf.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UNetTrainingOutcome? UNet { get; init; }
}

/// <summary>
/// How a study's U-Net trained: the kept (best) epoch, epochs run, validation boundary F1 at p = 0.5 of the kept and of the
/// untrained network, whether early stopping ended training, whether oneMKL ran in its reproducible mode, and the merge
/// threshold calibrated on the validation slab (null when the model has none).
/// </summary>
public sealed record UNetTrainingOutcome(int BestEpoch, int Epochs, double ValidationF1, double UntrainedValidationF1, bool StoppedEarly,
    bool TrainedReproducibly, double? CalibratedMergeThreshold);

/// <summary>Result of loading one surface-mesh input: the mesh, its voxelization for simulation (voxel edge µm, voxel count) and its quality.</summary>
public sealed record LoadMeshResult(ArtifactRef Mesh, ArtifactRef Mask, double VoxelUm, long Voxels, MeshQuality Quality);

/// <summary>Result of extracting a surface mesh from a mask.</summary>
public sealed record SurfaceResult(ArtifactRef Mesh, MeshQuality Quality);

/// <summary>
/// Shape descriptors in physical units. <see cref="Values"/> uses the column names of the <c>cells</c>/<c>shapes</c>
/// tables (e.g. volume_um3); <see cref="Axes"/> holds the three principal axes (major, mid, minor) as unit vectors
/// (x, y, z), 9 numbers; <see cref="Centroid"/> is (x, y, z) µm.
/// </summary>
public sealed record DescriptorSet(IReadOnlyDictionary<string, double> Values, double[] Axes, double[] Centroid);

/// <summary>
/// A planned synthetic variant of a real cell: its PC scores and principal-axis scale factors (descriptor shape space),
/// or its latent code as <see cref="Scores"/> and SH coefficients placed in the parent's frame (spherical harmonics).
/// </summary>
public sealed record VariantPlan(string CellId, int Index, double[] Scores, double ScaleMajor, double ScaleMid, double ScaleMinor)
{
    /// <summary>SH degree of <see cref="Coefficients"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Lmax { get; init; }

    /// <summary>SH coefficients (µm, aligned frame, (Lmax + 1)² values); null for descriptor-space variants.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? Coefficients { get; init; }

    /// <summary>Parent's SH centroid (x, y, z) µm: where the variant is placed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? Centroid { get; init; }

    /// <summary>Parent's aligned frame, row-major 3 × 3 (columns major, mid, minor axes).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[]? Rotation { get; init; }

    /// <summary>Sampling recipe as JSON (kind, model hash, seeds, mode/σ, quantile, t, partner…).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Recipe { get; init; }

    /// <summary>Why the sample was rejected (self-intersection, implausible descriptors…); null when it is valid.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Rejection { get; init; }
}

/// <summary>The fitted shape model and the variants it asks for.</summary>
public sealed record ShapeModelResult(string[] Features, double[] ExplainedVarianceRatio,
    IReadOnlyDictionary<string, double[]> RealScores, IReadOnlyList<VariantPlan> Variants)
{
    /// <summary>Content hash of the spherical-harmonic shape model (null for the descriptor model).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ModelHash { get; init; }
}

/// <summary>A synthetic variant's voxel domain.</summary>
public sealed record VariantResult(ArtifactRef Mask);

/// <summary>Transient phenotypes of one compartment's mean concentration (µM, ms).</summary>
public sealed record TransientValues(double PeakUM, double TimeToPeakMs, double DecayTimeMs, double AucUMms);

/// <summary>Result of one simulation: phenotypes per compartment, solver statistics and the time series.</summary>
public sealed record SimulateResult(IReadOnlyDictionary<string, TransientValues> Phenotypes, int Steps, int CgIterations,
    double MaxResidual, int DomainVoxels, double DomainVolumeUm3, double SourceAreaUm2, double SolveSeconds, ArtifactRef Timeseries)
{
    /// <summary>Finite-element solver statistics (FEM models only).</summary>
    public FemSolverStats? Fem { get; init; }
    /// <summary>Model-specific scalar outputs by column name (e.g. head_to_base_gradient_um, spine_peak_ions for calcium_spine).</summary>
    public IReadOnlyDictionary<string, double>? Outputs { get; init; }
}

/// <summary>
/// Statistics of a finite-element run: accepted and rejected time steps, Newton and linear iterations, unknowns (dofs = vertices ×
/// species where they live), tetrahedra, attempts (1 + the dt halvings after failures) and the first step used (ms).
/// </summary>
public sealed record FemSolverStats(int Steps, int RejectedSteps, int NewtonIterations, int LinearIterations, int Dofs, int Tetrahedra,
    int Attempts, double FirstDtMs);

/// <summary>
/// A tetrahedral mesh made from a shape's surface: the stored mesh (with boundary markers and head/neck/base compartments),
/// sizes, enclosed volume (µm³), dihedral-angle range (degrees), PSD faces and area (µm²), and where the PSD came from
/// ("regions" file or "geometric" top fraction).
/// </summary>
public sealed record TetMeshResult(ArtifactRef TetMesh, int Vertices, int Tetrahedra, int BoundaryFaces, double VolumeUm3,
    double MinDihedralDeg, double MaxDihedralDeg, int PsdFaces, double PsdAreaUm2, string PsdSource, string CompartmentSource);

/// <summary>
/// One association estimate (Spearman ρ with bootstrap CI, p and BH q) of a descriptor with a phenotype of one compartment.
/// Estimates are NaN when either variable is (near) constant over the shapes.
/// </summary>
public sealed record AssociationRow(string Descriptor, string Phenotype, string Compartment, string Method, int N, double Estimate,
    double CiLow, double CiHigh, double P, double Q);

public sealed record AssociateResult(IReadOnlyList<AssociationRow> Rows);

/// <summary>Posterior summary of one fitted parameter.</summary>
public sealed record ParameterSummary(string Parameter, double Mean, double Sd, double Q05, double Q50, double Q95,
    double HdiLow, double HdiHigh, double RHat, double EssBulk, double EssTail);

/// <summary>Result of a Bayesian fit; draws are stored as an artifact ([chain][draw] values of the parameter).</summary>
public sealed record FitResult(string CellId, string Observed, double? TrueValue, ParameterSummary Summary, int Chains,
    int Draws, double AcceptanceRate, int SimulatorCalls, ArtifactRef PosteriorDraws)
{
    /// <summary><c>direct</c> or <c>surrogate</c> (the manifest's <c>fit.method</c>).</summary>
    public string Method { get; init; } = "direct";
    /// <summary>Surrogate fits: simulator runs in the design (0 for a direct fit).</summary>
    public int DesignPoints { get; init; }
    /// <summary>Surrogate fits: leave-one-out RMSE of the surrogate over the design divided by the traces' spread (NaN for direct).</summary>
    public double SurrogateRelativeRmse { get; init; } = double.NaN;
    /// <summary>Surrogate fits: fraction of left-out trace values inside the surrogate's 95 % predictive interval (NaN for direct).</summary>
    public double SurrogateCoverage95 { get; init; } = double.NaN;
    /// <summary>Surrogate fits: RMS of observed − true simulator at the posterior mean, µM (NaN for direct).</summary>
    public double CheckRmseUm { get; init; } = double.NaN;
    /// <summary>Surrogate fits: RMS of surrogate − true simulator at the posterior mean, µM (NaN for direct).</summary>
    public double CheckSurrogateErrorUm { get; init; } = double.NaN;
}

/// <summary>One design run of a surrogate fit: the far-compartment mean trace, µM per time step (including t = 0).</summary>
public sealed record FitDesignResult(double Value, double[] FarTraceUm);

/// <summary>JSON (de)serialization of stage payloads and results, with one set of options.</summary>
public static class StageJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new InvalidDataException($"empty {typeof(T).Name} JSON");
}
