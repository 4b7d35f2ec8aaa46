using System.Text.Json.Serialization;
using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Study.Pipeline;

/// <summary>What a worker needs to run one task: stage, key, the entity it works on, and a typed payload as JSON.</summary>
public sealed record PlannedTask(string Key, string Stage, string Subject, string PayloadJson);

/// <summary>
/// Segment one volume input with <paramref name="Method"/> ("otsu", "watershed", "rf" or "unet"). Spacing (z, y, x) µm overrides the
/// file's when given; <paramref name="HUm"/> and <paramref name="Compactness"/> apply to the watershed.
/// </summary>
public sealed record SegmentPayload(string InputName, string Path, string FileSha256, double[]? SpacingUm,
    string? LabelsPath, string? LabelsSha256, string Method, double SigmaUm, bool Bright, int Connectivity, double MinVolumeUm3,
    double? HUm, double Compactness)
{
    /// <summary>The saved model of methods "rf" and "unet"; null for the classical methods.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LearnedModel? Learned { get; init; }
}

/// <summary>
/// A saved segmentation model: absolute <paramref name="Path"/> (left out of the task key), its file's SHA-256 (in the
/// key, so a changed model recomputes everything downstream) and the agglomeration's boundary-probability thresholds
/// (<paramref name="MergeThreshold"/> null = the model's recommended one).
/// </summary>
public sealed record LearnedModel(string? Path, string Sha256, double InteriorThreshold, double? MergeThreshold)
{
    /// <summary>The model trained by the study's train_segmenter stage (then <see cref="Path"/> is null).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ArtifactRef? Artifact { get; init; }
}

/// <summary>
/// The train_segmenter stage: a boundary model (<see cref="Method"/> rf or unet) from the raw volume and its dense instance
/// labels (absolute paths, left out of the task key; their SHA-256 are in it), voxel size <paramref name="SpacingUm"/>
/// (z, y, x µm; null = the files'), seed <paramref name="Seed"/> (forest, or weights, patches and augmentations). Rf only:
/// trained on z-slices <paramref name="Slices"/> of the labels (null = all), <paramref name="Trees"/> trees, at most
/// <paramref name="MaxSamples"/> labelled voxels.
/// </summary>
public sealed record TrainSegmenterPayload(string? RawPath, string RawSha256, string? LabelsPath, string LabelsSha256, double[]? SpacingUm,
    int[]? Slices, int Trees, int MaxSamples, ulong Seed)
{
    /// <summary>"rf" (random-forest pixel classifier) or "unet" (3D U-Net).</summary>
    public string Method { get; init; } = "rf";
    /// <summary>Label 0 of the training labels is background (outside every object) rather than membrane.</summary>
    public bool ZeroIsBackground { get; init; }
    /// <summary>The U-Net's settings (method unet; every one is part of the task key); null for rf.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UNetTrainingSettings? UNet { get; init; }
}

/// <summary>
/// Surface conditioning of every mesh: <paramref name="Smoothing"/> ("none", "taubin" or "feature") for
/// <paramref name="SmoothingIterations"/> rounds, decimation towards <paramref name="TargetEdgeUm"/> µm when set, and
/// edge flips + vertex relocation when <paramref name="ImproveAngles"/>; enclosed volume preserved.
/// </summary>
public sealed record MeshConditioning(string Smoothing, int SmoothingIterations, double? TargetEdgeUm, bool ImproveAngles)
{
    /// <summary>The manifest's meshing settings as a payload part.</summary>
    public static MeshConditioning From(MeshingSettings m) =>
        new(m.Smoothing.ToString().ToLowerInvariant(), m.SmoothingIterations, m.TargetEdgeUm, m.ImproveAngles);
}

/// <summary>
/// Load one surface mesh (µm), repair and condition it, and voxelize it to about <paramref name="TargetVoxels"/> voxels.
/// </summary>
public sealed record LoadMeshPayload(string CellId, string Path, string FileSha256, int TargetVoxels, MeshConditioning Conditioning);

/// <summary>Extract the surface mesh of a mask and condition it.</summary>
public sealed record SurfacePayload(string ShapeId, ArtifactRef Mask, MeshConditioning Conditioning);

/// <summary>Compute descriptors; from the exact mesh when <paramref name="FromMesh"/>, otherwise from mask + mesh.</summary>
public sealed record DescribePayload(string ShapeId, ArtifactRef Mask, ArtifactRef Mesh, bool FromMesh);

/// <summary>
/// Fit the shape model on the real shapes' descriptors and plan the synthetic variants. With <see cref="Harmonics"/> the
/// model is fitted on the spherical-harmonic coefficients of the real surfaces <see cref="Meshes"/> (one per cell).
/// </summary>
public sealed record ShapeModelPayload(IReadOnlyList<string> CellIds, IReadOnlyList<DescriptorSet> Descriptors, int Modes,
    int VariantsPerCell, ulong Seed)
{
    /// <summary>Surface mesh of each real cell (spherical-harmonic shape space only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ArtifactRef>? Meshes { get; init; }

    /// <summary>Spherical-harmonic model and sampling settings; null for the descriptor shape space.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HarmonicShapeSpace? Harmonics { get; init; }
}

/// <summary>
/// Spherical-harmonic shape space of a study: degree <paramref name="Lmax"/>, <paramref name="Model"/> ("pca", "gmm" or
/// "vae"), sampling <paramref name="Kind"/> ("gaussian", "walk", "extremes" or "interpolation") and its parameters.
/// </summary>
public sealed record HarmonicShapeSpace(int Lmax, string Model, string Kind, double Spread, bool AroundParent, int Mode,
    double[]? Sigmas, double[]? Quantiles, int Steps)
{
    /// <summary>The manifest's shape-space settings as a payload part.</summary>
    public static HarmonicShapeSpace From(ShapeSpaceSettings s)
    {
        var o = s.Options ?? new SamplingOptions();
        return new(s.Lmax, s.Model.ToString().ToLowerInvariant(), s.Sampling.ToString().ToLowerInvariant(), o.Spread, o.AroundParent,
            o.Mode, o.Sigmas?.ToArray(), o.Quantiles?.ToArray(), o.Steps);
    }
}

/// <summary>Warp a parent's mask into a synthetic variant.</summary>
public sealed record VariantPayload(string ShapeId, ArtifactRef ParentMask, DescriptorSet ParentDescriptors, VariantPlan Plan);

/// <summary>Simulate one shape with one parameter set; the domain is coarsened to at most <paramref name="MaxVoxels"/>.</summary>
public sealed record SimulatePayload(string SimId, ArtifactRef Mask, ParameterSet Parameters, double DurationMs, double DtMs, int MaxVoxels)
{
    /// <summary>Manifest model name: diffusion_decay (voxels), diffusion_decay_fem or calcium_spine (on <see cref="TetMesh"/>).</summary>
    public string Model { get; init; } = "diffusion_decay";
    /// <summary>The shape's tetrahedral mesh (FEM models).</summary>
    public ArtifactRef? TetMesh { get; init; }
}

/// <summary>
/// Tetrahedralize a shape's conditioned surface by isosurface stuffing (lattice <paramref name="LatticeUm"/> µm, null = from
/// the size). PSD faces come from <paramref name="RegionsPath"/> (the input OBJ's sibling <c>&lt;name&gt;_regions.json</c>, with
/// <paramref name="SourcePath"/> the OBJ its face indices refer to) when given, otherwise from the geometric selector: the
/// top <paramref name="PsdTopFraction"/> of the surface along its major axis.
/// </summary>
public sealed record TetMeshPayload(string ShapeId, ArtifactRef Mesh, double? LatticeUm, string? SourcePath, string? SourceSha256,
    string? RegionsPath, string? RegionsSha256, double PsdTopFraction)
{
    /// <summary>Closed surface (.obj) of a spine apparatus to mesh as subdomain 1 (null = none).</summary>
    public string? SpineApparatusPath { get; init; }
    /// <summary>SHA-256 of <see cref="SpineApparatusPath"/> (part of the task key).</summary>
    public string? SpineApparatusSha256 { get; init; }
    /// <summary>The region of <see cref="RegionsPath"/> that is the PSD (<c>meshing.psd_region</c>); null = "PSD" (left out of the
    /// task key then, so default studies keep their keys).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? PsdRegion { get; init; }
}

/// <summary>One shape's descriptors and its phenotypes per compartment (whole, source, far), the unit of an association analysis.</summary>
public sealed record AssociationObservation(string ShapeId, IReadOnlyDictionary<string, double> Descriptors,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PhenotypesByCompartment);

/// <summary>Association analyses over all simulated shapes (for the first parameter set).</summary>
public sealed record AssociatePayload(IReadOnlyList<AssociationObservation> Observations, IReadOnlyList<AssociationSpec> Specs,
    int Bootstrap, ulong Seed);

/// <summary>Bayesian fit of D on one cell's domain against a simulated or observed far-compartment trace.</summary>
public sealed record FitPayload(string CellId, ArtifactRef Mask, ParameterSet Base, double DurationMs, double DtMs,
    int MaxVoxels, string? ObservedCsvPath, string? ObservedSha256, double? TrueValue, double NoiseSdUm, double PriorLow,
    double PriorHigh, bool PriorLogNormal, int Chains, int Warmup, int Draws, ulong Seed)
{
    /// <summary>Surrogate fit: the design values of the parameter (µm²/ms), in design order; null for a direct fit.</summary>
    public double[]? Design { get; init; }
    /// <summary>Surrogate fit: the simulator's full far-compartment trace (µM per time step) at each design value.</summary>
    public double[][]? DesignTraces { get; init; }
}

/// <summary>
/// One simulator run of a surrogate fit's design: point <paramref name="Index"/> of the <paramref name="Points"/>-point Latin
/// hypercube over the fit's prior (seeded by <paramref name="Seed"/>, the fit's seed), simulated on the fit's cell domain with the
/// base parameters and D set to the design value.
/// </summary>
public sealed record FitDesignPayload(string CellId, ArtifactRef Mask, ParameterSet Base, double DurationMs, double DtMs, int MaxVoxels,
    double PriorLow, double PriorHigh, bool PriorLogNormal, int Index, int Points, ulong Seed);
