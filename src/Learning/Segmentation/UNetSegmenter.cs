using System.Text;
using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.ShapeSpace;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ShapeStudy.Learning.Segmentation;

/// <summary>
/// Training settings of <see cref="UNetSegmenter"/>. Patches of <paramref name="PatchZ"/> × <paramref name="PatchY"/> ×
/// <paramref name="PatchX"/> voxels (rounded down to the size multiple and clipped to the training region), batches of
/// <paramref name="BatchSize"/>, <paramref name="StepsPerEpoch"/> Adam steps per epoch, at most <paramref name="Epochs"/>
/// epochs; training stops early when the validation loss has not improved for <paramref name="Patience"/> epochs and the
/// best epoch's weights are kept. The last <paramref name="ValidationFraction"/> of the longer in-plane axis is held out
/// for validation. <paramref name="Threads"/> libtorch intra-op threads (weights are a bit-for-bit function of data, seed
/// and thread count). <paramref name="Zero"/> says whether label 0 of the ground truth is membrane or background
/// (background adds a foreground output channel). <paramref name="CheckpointPath"/>, when set, receives the best model
/// so far after every improving epoch.
/// </summary>
public sealed record UNetTrainingOptions(
    int Levels = 3, int BaseChannels = 12, int Epochs = 40, int StepsPerEpoch = 25, int BatchSize = 2,
    int PatchZ = 32, int PatchY = 64, int PatchX = 64, double LearningRate = 2e-3, int Patience = 8,
    double ValidationFraction = 0.2, ulong Seed = 1, int Threads = 2, ZeroLabel Zero = ZeroLabel.Boundary,
    bool Augment = true, string? CheckpointPath = null)
{
    /// <summary>Throws naming the first out-of-range setting.</summary>
    public UNetTrainingOptions Validated()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be ≥ 1");
        if (StepsPerEpoch < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEpoch), StepsPerEpoch, "steps per epoch must be ≥ 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be ≥ 1");
        if (PatchZ < 1 || PatchY < 1 || PatchX < 1) throw new ArgumentOutOfRangeException(nameof(PatchZ), "patch sizes must be ≥ 1 voxel");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "patience must be ≥ 1 epoch");
        if (!(ValidationFraction is > 0 and < 0.5)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "validation fraction must lie in (0, 0.5)");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "threads must be ≥ 1");
        new UNetArchitecture(Levels, BaseChannels).Validated();
        return this;
    }
}

/// <summary>One epoch of <see cref="UNetSegmenter.Train"/>: mean training loss, validation loss and boundary F1 at p = 0.5.</summary>
public sealed record UNetEpoch(int Epoch, double TrainLoss, double ValidationLoss, double ValidationF1);

/// <summary>
/// How a <see cref="UNetSegmenter"/> was trained. Epoch 0 of <see cref="History"/> is the untrained network (no training
/// loss). <see cref="BestEpoch"/>'s weights are the model's. <paramref name="MergeThreshold"/> is the agglomeration
/// merge threshold chosen on the validation slab by <see cref="UNetSegmenter.ChooseMergeThreshold"/> from the sweep
/// <paramref name="Calibration"/>, with its adapted Rand error <paramref name="ValidationAdaptedRandError"/>; all three
/// are null for models saved before calibration existed.
/// </summary>
public sealed record UNetTrainingSummary(UNetTrainingOptions Options, double BoundaryFraction, double InputMean, double InputStd,
    int BestEpoch, UNetEpoch[] History, bool StoppedEarly, bool TrainedReproducibly, double? MergeThreshold = null,
    double? ValidationAdaptedRandError = null, MergeThresholdCalibration[]? Calibration = null);

/// <summary>Adapted Rand error and object count on the validation slab at one merge threshold.</summary>
public sealed record MergeThresholdCalibration(double MergeThreshold, double AdaptedRandError, int Objects);

/// <summary>
/// A boundary-predicting 3D U-Net (<see cref="UNet3d"/>) trained with TorchSharp on a raw volume and its dense instance
/// labels: targets from <see cref="BoundaryTargets"/>, flips on every axis, 90° in-plane rotations and intensity jitter
/// (gain 0.8–1.2, offset ±0.2 standard deviations), class-balanced binary cross-entropy (each class weighs half),
/// a held-out validation slab, early stopping and checkpoints. Prediction is tiled (<see cref="TiledInference"/>), so
/// volumes of any size work. Models are saved as <c>.ssun</c> files (magic, JSON header, float32 state dict) whose
/// SHA-256 is <see cref="ContentHash"/>; user-supplied PyTorch state dicts load through TorchSharp.PyBridge.
/// </summary>
public sealed class UNetSegmenter : IDisposable
{
    private const string Magic = "SSUN1";
    private readonly UNet3d _net;
    private readonly object _gate = new();

    /// <summary>The network's shape.</summary>
    public UNetArchitecture Architecture => _net.Architecture;

    /// <summary>What label 0 meant in the training labels (decides whether channel 1 is a foreground probability).</summary>
    public ZeroLabel Zero { get; }

    /// <summary>Training record; null for weights imported from PyTorch.</summary>
    public UNetTrainingSummary? Training { get; }

    /// <summary>Lower-case hex SHA-256 of the saved model bytes (<see cref="ToBytes"/>).</summary>
    public string ContentHash { get; }

    private UNetSegmenter(UNet3d net, ZeroLabel zero, UNetTrainingSummary? training)
    {
        _net = net;
        Zero = zero;
        Training = training;
        ContentHash = Core.ContentHash.Of(ToBytes());
    }

    /// <summary>Serializes trainings in this process: libtorch's thread count and generator are process-global.</summary>
    private static readonly object TrainingLock = new();

    /// <summary>
    /// Trains on <paramref name="raw"/> (shape (Z, Y, X)) and dense instance <paramref name="labels"/> of the same shape.
    /// Same data, options and seed give identical weights: the initial weights come from libtorch's generator seeded with
    /// Seed, patches and augmentations from managed streams derived from it, oneMKL runs in its alignment-independent mode,
    /// and libtorch uses <see cref="UNetTrainingOptions.Threads"/> threads (restored afterwards). <paramref name="initial"/>,
    /// when given, supplies starting weights (transfer learning; its architecture must match).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, labels are negative, or the volume is too small for the split.</exception>
    public static UNetSegmenter Train(Volume<float> raw, Volume<int> labels, UNetTrainingOptions options, UNetSegmenter? initial = null,
        Action<UNetEpoch>? progress = null)
    {
        options.Validated();
        if (raw.Shape != labels.Shape) throw new ArgumentException($"labels shape {labels.Shape} differs from the raw volume's {raw.Shape}");
        foreach (var l in labels.Data) if (l < 0) throw new ArgumentException($"label {l} is negative");
        var arch = new UNetArchitecture(options.Levels, options.BaseChannels, options.Zero == ZeroLabel.Background ? 2 : 1);
        if (initial is not null && initial.Architecture != arch)
            throw new ArgumentException($"the initial weights' architecture {initial.Architecture} differs from the requested {arch}");
        int q = arch.SizeMultiple, channels = arch.OutputChannels;

        // Split: the last ValidationFraction of the longer in-plane axis is validation.
        bool alongX = raw.NX >= raw.NY;
        int axisLength = alongX ? raw.NX : raw.NY;
        int validation = Math.Max(q, (int)Math.Round(axisLength * options.ValidationFraction));
        int trainLength = axisLength - validation;
        int pz = Math.Min(options.PatchZ, raw.NZ) / q * q, py = Math.Min(options.PatchY, alongX ? raw.NY : trainLength) / q * q,
            px = Math.Min(options.PatchX, alongX ? trainLength : raw.NX) / q * q;
        if (pz < q || py < q || px < q)
            throw new ArgumentException($"the volume {raw.Shape} is too small: training patches need at least {q} voxels per axis after holding out {validation} for validation");
        if (py != px) py = px = Math.Min(py, px);   // square in-plane patches allow 90° rotations

        var target = BoundaryTargets.FromLabels(labels, options.Zero);
        var (mean, std) = TiledInference.Standardization(raw.Data);
        var x = new float[raw.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((raw.Data[i] - mean) / std);
        var t = new float[channels][];
        t[0] = Array.ConvertAll(target.Boundary.Data, v => (float)v);
        if (channels == 2) t[1] = Array.ConvertAll(target.Foreground!.Data, v => (float)v);
        var region = (Z: raw.NZ, Y: alongX ? raw.NY : trainLength, X: alongX ? trainLength : raw.NX);
        var positive = new double[channels];
        for (int c = 0; c < channels; c++) positive[c] = Math.Clamp(FractionIn(t[c], raw, region), 1e-3, 1 - 1e-3);

        // Validation slab (its own volume; the network sees it mirror-padded like any volume).
        var (vx, vt) = Slab(raw, x, t, alongX, trainLength);

        TorchRuntime.EnsureAvailable();
        bool reproducible = MklReproducibility.EnsureCompatible();
        lock (TrainingLock)
        {
            int threads = torch.get_num_threads();
            torch.set_num_threads(options.Threads);
            try
            {
                torch.manual_seed((long)(options.Seed & long.MaxValue));
                var net = new UNet3d(arch);
                if (initial is not null) CopyState(initial._net, net);
                var rng = Seeds.Rng(Seeds.Child(options.Seed, "unet/patches"));
                var history = new List<UNetEpoch>();
                var tiling = new TilingOptions(64, 96, 96);
                var (v0Loss, v0F1) = Validate(net, vx, vt, positive, tiling);
                history.Add(new UNetEpoch(0, double.NaN, v0Loss, v0F1));
                progress?.Invoke(history[0]);
                double bestLoss = v0Loss;
                int bestEpoch = 0;
                var best = Snapshot(net);
                bool stoppedEarly = false;
                using var optimizer = torch.optim.Adam(net.parameters(), options.LearningRate);
                int patchVoxels = pz * py * px;
                var batchX = new float[options.BatchSize * patchVoxels];
                var batchT = new float[options.BatchSize * channels * patchVoxels];
                var batchW = new float[batchT.Length];
                for (int epoch = 1; epoch <= options.Epochs; epoch++)
                {
                    net.train();
                    double trainLoss = 0;
                    for (int step = 0; step < options.StepsPerEpoch; step++)
                    {
                        for (int b = 0; b < options.BatchSize; b++)
                            SamplePatch(rng, x, t, raw, region, pz, py, px, options.Augment, positive,
                                batchX.AsSpan(b * patchVoxels, patchVoxels), batchT.AsSpan(b * channels * patchVoxels, channels * patchVoxels),
                                batchW.AsSpan(b * channels * patchVoxels, channels * patchVoxels));
                        using var scope = torch.NewDisposeScope();
                        var input = torch.tensor(batchX, [options.BatchSize, 1, pz, py, px]);
                        var truth = torch.tensor(batchT, [options.BatchSize, channels, pz, py, px]);
                        var weight = torch.tensor(batchW, [options.BatchSize, channels, pz, py, px]);
                        optimizer.zero_grad();
                        var loss = nn.functional.binary_cross_entropy_with_logits(net.forward(input), truth, weight);
                        loss.backward();
                        optimizer.step();
                        trainLoss += loss.item<float>();
                    }
                    var (vLoss, vF1) = Validate(net, vx, vt, positive, tiling);
                    var record = new UNetEpoch(epoch, trainLoss / options.StepsPerEpoch, vLoss, vF1);
                    history.Add(record);
                    progress?.Invoke(record);
                    if (vLoss < bestLoss)
                    {
                        bestLoss = vLoss;
                        bestEpoch = epoch;
                        best = Snapshot(net);
                        if (options.CheckpointPath is { } checkpoint)
                        {
                            var partial = new UNetSegmenter(net, options.Zero, Summary());
                            ModelFiles.WriteAtomically(checkpoint, partial.ToBytes());
                        }
                    }
                    else if (epoch - bestEpoch >= options.Patience)
                    {
                        stoppedEarly = true;
                        break;
                    }
                }
                Restore(net, best);
                net.eval();
                var calibration = CalibrateMergeThreshold(CombineChannels(TiledInference.PredictStandardized(net, vx, tiling)),
                    SlabOf(labels, labels.Data, alongX, trainLength));
                var chosen = ChooseMergeThreshold(calibration);
                return new UNetSegmenter(net, options.Zero, Summary() with
                {
                    MergeThreshold = chosen.MergeThreshold, ValidationAdaptedRandError = chosen.AdaptedRandError, Calibration = calibration,
                });

                UNetTrainingSummary Summary() => new(options, positive[0], mean, std, bestEpoch, history.ToArray(), stoppedEarly, reproducible);
            }
            finally
            {
                torch.set_num_threads(threads);
            }
        }
    }

    private static double FractionIn(float[] t, Volume<float> shape, (int Z, int Y, int X) region)
    {
        double sum = 0;
        for (int z = 0; z < region.Z; z++)
            for (int y = 0; y < region.Y; y++)
                for (int x = 0; x < region.X; x++) sum += t[shape.Index(z, y, x)];
        return sum / ((double)region.Z * region.Y * region.X);
    }

    /// <summary>The validation slab of a volume of <paramref name="shape"/>'s size: the input, targets and labels from <paramref name="from"/> on along the longer in-plane axis.</summary>
    private static (Volume<float> X, float[][] T) Slab(Volume<float> shape, float[] x, float[][] t, bool alongX, int from)
    {
        var sx = SlabOf(shape, x, alongX, from);
        return (sx, t.Select(c => SlabOf(shape, c, alongX, from).Data).ToArray());
    }

    /// <summary>The part of <paramref name="data"/> (laid out like <paramref name="shape"/>) from <paramref name="from"/> on along x (or y).</summary>
    private static Volume<T> SlabOf<T, TShape>(Volume<TShape> shape, T[] data, bool alongX, int from) where T : unmanaged where TShape : unmanaged
    {
        int nz = shape.NZ, ny = alongX ? shape.NY : shape.NY - from, nx = alongX ? shape.NX - from : shape.NX;
        var slab = new T[nz * ny * nx];
        for (int z = 0, k = 0; z < nz; z++)
            for (int y = 0; y < ny; y++)
                for (int xx = 0; xx < nx; xx++, k++)
                    slab[k] = data[(z * shape.NY + (alongX ? y : y + from)) * shape.NX + (alongX ? xx + from : xx)];
        return new Volume<T>(nz, ny, nx, shape.Spacing, slab);
    }

    /// <summary>
    /// The calibrated choice: among the thresholds whose adapted Rand error is within 0.001 of the lowest (a plateau is
    /// common on clean data), the middle one, so that the choice does not sit at the edge of the good range.
    /// </summary>
    public static MergeThresholdCalibration ChooseMergeThreshold(IReadOnlyList<MergeThresholdCalibration> sweep)
    {
        if (sweep.Count == 0) throw new ArgumentException("the calibration sweep is empty", nameof(sweep));
        double best = sweep.Min(c => c.AdaptedRandError);
        var near = sweep.Where(c => c.AdaptedRandError <= best + 1e-3).OrderBy(c => c.MergeThreshold).ToList();
        return near[(near.Count - 1) / 2];
    }

    /// <summary>Merge thresholds tried by <see cref="CalibrateMergeThreshold"/>: 0.05 to 0.95 in steps of 0.05.</summary>
    public static IReadOnlyList<double> CalibrationThresholds { get; } = Enumerable.Range(1, 19).Select(i => i * 0.05).ToArray();

    /// <summary>
    /// Agglomerates the predicted <paramref name="boundary"/> map (with its foreground mask, if any) of a held-out volume at
    /// every <see cref="CalibrationThresholds"/> value (interior threshold 0.5, default seeds, no size filter) and scores
    /// each against the instance labels <paramref name="truth"/> (same shape (Z, Y, X); label 0 ignored) by adapted Rand error.
    /// </summary>
    public static MergeThresholdCalibration[] CalibrateMergeThreshold((Volume<float> Boundary, Volume<byte>? Foreground) boundary, Volume<int> truth)
    {
        if (boundary.Boundary.Shape != truth.Shape) throw new ArgumentException($"boundary map shape {boundary.Boundary.Shape} differs from the labels' {truth.Shape}");
        return CalibrationThresholds.Select(t =>
        {
            var (labels, objects, _) = LearnedSegmentation.Agglomerate(boundary.Boundary, boundary.Foreground,
                new BoundaryAgglomerationOptions(MergeThreshold: t));
            return new MergeThresholdCalibration(t, SegmentationMetrics.AdaptedRandError(truth, labels).Error, objects);
        }).ToArray();
    }

    /// <summary>Class-balanced BCE (as in training) and boundary F1 at p = 0.5 on the validation slab.</summary>
    private static (double Loss, double F1) Validate(UNet3d net, Volume<float> vx, float[][] vt, double[] positive, TilingOptions tiling)
    {
        var p = TiledInference.PredictStandardized(net, vx, tiling);
        double loss = 0;
        for (int c = 0; c < vt.Length; c++)
        {
            double wp = 0.5 / positive[c], wn = 0.5 / (1 - positive[c]);
            for (int i = 0; i < vx.Length; i++)
            {
                double pi = Math.Clamp(p[c].Data[i], 1e-7, 1 - 1e-7);
                loss -= vt[c][i] > 0.5 ? wp * Math.Log(pi) : wn * Math.Log(1 - pi);
            }
        }
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < vx.Length; i++)
        {
            bool predicted = p[0].Data[i] > 0.5f, actual = vt[0][i] > 0.5f;
            if (predicted && actual) tp++;
            else if (predicted) fp++;
            else if (actual) fn++;
        }
        return (loss / (vx.Length * (double)vt.Length), tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn));
    }

    /// <summary>Draws one augmented patch with its targets and class-balancing weights.</summary>
    private static void SamplePatch(Random rng, float[] x, float[][] t, Volume<float> shape, (int Z, int Y, int X) region,
        int pz, int py, int px, bool augment, double[] positive, Span<float> patch, Span<float> target, Span<float> weight)
    {
        int z0 = rng.Next(region.Z - pz + 1), y0 = rng.Next(region.Y - py + 1), x0 = rng.Next(region.X - px + 1);
        bool flipZ = false, flipY = false, flipX = false;
        int rotations = 0;
        float gain = 1, offset = 0;
        if (augment)
        {
            flipZ = rng.Next(2) == 1; flipY = rng.Next(2) == 1; flipX = rng.Next(2) == 1;
            rotations = rng.Next(4);
            gain = (float)(0.8 + 0.4 * rng.NextDouble());
            offset = (float)(0.4 * rng.NextDouble() - 0.2);
        }
        int channels = t.Length, voxels = pz * py * px;
        for (int z = 0, k = 0; z < pz; z++)
            for (int y = 0; y < py; y++)
                for (int xx = 0; xx < px; xx++, k++)
                {
                    // Output (y, x) reads source (sy, sx) rotated by `rotations` quarter turns in the square plane.
                    int sy = y, sx = xx;
                    for (int r = 0; r < rotations; r++) (sy, sx) = (sx, py - 1 - sy);
                    int gz = z0 + (flipZ ? pz - 1 - z : z), gy = y0 + (flipY ? py - 1 - sy : sy), gx = x0 + (flipX ? px - 1 - sx : sx);
                    int g = shape.Index(gz, gy, gx);
                    patch[k] = gain * x[g] + offset;
                    for (int c = 0; c < channels; c++)
                    {
                        float v = t[c][g];
                        target[c * voxels + k] = v;
                        weight[c * voxels + k] = (float)(v > 0.5f ? 0.5 / positive[c] : 0.5 / (1 - positive[c]));
                    }
                }
    }

    private static List<(string Name, Tensor Value)> Snapshot(UNet3d net)
    {
        using var noGrad = torch.no_grad();
        return net.state_dict().Select(kv => (kv.Key, kv.Value.detach().clone())).ToList();
    }

    private static void Restore(UNet3d net, List<(string Name, Tensor Value)> state)
    {
        using var noGrad = torch.no_grad();
        var current = net.state_dict();
        foreach (var (name, value) in state) current[name].copy_(value);
    }

    private static void CopyState(UNet3d from, UNet3d to) => Restore(to, Snapshot(from));

    /// <summary>
    /// An untrained network (PyTorch's default initialization from libtorch's generator seeded with <paramref name="seed"/>,
    /// batch-norm statistics 0/1), e.g. the reference point "before training" or a bench subject.
    /// </summary>
    public static UNetSegmenter CreateUntrained(UNetArchitecture architecture, ZeroLabel zero, ulong seed)
    {
        TorchRuntime.EnsureAvailable();
        lock (TrainingLock)
        {
            torch.manual_seed((long)(seed & long.MaxValue));
            var net = new UNet3d(architecture.Validated());
            net.eval();
            return new UNetSegmenter(net, zero, null);
        }
    }

    /// <summary>
    /// One forward pass on exactly <paramref name="input"/> (shape (Z, Y, X) = <paramref name="shape"/>, each a multiple of
    /// <see cref="UNetArchitecture.SizeMultiple"/>, used as given: no standardization, zero padding at the border), eval mode;
    /// returns the sigmoid probabilities channel-major, shape (OutputChannels, Z, Y, X).
    /// </summary>
    public float[] Forward(float[] input, (int Z, int Y, int X) shape)
    {
        int q = Architecture.SizeMultiple;
        if (shape.Z % q != 0 || shape.Y % q != 0 || shape.X % q != 0 || input.Length != shape.Z * shape.Y * shape.X)
            throw new ArgumentException($"input must hold Z·Y·X values with every size a multiple of {q}, got {shape} and {input.Length} values");
        lock (_gate)
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            _net.eval();
            return torch.sigmoid(_net.forward(torch.tensor(input, [1, 1, shape.Z, shape.Y, shape.X]))).contiguous().data<float>().ToArray();
        }
    }

    /// <summary>
    /// Boundary probability (channel 0) and, for models trained with background, foreground probability (channel 1),
    /// each shape (Z, Y, X) with <paramref name="raw"/>'s spacing, values in [0, 1]. Thread-safe (calls are serialized).
    /// </summary>
    public Volume<float>[] Predict(Volume<float> raw, TilingOptions? tiling = null)
    {
        lock (_gate) return TiledInference.Predict(_net, raw, tiling ?? new TilingOptions());
    }

    /// <summary>
    /// The boundary map to agglomerate: channel 0, raised to 1 − foreground where a foreground channel says background,
    /// and the foreground mask (null without a foreground channel).
    /// </summary>
    public (Volume<float> Boundary, Volume<byte>? Foreground) PredictBoundary(Volume<float> raw, TilingOptions? tiling = null) =>
        CombineChannels(Predict(raw, tiling));

    /// <summary>The merge threshold calibrated on the validation slab during training, or 0.5 when the model has none.</summary>
    public double RecommendedMergeThreshold => Training?.MergeThreshold ?? LearnedSegmentation.DefaultMergeThreshold;

    private static (Volume<float> Boundary, Volume<byte>? Foreground) CombineChannels(Volume<float>[] p)
    {
        var raw = p[0];
        if (p.Length == 1) return (p[0], null);
        var b = new float[raw.Length];
        var f = new byte[raw.Length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = Math.Max(p[0].Data[i], 1 - p[1].Data[i]);
            f[i] = p[1].Data[i] > 0.5f ? (byte)1 : (byte)0;
        }
        return (raw.WithData(b), raw.WithData(f));
    }

    /// <summary>The network's state dict as managed float arrays (name → values in row-major order), for comparisons.</summary>
    public IReadOnlyList<(string Name, long[] Shape, float[] Values)> Weights()
    {
        lock (_gate)
            return _net.state_dict().Select(kv => (kv.Key, kv.Value.shape,
                kv.Value.to_type(ScalarType.Float32).contiguous().data<float>().ToArray())).ToList();
    }

    /// <summary>Model bytes: magic, JSON header (architecture, zero-label meaning, training record), then the state dict.</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(new Header(Architecture, Zero, Training), Json));
            var state = Weights();
            w.Write(state.Count);
            foreach (var (name, shape, values) in state)
            {
                w.Write(name);
                w.Write(shape.Length);
                foreach (var d in shape) w.Write(d);
                w.Write(values.Length);
                foreach (var v in values) w.Write(v);
            }
        }
        return ms.ToArray();
    }

    /// <summary>Writes the model atomically; returns its content hash.</summary>
    public string Save(string path)
    {
        ModelFiles.WriteAtomically(path, ToBytes());
        return ContentHash;
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a U-Net model, corrupt, or inconsistent; the message names the file.</exception>
    public static UNetSegmenter Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        TorchRuntime.EnsureAvailable();
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (r.ReadString() != Magic) throw new InvalidDataException($"{path}: not a ShapeStudy U-Net model (bad magic)");
            var header = JsonSerializer.Deserialize<Header>(r.ReadString(), Json) ?? throw new InvalidDataException($"{path}: empty model header");
            var net = new UNet3d(header.Architecture.Validated());
            var state = net.state_dict();
            int count = r.ReadInt32();
            if (count != state.Count) throw new InvalidDataException($"{path}: {count} tensors stored, the architecture has {state.Count}");
            using (torch.no_grad())
                for (int k = 0; k < count; k++)
                {
                    string name = r.ReadString();
                    if (!state.TryGetValue(name, out var tensor)) throw new InvalidDataException($"{path}: unexpected tensor '{name}'");
                    var shape = new long[r.ReadInt32()];
                    for (int d = 0; d < shape.Length; d++) shape[d] = r.ReadInt64();
                    if (!shape.SequenceEqual(tensor.shape)) throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(',', shape)}], expected [{string.Join(',', tensor.shape)}]");
                    var values = new float[r.ReadInt32()];
                    if (values.Length != tensor.numel()) throw new InvalidDataException($"{path}: tensor '{name}' holds {values.Length} values, expected {tensor.numel()}");
                    for (int i = 0; i < values.Length; i++) values[i] = r.ReadSingle();
                    tensor.copy_(torch.tensor(values, shape).to_type(tensor.dtype));
                }
            if (r.BaseStream.Position != bytes.Length) throw new InvalidDataException($"{path}: trailing bytes after the state dict");
            net.eval();
            return new UNetSegmenter(net, header.Zero, header.Training);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: corrupt U-Net model ({e.Message})", e);
        }
    }

    /// <summary>
    /// A segmenter from a PyTorch state dict (<c>torch.save(model.state_dict(), path)</c>) of the same network
    /// (<c>bench/unet_peer.py</c>'s <c>UNet3d</c>), read with TorchSharp.PyBridge; every parameter and buffer must be present
    /// with the architecture's shape. Use it as <c>initial</c> of <see cref="Train"/> to fine-tune.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a readable state dict or does not match the architecture.</exception>
    public static UNetSegmenter FromPyTorch(string path, UNetArchitecture architecture, ZeroLabel zero)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: PyTorch weights file not found", path);
        TorchRuntime.EnsureAvailable();
        var net = new UNet3d(architecture.Validated());
        System.Collections.Hashtable file;
        try
        {
            file = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable PyTorch state dict ({e.GetType().Name}: {e.Message})", e);
        }
        // Strict: every parameter and buffer present with the architecture's shape, nothing else (PyBridge's load_py does not
        // compare shapes, so the check is done here on the unpickled tensors before copying).
        var state = net.state_dict();
        foreach (var key in file.Keys)
            if (key is not string name || !state.ContainsKey(name))
                throw new InvalidDataException($"{path}: unexpected entry '{key}' for {architecture}");
        using (torch.no_grad())
            foreach (var (name, target) in state)
            {
                if (file[name] is not Tensor source)
                    throw new InvalidDataException($"{path}: tensor '{name}' of {architecture} is missing");
                if (!source.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(',', source.shape)}], {architecture} needs [{string.Join(',', target.shape)}]");
                target.copy_(source.to_type(target.dtype));
            }
        net.eval();
        return new UNetSegmenter(net, zero, null);
    }

    /// <summary>Writes the weights as a PyTorch state dict (loadable with <c>torch.load</c>) through TorchSharp.PyBridge.</summary>
    public void ExportPyTorch(string path)
    {
        lock (_gate) _net.save_py(path);
    }

    /// <inheritdoc />
    public void Dispose() => _net.Dispose();

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private sealed record Header(UNetArchitecture Architecture, ZeroLabel Zero, UNetTrainingSummary? Training);
}
