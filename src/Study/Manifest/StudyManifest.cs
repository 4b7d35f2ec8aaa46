using ShapeStudy.Core;

namespace ShapeStudy.Study.Manifest;

/// <summary>
/// A validated study manifest (schema version 1). Every path is absolute (resolved against the manifest's directory);
/// every optional key carries its documented default. Produced only by <see cref="ManifestLoader.Load"/>.
/// </summary>
/// <param name="SchemaVersion">Manifest schema version; always 1.</param>
/// <param name="Study">Study identity and root seed.</param>
/// <param name="Inputs">Inputs in manifest order (at least one); each is a <see cref="VolumeInput"/> or a <see cref="MeshInput"/>.</param>
/// <param name="Segmentation">Classical segmentation settings applied to volume inputs.</param>
/// <param name="ShapeSpace">Shape descriptors, shape model and synthetic-variant sampling.</param>
/// <param name="Meshing">Surface meshing of segmented objects and synthetic shapes.</param>
/// <param name="Simulation">Reaction–diffusion model, time stepping and the parameter sweep.</param>
/// <param name="Fit">Bayesian parameter fit, or null when the manifest has no <c>fit</c> section.</param>
/// <param name="Statistics">Structure–phenotype associations.</param>
/// <param name="Execution">Retry, failure and parallelism policy.</param>
/// <param name="Outputs">Where results are written.</param>
/// <param name="ManifestPath">Absolute path of the manifest file.</param>
/// <param name="ManifestText">The manifest's text exactly as read (UTF-8, byte-order mark removed), for provenance.</param>
/// <param name="ManifestHash">SHA-256 (lowercase hex) of the manifest file's bytes, for provenance.</param>
public sealed record StudyManifest(
    int SchemaVersion,
    StudyInfo Study,
    IReadOnlyList<StudyInput> Inputs,
    SegmentationSettings Segmentation,
    ShapeSpaceSettings ShapeSpace,
    MeshingSettings Meshing,
    SimulationSettings Simulation,
    FitSettings? Fit,
    StatisticsSettings Statistics,
    ExecutionSettings Execution,
    OutputSettings Outputs,
    string ManifestPath,
    string ManifestText,
    string ManifestHash)
{
    /// <summary>Absolute directory containing the manifest; relative paths in the manifest are resolved against it.</summary>
    public string ManifestDirectory => Path.GetDirectoryName(ManifestPath)!;

    /// <summary>The volume inputs, in manifest order.</summary>
    public IEnumerable<VolumeInput> VolumeInputs => Inputs.OfType<VolumeInput>();

    /// <summary>The mesh inputs, in manifest order.</summary>
    public IEnumerable<MeshInput> MeshInputs => Inputs.OfType<MeshInput>();
}

/// <summary>Study identity: <paramref name="Id"/> matches <c>[a-z0-9][a-z0-9_-]*</c>; <paramref name="Seed"/> is the root of all hierarchical seeds.</summary>
public sealed record StudyInfo(string Id, ulong Seed);

/// <summary>One entry of <c>inputs</c>: a <see cref="VolumeInput"/> or a <see cref="MeshInput"/>. <paramref name="Name"/> is unique within the study.</summary>
public abstract record StudyInput(string Name);

/// <summary>
/// A 3D image volume to segment. <paramref name="Path"/> is an existing .tif/.tiff file (absolute).
/// <paramref name="SpacingUm"/> overrides the file's voxel size in µm as (Z, Y, X), or is null to use the file's metadata.
/// <paramref name="LabelsPath"/> is an existing ground-truth label volume (absolute), or null.
/// </summary>
public sealed record VolumeInput(string Name, string Path, Spacing? SpacingUm, string? LabelsPath) : StudyInput(Name);

/// <summary>
/// Real surface meshes (Wavefront .obj, coordinates in µm). <paramref name="Pattern"/> is the absolute glob as written
/// (wildcards <c>*</c> and <c>?</c> only in the file-name part); <paramref name="Files"/> are the matched absolute paths,
/// sorted ordinally, at least one.
/// </summary>
public sealed record MeshInput(string Name, string Pattern, IReadOnlyList<string> Files) : StudyInput(Name)
{
    /// <summary>Optional closed surface (.obj, µm, absolute path) of a spine apparatus inside these meshes: the tetrahedral
    /// mesh then carries it as subdomain 1 with its interface faces marked, and <c>calcium_spine</c> adds the lumenal Ca²⁺
    /// with SERCA uptake and leak (manifest key <c>inputs[i].spine_apparatus</c>).</summary>
    public string? SpineApparatusPath { get; init; }
}

/// <summary>Segmentation algorithm.</summary>
public enum SegmentationMethod
{
    /// <summary>Gaussian smoothing, global Otsu threshold, connected components.</summary>
    Otsu,
    /// <summary>
    /// Gaussian smoothing, Otsu foreground, Euclidean distance transform, h-maxima markers and a marker-controlled
    /// watershed of the negative distance: splits touching objects.
    /// </summary>
    Watershed,
    /// <summary>Saved random-forest pixel classifier (.sspc) → boundary map → seeded watershed + mean-boundary agglomeration.</summary>
    Rf,
    /// <summary>Saved 3D U-Net (.ssun) → boundary map → seeded watershed + mean-boundary agglomeration.</summary>
    Unet,
}

/// <summary>Which side of the threshold is the object.</summary>
public enum Foreground
{
    /// <summary>Objects are brighter than the background.</summary>
    Bright,
    /// <summary>Objects are darker than the background.</summary>
    Dark,
}

/// <summary>
/// Segmentation of volume inputs. <paramref name="SigmaUm"/> is the Gaussian smoothing σ in µm (0 = none);
/// <paramref name="Connectivity"/> is 6, 18 or 26 (face / edge / vertex neighbours);
/// <paramref name="MinVolumeUm3"/> drops objects smaller than this volume in µm³.
/// Watershed only: <paramref name="HUm"/> is the h-maxima height of the distance transform in µm (null = the smallest
/// voxel spacing); <paramref name="Compactness"/> ≥ 0 (0 = classic watershed).
/// Rf and Unet only: <paramref name="ModelPath"/> is the absolute path of the saved model; voxels with boundary
/// probability below <paramref name="InteriorThreshold"/> seed the watershed (h-maxima height <paramref name="HUm"/>), and
/// neighbouring supervoxels whose shared boundary has a mean probability below <paramref name="MergeThreshold"/> merge
/// (null = the model's recommendation: a U-Net's threshold calibrated on its validation slab, else 0.5).
/// </summary>
public sealed record SegmentationSettings(
    SegmentationMethod Method,
    double SigmaUm,
    Foreground Foreground,
    int Connectivity,
    double MinVolumeUm3,
    double? HUm = null,
    double Compactness = 0,
    string? ModelPath = null,
    double? MergeThreshold = null,
    double InteriorThreshold = 0.5,
    SegmenterTrainingSettings? Train = null)
{
    /// <summary>The defaults used when the <c>segmentation</c> section or one of its keys is absent.</summary>
    public static SegmentationSettings Default { get; } = new(SegmentationMethod.Otsu, 0.0, Foreground.Bright, 26, 0.0);
}

/// <summary>
/// <c>segmentation.train</c>: the study trains its boundary model (rf or unet, the segmentation method) as the
/// train_segmenter stage instead of using a saved model. <paramref name="RawPath"/> and <paramref name="LabelsPath"/> are
/// absolute paths of the raw volume and its dense instance labels; <paramref name="SpacingUm"/> overrides the files' voxel
/// size (µm; null = the file's). Rf only: <paramref name="Trees"/>, at most <paramref name="MaxSamples"/> labelled voxels,
/// and <paramref name="Slices"/>, the z-slices of the labels used as sparse annotation (null = every voxel).
/// </summary>
public sealed record SegmenterTrainingSettings(string RawPath, string LabelsPath, int Trees, int MaxSamples, IReadOnlyList<int>? Slices,
    Spacing? SpacingUm)
{
    /// <summary>What label 0 of the training labels means (<c>zero_label</c>): membrane between objects, or background.</summary>
    public ZeroLabelMeaning ZeroLabel { get; init; } = ZeroLabelMeaning.Boundary;

    /// <summary>The U-Net's training settings (method unet); null for rf.</summary>
    public UNetTrainingSettings? UNet { get; init; }
}

/// <summary>What label 0 of a training label volume means.</summary>
public enum ZeroLabelMeaning
{
    /// <summary>Membrane between objects (dense connectomics labels).</summary>
    Boundary,
    /// <summary>Outside every object; the model gains a background class.</summary>
    Background,
}

/// <summary>
/// <c>segmentation.train</c> of method unet, with the <c>train-segmenter --method unet</c> defaults: at most
/// <paramref name="Epochs"/> epochs of <paramref name="StepsPerEpoch"/> Adam steps on batches of <paramref name="Batch"/>
/// patches of <paramref name="PatchZ"/> × <paramref name="PatchY"/> × <paramref name="PatchX"/> voxels, a network of
/// <paramref name="Levels"/> resolution levels with <paramref name="BaseChannels"/> feature channels at full resolution,
/// learning rate <paramref name="LearningRate"/>, early stopping after <paramref name="Patience"/> epochs without a better
/// validation loss, <paramref name="Threads"/> libtorch threads (the weights depend on data, seed and this count).
/// </summary>
public sealed record UNetTrainingSettings(int Epochs = 40, int StepsPerEpoch = 25, int Batch = 2, int PatchZ = 32, int PatchY = 64,
    int PatchX = 64, int Levels = 3, int BaseChannels = 12, double LearningRate = 2e-3, int Patience = 8, int Threads = 2);

/// <summary>How shapes are represented in shape space.</summary>
public enum ShapeRepresentation
{
    /// <summary>The vector of scalar shape descriptors (<see cref="KnownNames.Descriptors"/>).</summary>
    Descriptors,

    /// <summary>Real spherical-harmonic coefficients of each surface up to degree <c>lmax</c> (aligned frames).</summary>
    SphericalHarmonics,
}

/// <summary>Statistical shape model.</summary>
public enum ShapeModelKind
{
    /// <summary>Principal component analysis.</summary>
    Pca,

    /// <summary>PCA modes plus a Gaussian mixture over the σ-unit scores (EM, components chosen by BIC); spherical harmonics only.</summary>
    Gmm,

    /// <summary>A variational autoencoder over the SH coefficients (TorchSharp); spherical harmonics only.</summary>
    Vae,
}

/// <summary>How synthetic shape-space points are drawn.</summary>
public enum SamplingKind
{
    /// <summary>Independent Gaussian scores per retained mode, scaled by the mode's standard deviation.</summary>
    Gaussian,

    /// <summary>A walk along one mode in σ steps (spherical harmonics only).</summary>
    Walk,

    /// <summary>Shapes at given Mahalanobis quantiles in random directions (spherical harmonics only).</summary>
    Extremes,

    /// <summary>A sequence from each cell to the next real cell (spherical harmonics only).</summary>
    Interpolation,
}

/// <summary>
/// Parameters of the sampling kinds in a spherical-harmonic shape space: <paramref name="Spread"/> (gaussian, σ units),
/// <paramref name="AroundParent"/> (gaussian and walk start at the cell's own latent code), <paramref name="Mode"/> and
/// <paramref name="Sigmas"/> (walk), <paramref name="Quantiles"/> (extremes), <paramref name="Steps"/> (interpolation).
/// </summary>
public sealed record SamplingOptions(double Spread = 1.0, bool AroundParent = true, int Mode = 0, IReadOnlyList<double>? Sigmas = null,
    IReadOnlyList<double>? Quantiles = null, int Steps = 5);

/// <summary>
/// Shape space: <paramref name="Modes"/> retained model modes (1..16); <paramref name="VariantsPerCell"/> synthetic
/// variants drawn per real cell (0..1000).
/// </summary>
public sealed record ShapeSpaceSettings(
    ShapeRepresentation Representation,
    ShapeModelKind Model,
    int Modes,
    int VariantsPerCell,
    SamplingKind Sampling,
    int Lmax = 8,
    SamplingOptions? Options = null)
{
    /// <summary>The defaults used when the <c>shape_space</c> section or one of its keys is absent.</summary>
    public static ShapeSpaceSettings Default { get; } = new(ShapeRepresentation.Descriptors, ShapeModelKind.Pca, 3, 2, SamplingKind.Gaussian);
}

/// <summary>Surface extraction algorithm.</summary>
public enum SurfaceMethod
{
    /// <summary>Marching cubes on the binary mask.</summary>
    MarchingCubes,
}

/// <summary>Surface smoothing applied after extraction (and to input meshes).</summary>
public enum SmoothingMethod
{
    /// <summary>No smoothing.</summary>
    None,

    /// <summary>Taubin λ|μ smoothing (low-pass, volume-preserving in practice).</summary>
    Taubin,

    /// <summary>Feature-preserving smoothing (sharp edges and high-curvature regions kept).</summary>
    Feature,
}

/// <summary>What the meshing stage produces for simulation.</summary>
public enum MeshVolume
{
    /// <summary>Surface meshes only (voxel-domain simulation models).</summary>
    Surface,

    /// <summary>A quality tetrahedral mesh of each shape as well (finite-element simulation models).</summary>
    Tetrahedral,
}

/// <summary>
/// Meshing settings. <paramref name="Smoothing"/> with <paramref name="SmoothingIterations"/> (0..500) rounds;
/// <paramref name="TargetEdgeUm"/> (µm, &gt; 0) decimates/remeshes towards that edge length when set;
/// <paramref name="ImproveAngles"/> runs edge flips and vertex relocation to raise the minimum angle;
/// <paramref name="Volume"/> selects surface-only or tetrahedral output, with the tetrahedral lattice spacing
/// <paramref name="LatticeUm"/> (µm, &gt; 0; null = chosen from each shape's size).
/// </summary>
public sealed record MeshingSettings(
    SurfaceMethod Surface,
    SmoothingMethod Smoothing,
    int SmoothingIterations,
    double? TargetEdgeUm,
    bool ImproveAngles,
    MeshVolume Volume,
    double? LatticeUm)
{
    /// <summary>The defaults used when the <c>meshing</c> section or one of its keys is absent.</summary>
    public static MeshingSettings Default { get; } = new(SurfaceMethod.MarchingCubes, SmoothingMethod.Taubin, 10, null, true, MeshVolume.Surface, null);

    /// <summary>The PSD's name in the input meshes' <c>&lt;name&gt;_regions.json</c> files (<c>meshing.psd_region</c>, case-insensitive).</summary>
    public string PsdRegion { get; init; } = DefaultPsdRegion;

    /// <summary>The PSD region name of the bundled Rangamani-lab spines.</summary>
    public const string DefaultPsdRegion = "PSD";
}

/// <summary>Reaction–diffusion model.</summary>
public enum SimulationModel
{
    /// <summary>
    /// One diffusing species (µM) with first-order decay, driven by a boundary influx pulse:
    /// ∂c/∂t = D∇²c − k·c inside the shape, −D ∂c/∂n = J on the boundary for 0 ≤ t &lt; pulse.
    /// </summary>
    DiffusionDecay,

    /// <summary>The same diffusion–decay problem solved with P1 finite elements on the shape's tetrahedral mesh (influx on
    /// the PSD faces); needs <c>meshing.volume: tetrahedral</c>.</summary>
    DiffusionDecayFem,

    /// <summary>The spine Ca²⁺ model after Bell et al. 2019 (buffers, PSD influx, PMCA/NCX/leak, optional spine apparatus with
    /// SERCA) with P1 finite elements on the tetrahedral mesh; needs <c>meshing.volume: tetrahedral</c>.</summary>
    CalciumSpine,
}

/// <summary>
/// Simulation settings. <paramref name="DurationMs"/> &gt; 0 ms; 0 &lt; <paramref name="DtMs"/> ≤ duration (ms);
/// <paramref name="MaxVoxels"/> (100..2,000,000) caps the discretisation size per shape.
/// </summary>
public sealed record SimulationSettings(
    SimulationModel Model,
    double DurationMs,
    double DtMs,
    int MaxVoxels,
    SimulationParameters Parameters)
{
    /// <summary>The defaults used when the <c>simulation</c> section or one of its keys is absent.</summary>
    public static SimulationSettings Default { get; } = new(SimulationModel.DiffusionDecay, 20.0, 0.25, 20000, SimulationParameters.Default);

    /// <summary>
    /// Expands the parameter sweep into concrete parameter sets: the Cartesian product of every parameter's values
    /// (see <see cref="SimulationParameters.Expand"/>). Deterministic for a given <paramref name="seed"/>.
    /// </summary>
    public IReadOnlyList<ParameterSet> ExpandSweep(ulong seed) => Parameters.Expand(seed);
}

/// <summary>
/// Bayesian fit of one model parameter to an observed (or simulated, known-parameter) concentration trace.
/// </summary>
/// <param name="Parameter">Name of the fitted parameter; currently always <c>d_um2_per_ms</c>.</param>
/// <param name="ObservedCsvPath">Absolute path of the observed trace CSV, or null for <c>observed: simulated</c>.</param>
/// <param name="TrueValue">Known parameter value used to simulate the observation (required when simulated; optional
/// reference value otherwise), in the parameter's unit (µm²/ms).</param>
/// <param name="NoiseSdUm">Standard deviation of the Gaussian observation noise, µM (&gt; 0).</param>
/// <param name="Cell">Index (≥ 0) of the real shape, in study order, whose trace is fitted.</param>
/// <param name="Prior">Prior on the parameter.</param>
/// <param name="Sampler">MCMC sampler.</param>
/// <param name="Chains">Independent chains, 2..16.</param>
/// <param name="Warmup">Adaptation iterations per chain, discarded (≥ 0).</param>
/// <param name="Draws">Retained draws per chain (≥ 10).</param>
/// <param name="Method">How the likelihood is evaluated: the simulator at every step, or a surrogate trained on a design.</param>
/// <param name="DesignPoints">Simulator runs of the surrogate's Latin hypercube design (surrogate method only).</param>
public sealed record FitSettings(
    string Parameter,
    string? ObservedCsvPath,
    double? TrueValue,
    double NoiseSdUm,
    int Cell,
    PriorSpec Prior,
    FitSampler Sampler,
    int Chains,
    int Warmup,
    int Draws,
    FitMethod Method = FitMethod.Direct,
    int DesignPoints = FitSettings.DefaultDesignPoints)
{
    /// <summary>Default size of the surrogate's design.</summary>
    public const int DefaultDesignPoints = 16;

    /// <summary>True when the observation is simulated from <see cref="TrueValue"/> (known-parameter recovery).</summary>
    public bool UsesSimulatedObservation => ObservedCsvPath is null;
}

/// <summary>How a fit evaluates its likelihood.</summary>
public enum FitMethod
{
    /// <summary>MCMC calling the simulator at every step.</summary>
    Direct,

    /// <summary>
    /// A Latin hypercube design of simulator runs (separate study tasks), a Gaussian-process surrogate of the trace with
    /// leave-one-out validation, ensemble MCMC on the surrogate, and one check of the true simulator at the posterior mean.
    /// </summary>
    Surrogate,
}

/// <summary>MCMC sampler.</summary>
public enum FitSampler
{
    /// <summary>Adaptive random-walk Metropolis (Haario et al. 2001).</summary>
    AdaptiveMetropolis,
}

/// <summary>Prior distribution of a fitted parameter.</summary>
public abstract record PriorSpec
{
    private PriorSpec() { }

    /// <summary>Uniform on [<paramref name="Low"/>, <paramref name="High"/>], 0 &lt; Low &lt; High (parameter units).</summary>
    public sealed record Uniform(double Low, double High) : PriorSpec;

    /// <summary>Log-normal: ln θ ~ Normal(<paramref name="Mu"/>, <paramref name="Sigma"/>), Sigma &gt; 0.</summary>
    public sealed record LogNormal(double Mu, double Sigma) : PriorSpec;
}

/// <summary>
/// One association analysis: every descriptor in <paramref name="Descriptors"/> against every phenotype in
/// <paramref name="Phenotypes"/> (names from <see cref="KnownNames"/>).
/// </summary>
public sealed record AssociationSpec(IReadOnlyList<string> Descriptors, IReadOnlyList<string> Phenotypes);

/// <summary>
/// Structure–phenotype statistics: the association analyses (possibly none) and the number of bootstrap resamples
/// for confidence intervals (0..100,000; 0 = no bootstrap).
/// </summary>
public sealed record StatisticsSettings(IReadOnlyList<AssociationSpec> Associations, int Bootstrap)
{
    /// <summary>The defaults used when the <c>statistics</c> section is absent: no associations, 1000 resamples.</summary>
    public static StatisticsSettings Default { get; } = new(Array.Empty<AssociationSpec>(), 1000);
}

/// <summary>What the study does when a cell fails after its retries.</summary>
public enum FailurePolicy
{
    /// <summary>Record the failure as a row and carry on with the other cells.</summary>
    Continue,
    /// <summary>Stop the study (completed work is kept).</summary>
    Stop,
}

/// <summary>
/// Execution policy: <paramref name="MaxRetries"/> retries of a transiently failing task (0..10);
/// <paramref name="Workers"/> concurrent task slots per node (0 = number of cores, otherwise 1..1024).
/// </summary>
public sealed record ExecutionSettings(int MaxRetries, FailurePolicy OnFailure, int Workers)
{
    /// <summary>The defaults used when the <c>execution</c> section or one of its keys is absent.</summary>
    public static ExecutionSettings Default { get; } = new(2, FailurePolicy.Continue, 0);

    /// <summary>Effective slot count: <see cref="Workers"/>, or <see cref="Environment.ProcessorCount"/> when it is 0.</summary>
    public int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;
}

/// <summary>Output location: <paramref name="Dir"/> is the absolute results directory (it need not exist yet).</summary>
public sealed record OutputSettings(string Dir);
