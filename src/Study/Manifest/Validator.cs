using System.Globalization;
using System.Text.RegularExpressions;
using ShapeStudy.Core;

namespace ShapeStudy.Study.Manifest;

/// <summary>
/// Walks the YAML tree of a manifest, collecting every error and building the typed model with defaults.
/// Readers return a default after reporting an error so that validation always continues to the end.
/// </summary>
internal sealed partial class Validator(string file, string baseDirectory)
{
    private static readonly string[] RootKeys =
        ["schema_version", "study", "inputs", "segmentation", "shape_space", "meshing", "simulation", "fit", "statistics", "execution", "outputs"];
    private static readonly string[] StudyKeys = ["id", "seed"];
    private static readonly string[] VolumeKeys = ["volume", "spacing_um", "labels", "name"];
    private static readonly string[] MeshKeys = ["meshes", "name", "spine_apparatus"];
    private static readonly string[] SegmentationKeys = ["method", "sigma_um", "foreground", "connectivity", "min_volume_um3", "h_um", "compactness", "model", "merge_threshold", "interior_threshold", "train"];
    private static readonly string[] TrainKeys = ["raw", "labels", "trees", "max_samples", "slices", "spacing_um", "zero_label", "epochs",
        "steps_per_epoch", "batch", "patch", "levels", "base_channels", "learning_rate", "patience", "threads"];
    private static readonly string[] ForestOnlyTrainKeys = ["trees", "max_samples", "slices"];
    private static readonly string[] UNetOnlyTrainKeys = ["epochs", "steps_per_epoch", "batch", "patch", "levels", "base_channels", "learning_rate", "patience", "threads"];
    private static readonly string[] ShapeSpaceKeys = ["representation", "model", "modes", "variants_per_cell", "sampling", "lmax"];
    private static readonly string[] SamplingKeys = ["kind", "spread", "around_parent", "mode", "sigmas", "quantiles", "steps"];
    private static readonly string[] MeshingKeys = ["surface", "smoothing", "smoothing_iterations", "target_edge_um", "improve_angles", "volume", "lattice_um", "psd_region"];
    private static readonly string[] SimulationKeys = ["model", "duration_ms", "dt_ms", "max_voxels", "parameters"];
    private static readonly string[] FitKeys =
        ["parameter", "observed", "true_value", "noise_sd_um", "cell", "prior", "sampler", "chains", "warmup", "draws", "method", "design_points"];
    private static readonly string[] PriorKeys = ["uniform", "lognormal"];
    private static readonly string[] StatisticsKeys = ["associations", "bootstrap"];
    private static readonly string[] AssociationKeys = ["descriptors", "phenotypes"];
    private static readonly string[] ExecutionKeys = ["max_retries", "on_failure", "workers"];
    private static readonly string[] OutputKeys = ["dir"];
    private static readonly string[] VolumeExtensions = [".tif", ".tiff", ".mrc", ".map", ".rec", ".st", ".ali", ".npy"];
    private static readonly string[] MeshExtensions = [".obj"];
    private static readonly string[] ObservedExtensions = [".csv"];

    /// <summary>Default prior on D: uniform over [0.01, 1] µm²/ms, spanning buffered (~0.013) to free (~0.22) Ca²⁺ diffusion.</summary>
    internal static readonly PriorSpec DefaultPrior = new PriorSpec.Uniform(0.01, 1.0);

    private readonly List<ManifestError> _errors = [];
    private MeshVolume _meshVolume = MeshVolume.Surface;

    public IReadOnlyList<ManifestError> Errors => _errors;

    // ───────────────────────────── sections ─────────────────────────────

    /// <summary>Validates the whole document; returns the manifest (provenance fields empty) or null when the root is unusable.</summary>
    public StudyManifest? Validate(YNode? root)
    {
        if (root is null)
        {
            Error(1, 1, "", "the manifest is empty; expected a mapping with keys: " + string.Join(", ", RootKeys));
            return null;
        }
        if (root is not YMapping rootMap)
        {
            Error(root, "", $"expected a mapping with keys: {string.Join(", ", RootKeys)}; got {Describe(root)}");
            return null;
        }
        var m = new Section(this, rootMap, "", RootKeys);

        int schema = ReadSchemaVersion(m);
        var study = ReadStudy(m);
        var inputs = ReadInputs(m);
        var segmentation = ReadSegmentation(m);
        var shapeSpace = ReadShapeSpace(m);
        var meshing = ReadMeshing(m);
        _meshVolume = meshing.Volume;
        var simulation = ReadSimulation(m);
        var fit = ReadFit(m);
        var statistics = ReadStatistics(m);
        var execution = ReadExecution(m);
        var outputs = ReadOutputs(m);
        return new StudyManifest(schema, study, inputs, segmentation, shapeSpace, meshing, simulation, fit, statistics,
            execution, outputs, "", "", "");
    }

    private int ReadSchemaVersion(Section m)
    {
        var node = m.Required("schema_version", "the schema version, 1");
        if (node is null) return SchemaVersionValue;
        var v = ParseInteger(node, m.PathOf("schema_version"), 1, 1, "the schema version 1 (the only version this program reads)");
        return (int)(v ?? SchemaVersionValue);
    }

    private const int SchemaVersionValue = ManifestLoader.SchemaVersion;

    private StudyInfo ReadStudy(Section root)
    {
        var s = root.RequiredSection("study", StudyKeys);
        if (s is null) return new StudyInfo("study", 0);
        string id = "study";
        var idNode = s.Required("id", "a study id");
        if (idNode is not null)
        {
            var text = ParseString(idNode, s.PathOf("id"), "a study id matching [a-z0-9][a-z0-9_-]*");
            if (text is not null)
            {
                if (StudyIdPattern().IsMatch(text)) id = text;
                else Error(idNode, s.PathOf("id"), $"expected a study id matching [a-z0-9][a-z0-9_-]* (lowercase letters, digits, '_' and '-', starting with a letter or digit), got '{text}'");
            }
        }
        ulong seed = 0;
        if (s.Get("seed") is { } seedNode) seed = ParseSeed(seedNode, s.PathOf("seed"));
        return new StudyInfo(id, seed);
    }

    private IReadOnlyList<StudyInput> ReadInputs(Section root)
    {
        var result = new List<StudyInput>();
        var node = root.Required("inputs", "a non-empty list of inputs");
        if (node is null) return result;
        const string expected = "a non-empty list of inputs (each with 'volume' or 'meshes')";
        if (node is not YSequence seq)
        {
            Error(node, "inputs", $"expected {expected}, got {Describe(node)}");
            return result;
        }
        if (seq.Items.Count == 0)
        {
            Error(node, "inputs", $"expected {expected}, got an empty list");
            return result;
        }
        var names = new Dictionary<string, (string Path, YNode Node)>(StringComparer.Ordinal);
        for (int i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            string path = $"inputs[{i}]";
            if (item is not YMapping map)
            {
                Error(item, path, $"expected an input mapping with 'volume' or 'meshes', got {Describe(item)}");
                continue;
            }
            bool hasVolume = HasKey(map, "volume"), hasMeshes = HasKey(map, "meshes");
            if (hasVolume && hasMeshes)
            {
                Error(item, path, "an input has exactly one of 'volume' or 'meshes', got both; split it into two inputs");
                continue;
            }
            if (!hasVolume && !hasMeshes)
            {
                Error(item, path, "expected an input with a 'volume' key (an image volume) or a 'meshes' key (a glob of .obj files), got neither");
                new Section(this, map, path, [.. VolumeKeys, .. MeshKeys]);
                continue;
            }
            StudyInput? input = hasVolume ? ReadVolumeInput(map, path) : ReadMeshInput(map, path);
            if (input is null) continue;
            if (names.TryGetValue(input.Name, out var other))
            {
                var where = map.Entries.FirstOrDefault(e => e.Key is YScalar { Value: "name" }).Value ?? item;
                Error(where, path + ".name", $"duplicate input name '{input.Name}' (also used by {other.Path}); set a distinct 'name'");
            }
            else
            {
                names[input.Name] = (path, item);
            }
            result.Add(input);
        }
        return result;
    }

    private VolumeInput? ReadVolumeInput(YMapping map, string path)
    {
        var s = new Section(this, map, path, VolumeKeys);
        var volumeNode = s.Get("volume")!;
        var volumePath = ParseExistingFile(volumeNode, s.PathOf("volume"), "a path to a volume file", VolumeExtensions, "volume");
        Spacing? spacing = null;
        if (s.Get("spacing_um") is { } spacingNode) spacing = ParseSpacing(spacingNode, s.PathOf("spacing_um"));
        string? labels = null;
        if (s.Get("labels") is { } labelsNode)
            labels = ParseExistingFile(labelsNode, s.PathOf("labels"), "a path to a label volume file", VolumeExtensions, "volume");
        string? name = ReadName(s);
        if (volumePath is null) return null;
        name ??= DefaultName(Path.GetFileNameWithoutExtension(volumePath));
        return new VolumeInput(name, volumePath, spacing, labels);
    }

    private MeshInput? ReadMeshInput(YMapping map, string path)
    {
        var s = new Section(this, map, path, MeshKeys);
        var node = s.Get("meshes")!;
        string key = s.PathOf("meshes");
        string? name = ReadName(s);
        var pattern = ParseString(node, key, "a path or glob of .obj mesh files");
        if (pattern is null) return null;
        if (pattern.Length == 0)
        {
            Error(node, key, "expected a path or glob of .obj mesh files, got an empty string");
            return null;
        }
        string full = Path.GetFullPath(Path.Combine(baseDirectory, pattern));
        string directory = Path.GetDirectoryName(full) ?? full;
        string filePattern = Path.GetFileName(full);
        if (directory.IndexOfAny(['*', '?']) >= 0)
        {
            Error(node, key, $"wildcards '*' and '?' are allowed only in the file-name part, got '{pattern}'");
            return null;
        }
        string extension = Path.GetExtension(filePattern);
        if (!MeshExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            Error(node, key, $"unsupported mesh format '{(extension.Length > 0 ? extension : filePattern)}'; supported formats: {string.Join(", ", MeshExtensions)}");
            return null;
        }
        if (!Directory.Exists(directory))
        {
            Error(node, key, $"directory not found: {directory}");
            return null;
        }
        string[] files;
        if (filePattern.IndexOfAny(['*', '?']) < 0)
        {
            if (!File.Exists(full))
            {
                Error(node, key, $"file not found: {full}");
                return null;
            }
            files = [full];
        }
        else
        {
            var regex = GlobToRegex(filePattern);
            files = Directory.EnumerateFiles(directory)
                .Where(f => regex.IsMatch(Path.GetFileName(f)))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (files.Length == 0)
            {
                Error(node, key, $"no files match {full}");
                return null;
            }
        }
        name ??= DefaultName(filePattern.IndexOfAny(['*', '?']) < 0
            ? Path.GetFileNameWithoutExtension(filePattern)
            : Path.GetFileName(directory));
        return new MeshInput(name, full, Array.AsReadOnly(files)) { SpineApparatusPath = ReadSpineApparatus(s) };
    }

    private string? ReadSpineApparatus(Section s)
    {
        if (s.Get("spine_apparatus") is not { } node) return null;
        string key = s.PathOf("spine_apparatus");
        var text = ParseString(node, key, "the path of a closed .obj surface of the spine apparatus (µm, inside the input meshes)");
        if (text is null) return null;
        string full = Path.GetFullPath(Path.Combine(baseDirectory, text));
        if (!string.Equals(Path.GetExtension(full), ".obj", StringComparison.OrdinalIgnoreCase))
        {
            Error(node, key, $"expected a .obj surface of the spine apparatus, got '{text}'");
            return null;
        }
        if (!File.Exists(full))
        {
            Error(node, key, $"file not found: {full}");
            return null;
        }
        return full;
    }

    private string? ReadName(Section s)
    {
        if (s.Get("name") is not { } node) return null;
        const string expected = "an input name matching [A-Za-z0-9][A-Za-z0-9._-]*";
        var text = ParseString(node, s.PathOf("name"), expected);
        if (text is null) return null;
        if (!InputNamePattern().IsMatch(text))
        {
            Error(node, s.PathOf("name"), $"expected {expected}, got '{text}'");
            return null;
        }
        return text;
    }

    /// <summary>A default input name from a file stem or directory name (characters outside [A-Za-z0-9._-] become '_').</summary>
    private static string DefaultName(string stem)
    {
        var cleaned = Regex.Replace(stem, "[^A-Za-z0-9._-]", "_");
        return cleaned.Length > 0 ? cleaned : "input";
    }

    private Spacing? ParseSpacing(YNode node, string path)
    {
        var rule = NumberRule.Positive("µm");
        const string expected = "a list of 3 positive numbers (z, y, x) in µm";
        if (node is not YSequence seq)
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return null;
        }
        if (seq.Items.Count != 3)
        {
            Error(node, path, $"expected {expected}, got a list of {seq.Items.Count}");
            return null;
        }
        var v = new double?[3];
        for (int i = 0; i < 3; i++) v[i] = ParseNumber(seq.Items[i], $"{path}[{i}]", rule);
        if (v[0] is null || v[1] is null || v[2] is null) return null;
        return new Spacing(v[0]!.Value, v[1]!.Value, v[2]!.Value);
    }

    private SegmentationSettings ReadSegmentation(Section root)
    {
        var d = SegmentationSettings.Default;
        var s = root.OptionalSection("segmentation", SegmentationKeys);
        if (s is null) return d;
        var method = ReadChoice(s, "method", d.Method, ("otsu", SegmentationMethod.Otsu), ("watershed", SegmentationMethod.Watershed),
            ("rf", SegmentationMethod.Rf), ("unet", SegmentationMethod.Unet));
        bool learned = method is SegmentationMethod.Rf or SegmentationMethod.Unet;
        string? model = null;
        SegmenterTrainingSettings? train = null;
        var modelNode = s.Get("model");
        var trainNode = s.Get("train");
        if (trainNode is not null)
        {
            if (!learned)
                Error(trainNode, s.PathOf("train"), $"only methods rf and unet can be trained as a study stage, got method {method.ToString().ToLowerInvariant()}; remove segmentation.train or set method: rf or unet");
            else if (modelNode is not null)
                Error(modelNode, s.PathOf("model"), "set exactly one of segmentation.model (a saved model) and segmentation.train (train one in the study), not both");
            else
                train = ReadSegmenterTraining(s, method);
        }
        else if (learned && modelNode is null)
            Error(s.Node, s.PathOf("model"), $"method {Text(s.Get("method")!)} needs a saved model: set segmentation.model to a {(method == SegmentationMethod.Rf ? ".sspc" : ".ssun")} file written by train-segmenter, or segmentation.train to train one in the study");
        else if (!learned && modelNode is not null)
            Error(modelNode, s.PathOf("model"), $"a model is used only by methods rf and unet, got method {method.ToString().ToLowerInvariant()}; remove segmentation.model or set method: rf or unet");
        else if (learned)
            model = ParseExistingFile(modelNode!, s.PathOf("model"), "a path to a saved segmentation model",
                method == SegmentationMethod.Rf ? [".sspc"] : [".ssun"], $"{method.ToString().ToLowerInvariant()} model");
        return new SegmentationSettings(
            method,
            ReadNumber(s, "sigma_um", d.SigmaUm, NumberRule.NonNegative("µm")),
            ReadChoice(s, "foreground", d.Foreground, ("bright", Foreground.Bright), ("dark", Foreground.Dark)),
            ReadChoice(s, "connectivity", d.Connectivity, ("6", 6), ("18", 18), ("26", 26)),
            ReadNumber(s, "min_volume_um3", d.MinVolumeUm3, NumberRule.NonNegative("µm³")),
            s.Get("h_um") is null ? null : ReadNumber(s, "h_um", 0, NumberRule.Positive("µm")),
            ReadNumber(s, "compactness", d.Compactness, NumberRule.NonNegative("")),
            model,
            s.Get("merge_threshold") is null ? null : ReadFraction(s, "merge_threshold", 0.5, true),
            ReadFraction(s, "interior_threshold", d.InteriorThreshold, false),
            train);
    }

    /// <summary>
    /// <c>segmentation.train</c>: raw and label volumes, spacing, the meaning of label 0, then the settings of the method
    /// (rf: forest size, sparse-annotation slices; unet: the network and its training); the other method's keys are errors.
    /// </summary>
    private SegmenterTrainingSettings? ReadSegmenterTraining(Section segmentation, SegmentationMethod method)
    {
        var t = segmentation.OptionalSection("train", TrainKeys);
        if (t is null) return null;
        string? VolumePath(string key)
        {
            if (t.Get(key) is not { } node)
            {
                Error(t.Node, t.PathOf(key), $"segmentation.train needs {key}: a volume file ({string.Join(", ", VolumeExtensions)})");
                return null;
            }
            return ParseExistingFile(node, t.PathOf(key), "a path to a volume file", VolumeExtensions, "volume");
        }
        var raw = VolumePath("raw");
        var labels = VolumePath("labels");
        bool unet = method == SegmentationMethod.Unet;
        string name = unet ? "unet" : "rf", other = unet ? "rf" : "unet";
        foreach (var key in unet ? ForestOnlyTrainKeys : UNetOnlyTrainKeys)
            if (t.Get(key) is { } wrong)
                Error(wrong, t.PathOf(key), $"{key} is a setting of method {other}, not of method {name}; remove segmentation.train.{key} or set method: {other}");
        var zero = ReadChoice(t, "zero_label", ZeroLabelMeaning.Boundary, ("boundary", ZeroLabelMeaning.Boundary), ("background", ZeroLabelMeaning.Background));
        var spacingUm = t.Get("spacing_um") is { } spacingNode ? ParseSpacing(spacingNode, t.PathOf("spacing_um")) : null;
        if (unet)
        {
            var u = ReadUNetTraining(t);
            return raw is null || labels is null ? null
                : new SegmenterTrainingSettings(raw, labels, 0, 0, null, spacingUm) { ZeroLabel = zero, UNet = u };
        }
        int trees = ReadInteger(t, "trees", 32, 1, 1000);
        int samples = ReadInteger(t, "max_samples", 200_000, 2, 100_000_000);
        List<int>? slices = null;
        if (t.Get("slices") is { } sliceNode)
        {
            if (sliceNode is not YSequence seq || seq.Items.Count == 0)
                Error(sliceNode, t.PathOf("slices"), $"expected a non-empty list of z-slice indices (integers ≥ 0), got {Describe(sliceNode)}");
            else
            {
                slices = [];
                for (int i = 0; i < seq.Items.Count; i++)
                    if (ParseInteger(seq.Items[i], $"{t.PathOf("slices")}[{i}]", 0, int.MaxValue, "a z-slice index (an integer ≥ 0)") is { } z)
                        slices.Add((int)z);
            }
        }
        return raw is null || labels is null ? null
            : new SegmenterTrainingSettings(raw, labels, trees, samples, slices, spacingUm) { ZeroLabel = zero };
    }

    /// <summary>The U-Net keys of <c>segmentation.train</c> (the rules of the learning library's UNetTrainingOptions).</summary>
    private UNetTrainingSettings ReadUNetTraining(Section t)
    {
        var d = new UNetTrainingSettings();
        int levels = ReadInteger(t, "levels", d.Levels, 2, 6);
        int[] patch = [d.PatchZ, d.PatchY, d.PatchX];
        if (t.Get("patch") is { } patchNode)
        {
            int multiple = 1 << (levels - 1);
            if (patchNode is not YSequence seq || seq.Items.Count != 3)
                Error(patchNode, t.PathOf("patch"), $"expected a list of three patch sizes [z, y, x] in voxels, got {Describe(patchNode)}");
            else
                for (int i = 0; i < 3; i++)
                    if (ParseInteger(seq.Items[i], $"{t.PathOf("patch")}[{i}]", multiple, 4096,
                            $"a patch size from {multiple} to 4096 voxels (a U-Net of {levels} levels needs at least 2^(levels - 1) = {multiple})") is { } size)
                        patch[i] = (int)size;
        }
        return new UNetTrainingSettings(
            ReadInteger(t, "epochs", d.Epochs, 1, 100_000),
            ReadInteger(t, "steps_per_epoch", d.StepsPerEpoch, 1, 1_000_000),
            ReadInteger(t, "batch", d.Batch, 1, 1024),
            patch[0], patch[1], patch[2],
            levels,
            ReadInteger(t, "base_channels", d.BaseChannels, 1, 256),
            ReadNumber(t, "learning_rate", d.LearningRate, NumberRule.Positive("")),
            ReadInteger(t, "patience", d.Patience, 1, 100_000),
            ReadInteger(t, "threads", d.Threads, 1, 256));
    }

    /// <summary>A probability threshold in [0, 1] (<paramref name="closed"/>) or (0, 1).</summary>
    private double ReadFraction(Section s, string key, double fallback, bool closed)
    {
        if (s.Get(key) is not { } node) return fallback;
        var v = ParseNumber(node, s.PathOf(key), NumberRule.Any(""));
        if (v is null) return fallback;
        if (closed ? v is >= 0 and <= 1 : v is > 0 and < 1) return v.Value;
        Error(node, s.PathOf(key), $"expected a boundary probability in {(closed ? "[0, 1]" : "(0, 1)")}, got {Text(node)}");
        return fallback;
    }

    private ShapeSpaceSettings ReadShapeSpace(Section root)
    {
        var d = ShapeSpaceSettings.Default;
        var s = root.OptionalSection("shape_space", ShapeSpaceKeys);
        if (s is null) return d;
        var representation = ReadChoice(s, "representation", d.Representation, ("descriptors", ShapeRepresentation.Descriptors),
            ("spherical_harmonics", ShapeRepresentation.SphericalHarmonics));
        var model = ReadChoice(s, "model", d.Model, ("pca", ShapeModelKind.Pca), ("gmm", ShapeModelKind.Gmm), ("vae", ShapeModelKind.Vae));
        int modes = ReadInteger(s, "modes", d.Modes, 1, 16);
        int variants = ReadInteger(s, "variants_per_cell", d.VariantsPerCell, 0, 1000);
        int lmax = ReadInteger(s, "lmax", d.Lmax, 1, 32);
        var sampling = d.Sampling;
        SamplingOptions? options = null;
        var samplingSection = s.OptionalSection("sampling", SamplingKeys);
        if (samplingSection is not null)
        {
            sampling = ReadChoice(samplingSection, "kind", d.Sampling, ("gaussian", SamplingKind.Gaussian), ("walk", SamplingKind.Walk),
                ("extremes", SamplingKind.Extremes), ("interpolation", SamplingKind.Interpolation));
            var o = new SamplingOptions();
            int mode = ReadInteger(samplingSection, "mode", o.Mode, 0, 15);
            if (samplingSection.Get("mode") is { } modeNode && mode >= modes)
                Error(modeNode, samplingSection.PathOf("mode"), $"expected a mode index below shape_space.modes ({modes}), got {mode}");
            var sigmas = samplingSection.Get("sigmas") is { } sigmaNode
                ? ReadGrid(sigmaNode, samplingSection.PathOf("sigmas"), NumberRule.Any("σ")) : null;
            IReadOnlyList<double>? quantiles = null;
            if (samplingSection.Get("quantiles") is { } quantileNode)
            {
                quantiles = ReadGrid(quantileNode, samplingSection.PathOf("quantiles"), NumberRule.Positive(""));
                if (quantiles is not null && quantiles.Any(q => q >= 1))
                {
                    Error(quantileNode, samplingSection.PathOf("quantiles"), "expected quantiles strictly between 0 and 1");
                    quantiles = null;
                }
            }
            options = new SamplingOptions(
                ReadNumber(samplingSection, "spread", o.Spread, NumberRule.NonNegative("σ")),
                ReadChoice(samplingSection, "around_parent", o.AroundParent, ("true", true), ("false", false)),
                mode, sigmas, quantiles, ReadInteger(samplingSection, "steps", o.Steps, 2, 1000));
            if (options == o) options = null;   // only `kind` given: keep the plain default settings
        }
        if (representation != ShapeRepresentation.SphericalHarmonics)
        {
            if (model != ShapeModelKind.Pca && s.Get("model") is { } modelNode)
                Error(modelNode, s.PathOf("model"), "model gmm and vae need representation: spherical_harmonics");
            if (sampling != SamplingKind.Gaussian && samplingSection?.Get("kind") is { } kindNode)
                Error(kindNode, samplingSection.PathOf("kind"), "sampling kinds walk, extremes and interpolation need representation: spherical_harmonics");
        }
        return new ShapeSpaceSettings(representation, model, modes, variants, sampling, lmax, options);
    }

    private MeshingSettings ReadMeshing(Section root)
    {
        var d = MeshingSettings.Default;
        var s = root.OptionalSection("meshing", MeshingKeys);
        if (s is null) return d;
        var settings = new MeshingSettings(
            ReadChoice(s, "surface", d.Surface, ("marching_cubes", SurfaceMethod.MarchingCubes)),
            ReadChoice(s, "smoothing", d.Smoothing, ("none", SmoothingMethod.None), ("taubin", SmoothingMethod.Taubin), ("feature", SmoothingMethod.Feature)),
            ReadInteger(s, "smoothing_iterations", d.SmoothingIterations, 0, 500),
            s.Get("target_edge_um") is null ? null : ReadNumber(s, "target_edge_um", 0, NumberRule.Positive("µm")),
            ReadChoice(s, "improve_angles", d.ImproveAngles, ("true", true), ("false", false)),
            ReadChoice(s, "volume", d.Volume, ("surface", MeshVolume.Surface), ("tetrahedral", MeshVolume.Tetrahedral)),
            s.Get("lattice_um") is null ? null : ReadNumber(s, "lattice_um", 0, NumberRule.Positive("µm")));
        if (s.Get("psd_region") is { } psd)
        {
            const string expected = "the name of a region in the meshes' <name>_regions.json files";
            var text = ParseString(psd, s.PathOf("psd_region"), expected);
            if (text is { Length: > 0 }) settings = settings with { PsdRegion = text };
            else if (text is not null) Error(psd, s.PathOf("psd_region"), $"expected {expected}, got an empty name");
        }
        return settings;
    }

    private SimulationSettings ReadSimulation(Section root)
    {
        var d = SimulationSettings.Default;
        var s = root.OptionalSection("simulation", SimulationKeys);
        if (s is null) return d;
        var model = ReadChoice(s, "model", d.Model, ("diffusion_decay", SimulationModel.DiffusionDecay),
            ("diffusion_decay_fem", SimulationModel.DiffusionDecayFem), ("calcium_spine", SimulationModel.CalciumSpine));
        if (model != SimulationModel.DiffusionDecay && _meshVolume != MeshVolume.Tetrahedral && s.Get("model") is { } modelNode)
            Error(modelNode, s.PathOf("model"), $"simulation.model '{Text(modelNode)}' is a finite-element model and needs meshing.volume: tetrahedral (got meshing.volume: {_meshVolume.ToString().ToLowerInvariant()}); set meshing.volume: tetrahedral or use model: diffusion_decay");
        int errorsBefore = _errors.Count;
        double duration = ReadNumber(s, "duration_ms", d.DurationMs, NumberRule.Positive("ms"));
        bool durationValid = _errors.Count == errorsBefore;
        double dt = d.DtMs;
        if (s.Get("dt_ms") is { } dtNode)
        {
            var v = ParseNumber(dtNode, s.PathOf("dt_ms"), NumberRule.Positive("ms"));
            if (v is not null)
            {
                dt = v.Value;
                if (durationValid && dt > duration)
                    Error(dtNode, s.PathOf("dt_ms"), $"expected a positive number (ms) <= duration_ms ({Format(duration)}), got {Text(dtNode)}");
            }
        }
        else if (durationValid && dt > duration)
        {
            Error(s.Node, s.PathOf("dt_ms"), $"the default dt_ms ({Format(dt)}) exceeds duration_ms ({Format(duration)}); set dt_ms <= duration_ms");
        }
        int maxVoxels = ReadInteger(s, "max_voxels", d.MaxVoxels, 100, 2_000_000);
        var parameters = ReadParameters(s, model);
        return new SimulationSettings(model, duration, dt, maxVoxels, parameters);
    }

    private SimulationParameters ReadParameters(Section simulation, SimulationModel model)
    {
        var d = SimulationParameters.Default;
        var keys = model == SimulationModel.CalciumSpine
            ? SimulationParameters.Names.Concat(CalciumSpineKeys.All.Select(k => k.Key)).ToArray()
            : SimulationParameters.Names.ToArray();
        var s = simulation.OptionalSection("parameters", keys);
        if (s is null) return d;
        var extra = new SortedDictionary<string, ParameterSpec>(StringComparer.Ordinal);
        if (model == SimulationModel.CalciumSpine)
            foreach (var (key, positive) in CalciumSpineKeys.All)
                if (s.Get(key) is not null)
                    extra[key] = ReadParameter(s, key, new ParameterSpec.Fixed(0), positive ? NumberRule.Positive("units in the key's suffix") : NumberRule.NonNegative("units in the key's suffix"));
        var result = new SimulationParameters(
            ReadParameter(s, SimulationParameters.DName, d.DUm2PerMs, NumberRule.Positive("µm²/ms")),
            ReadParameter(s, SimulationParameters.DecayName, d.DecayPerMs, NumberRule.NonNegative("1/ms")),
            ReadParameter(s, SimulationParameters.InfluxName, d.InfluxUmUmPerMs, NumberRule.NonNegative("µM·µm/ms")),
            ReadParameter(s, SimulationParameters.PulseName, d.PulseMs, NumberRule.Positive("ms"))) { ModelParameters = extra };
        long count = result.Count;
        if (count > ManifestLoader.MaxParameterSets)
            Error(s.Node, s.Path, $"the sweep expands to {count} parameter sets; at most {ManifestLoader.MaxParameterSets} are allowed");
        return result;
    }

    private ParameterSpec ReadParameter(Section s, string key, ParameterSpec fallback, NumberRule rule)
    {
        if (s.Get(key) is not { } node) return fallback;
        string path = s.PathOf(key);
        string expected = $"{rule.Describe()}, {{ grid: [values] }} or {{ loguniform: [low, high], samples: n }}";
        switch (node)
        {
            case YScalar scalar when scalar.Plain && !scalar.IsNull:
            {
                if (!TryParseNumber(scalar.Value, out _))
                {
                    Error(node, path, $"expected {expected}, got '{scalar.Value}'");
                    return fallback;
                }
                var v = ParseNumber(node, path, rule);
                return v is null ? fallback : new ParameterSpec.Fixed(v.Value);
            }
            case YMapping map:
            {
                bool hasGrid = HasKey(map, "grid"), hasLog = HasKey(map, "loguniform");
                if (hasGrid && hasLog)
                {
                    Error(node, path, "expected either 'grid' or 'loguniform', got both");
                    return fallback;
                }
                if (hasGrid)
                {
                    var g = new Section(this, map, path, ["grid"]);
                    var values = ReadGrid(g.Get("grid")!, g.PathOf("grid"), rule);
                    return values is null ? fallback : new ParameterSpec.Grid(values);
                }
                if (hasLog)
                {
                    var l = new Section(this, map, path, ["loguniform", "samples"]);
                    var range = ReadRange(l.Get("loguniform")!, l.PathOf("loguniform"), rule, "a list [low, high] with 0 < low < high");
                    int samples = ReadInteger(l, "samples", 1, 1, 10000);
                    return range is null ? fallback : new ParameterSpec.LogUniform(range.Value.Low, range.Value.High, samples);
                }
                Error(node, path, $"expected {expected}, got a mapping with keys: {KeyList(map)}");
                return fallback;
            }
            default:
                Error(node, path, $"expected {expected}, got {Describe(node)}");
                return fallback;
        }
    }

    private IReadOnlyList<double>? ReadGrid(YNode node, string path, NumberRule rule)
    {
        string expected = $"a non-empty list of {rule.DescribePlural()}";
        if (node is not YSequence seq)
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return null;
        }
        if (seq.Items.Count == 0)
        {
            Error(node, path, $"expected {expected}, got an empty list");
            return null;
        }
        var values = new List<double>();
        bool ok = true;
        for (int i = 0; i < seq.Items.Count; i++)
        {
            var v = ParseNumber(seq.Items[i], $"{path}[{i}]", rule);
            if (v is null)
            {
                ok = false;
                continue;
            }
            int previous = values.IndexOf(v.Value);
            if (previous >= 0)
            {
                Error(seq.Items[i], $"{path}[{i}]", $"duplicate grid value {Text(seq.Items[i])} (same as {path}[{previous}])");
                ok = false;
            }
            values.Add(v.Value);
        }
        return ok ? Array.AsReadOnly(values.ToArray()) : null;
    }

    /// <summary>Reads [low, high] with 0 &lt; low &lt; high, each also satisfying <paramref name="rule"/>.</summary>
    private (double Low, double High)? ReadRange(YNode node, string path, NumberRule rule, string expected)
    {
        if (node is not YSequence seq || seq.Items.Count != 2)
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return null;
        }
        var positive = NumberRule.Positive(rule.Unit);
        var lo = ParseNumber(seq.Items[0], path + "[0]", positive);
        var hi = ParseNumber(seq.Items[1], path + "[1]", positive);
        if (lo is null || hi is null) return null;
        if (!(lo.Value < hi.Value))
        {
            Error(node, path, $"expected {expected}, got low {Text(seq.Items[0])} >= high {Text(seq.Items[1])}");
            return null;
        }
        return (lo.Value, hi.Value);
    }

    private FitSettings? ReadFit(Section root)
    {
        var s = root.OptionalSection("fit", FitKeys);
        if (s is null) return null;
        string parameter = ReadChoice(s, "parameter", SimulationParameters.DName, (SimulationParameters.DName, SimulationParameters.DName));

        string? observedPath = null;
        bool simulated = true;
        var observedNode = s.Required("observed", "'simulated' or a path to a CSV file");
        if (observedNode is not null)
        {
            var text = ParseString(observedNode, s.PathOf("observed"), "'simulated' or a path to a CSV file");
            if (text is not null && text != "simulated")
            {
                simulated = false;
                observedPath = ParseExistingFile(observedNode, s.PathOf("observed"), "'simulated' or a path to a CSV file", ObservedExtensions, "observation");
            }
        }

        int errorsBeforePrior = _errors.Count;
        var prior = ReadPrior(s);
        bool priorValid = _errors.Count == errorsBeforePrior;

        double? trueValue = null;
        var unitRule = NumberRule.Positive("µm²/ms");
        if (s.Get("true_value") is { } trueNode)
        {
            trueValue = ParseNumber(trueNode, s.PathOf("true_value"), unitRule);
            if (trueValue is not null && priorValid && prior is PriorSpec.Uniform u && (trueValue < u.Low || trueValue > u.High))
                Error(trueNode, s.PathOf("true_value"), $"expected a value inside the prior's support [{Format(u.Low)}, {Format(u.High)}], got {Text(trueNode)}");
        }
        else if (simulated && observedNode is not null)
        {
            Error(s.Node, s.PathOf("true_value"), "missing required key 'true_value' (the known parameter value, required when observed is 'simulated')");
        }

        double noise = ReadNumber(s, "noise_sd_um", 0.02, NumberRule.Positive("µM"));
        int cell = ReadInteger(s, "cell", 0, 0, int.MaxValue);
        var sampler = ReadChoice(s, "sampler", FitSampler.AdaptiveMetropolis, ("adaptive_metropolis", FitSampler.AdaptiveMetropolis));
        int chains = ReadInteger(s, "chains", 4, 2, 16);
        int warmup = ReadInteger(s, "warmup", 500, 0, 1_000_000);
        int draws = ReadInteger(s, "draws", 1000, 10, 1_000_000);
        var method = ReadChoice(s, "method", FitMethod.Direct, ("direct", FitMethod.Direct), ("surrogate", FitMethod.Surrogate));
        int designPoints = ReadInteger(s, "design_points", FitSettings.DefaultDesignPoints, 4, 1000);
        return new FitSettings(parameter, observedPath, trueValue, noise, cell, prior, sampler, chains, warmup, draws, method, designPoints);
    }

    private PriorSpec ReadPrior(Section fit)
    {
        var s = fit.OptionalSection("prior", PriorKeys);
        if (s is null) return DefaultPrior;
        bool hasUniform = s.Get("uniform") is not null, hasLogNormal = s.Get("lognormal") is not null;
        if (hasUniform == hasLogNormal)
        {
            Error(s.Node, s.Path, $"expected exactly one of 'uniform: [low, high]' or 'lognormal: [mu, sigma]', got {(hasUniform ? "both" : "neither")}");
            return DefaultPrior;
        }
        if (hasUniform)
        {
            var range = ReadRange(s.Get("uniform")!, s.PathOf("uniform"), NumberRule.Positive("µm²/ms"), "a list [low, high] with 0 < low < high (µm²/ms)");
            return range is null ? DefaultPrior : new PriorSpec.Uniform(range.Value.Low, range.Value.High);
        }
        var node = s.Get("lognormal")!;
        string path = s.PathOf("lognormal");
        const string expected = "a list [mu, sigma] (mean and standard deviation of ln θ, sigma > 0)";
        if (node is not YSequence seq || seq.Items.Count != 2)
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return DefaultPrior;
        }
        var mu = ParseNumber(seq.Items[0], path + "[0]", NumberRule.Any(""));
        var sigma = ParseNumber(seq.Items[1], path + "[1]", NumberRule.Positive(""));
        return mu is null || sigma is null ? DefaultPrior : new PriorSpec.LogNormal(mu.Value, sigma.Value);
    }

    private StatisticsSettings ReadStatistics(Section root)
    {
        var d = StatisticsSettings.Default;
        var s = root.OptionalSection("statistics", StatisticsKeys);
        if (s is null) return d;
        var associations = new List<AssociationSpec>();
        if (s.Get("associations") is { } node)
        {
            string path = s.PathOf("associations");
            if (node is not YSequence seq)
            {
                Error(node, path, $"expected a list of {{ descriptors: [names], phenotypes: [names] }}, got {Describe(node)}");
            }
            else
            {
                for (int i = 0; i < seq.Items.Count; i++)
                {
                    var item = seq.Items[i];
                    string itemPath = $"{path}[{i}]";
                    if (item is not YMapping map)
                    {
                        Error(item, itemPath, $"expected a mapping {{ descriptors: [names], phenotypes: [names] }}, got {Describe(item)}");
                        continue;
                    }
                    var a = new Section(this, map, itemPath, AssociationKeys);
                    var descriptors = ReadNameList(a, "descriptors", KnownNames.Descriptors, "descriptor");
                    var phenotypes = ReadNameList(a, "phenotypes", KnownNames.Phenotypes, "phenotype");
                    if (descriptors is not null && phenotypes is not null)
                        associations.Add(new AssociationSpec(descriptors, phenotypes));
                }
            }
        }
        int bootstrap = ReadInteger(s, "bootstrap", d.Bootstrap, 0, 100_000);
        return new StatisticsSettings(Array.AsReadOnly(associations.ToArray()), bootstrap);
    }

    private IReadOnlyList<string>? ReadNameList(Section s, string key, IReadOnlyList<string> known, string what)
    {
        var node = s.Required(key, $"a non-empty list of {what} names");
        if (node is null) return null;
        string path = s.PathOf(key);
        if (node is not YSequence seq || seq.Items.Count == 0)
        {
            Error(node, path, $"expected a non-empty list of {what} names ({string.Join(", ", known)}), got {Describe(node)}");
            return null;
        }
        var names = new List<string>();
        bool ok = true;
        for (int i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            var name = ParseString(item, $"{path}[{i}]", $"a {what} name");
            if (name is null)
            {
                ok = false;
                continue;
            }
            if (!known.Contains(name))
            {
                Error(item, $"{path}[{i}]", $"unknown {what} '{name}'; expected one of: {string.Join(", ", known)}{Suggest(name, known)}");
                ok = false;
            }
            else if (names.Contains(name))
            {
                Error(item, $"{path}[{i}]", $"duplicate {what} '{name}'");
                ok = false;
            }
            names.Add(name);
        }
        return ok ? Array.AsReadOnly(names.ToArray()) : null;
    }

    private ExecutionSettings ReadExecution(Section root)
    {
        var d = ExecutionSettings.Default;
        var s = root.OptionalSection("execution", ExecutionKeys);
        if (s is null) return d;
        return new ExecutionSettings(
            ReadInteger(s, "max_retries", d.MaxRetries, 0, 10),
            ReadChoice(s, "on_failure", d.OnFailure, ("continue", FailurePolicy.Continue), ("stop", FailurePolicy.Stop)),
            ReadInteger(s, "workers", d.Workers, 0, 1024));
    }

    private OutputSettings ReadOutputs(Section root)
    {
        var fallback = new OutputSettings(Path.Combine(baseDirectory, "results"));
        var s = root.RequiredSection("outputs", OutputKeys);
        if (s is null) return fallback;
        var node = s.Required("dir", "the results directory");
        if (node is null) return fallback;
        var text = ParseString(node, s.PathOf("dir"), "a path to the results directory");
        if (text is null) return fallback;
        if (text.Length == 0)
        {
            Error(node, s.PathOf("dir"), "expected a path to the results directory, got an empty string");
            return fallback;
        }
        var full = Path.GetFullPath(Path.Combine(baseDirectory, text));
        if (File.Exists(full))
        {
            Error(node, s.PathOf("dir"), $"expected a directory, found a file: {full}");
            return fallback;
        }
        return new OutputSettings(full);
    }

    // ───────────────────────────── value readers ─────────────────────────────

    private double ReadNumber(Section s, string key, double fallback, NumberRule rule) =>
        s.Get(key) is { } node ? ParseNumber(node, s.PathOf(key), rule) ?? fallback : fallback;

    private int ReadInteger(Section s, string key, int fallback, long min, long max) =>
        s.Get(key) is { } node ? (int)(ParseInteger(node, s.PathOf(key), min, max, null) ?? fallback) : fallback;

    private T ReadChoice<T>(Section s, string key, T fallback, params (string Name, T Value)[] options)
    {
        if (s.Get(key) is not { } node) return fallback;
        string choices = string.Join(", ", options.Select(o => o.Name));
        if (node is YScalar scalar && !scalar.IsNull)
        {
            foreach (var (name, value) in options)
                if (scalar.Value == name) return value;
        }
        Error(node, s.PathOf(key), $"expected one of: {choices}; got {Describe(node)}");
        return fallback;
    }

    private double? ParseNumber(YNode node, string path, NumberRule rule)
    {
        if (node is not YScalar { Plain: true } scalar || scalar.IsNull || !TryParseNumber(scalar.Value, out var value))
        {
            Error(node, path, $"expected {rule.Describe()}, got {Describe(node)}");
            return null;
        }
        if (!rule.Accepts(value))
        {
            Error(node, path, $"expected {rule.Describe()}, got {scalar.Value}");
            return null;
        }
        return value;
    }

    private long? ParseInteger(YNode node, string path, long min, long max, string? expectation)
    {
        string expected = expectation ?? DescribeIntegerRange(min, max);
        if (node is not YScalar { Plain: true } scalar || scalar.IsNull || !IntegerPattern().IsMatch(scalar.Value))
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return null;
        }
        if (!long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Error(node, path, $"expected {expected}, got {scalar.Value}");
            return null;
        }
        return value;
    }

    private ulong ParseSeed(YNode node, string path)
    {
        const string expected = "a non-negative integer (at most 18446744073709551615)";
        if (node is not YScalar { Plain: true } scalar || scalar.IsNull || !IntegerPattern().IsMatch(scalar.Value))
        {
            Error(node, path, $"expected {expected}, got {Describe(node)}");
            return 0;
        }
        var digits = scalar.Value.StartsWith('+') ? scalar.Value[1..] : scalar.Value;
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            Error(node, path, $"expected {expected}, got {scalar.Value}");
            return 0;
        }
        return value;
    }

    /// <summary>A string scalar (plain or quoted); null and non-scalars are errors.</summary>
    private string? ParseString(YNode node, string path, string expected)
    {
        if (node is YScalar scalar && !scalar.IsNull) return scalar.Value;
        Error(node, path, $"expected {expected}, got {Describe(node)}");
        return null;
    }

    /// <summary>An existing file (resolved against the manifest directory) with one of <paramref name="extensions"/>.</summary>
    private string? ParseExistingFile(YNode node, string path, string expected, string[] extensions, string kind)
    {
        var text = ParseString(node, path, expected);
        if (text is null) return null;
        if (text.Length == 0)
        {
            Error(node, path, $"expected {expected}, got an empty string");
            return null;
        }
        string full;
        try
        {
            full = Path.GetFullPath(Path.Combine(baseDirectory, text));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            Error(node, path, $"invalid path '{text}': {e.Message}");
            return null;
        }
        if (Directory.Exists(full))
        {
            Error(node, path, $"expected a file, found a directory: {full}");
            return null;
        }
        if (!File.Exists(full))
        {
            Error(node, path, $"file not found: {full}");
            return null;
        }
        var extension = Path.GetExtension(full);
        if (!extensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            Error(node, path, $"unsupported {kind} format '{(extension.Length > 0 ? extension : Path.GetFileName(full))}'; supported formats: {string.Join(", ", extensions)}");
            return null;
        }
        return full;
    }

    // ───────────────────────────── helpers ─────────────────────────────

    internal void Error(YNode node, string key, string message) => Error(node.Line, node.Column, key, message);

    internal void Error(int line, int column, string key, string message) =>
        _errors.Add(new ManifestError(file, line, column, key, message));

    /// <summary>YAML 1.2 core-schema decimal numbers (finite only; no .inf/.nan, hex or octal).</summary>
    private static bool TryParseNumber(string text, out double value)
    {
        value = 0;
        if (!NumberPattern().IsMatch(text)) return false;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    internal static string Describe(YNode node) => node switch
    {
        YScalar { IsNull: true } => "an empty value",
        YScalar { Plain: true } s => $"'{s.Value}'",
        YScalar { Tag: { } tag } s => $"'{s.Value}' (tagged {tag})",
        YScalar s => $"'{s.Value}' (a quoted string)",
        YSequence { Items.Count: 0 } => "an empty list",
        YSequence q => $"a list of {q.Items.Count}",
        YMapping => "a mapping",
        _ => "an unknown node",
    };

    private static string Text(YNode node) => node is YScalar s ? s.Value : Describe(node);

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string KeyList(YMapping map) =>
        string.Join(", ", map.Entries.Select(e => e.Key is YScalar k ? k.Value : Describe(e.Key)));

    private static bool HasKey(YMapping map, string key) => map.Entries.Any(e => e.Key is YScalar { Value: var v } && v == key);

    private static string DescribeIntegerRange(long min, long max) =>
        max >= int.MaxValue ? $"an integer >= {min}" : $"an integer from {min} to {max}";

    /// <summary>" (did you mean 'x'?)" for a close match among <paramref name="candidates"/>, else "".</summary>
    internal static string Suggest(string given, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int dist = Levenshtein(given, c);
            if (c.StartsWith(given, StringComparison.Ordinal) || given.StartsWith(c, StringComparison.Ordinal)) dist = Math.Min(dist, 1);
            if (dist < bestDistance)
            {
                bestDistance = dist;
                best = c;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, given.Length / 3) ? $" (did you mean '{best}'?)" : "";
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static Regex GlobToRegex(string pattern)
    {
        var sb = new System.Text.StringBuilder("^");
        foreach (char ch in pattern)
        {
            sb.Append(ch switch
            {
                '*' => ".*",
                '?' => ".",
                _ => Regex.Escape(ch.ToString()),
            });
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex StudyIdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex InputNamePattern();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex NumberPattern();

    /// <summary>
    /// A mapping being validated: reports non-scalar, duplicate and unknown keys on construction, then serves values by key.
    /// </summary>
    private sealed class Section
    {
        private readonly Validator _v;
        private readonly Dictionary<string, YNode> _values = new(StringComparer.Ordinal);

        public YMapping Node { get; }
        public string Path { get; }

        public Section(Validator v, YMapping node, string path, IReadOnlyList<string> allowed)
        {
            _v = v;
            Node = node;
            Path = path;
            var first = new Dictionary<string, YNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in node.Entries)
            {
                if (keyNode is not YScalar { IsNull: false } key)
                {
                    v.Error(keyNode, path, $"expected a key name, got {Describe(keyNode)} as a key");
                    continue;
                }
                if (first.TryGetValue(key.Value, out var earlier))
                {
                    v.Error(key, PathOf(key.Value), $"duplicate key '{key.Value}' (first defined at line {earlier.Line}, column {earlier.Column})");
                    continue;
                }
                first[key.Value] = key;
                if (!allowed.Contains(key.Value))
                {
                    v.Error(key, PathOf(key.Value), $"unknown key '{key.Value}'; expected one of: {string.Join(", ", allowed)}{Suggest(key.Value, allowed)}");
                    continue;
                }
                _values[key.Value] = value;
            }
        }

        public string PathOf(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

        /// <summary>The value of an allowed key, or null when absent.</summary>
        public YNode? Get(string key) => _values.GetValueOrDefault(key);

        /// <summary>The value of a required key; reports it at this mapping's position when absent.</summary>
        public YNode? Required(string key, string what)
        {
            var node = Get(key);
            if (node is null) _v.Error(Node, PathOf(key), $"missing required key '{key}' ({what})");
            return node;
        }

        public Section? RequiredSection(string key, IReadOnlyList<string> allowed)
        {
            var node = Required(key, $"a mapping with keys: {string.Join(", ", allowed)}");
            return node is null ? null : AsSection(node, key, allowed);
        }

        public Section? OptionalSection(string key, IReadOnlyList<string> allowed)
        {
            var node = Get(key);
            return node is null ? null : AsSection(node, key, allowed);
        }

        private Section? AsSection(YNode node, string key, IReadOnlyList<string> allowed)
        {
            if (node is YMapping map) return new Section(_v, map, PathOf(key), allowed);
            var hint = node is YScalar { IsNull: true } ? " (write {} to use all defaults)" : "";
            _v.Error(node, PathOf(key), $"expected a mapping with keys: {string.Join(", ", allowed)}; got {Describe(node)}{hint}");
            return null;
        }
    }

    /// <summary>An accepted numeric range with its unit, able to describe itself in messages.</summary>
    private readonly record struct NumberRule(double Min, bool MinInclusive, string Unit)
    {
        public static NumberRule Positive(string unit) => new(0, false, unit);
        public static NumberRule NonNegative(string unit) => new(0, true, unit);
        public static NumberRule Any(string unit) => new(double.NegativeInfinity, true, unit);

        public bool Accepts(double v) => MinInclusive ? v >= Min : v > Min;

        private string UnitSuffix => Unit.Length > 0 ? $" ({Unit})" : "";

        public string Describe() =>
            double.IsNegativeInfinity(Min) ? $"a number{UnitSuffix}"
            : !MinInclusive && Min == 0 ? $"a positive number{UnitSuffix}"
            : MinInclusive && Min == 0 ? $"a number >= 0{UnitSuffix}"
            : $"a number {(MinInclusive ? ">=" : ">")} {Min.ToString("R", CultureInfo.InvariantCulture)}{UnitSuffix}";

        public string DescribePlural() =>
            double.IsNegativeInfinity(Min) ? $"numbers{UnitSuffix}"
            : !MinInclusive && Min == 0 ? $"positive numbers{UnitSuffix}"
            : $"numbers {(MinInclusive ? ">=" : ">")} {Min.ToString("R", CultureInfo.InvariantCulture)}{UnitSuffix}";
    }
}
