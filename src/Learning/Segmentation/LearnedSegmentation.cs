using ShapeStudy.Core;
using ShapeStudy.Imaging;

namespace ShapeStudy.Learning.Segmentation;

/// <summary>
/// Result of <see cref="LearnedSegmentation.Run"/>: labels 1..<paramref name="Objects"/> (0 = background where the model
/// predicts one), the supervoxel count before agglomeration, the boundary-probability map that was agglomerated (same
/// shape (Z, Y, X) and spacing as the image), the merge threshold used and the model file's SHA-256 (lowercase hex).
/// </summary>
public sealed record LearnedSegmentationResult(Volume<int> Labels, int Objects, int Supervoxels, Volume<float> Boundary, double MergeThreshold,
    string ModelSha256);

/// <summary>
/// A model's boundary map (values in [0, 1], 1 = membrane; shape (Z, Y, X)), its foreground mask when the model has a
/// background class (null otherwise), and the merge threshold the model recommends (a U-Net's calibrated value; 0.5 for
/// models without one).
/// </summary>
public sealed record BoundaryPrediction(Volume<float> Boundary, Volume<byte>? Foreground, double RecommendedMergeThreshold);

/// <summary>
/// Instance segmentation with a saved boundary model, shared by the <c>segment</c> verb and the study's segment stage:
/// the model (<c>rf</c>: a <see cref="PixelClassifier"/> .sspc file; <c>unet</c>: a <see cref="UNetSegmenter"/> .ssun file)
/// predicts a boundary map, <see cref="BoundaryAgglomeration"/> turns it into instances, and voxels the model calls
/// background (models trained with label 0 = background) are set to 0.
/// </summary>
public static class LearnedSegmentation
{
    /// <summary>The model-file extension each method writes by convention: .sspc for rf, .ssun for unet.</summary>
    public static string ModelExtension(string method) => method switch
    {
        "rf" => ".sspc",
        "unet" => ".ssun",
        _ => throw new ArgumentException($"unknown learned segmentation method '{method}'; expected rf or unet", nameof(method)),
    };

    /// <summary>
    /// Trains the <c>rf</c> boundary classifier (shared by the <c>train-segmenter</c> verb and the study's
    /// train_segmenter stage): boundary/interior(/background) targets from the dense instance labels
    /// <paramref name="truth"/> (same shape (Z, Y, X) as <paramref name="raw"/>), kept only on the z-slices
    /// <paramref name="slices"/> when given (sparse annotation; null = every voxel), a filter bank at the raw volume's
    /// spacing and a forest of <paramref name="trees"/> trees seeded with <paramref name="seed"/>, on at most
    /// <paramref name="maxSamples"/> labelled voxels.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ or a slice index is outside 0..Z−1.</exception>
    public static (PixelClassifier Model, PixelClassifierTraining Training) TrainForest(Volume<float> raw, Volume<int> truth, ZeroLabel zero,
        int trees, ulong seed, int maxSamples, IReadOnlyList<int>? slices = null)
    {
        if (truth.Shape != raw.Shape) throw new ArgumentException($"label shape {truth.Shape} differs from the raw volume's {raw.Shape}");
        var annotation = BoundaryTargets.AsAnnotation(BoundaryTargets.FromLabels(truth, zero));
        if (slices is not null)
        {
            var sparse = new int[annotation.Length];
            int plane = annotation.NY * annotation.NX;
            foreach (int z in slices)
            {
                if (z < 0 || z >= annotation.NZ) throw new ArgumentException($"annotation slice {z} is outside 0..{annotation.NZ - 1}", nameof(slices));
                Array.Copy(annotation.Data, z * plane, sparse, z * plane, plane);
            }
            annotation = annotation.WithData(sparse);
        }
        return PixelClassifier.Train(raw, annotation, FeatureBankOptions.ForSpacing(raw.Spacing),
            new RandomForestOptions(Trees: trees, Seed: seed), maxSamples);
    }

    /// <summary>
    /// Trains the <c>unet</c> boundary network (shared by the <c>train-segmenter</c> verb and the study's train_segmenter
    /// stage, so both give bit-identical weights for the same data, options and seed): <see cref="UNetSegmenter.Train"/> on
    /// <paramref name="raw"/> and its dense instance labels <paramref name="truth"/> (same shape (Z, Y, X)), starting from
    /// the PyTorch state dict at <paramref name="initialWeightsPath"/> when given (transfer learning; same architecture).
    /// <paramref name="progress"/> receives every epoch (epoch 0 = the untrained network). The caller disposes the model.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, labels are negative, or the volume is too small for the split.</exception>
    public static UNetSegmenter TrainUNet(Volume<float> raw, Volume<int> truth, UNetTrainingOptions options, string? initialWeightsPath = null,
        Action<UNetEpoch>? progress = null)
    {
        if (truth.Shape != raw.Shape) throw new ArgumentException($"label shape {truth.Shape} differs from the raw volume's {raw.Shape}");
        options.Validated();
        using var initial = initialWeightsPath is null ? null : UNetSegmenter.FromPyTorch(initialWeightsPath,
            new UNetArchitecture(options.Levels, options.BaseChannels, options.Zero == ZeroLabel.Background ? 2 : 1), options.Zero);
        return UNetSegmenter.Train(raw, truth, options, initial, progress);
    }

    /// <summary>
    /// Reads a training pair: the raw volume at <paramref name="rawPath"/> and its dense instance labels at
    /// <paramref name="labelsPath"/> (any numeric type; 0 = membrane or background), both at voxel size
    /// <paramref name="spacing"/> (µm; null = the raw file's).
    /// </summary>
    /// <exception cref="InvalidDataException">The shapes differ (the message names both files).</exception>
    public static (Volume<float> Raw, Volume<int> Truth) ReadTrainingData(string rawPath, string labelsPath, Spacing? spacing)
    {
        var raw = VolumeFiles.Read(rawPath, spacing).Voxels;
        var truth = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(labelsPath, spacing ?? raw.Spacing).Voxels);
        if (truth.Shape != raw.Shape) throw new InvalidDataException($"{labelsPath}: shape {truth.Shape} differs from {rawPath}'s {raw.Shape}");
        return (raw, truth);
    }

    /// <summary>The merge threshold used when neither the user nor the model chooses one.</summary>
    public const double DefaultMergeThreshold = 0.5;

    /// <summary>Predicts the boundary map of <paramref name="image"/> with the <paramref name="method"/> model at <paramref name="modelPath"/>.</summary>
    public static BoundaryPrediction PredictBoundary(string method, string modelPath, Volume<float> image)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"model {modelPath}: file not found", modelPath);
        return method switch
        {
            "rf" => PredictForest(modelPath, image),
            "unet" => PredictUNet(modelPath, image),
            _ => throw new ArgumentException($"unknown learned segmentation method '{method}'; expected rf or unet", nameof(method)),
        };
    }

    /// <summary>
    /// Boundary map from <see cref="PredictBoundary"/>, agglomerated with <paramref name="options"/> (its merge threshold
    /// replaced by <paramref name="mergeThreshold"/>, or by the model's recommended one when that is null), background masked.
    /// </summary>
    public static LearnedSegmentationResult Run(string method, string modelPath, Volume<float> image, BoundaryAgglomerationOptions options,
        double? mergeThreshold)
    {
        var prediction = PredictBoundary(method, modelPath, image);
        var hash = ContentHash.OfFile(modelPath);
        double merge = mergeThreshold ?? prediction.RecommendedMergeThreshold;
        var (labels, objects, supervoxels) = Agglomerate(prediction.Boundary, prediction.Foreground, options with { MergeThreshold = merge });
        return new LearnedSegmentationResult(labels, objects, supervoxels, prediction.Boundary, merge, hash);
    }

    /// <summary>
    /// Agglomerates <paramref name="boundary"/> into instances and, when <paramref name="foreground"/> is given, sets
    /// background voxels to 0 and renumbers the remaining objects 1..n in raster order.
    /// </summary>
    public static (Volume<int> Labels, int Objects, int Supervoxels) Agglomerate(Volume<float> boundary, Volume<byte>? foreground,
        BoundaryAgglomerationOptions options)
    {
        var result = BoundaryAgglomeration.Run(boundary, options);
        if (foreground is null) return (result.Labels, result.Objects, result.Supervoxels);
        var (labels, objects) = MaskBackground(result.Labels, foreground);
        return (labels, objects, result.Supervoxels);
    }

    private static BoundaryPrediction PredictForest(string path, Volume<float> image)
    {
        var model = PixelClassifier.Load(path);
        var p = model.Predict(image);
        if (p.Length < 2) throw new InvalidDataException($"{path}: a boundary classifier needs at least the classes boundary and interior");
        // Class 2 is the interior; anything else (boundary, background) is boundary for the watershed.
        var b = Array.ConvertAll(p[1].Data, v => 1 - v);
        Volume<byte>? foreground = p.Length >= 3 ? image.WithData(Array.ConvertAll(p[2].Data, v => v < 0.5f ? (byte)1 : (byte)0)) : null;
        return new BoundaryPrediction(image.WithData(b), foreground, DefaultMergeThreshold);
    }

    private static BoundaryPrediction PredictUNet(string path, Volume<float> image)
    {
        using var model = UNetSegmenter.Load(path);
        var (boundary, foreground) = model.PredictBoundary(image);
        return new BoundaryPrediction(boundary, foreground, model.RecommendedMergeThreshold);
    }

    private static (Volume<int>, int) MaskBackground(Volume<int> labels, Volume<byte> foreground)
    {
        var map = new Dictionary<int, int>();
        var data = new int[labels.Length];
        for (int i = 0; i < data.Length; i++)
        {
            if (foreground.Data[i] == 0) continue;
            int l = labels.Data[i];
            if (!map.TryGetValue(l, out int id)) map[l] = id = map.Count + 1;
            data[i] = id;
        }
        return (labels.WithData(data), map.Count);
    }
}
