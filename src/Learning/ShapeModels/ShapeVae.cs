using ShapeStudy.ShapeSpace;
using TorchSharp;
using static TorchSharp.torch;

namespace ShapeStudy.Learning;

/// <summary>Training settings of a <see cref="ShapeVae"/>.</summary>
/// <param name="LatentSize">Latent dimension d (compare with PCA at the same number of modes).</param>
/// <param name="Hidden">Width of the single tanh hidden layer of the encoder and of the decoder.</param>
/// <param name="Epochs">Full-batch Adam steps.</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="Beta">Weight of the KL term (β-VAE; 1 = the evidence lower bound).</param>
/// <param name="WeightDecay">Adam L2 weight decay.</param>
/// <param name="Seed">Seeds the weight initialization (managed streams per layer; torch.manual_seed is also set) and the
/// reparameterization noise (a dedicated torch generator).</param>
public sealed record VaeOptions(int LatentSize, int Hidden = 32, int Epochs = 1500, double LearningRate = 3e-3, double Beta = 1.0,
    double WeightDecay = 1e-4, ulong Seed = 20261125);

/// <summary>
/// A variational autoencoder over spherical-harmonic coefficient vectors (length (Lmax + 1)², µm, aligned frames),
/// trained with TorchSharp in float64 on the CPU. Inputs are centred by the training mean and divided by one global
/// scale s (the root of the mean per-coefficient variance), so the squared error in normalized units is the L² radial
/// error over the sphere divided by 4π s² (Parseval). Encoder x → tanh(W₁x + b₁) → (μ, log σ²); decoder
/// z → tanh(W₃z + b₃) → W₄h + b₄. Loss per shape: ½‖x − x̂‖² + β·KL(N(μ, σ²) ‖ N(0, I)) (a unit-variance Gaussian
/// decoder in normalized units), minimized full-batch with Adam.
/// After training the weights are copied out and <see cref="Encode"/> (posterior mean μ) and <see cref="Decode"/> run
/// in managed code, so a trained or reloaded model is deterministic and thread-safe without touching libtorch.
/// </summary>
public sealed class ShapeVae : ILatentShapeModel
{
    /// <summary>Serialization format name.</summary>
    public const string Format = "shapestudy.shape-vae/1";

    private readonly Payload _p;
    private readonly Dictionary<string, Layer> _layers;

    /// <inheritdoc />
    public string Kind => "vae";
    /// <inheritdoc />
    public int Lmax => _p.Lmax;
    /// <inheritdoc />
    public int LatentSize => _p.Options.LatentSize;
    /// <inheritdoc />
    public string ContentHash { get; }
    /// <summary>Training settings.</summary>
    public VaeOptions Options => _p.Options;
    /// <summary>Mean training loss per shape at the last epoch (normalized units).</summary>
    public double FinalLoss => _p.FinalLoss;
    /// <summary>Mean reconstruction term ½‖x − x̂‖² per shape at the last epoch (normalized units, decoded from μ).</summary>
    public double FinalReconstruction => _p.FinalReconstruction;
    /// <summary>
    /// Whether training ran with oneMKL in its alignment-independent mode (<see cref="MklReproducibility"/>), which
    /// makes the weights a bit-for-bit function of data and seed.
    /// </summary>
    public bool TrainedReproducibly => _p.TrainedReproducibly;
    /// <summary>Global normalization scale s (µm).</summary>
    public double Scale => _p.Scale;
    /// <summary>Ids of the training shapes.</summary>
    public IReadOnlyList<string> TrainingIds => _p.TrainingIds;

    private ShapeVae(Payload p)
    {
        _p = p;
        int dim = RealSphericalHarmonics.Count(p.Lmax), h = p.Options.Hidden, d = p.Options.LatentSize;
        if (p.Mean.Length != dim) throw new InvalidDataException($"shape VAE: mean must have {dim} entries");
        _layers = p.Layers.ToDictionary(l => l.Name);
        Expect("enc1", h, dim); Expect("enc_mu", d, h); Expect("enc_logvar", d, h); Expect("dec1", h, d); Expect("dec2", dim, h);
        ContentHash = ModelEnvelope.HashOf(p);
    }

    private void Expect(string name, int rows, int cols)
    {
        if (!_layers.TryGetValue(name, out var l) || l.Rows != rows || l.Cols != cols || l.Weight.Length != rows * cols || l.Bias.Length != rows)
            throw new InvalidDataException($"shape VAE: layer '{name}' must be {rows} × {cols} with {rows} biases");
    }

    /// <summary>
    /// Trains on n ≥ 2 coefficient vectors of length (lmax + 1)² (µm). Bit-for-bit deterministic for a given seed:
    /// weights start from managed seeded streams, the noise comes from a torch generator seeded with Seed, all tensors
    /// are float64, oneMKL is switched to its alignment-independent mode (<see cref="MklReproducibility"/>; reported by
    /// <see cref="TrainedReproducibly"/>), and libtorch runs single-threaded for the duration (trainings in one process
    /// are serialized and the intra-op thread count is restored afterwards).
    /// </summary>
    public static ShapeVae Train(IReadOnlyList<double[]> vectors, int lmax, VaeOptions options, IReadOnlyList<string>? ids = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(options);
        int n = vectors.Count, p = RealSphericalHarmonics.Count(lmax);
        if (n < 2) throw new ArgumentException($"the VAE needs at least 2 shapes, got {n}");
        if (options.LatentSize < 1 || options.Hidden < 1 || options.Epochs < 1 || !(options.LearningRate > 0) || !(options.Beta >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), "latent size, hidden width and epochs ≥ 1; learning rate > 0; β ≥ 0");
        if (ids is not null && ids.Count != n) throw new ArgumentException("one id per vector");
        foreach (var v in vectors)
            if (v.Length != p) throw new ArgumentException($"every vector must have (lmax + 1)² = {p} coefficients, got {v.Length}");

        var mean = new double[p];
        foreach (var v in vectors) for (int j = 0; j < p; j++) mean[j] += v[j];
        for (int j = 0; j < p; j++) mean[j] /= n;
        double ss = 0;
        foreach (var v in vectors) for (int j = 0; j < p; j++) { double dv = v[j] - mean[j]; ss += dv * dv; }
        double scale = Math.Sqrt(ss / ((n - 1) * (double)p));
        if (!(scale > 0)) throw new ArgumentException("the training shapes are all identical");
        var flat = new double[n * p];
        for (int i = 0; i < n; i++) for (int j = 0; j < p; j++) flat[i * p + j] = (vectors[i][j] - mean[j]) / scale;

        TorchRuntime.EnsureAvailable();
        bool reproducible = MklReproducibility.EnsureCompatible();
        lock (TrainingLock)
        {
            int threads = torch.get_num_threads();
            torch.set_num_threads(1);
            try
            {
                using var scope = torch.NewDisposeScope();
                torch.manual_seed((long)(options.Seed & long.MaxValue));
                using var generator = new Generator(options.Seed);
                int h = options.Hidden, d = options.LatentSize;
                var enc1 = nn.Linear(p, h, dtype: ScalarType.Float64);
                var encMu = nn.Linear(h, d, dtype: ScalarType.Float64);
                var encLogVar = nn.Linear(h, d, dtype: ScalarType.Float64);
                var dec1 = nn.Linear(d, h, dtype: ScalarType.Float64);
                var dec2 = nn.Linear(h, p, dtype: ScalarType.Float64);
                var named = new (string Name, nn.Module<Tensor, Tensor> Module)[]
                    { ("enc1", enc1), ("enc_mu", encMu), ("enc_logvar", encLogVar), ("dec1", dec1), ("dec2", dec2) };
                // PyTorch's default Linear initialization, U(−1/√fan_in, 1/√fan_in) for weights and biases, drawn from managed
                // streams seeded per layer, so the start point does not depend on libtorch's global generator (which other
                // code in the process may advance concurrently).
                using (torch.no_grad())
                    foreach (var (name, module) in named)
                    {
                        var lin = (TorchSharp.Modules.Linear)module;
                        var rng = ShapeStudy.Core.Seeds.Rng(ShapeStudy.Core.Seeds.Child(options.Seed, "init/" + name));
                        int rows = (int)lin.weight!.shape[0], cols = (int)lin.weight.shape[1];
                        double bound = 1 / Math.Sqrt(cols);
                        var w = new double[rows * cols];
                        for (int k = 0; k < w.Length; k++) w[k] = bound * (2 * rng.NextDouble() - 1);
                        var b = new double[rows];
                        for (int k = 0; k < b.Length; k++) b[k] = bound * (2 * rng.NextDouble() - 1);
                        lin.weight.copy_(torch.tensor(w, new long[] { rows, cols }, dtype: ScalarType.Float64));
                        lin.bias!.copy_(torch.tensor(b, new long[] { rows }, dtype: ScalarType.Float64));
                    }
                var parameters = named.SelectMany(m => m.Module.parameters()).ToList();
                using var optimizer = torch.optim.Adam(parameters, options.LearningRate, weight_decay: options.WeightDecay);
                var x = torch.tensor(flat, new long[] { n, p }, dtype: ScalarType.Float64);
                double lastLoss = double.NaN;
                for (int epoch = 0; epoch < options.Epochs; epoch++)
                {
                    using var step = torch.NewDisposeScope();
                    optimizer.zero_grad();
                    var hidden = enc1.forward(x).tanh();
                    var mu = encMu.forward(hidden);
                    var logVar = encLogVar.forward(hidden);
                    var eps = torch.randn(new long[] { n, d }, dtype: ScalarType.Float64, generator: generator);
                    var z = mu + eps * (0.5 * logVar).exp();
                    var xHat = dec2.forward(dec1.forward(z).tanh());
                    var reconstruction = 0.5 * (x - xHat).pow(2).sum() / n;
                    var kl = 0.5 * (mu.pow(2) + logVar.exp() - logVar - 1).sum() / n;
                    var loss = reconstruction + options.Beta * kl;
                    loss.backward();
                    optimizer.step();
                    lastLoss = loss.item<double>();
                }
                var layers = named.Select(m =>
                {
                    var lin = (TorchSharp.Modules.Linear)m.Module;
                    return new Layer(m.Name, (int)lin.weight!.shape[0], (int)lin.weight.shape[1],
                        lin.weight.detach().contiguous().data<double>().ToArray(), lin.bias!.detach().contiguous().data<double>().ToArray());
                }).ToArray();
                var names = ids?.ToArray() ?? Enumerable.Range(0, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                var partial = new ShapeVae(new Payload(lmax, options, mean, scale, layers, names, lastLoss, double.NaN, reproducible));
                double recon = 0;
                foreach (var v in vectors)
                {
                    var back = partial.Decode(partial.Encode(v));
                    for (int j = 0; j < p; j++) { double e = (v[j] - back[j]) / scale; recon += 0.5 * e * e; }
                }
                return new ShapeVae(partial._p with { FinalReconstruction = recon / n });
            }
            finally
            {
                torch.set_num_threads(threads);
            }
        }
    }

    /// <summary>Serializes trainings in this process: libtorch's thread count is process-global.</summary>
    private static readonly object TrainingLock = new();

    /// <summary>Posterior mean μ(x) of a coefficient vector (length (Lmax + 1)², µm).</summary>
    public double[] Encode(double[] coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Length != _p.Mean.Length) throw new ArgumentException($"expected {_p.Mean.Length} coefficients (lmax {Lmax}), got {coefficients.Length}");
        var x = new double[coefficients.Length];
        for (int j = 0; j < x.Length; j++) x[j] = (coefficients[j] - _p.Mean[j]) / _p.Scale;
        var h = Apply(_layers["enc1"], x, tanh: true);
        return Apply(_layers["enc_mu"], h, tanh: false);
    }

    /// <summary>Posterior log-variance log σ²(x) of a coefficient vector.</summary>
    public double[] EncodeLogVariance(double[] coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        var x = new double[coefficients.Length];
        for (int j = 0; j < x.Length; j++) x[j] = (coefficients[j] - _p.Mean[j]) / _p.Scale;
        return Apply(_layers["enc_logvar"], Apply(_layers["enc1"], x, tanh: true), tanh: false);
    }

    /// <summary>Coefficient vector (µm) decoded from a latent code.</summary>
    public double[] Decode(double[] latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.Length != LatentSize) throw new ArgumentException($"latent has {latent.Length} entries, model has {LatentSize}");
        var y = Apply(_layers["dec2"], Apply(_layers["dec1"], latent, tanh: true), tanh: false);
        for (int j = 0; j < y.Length; j++) y[j] = _p.Mean[j] + _p.Scale * y[j];
        return y;
    }

    /// <summary>
    /// Decodes with libtorch instead of managed code (for checking that the two agree): rebuilds the decoder layers
    /// from the stored weights and runs them on <paramref name="latent"/> (rows of length d).
    /// </summary>
    public double[][] DecodeWithTorch(IReadOnlyList<double[]> latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        TorchRuntime.EnsureAvailable();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int n = latent.Count, d = LatentSize, p = _p.Mean.Length;
        var z = torch.tensor(latent.SelectMany(v => v).ToArray(), new long[] { n, d }, dtype: ScalarType.Float64);
        Tensor Linear(Layer l, Tensor input) =>
            torch.nn.functional.linear(input, torch.tensor(l.Weight, new long[] { l.Rows, l.Cols }, dtype: ScalarType.Float64),
                torch.tensor(l.Bias, new long[] { l.Rows }, dtype: ScalarType.Float64));
        var y = Linear(_layers["dec2"], Linear(_layers["dec1"], z).tanh()).contiguous().data<double>().ToArray();
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new double[p];
            for (int j = 0; j < p; j++) rows[i][j] = _p.Mean[j] + _p.Scale * y[i * p + j];
        }
        return rows;
    }

    private static double[] Apply(Layer l, double[] x, bool tanh)
    {
        var y = new double[l.Rows];
        for (int r = 0; r < l.Rows; r++)
        {
            double acc = l.Bias[r];
            int o = r * l.Cols;
            for (int c = 0; c < l.Cols; c++) acc += l.Weight[o + c] * x[c];
            y[r] = tanh ? Math.Tanh(acc) : acc;
        }
        return y;
    }

    /// <summary>The model as <see cref="ModelEnvelope"/> bytes (weights as shortest round-trip doubles).</summary>
    public byte[] Serialize() => ModelEnvelope.Wrap(Format, _p).Bytes;

    /// <summary>Reloads a model written by <see cref="Serialize"/>, verifying its content hash.</summary>
    public static ShapeVae Deserialize(ReadOnlySpan<byte> bytes, string? expectedSha256 = null) =>
        new(ModelEnvelope.Unwrap<Payload>(bytes, Format, expectedSha256).Payload);

    /// <summary>Writes the model atomically; returns its content hash.</summary>
    public string Save(string path) { ModelFiles.WriteAtomically(path, Serialize()); return ContentHash; }

    /// <summary>Reads a model file written by <see cref="Save"/>.</summary>
    public static ShapeVae Load(string path, string? expectedSha256 = null) => Deserialize(File.ReadAllBytes(path), expectedSha256);

    /// <summary>One dense layer: row-major weight (Rows × Cols) and bias (Rows).</summary>
    public sealed record Layer(string Name, int Rows, int Cols, double[] Weight, double[] Bias);

    /// <summary>Serialized form.</summary>
    public sealed record Payload(int Lmax, VaeOptions Options, double[] Mean, double Scale, Layer[] Layers, string[] TrainingIds,
        double FinalLoss, double FinalReconstruction, bool TrainedReproducibly);
}
