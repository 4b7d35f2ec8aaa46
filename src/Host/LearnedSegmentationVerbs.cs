using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Learning;
using ShapeStudy.Learning.Segmentation;

namespace ShapeStudy.Host;

/// <summary>
/// Learned segmentation verbs: <c>train-segmenter</c> (random-forest pixel classifier or 3D U-Net from a raw volume and
/// dense instance labels) and the <c>rf</c>/<c>unet</c> methods of <c>segment</c> (boundary map → seeded watershed →
/// mean-boundary agglomeration).
/// </summary>
public static class LearnedSegmentationVerbs
{
    public static Command TrainSegmenter(TextWriter output, TextWriter errors)
    {
        var raw = new Option<string>("--raw") { Description = "Raw training volume (TIFF/OME-TIFF, MRC or .npy).", Required = true };
        var labels = new Option<string>("--labels") { Description = "Dense instance labels of the same shape.", Required = true };
        var method = new Option<string>("--method") { Description = "rf (random-forest pixel classifier) or unet (3D U-Net).", Required = true };
        method.AcceptOnlyFromAmong("rf", "unet");
        var outPath = new Option<string>("--out") { Description = "Model file to write (.sspc for rf, .ssun for unet by convention).", Required = true };
        var zero = new Option<string>("--zero-label") { Description = "Meaning of label 0: boundary (membrane between objects) or background (outside every object).", DefaultValueFactory = _ => "boundary" };
        zero.AcceptOnlyFromAmong("boundary", "background");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights, patches and augmentations (rf: of the forest).", DefaultValueFactory = _ => 1 };
        var spacing = new Option<string?>("--spacing-um") { Description = "Voxel size z,y,x in µm (overrides the file's)." };
        var epochs = new Option<int>("--epochs") { Description = "unet: maximum epochs.", DefaultValueFactory = _ => 40 };
        var steps = new Option<int>("--steps-per-epoch") { Description = "unet: Adam steps per epoch.", DefaultValueFactory = _ => 25 };
        var batch = new Option<int>("--batch") { Description = "unet: patches per step.", DefaultValueFactory = _ => 2 };
        var patch = new Option<string>("--patch") { Description = "unet: patch size z,y,x in voxels.", DefaultValueFactory = _ => "32,64,64" };
        var levels = new Option<int>("--levels") { Description = "unet: resolution levels.", DefaultValueFactory = _ => 3 };
        var channels = new Option<int>("--base-channels") { Description = "unet: feature channels at full resolution.", DefaultValueFactory = _ => 12 };
        var rate = new Option<double>("--learning-rate") { Description = "unet: Adam learning rate.", DefaultValueFactory = _ => 2e-3 };
        var patience = new Option<int>("--patience") { Description = "unet: stop after this many epochs without a better validation loss.", DefaultValueFactory = _ => 8 };
        var threads = new Option<int>("--threads") { Description = "unet: libtorch threads (the weights depend on data, seed and this count).", DefaultValueFactory = _ => 2 };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "unet: write the best model so far here after every improving epoch." };
        var init = new Option<string?>("--init-weights") { Description = "unet: start from a PyTorch state dict (.pt) of the same architecture (transfer learning)." };
        var trees = new Option<int>("--trees") { Description = "rf: trees in the forest.", DefaultValueFactory = _ => 32 };
        var samples = new Option<int>("--max-samples") { Description = "rf: labelled voxels used for training.", DefaultValueFactory = _ => 200_000 };
        var cmd = new Command("train-segmenter", "Train a boundary classifier (random forest or 3D U-Net) from a raw volume and dense instance labels; prints the model's content hash.")
            { raw, labels, method, outPath, zero, seed, spacing, epochs, steps, batch, patch, levels, channels, rate, patience, threads, checkpoint, init, trees, samples };
        cmd.SetAction(parse => ImagingVerbs.Guard(errors, () =>
        {
            var clock = Stopwatch.StartNew();
            var sp = ImagingVerbs.ParseSpacing(parse.GetValue(spacing));
            string rawPath = parse.GetValue(raw)!, labelPath = parse.GetValue(labels)!, path = parse.GetValue(outPath)!;
            var (image, truth) = LearnedSegmentation.ReadTrainingData(rawPath, labelPath, sp);
            var zeroLabel = parse.GetValue(zero) == "background" ? ZeroLabel.Background : ZeroLabel.Boundary;
            string hash, summary;
            if (parse.GetValue(method) == "rf")
            {
                var (model, training) = LearnedSegmentation.TrainForest(image, truth, zeroLabel, parse.GetValue(trees), parse.GetValue(seed),
                    parse.GetValue(samples));
                model.Save(path);
                hash = ContentHash.OfFile(path);
                summary = $"random forest: {training.Trees} trees, {training.Features} features, {training.SamplesUsed} samples of {training.LabelledVoxelsPerClass.Sum()} labelled voxels";
            }
            else
            {
                var p = ParseTriple(parse.GetValue(patch)!, "--patch");
                var options = new UNetTrainingOptions(parse.GetValue(levels), parse.GetValue(channels), parse.GetValue(epochs), parse.GetValue(steps),
                    parse.GetValue(batch), p[0], p[1], p[2], parse.GetValue(rate), parse.GetValue(patience), 0.2, parse.GetValue(seed),
                    parse.GetValue(threads), zeroLabel, true, parse.GetValue(checkpoint)).Validated();
                output.WriteLine($"training a 3D U-Net ({options.Levels} levels, {options.BaseChannels} base channels) on {rawPath} {image.NZ}×{image.NY}×{image.NX} with {options.Threads} libtorch thread(s); TorchSharp {TorchRuntime.Describe().TorchSharpVersion} / libtorch {TorchRuntime.Describe().LibTorchVersion}");
                using var model = LearnedSegmentation.TrainUNet(image, truth, options, parse.GetValue(init), e => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  epoch {e.Epoch,3}: train loss {e.TrainLoss:F4}, validation loss {e.ValidationLoss:F4}, boundary F1 {e.ValidationF1:F3}  [{clock.Elapsed.TotalSeconds:F0} s]")));
                hash = model.Save(path);
                var t = model.Training!;
                output.WriteLine("  merge-threshold sweep on the validation slab (threshold: adapted Rand error, objects): " +
                    string.Join(", ", t.Calibration!.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.MergeThreshold:0.00}: {c.AdaptedRandError:F3} ({c.Objects})"))));
                summary = string.Create(CultureInfo.InvariantCulture,
                    $"U-Net: best epoch {t.BestEpoch} of {t.History.Length - 1}{(t.StoppedEarly ? " (stopped early)" : "")}, validation boundary F1 {t.History[t.BestEpoch].ValidationF1:F3} (untrained {t.History[0].ValidationF1:F3}), merge threshold {t.MergeThreshold:0.##} (validation adapted Rand error {t.ValidationAdaptedRandError:F3}), reproducible MKL {t.TrainedReproducibly}");
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{summary} → {path} sha256 {hash} in {clock.Elapsed.TotalSeconds:F1} s"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Options the <c>segment</c> verb adds for its <c>rf</c> and <c>unet</c> methods.</summary>
    internal sealed class SegmentOptions
    {
        private readonly Option<string?> _model = new("--model") { Description = "rf/unet: model file written by train-segmenter." };
        private readonly Option<double> _interior = new("--interior-threshold") { Description = "rf/unet: boundary probability below which a voxel is cell interior (seeds).", DefaultValueFactory = _ => 0.5 };
        private readonly Option<double?> _merge = new("--merge-threshold") { Description = "merge neighbouring supervoxels whose shared boundary has a mean probability below this (default: the U-Net's threshold calibrated on its validation slab, else 0.5)." };
        private readonly Option<string?> _probabilities = new("--probabilities") { Description = "rf/unet: also write the boundary probability map here (float32)." };

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(_model);
            cmd.Options.Add(_interior);
            cmd.Options.Add(_merge);
            cmd.Options.Add(_probabilities);
        }

        public int Run(ParseResult parse, string volumePath, string method, string outPath, Spacing? spacing, double? hUm, double minVolumeUm3, TextWriter output)
        {
            var clock = Stopwatch.StartNew();
            var image = VolumeFiles.Read(volumePath, spacing).Voxels;
            string modelNote;
            Volume<float> boundary;
            Volume<byte>? foreground = null;
            double recommended = LearnedSegmentation.DefaultMergeThreshold;
            if (method == "boundary")
            {
                foreach (var v in image.Data)
                    if (!(v >= 0 && v <= 1)) throw new InvalidDataException($"{volumePath}: --method boundary needs probabilities in [0, 1], found {v}");
                boundary = image;
                modelNote = "boundary map";
            }
            else
            {
                string modelPath = parse.GetValue(_model) ?? throw new ArgumentException($"--method {method} needs --model (a file written by train-segmenter)");
                if (!File.Exists(modelPath)) throw new FileNotFoundException($"--model {modelPath}: file not found", modelPath);
                var prediction = LearnedSegmentation.PredictBoundary(method, modelPath, image);
                (boundary, foreground, recommended) = (prediction.Boundary, prediction.Foreground, prediction.RecommendedMergeThreshold);
                modelNote = $"{method} model {modelPath} sha256 {ContentHash.OfFile(modelPath)}";
            }
            if (parse.GetValue(_probabilities) is { } probabilityPath) VolumeFiles.Write(probabilityPath, boundary);
            double merge = parse.GetValue(_merge) ?? recommended;
            var (labels, objects, supervoxels) = LearnedSegmentation.Agglomerate(boundary, foreground,
                new BoundaryAgglomerationOptions(parse.GetValue(_interior), hUm, merge, 0, minVolumeUm3));
            ImagingVerbs.WriteLabels(outPath, labels, objects);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{volumePath} {image.NZ}×{image.NY}×{image.NX}: {modelNote}, {objects} objects from {supervoxels} supervoxels at merge threshold {merge:0.##} → {outPath} in {clock.Elapsed.TotalSeconds:F2} s"));
            return 0;
        }
    }

    private static int[] ParseTriple(string text, string option)
    {
        var parts = text.Split(',');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0))
            throw new ArgumentException($"{option}: expected three positive integers z,y,x, got '{text}'");
        return parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
    }
}
