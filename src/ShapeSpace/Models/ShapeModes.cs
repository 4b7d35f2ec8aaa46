using MathNet.Numerics.LinearAlgebra;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// PCA shape modes over spherical-harmonic coefficient vectors (unscaled covariance PCA, so by Parseval the squared
/// coefficient distance is ∫ (Δr)² dΩ over the sphere and every mode's variance is in µm²): c ≈ mean + Σ_k s_k v_k.
/// As an <see cref="ILatentShapeModel"/> the latent is z_k = s_k / σ_k (σ_k = sqrt(λ_k)), so z ~ N(0, I) for the
/// training population and |z| is the Mahalanobis distance from the mean shape.
/// </summary>
public sealed class ShapeModes : ILatentShapeModel
{
    /// <summary>Serialization format name.</summary>
    public const string Format = "shapestudy.shape-modes/1";

    /// <summary>Highest SH degree of the coefficient vectors.</summary>
    public int Lmax { get; }
    /// <summary>Mean coefficient vector, length (Lmax + 1)², µm.</summary>
    public double[] Mean { get; }
    /// <summary>Unit mode directions, m rows of length (Lmax + 1)²: Modes[k] is mode k.</summary>
    public double[][] Modes { get; }
    /// <summary>Variance λ_k of the scores along each mode (µm²), descending, length m.</summary>
    public double[] Variance { get; }
    /// <summary>Fraction of the population's total coefficient variance explained by each mode, length m.</summary>
    public double[] ExplainedVarianceRatio { get; }
    /// <summary>Total variance of the training vectors (sum over all coefficients, µm²).</summary>
    public double TotalVariance { get; }
    /// <summary>Ids of the training shapes, in fit order.</summary>
    public string[] TrainingIds { get; }
    /// <summary>SHA-256 of the saved payload (see <see cref="ModelEnvelope"/>).</summary>
    public string ContentHash { get; }

    /// <inheritdoc />
    public string Kind => "pca";
    /// <inheritdoc />
    public int LatentSize => Modes.Length;
    /// <summary>Length (Lmax + 1)² of a coefficient vector.</summary>
    public int Dimension => Mean.Length;
    /// <summary>Standard deviation σ_k = sqrt(λ_k) of each mode (µm).</summary>
    public double StandardDeviation(int mode) => Math.Sqrt(Variance[mode]);

    private ShapeModes(Payload p)
    {
        Lmax = p.Lmax; Mean = p.Mean; Modes = p.Modes; Variance = p.Variance; ExplainedVarianceRatio = p.ExplainedVarianceRatio;
        TotalVariance = p.TotalVariance; TrainingIds = p.TrainingIds;
        int dim = RealSphericalHarmonics.Count(Lmax);
        if (Mean.Length != dim || Modes.Any(v => v.Length != dim))
            throw new InvalidDataException($"shape modes: vectors must have (lmax + 1)² = {dim} entries");
        if (Variance.Length != Modes.Length || ExplainedVarianceRatio.Length != Modes.Length)
            throw new InvalidDataException("shape modes: one variance and ratio per mode");
        if (Variance.Any(v => !(v > 0))) throw new InvalidDataException("shape modes: mode variances must be positive");
        ContentHash = ModelEnvelope.HashOf(p);
    }

    /// <summary>
    /// Fits <paramref name="modes"/> modes (1 ≤ modes ≤ n − 1, and only modes with positive variance) to n ≥ 2
    /// coefficient vectors of length (lmax + 1)² (µm, aligned frames; use <see cref="ShVectors.Truncate(ShCoefficients, int)"/>). Mode signs
    /// are fixed so that each mode's largest-magnitude entry is positive.
    /// </summary>
    public static ShapeModes Fit(IReadOnlyList<double[]> vectors, int lmax, int modes, IReadOnlyList<string>? ids = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        int n = vectors.Count, p = RealSphericalHarmonics.Count(lmax);
        if (n < 2) throw new ArgumentException($"shape modes need at least 2 shapes, got {n}");
        if (modes < 1 || modes > n - 1) throw new ArgumentOutOfRangeException(nameof(modes), $"modes must be in [1, {n - 1}] for {n} shapes, got {modes}");
        if (ids is not null && ids.Count != n) throw new ArgumentException("one id per vector");
        foreach (var v in vectors)
        {
            if (v.Length != p) throw new ArgumentException($"every vector must have (lmax + 1)² = {p} coefficients, got {v.Length}");
            foreach (var x in v) if (!double.IsFinite(x)) throw new ArgumentException("coefficients must be finite");
        }
        var mean = new double[p];
        foreach (var v in vectors) for (int j = 0; j < p; j++) mean[j] += v[j];
        for (int j = 0; j < p; j++) mean[j] /= n;
        var x0 = Matrix<double>.Build.Dense(n, p, (i, j) => vectors[i][j] - mean[j]);
        var svd = x0.Svd(computeVectors: true);
        var s = svd.S;
        var vt = svd.VT;
        double total = 0;
        for (int k = 0; k < s.Count; k++) total += s[k] * s[k];
        total /= n - 1;
        var dirs = new double[modes][];
        var variance = new double[modes];
        var ratio = new double[modes];
        for (int k = 0; k < modes; k++)
        {
            variance[k] = s[k] * s[k] / (n - 1);
            if (!(variance[k] > 1e-24 * Math.Max(total, 1e-300)))
                throw new ArgumentException($"only {k} modes have positive variance; ask for at most {k}");
            ratio[k] = variance[k] / total;
            int big = 0;
            for (int j = 1; j < p; j++) if (Math.Abs(vt[k, j]) > Math.Abs(vt[k, big])) big = j;
            double sign = vt[k, big] < 0 ? -1 : 1;
            dirs[k] = new double[p];
            for (int j = 0; j < p; j++) dirs[k][j] = sign * vt[k, j];
        }
        var names = ids?.ToArray() ?? Enumerable.Range(0, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new ShapeModes(new Payload(lmax, mean, dirs, variance, ratio, total, names));
    }

    /// <summary>Mode scores s_k = v_k · (c − mean) (µm), length m.</summary>
    public double[] Scores(double[] coefficients)
    {
        Check(coefficients);
        var s = new double[Modes.Length];
        for (int k = 0; k < s.Length; k++)
        {
            double acc = 0;
            var v = Modes[k];
            for (int j = 0; j < v.Length; j++) acc += v[j] * (coefficients[j] - Mean[j]);
            s[k] = acc;
        }
        return s;
    }

    /// <summary>Coefficients mean + Σ_k s_k v_k from scores (µm; length ≤ m, missing trailing scores are 0).</summary>
    public double[] FromScores(double[] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Length > Modes.Length) throw new ArgumentException($"{scores.Length} scores given, model has {Modes.Length} modes");
        var c = (double[])Mean.Clone();
        for (int k = 0; k < scores.Length; k++)
        {
            var v = Modes[k];
            double s = scores[k];
            for (int j = 0; j < c.Length; j++) c[j] += s * v[j];
        }
        return c;
    }

    /// <inheritdoc />
    public double[] Encode(double[] coefficients)
    {
        var s = Scores(coefficients);
        for (int k = 0; k < s.Length; k++) s[k] /= StandardDeviation(k);
        return s;
    }

    /// <inheritdoc />
    public double[] Decode(double[] latent)
    {
        ArgumentNullException.ThrowIfNull(latent);
        if (latent.Length != LatentSize) throw new ArgumentException($"latent has {latent.Length} entries, model has {LatentSize}");
        var s = new double[latent.Length];
        for (int k = 0; k < s.Length; k++) s[k] = latent[k] * StandardDeviation(k);
        return FromScores(s);
    }

    /// <summary>The mean shape's coefficients (µm).</summary>
    public double[] MeanShape() => (double[])Mean.Clone();

    /// <summary>The shape at <paramref name="sigmas"/> standard deviations along mode <paramref name="mode"/>: mean + kσ_k v_k (µm).</summary>
    public double[] ModeShape(int mode, double sigmas)
    {
        if ((uint)mode >= (uint)Modes.Length) throw new ArgumentOutOfRangeException(nameof(mode), $"model has {Modes.Length} modes");
        var s = new double[mode + 1];
        s[mode] = sigmas * StandardDeviation(mode);
        return FromScores(s);
    }

    /// <summary>Mahalanobis distance of a coefficient vector's scores from the mean, sqrt(Σ s_k² / λ_k).</summary>
    public double Mahalanobis(double[] coefficients)
    {
        var z = Encode(coefficients);
        double s = 0;
        foreach (var v in z) s += v * v;
        return Math.Sqrt(s);
    }

    /// <summary>The model as <see cref="ModelEnvelope"/> bytes (compact JSON).</summary>
    public byte[] Serialize() => ModelEnvelope.Wrap(Format, ToPayload()).Bytes;

    /// <summary>Reloads a model written by <see cref="Serialize"/>, verifying its content hash (and <paramref name="expectedSha256"/> when given).</summary>
    public static ShapeModes Deserialize(ReadOnlySpan<byte> bytes, string? expectedSha256 = null) =>
        new(ModelEnvelope.Unwrap<Payload>(bytes, Format, expectedSha256).Payload);

    /// <summary>Writes <see cref="Serialize"/> to <paramref name="path"/> (via a temporary file and rename); returns the content hash.</summary>
    public string Save(string path)
    {
        ModelFiles.WriteAtomically(path, Serialize());
        return ContentHash;
    }

    /// <summary>Reads a model file written by <see cref="Save"/>.</summary>
    public static ShapeModes Load(string path, string? expectedSha256 = null) => Deserialize(File.ReadAllBytes(path), expectedSha256);

    private Payload ToPayload() => new(Lmax, Mean, Modes, Variance, ExplainedVarianceRatio, TotalVariance, TrainingIds);

    private void Check(double[] coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Length != Dimension) throw new ArgumentException($"expected {Dimension} coefficients (lmax {Lmax}), got {coefficients.Length}");
    }

    /// <summary>Serialized form.</summary>
    public sealed record Payload(int Lmax, double[] Mean, double[][] Modes, double[] Variance, double[] ExplainedVarianceRatio,
        double TotalVariance, string[] TrainingIds);
}

/// <summary>File helpers for saved models.</summary>
public static class ModelFiles
{
    /// <summary>Writes bytes to a temporary sibling file and renames it over <paramref name="path"/>, so a crash never leaves a partial file.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
