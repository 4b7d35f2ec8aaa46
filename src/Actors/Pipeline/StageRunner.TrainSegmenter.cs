using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning.Segmentation;
using ShapeStudy.Study.Pipeline;

namespace ShapeStudy.Actors.Pipeline;

/// <summary>The train_segmenter stage and segmentation with the model it stored.</summary>
public sealed partial class StageRunner
{
    /// <summary>
    /// Trains the study's boundary model on the train-segmenter verb's code path (rf: <see cref="LearnedSegmentation.TrainForest"/>,
    /// unet: <see cref="LearnedSegmentation.TrainUNet"/>) and stores the model file's bytes.
    /// </summary>
    private TrainSegmenterResult TrainSegmenter(TrainSegmenterPayload p, Action<string>? progress = null)
    {
        string rawPath = p.RawPath ?? throw new ArgumentException("train_segmenter needs the raw volume's path");
        string labelPath = p.LabelsPath ?? throw new ArgumentException("train_segmenter needs the label volume's path");
        CheckUnchanged(rawPath, p.RawSha256);
        CheckUnchanged(labelPath, p.LabelsSha256);
        var spacing = p.SpacingUm is { } s ? new Spacing(s[0], s[1], s[2]) : (Spacing?)null;
        var (raw, truth) = LearnedSegmentation.ReadTrainingData(rawPath, labelPath, spacing);
        var zero = p.ZeroIsBackground ? ZeroLabel.Background : ZeroLabel.Boundary;
        if (p.Method == "unet") return TrainUNet(p, raw, truth, zero, progress);
        if (p.Method != "rf") throw new ArgumentException($"train_segmenter: unknown method '{p.Method}'; expected rf or unet");
        var (model, training) = LearnedSegmentation.TrainForest(raw, truth, zero, p.Trees, p.Seed, p.MaxSamples, p.Slices);
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

    /// <summary>The unet branch: the verb's options (validation fraction 0.2, augmentation on, no checkpoint) and the .ssun bytes.</summary>
    private TrainSegmenterResult TrainUNet(TrainSegmenterPayload p, Volume<float> raw, Volume<int> truth, ZeroLabel zero, Action<string>? progress)
    {
        var u = p.UNet ?? throw new ArgumentException("train_segmenter: method unet needs the U-Net settings");
        var options = new UNetTrainingOptions(u.Levels, u.BaseChannels, u.Epochs, u.StepsPerEpoch, u.Batch, u.PatchZ, u.PatchY, u.PatchX,
            u.LearningRate, u.Patience, 0.2, p.Seed, u.Threads, zero, true, null).Validated();
        using var model = LearnedSegmentation.TrainUNet(raw, truth, options, progress: progress is null ? null : e => progress(EpochLine(e, u.Epochs)));
        var bytes = model.ToBytes();
        var t = model.Training!;
        return new TrainSegmenterResult(store.Put(bytes, "unet_model"), ContentHash.Of(bytes), 0, 0, raw.Length)
        {
            UNet = new UNetTrainingOutcome(t.BestEpoch, t.History.Length - 1, t.History[t.BestEpoch].ValidationF1, t.History[0].ValidationF1,
                t.StoppedEarly, t.TrainedReproducibly, t.MergeThreshold),
        };
    }

    /// <summary>One progress line per epoch, e.g. "epoch 12/40: validation boundary F1 0.823" (epoch 0 is the untrained network).</summary>
    internal static string EpochLine(UNetEpoch e, int epochs) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{epochs}: validation boundary F1 {e.ValidationF1:F3}");

    /// <summary>Segments with the model the train_segmenter stage stored (its bytes are checked against the model hash).</summary>
    private SegmentationResult TrainedModelSegmentation(SegmentPayload p, LearnedModel model, ArtifactRef trained, ImageVolume image)
    {
        var file = Path.Combine(Path.GetTempPath(), $"shapestudy-{p.Method}-{Guid.NewGuid():N}{LearnedSegmentation.ModelExtension(p.Method)}");
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
