using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>The train_segmenter stage and segmentation with the model it stored.</summary>
public sealed partial class StageRunner
{
    /// <summary>Trains the study's rf boundary classifier (the train-segmenter verb's code path) and stores the model file's bytes.</summary>
    private TrainSegmenterResult TrainSegmenter(TrainSegmenterPayload p)
    {
        string rawPath = p.RawPath ?? throw new ArgumentException("train_segmenter needs the raw volume's path");
        string labelPath = p.LabelsPath ?? throw new ArgumentException("train_segmenter needs the label volume's path");
        CheckUnchanged(rawPath, p.RawSha256);
        CheckUnchanged(labelPath, p.LabelsSha256);
        var spacing = p.SpacingUm is { } s ? new Spacing(s[0], s[1], s[2]) : (Spacing?)null;
        var raw = VolumeFiles.Read(rawPath, spacing).Voxels;
        var truth = SegmentationMetrics.LabelsFromSamples(VolumeFiles.Read(labelPath, spacing ?? raw.Spacing).Voxels);
        if (truth.Shape != raw.Shape) throw new InvalidDataException($"{labelPath}: shape {truth.Shape} differs from {rawPath}'s {raw.Shape}");
        var (model, training) = LearnedSegmentation.TrainForest(raw, truth, ZeroLabel.Boundary, p.Trees, p.Seed, p.MaxSamples, p.Slices);
        var file = Path.Combine(Path.GetTempPath(), $"shapestudy-rf-{Guid.NewGuid():N}.sspc");
        try
        {
            model.Save(file);
            var bytes = File.ReadAllBytes(file);
            return new TrainSegmenterResult(store.Put(bytes, "rf_model"), ContentHash.OfFile(file), training.Features, training.SamplesUsed,
                training.LabelledVoxelsPerClass.Sum());
        }
        finally { File.Delete(file); }
    }

    /// <summary>Segments with the model the train_segmenter stage stored (its bytes are checked against the model hash).</summary>
    private SegmentationResult TrainedModelSegmentation(SegmentPayload p, LearnedModel model, ArtifactRef trained, ImageVolume image)
    {
        var file = Path.Combine(Path.GetTempPath(), $"shapestudy-rf-{Guid.NewGuid():N}{LearnedSegmentation.ModelExtension(p.Method)}");
        try
        {
            File.WriteAllBytes(file, store.Get(trained));
            var r = LearnedSegmentation.Run(p.Method, file, image.Voxels,
                new BoundaryAgglomerationOptions(model.InteriorThreshold, p.HUm, LearnedSegmentation.DefaultMergeThreshold, 0, p.MinVolumeUm3).Validated(),
            model.MergeThreshold);
            if (r.ModelSha256 != model.Sha256)
                throw new InvalidDataException($"trained model artifact {trained.Sha256}: file hash {r.ModelSha256} differs from the recorded {model.Sha256}");
            return new SegmentationResult(r.Labels, r.Objects, model.InteriorThreshold, r.Supervoxels, r.MergeThreshold);
        }
        finally { File.Delete(file); }
    }

    private static void CheckUnchanged(string path, string sha256)
    {
        if (File.Exists(path) && ContentHash.OfFile(path) != sha256)
            throw new InvalidDataException($"{path}: the file changed since the study was planned (sha256 {sha256}); run the study again");
    }
}
