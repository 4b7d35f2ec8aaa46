using MathNet.Numerics.LinearAlgebra;
using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>
/// A fitted principal-component model of standardized descriptor rows: z = (row − mean) / scale, z ≈ components · scores.
/// </summary>
public sealed class PcaModel
{
    /// <summary>Per-feature mean of the training rows (length p).</summary>
    public double[] Mean { get; }
    /// <summary>Per-feature scale (sample standard deviation, or 1 where a feature is constant), length p.</summary>
    public double[] Scale { get; }
    /// <summary>Principal directions in standardized feature space, shape (p, m): column k is mode k (unit length).</summary>
    public double[,] Components { get; }
    /// <summary>Variance of the scores of each kept mode (λ_k = s_k² / (n − 1)), length m.</summary>
    public double[] ExplainedVariance { get; }
    /// <summary>Fraction of the total standardized variance explained by each kept mode, length m.</summary>
    public double[] ExplainedVarianceRatio { get; }
    /// <summary>Singular values of the standardized data matrix for the kept modes, length m.</summary>
    public double[] SingularValues { get; }

    public PcaModel(double[] mean, double[] scale, double[,] components, double[] explainedVariance,
        double[] explainedVarianceRatio, double[] singularValues)
    {
        int p = mean.Length, m = components.GetLength(1);
        if (scale.Length != p || components.GetLength(0) != p) throw new ArgumentException("mean, scale and components disagree on the feature count");
        if (explainedVariance.Length != m || explainedVarianceRatio.Length != m || singularValues.Length != m)
            throw new ArgumentException("per-mode arrays must have one entry per component");
        Mean = mean; Scale = scale; Components = components;
        ExplainedVariance = explainedVariance; ExplainedVarianceRatio = explainedVarianceRatio; SingularValues = singularValues;
    }

    /// <summary>Number of features p.</summary>
    public int FeatureCount => Mean.Length;
    /// <summary>Number of kept modes m.</summary>
    public int ModeCount => Components.GetLength(1);

    /// <summary>PC scores (length m) of a descriptor row (length p).</summary>
    public double[] Scores(double[] row)
    {
        if (row.Length != FeatureCount) throw new ArgumentException($"row has {row.Length} features, model has {FeatureCount}");
        int p = FeatureCount, m = ModeCount;
        var z = new double[p];
        for (int j = 0; j < p; j++) z[j] = (row[j] - Mean[j]) / Scale[j];
        var s = new double[m];
        for (int k = 0; k < m; k++)
        {
            double acc = 0;
            for (int j = 0; j < p; j++) acc += Components[j, k] * z[j];
            s[k] = acc;
        }
        return s;
    }

    /// <summary>Descriptor row (length p) reconstructed from scores (length ≤ m; missing trailing scores are 0).</summary>
    public double[] Reconstruct(double[] scores)
    {
        if (scores.Length > ModeCount) throw new ArgumentException($"{scores.Length} scores given, model has {ModeCount} modes");
        int p = FeatureCount;
        var row = new double[p];
        for (int j = 0; j < p; j++)
        {
            double acc = 0;
            for (int k = 0; k < scores.Length; k++) acc += Components[j, k] * scores[k];
            row[j] = Mean[j] + Scale[j] * acc;
        }
        return row;
    }

    /// <summary>One score vector drawn from N(0, diag(λ)) (length m).</summary>
    public double[] SampleScores(Random rng)
    {
        var s = new double[ModeCount];
        for (int k = 0; k < s.Length; k++) s[k] = rng.StandardNormal() * Math.Sqrt(ExplainedVariance[k]);
        return s;
    }

    /// <summary><paramref name="count"/> descriptor rows reconstructed from scores drawn from N(0, diag(λ)).</summary>
    public double[][] SampleGaussian(Random rng, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rows = new double[count][];
        for (int i = 0; i < count; i++) rows[i] = Reconstruct(SampleScores(rng));
        return rows;
    }
}

/// <summary>Principal component analysis of descriptor rows with per-feature standardization.</summary>
public static class DescriptorPca
{
    /// <summary>
    /// Fits a PCA on <paramref name="rows"/> (n rows × p features; log-transform scale-like features such as volume
    /// before calling). Each feature is centred and divided by its sample standard deviation (constant features keep
    /// scale 1). Keeps <paramref name="modes"/> modes (default and maximum: min(n, p)). Components are signed so that
    /// the largest-magnitude loading of each mode is positive.
    /// </summary>
    public static PcaModel Fit(double[][] rows, int? modes = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int n = rows.Length;
        if (n < 2) throw new ArgumentException($"PCA needs at least 2 rows, got {n}");
        int p = rows[0].Length;
        if (p == 0) throw new ArgumentException("rows have no features");
        foreach (var r in rows)
        {
            if (r.Length != p) throw new ArgumentException("all rows must have the same number of features");
            foreach (var v in r) if (!double.IsFinite(v)) throw new ArgumentException("rows contain non-finite values");
        }
        int maxModes = Math.Min(n, p);
        int m = modes ?? maxModes;
        if (m < 1 || m > maxModes) throw new ArgumentOutOfRangeException(nameof(modes), $"modes must be in [1, {maxModes}], got {m}");

        var mean = new double[p];
        var scale = new double[p];
        for (int j = 0; j < p; j++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) s += rows[i][j];
            mean[j] = s / n;
            double ss = 0;
            for (int i = 0; i < n; i++) { double d = rows[i][j] - mean[j]; ss += d * d; }
            double sd = Math.Sqrt(ss / (n - 1));
            scale[j] = sd > 1e-12 * Math.Max(1.0, Math.Abs(mean[j])) ? sd : 1.0;
        }
        var z = Matrix<double>.Build.Dense(n, p, (i, j) => (rows[i][j] - mean[j]) / scale[j]);
        // For tall matrices reduce to the p × p triangular factor first: Z = QR and R share singular values and V.
        var reduced = n > p ? z.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).R : z;
        var svd = reduced.Svd(computeVectors: true);
        var sv = svd.S;
        var vt = svd.VT;
        double total = 0;
        for (int k = 0; k < sv.Count; k++) total += sv[k] * sv[k];
        var components = new double[p, m];
        var variance = new double[m];
        var ratio = new double[m];
        var singular = new double[m];
        for (int k = 0; k < m; k++)
        {
            double sk = k < sv.Count ? sv[k] : 0;
            int big = 0;
            for (int j = 1; j < p; j++) if (Math.Abs(vt[k, j]) > Math.Abs(vt[k, big])) big = j;
            double sign = vt[k, big] < 0 ? -1 : 1;
            for (int j = 0; j < p; j++) components[j, k] = sign * vt[k, j];
            singular[k] = sk;
            variance[k] = sk * sk / (n - 1);
            ratio[k] = total > 0 ? sk * sk / total : 0;
        }
        return new PcaModel(mean, scale, components, variance, ratio, singular);
    }
}
