using ShapeStudy.Core;

namespace ShapeStudy.ShapeSpace;

/// <summary>Covariance structure of each mixture component.</summary>
public enum CovarianceKind
{
    /// <summary>A full d × d covariance per component: d(d + 1)/2 parameters each.</summary>
    Full,
    /// <summary>A diagonal covariance per component: d parameters each (for few shapes in many dimensions).</summary>
    Diagonal,
}

/// <summary>
/// A Gaussian mixture in a d-dimensional latent space (PCA space in σ units), fitted by expectation–maximization.
/// Components are kept as weights, means and lower Cholesky factors of their covariances.
/// </summary>
public sealed class GaussianMixture
{
    /// <summary>Serialization format name.</summary>
    public const string Format = "shapestudy.gaussian-mixture/1";

    /// <summary>Mixing weights (sum 1), length K.</summary>
    public double[] Weights { get; }
    /// <summary>Component means, K rows of length d.</summary>
    public double[][] Means { get; }
    /// <summary>Component covariances, K row-major d × d arrays (already including the regularization).</summary>
    public double[][] Covariances { get; }
    /// <summary>Covariance structure.</summary>
    public CovarianceKind Covariance { get; }
    /// <summary>Mean log-likelihood per training point at convergence.</summary>
    public double MeanLogLikelihood { get; }
    /// <summary>Number of training points n.</summary>
    public int TrainingCount { get; }
    /// <summary>EM iterations run.</summary>
    public int Iterations { get; }
    /// <summary>Whether the log-likelihood change fell below the tolerance.</summary>
    public bool Converged { get; }
    /// <summary>SHA-256 of the saved payload.</summary>
    public string ContentHash { get; }

    private readonly double[][] _chol;     // lower Cholesky factors, row-major d × d
    private readonly double[] _logDet;

    /// <summary>Number of components K.</summary>
    public int Components => Weights.Length;
    /// <summary>Dimension d.</summary>
    public int Dimension => Means[0].Length;

    /// <summary>Free parameters: (K − 1) weights + K·d means + K·(d(d + 1)/2 or d) covariances.</summary>
    public int ParameterCount => Components - 1 + Components * Dimension
        + Components * (Covariance == CovarianceKind.Full ? Dimension * (Dimension + 1) / 2 : Dimension);

    /// <summary>Bayesian information criterion −2 log L + p ln n on the training data (lower is better).</summary>
    public double Bic => -2 * MeanLogLikelihood * TrainingCount + ParameterCount * Math.Log(TrainingCount);

    private GaussianMixture(Payload p) : this(p, hash: true) { }

    private GaussianMixture(Payload p, bool hash)
    {
        if (p.Weights.Length == 0 || p.Means.Length != p.Weights.Length || p.Covariances.Length != p.Weights.Length)
            throw new InvalidDataException("gaussian mixture: one weight, mean and covariance per component");
        Weights = p.Weights; Means = p.Means; Covariances = p.Covariances; Covariance = p.Covariance;
        MeanLogLikelihood = p.MeanLogLikelihood; TrainingCount = p.TrainingCount; Iterations = p.Iterations; Converged = p.Converged;
        int d = Means[0].Length;
        _chol = new double[Components][];
        _logDet = new double[Components];
        for (int c = 0; c < Components; c++)
        {
            if (Means[c].Length != d || Covariances[c].Length != d * d) throw new InvalidDataException("gaussian mixture: inconsistent dimensions");
            _chol[c] = DenseCholesky.TryLower(Covariances[c], d) ?? throw new InvalidDataException($"gaussian mixture: covariance {c} is not positive definite");
            double ld = 0;
            for (int i = 0; i < d; i++) ld += 2 * Math.Log(_chol[c][i * d + i]);
            _logDet[c] = ld;
        }
        ContentHash = hash ? ModelEnvelope.HashOf(p) : "";
    }

    /// <summary>
    /// Fits K components to n points of dimension d by EM. Initialization: k-means++ seeding from <paramref name="rng"/>
    /// and 10 Lloyd iterations; each covariance gets <paramref name="regularization"/> added to its diagonal (in the
    /// data's units², like scikit-learn's reg_covar). Stops when the mean log-likelihood changes by less than
    /// <paramref name="tolerance"/> or after <paramref name="maxIterations"/>.
    /// </summary>
    public static GaussianMixture Fit(IReadOnlyList<double[]> points, int components, Random rng,
        CovarianceKind covariance = CovarianceKind.Full, int maxIterations = 500, double tolerance = 1e-8, double regularization = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(rng);
        int n = points.Count;
        if (n == 0) throw new ArgumentException("no points");
        int d = points[0].Length;
        if (d == 0) throw new ArgumentException("points have no coordinates");
        foreach (var x in points)
        {
            if (x.Length != d) throw new ArgumentException("all points must have the same dimension");
            foreach (var v in x) if (!double.IsFinite(v)) throw new ArgumentException("points must be finite");
        }
        if (components < 1 || components > n) throw new ArgumentOutOfRangeException(nameof(components), $"must be in [1, {n}]");
        if (!(regularization >= 0)) throw new ArgumentOutOfRangeException(nameof(regularization));

        var means = KMeans(points, components, rng);
        // Hard assignments to the nearest centre start the first M-step.
        var resp = new double[n * components];
        for (int i = 0; i < n; i++)
        {
            int best = 0; double bd = double.MaxValue;
            for (int c = 0; c < components; c++) { double dd = Dist2(points[i], means[c]); if (dd < bd) { bd = dd; best = c; } }
            resp[i * components + best] = 1;
        }
        double[] weights = new double[components];
        double[][] covs = new double[components][];
        double previous = double.NegativeInfinity, ll = double.NegativeInfinity;
        int iter = 0;
        bool converged = false;
        var logp = new double[components];
        while (true)
        {
            MStep(points, resp, components, covariance, regularization, weights, means, covs);
            var model = new GaussianMixture(new Payload(weights, means, covs, covariance, 0, n, 0, false), hash: false);
            // E-step.
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < components; c++) { logp[c] = Math.Log(weights[c]) + model.ComponentLogDensity(c, points[i]); if (logp[c] > max) max = logp[c]; }
                double s = 0;
                for (int c = 0; c < components; c++) s += Math.Exp(logp[c] - max);
                double lse = max + Math.Log(s);
                total += lse;
                for (int c = 0; c < components; c++) resp[i * components + c] = Math.Exp(logp[c] - lse);
            }
            ll = total / n;
            iter++;
            if (Math.Abs(ll - previous) < tolerance) { converged = true; break; }
            if (iter >= maxIterations) break;
            previous = ll;
        }
        MStep(points, resp, components, covariance, regularization, weights, means, covs);
        var fitted = new GaussianMixture(new Payload(weights, means, covs, covariance, 0, n, iter, converged), hash: false);
        double final = 0;
        foreach (var x in points) final += fitted.LogDensity(x);
        return new GaussianMixture(new Payload(weights, means, covs, covariance, final / n, n, iter, converged));
    }

    /// <summary>
    /// Fits K = 1 … <paramref name="maxComponents"/> (each from its own child seed of <paramref name="seed"/>) and returns
    /// the fit with the lowest BIC together with the BIC of every K tried (index K − 1). K never exceeds n.
    /// </summary>
    public static (GaussianMixture Best, double[] Bic) SelectByBic(IReadOnlyList<double[]> points, int maxComponents, ulong seed,
        CovarianceKind covariance = CovarianceKind.Full, double regularization = 1e-6, double tolerance = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(points);
        int kMax = Math.Min(maxComponents, points.Count);
        if (kMax < 1) throw new ArgumentOutOfRangeException(nameof(maxComponents), "at least one component");
        var bic = new double[kMax];
        GaussianMixture? best = null;
        for (int k = 1; k <= kMax; k++)
        {
            var rng = Seeds.Rng(Seeds.Child(seed, FormattableString.Invariant($"gmm/k{k}")));
            var fit = Fit(points, k, rng, covariance, tolerance: tolerance, regularization: regularization);
            bic[k - 1] = fit.Bic;
            if (best is null || fit.Bic < best.Bic) best = fit;
        }
        return (best!, bic);
    }

    /// <summary>log N(x; μ_c, Σ_c).</summary>
    public double ComponentLogDensity(int component, double[] x)
    {
        double m2 = ComponentMahalanobisSquared(component, x);
        return -0.5 * (m2 + _logDet[component] + Dimension * Math.Log(2 * Math.PI));
    }

    /// <summary>Squared Mahalanobis distance (x − μ_c)ᵀ Σ_c⁻¹ (x − μ_c).</summary>
    public double ComponentMahalanobisSquared(int component, double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Dimension;
        if (x.Length != d) throw new ArgumentException($"point has {x.Length} coordinates, mixture has {d}");
        var l = _chol[component];
        var mu = Means[component];
        Span<double> y = stackalloc double[d];
        double m2 = 0;
        for (int i = 0; i < d; i++)
        {
            double s = x[i] - mu[i];
            for (int j = 0; j < i; j++) s -= l[i * d + j] * y[j];
            y[i] = s / l[i * d + i];
            m2 += y[i] * y[i];
        }
        return m2;
    }

    /// <summary>log p(x) = log Σ_c w_c N(x; μ_c, Σ_c).</summary>
    public double LogDensity(double[] x)
    {
        double max = double.NegativeInfinity;
        Span<double> lp = stackalloc double[Components];
        for (int c = 0; c < Components; c++) { lp[c] = Math.Log(Weights[c]) + ComponentLogDensity(c, x); if (lp[c] > max) max = lp[c]; }
        double s = 0;
        for (int c = 0; c < Components; c++) s += Math.Exp(lp[c] - max);
        return max + Math.Log(s);
    }

    /// <summary>Index of the component with the highest posterior responsibility for x.</summary>
    public int MostLikelyComponent(double[] x)
    {
        int best = 0; double bl = double.NegativeInfinity;
        for (int c = 0; c < Components; c++) { double v = Math.Log(Weights[c]) + ComponentLogDensity(c, x); if (v > bl) { bl = v; best = c; } }
        return best;
    }

    /// <summary>A component drawn by weight (one uniform draw from <paramref name="rng"/>).</summary>
    public int DrawComponent(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double u = rng.NextDouble(), acc = 0;
        for (int c = 0; c < Components - 1; c++) { acc += Weights[c]; if (u < acc) return c; }
        return Components - 1;
    }

    /// <summary>μ_c + L_c · e (L_c the lower Cholesky factor of Σ_c), for a given standard-normal vector e of length d.</summary>
    public double[] Transform(int component, ReadOnlySpan<double> e)
    {
        int d = Dimension;
        if (e.Length != d) throw new ArgumentException($"need {d} coordinates");
        var l = _chol[component];
        var x = (double[])Means[component].Clone();
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++) x[i] += l[i * d + j] * e[j];
        return x;
    }

    /// <summary>One draw: a component by weight, then μ_c + L_c e with e ~ N(0, I) (d standard normals from <paramref name="rng"/>).</summary>
    public (int Component, double[] Point) Sample(Random rng)
    {
        int c = DrawComponent(rng);
        var e = new double[Dimension];
        for (int i = 0; i < e.Length; i++) e[i] = rng.StandardNormal();
        return (c, Transform(c, e));
    }

    /// <summary>The model as <see cref="ModelEnvelope"/> bytes.</summary>
    public byte[] Serialize() => ModelEnvelope.Wrap(Format, ToPayload()).Bytes;

    /// <summary>Reloads a mixture written by <see cref="Serialize"/>, verifying its content hash.</summary>
    public static GaussianMixture Deserialize(ReadOnlySpan<byte> bytes, string? expectedSha256 = null) =>
        new(ModelEnvelope.Unwrap<Payload>(bytes, Format, expectedSha256).Payload);

    /// <summary>Writes the model atomically; returns its content hash.</summary>
    public string Save(string path) { ModelFiles.WriteAtomically(path, Serialize()); return ContentHash; }

    /// <summary>Reads a model file written by <see cref="Save"/>.</summary>
    public static GaussianMixture Load(string path, string? expectedSha256 = null) => Deserialize(File.ReadAllBytes(path), expectedSha256);

    private Payload ToPayload() => new(Weights, Means, Covariances, Covariance, MeanLogLikelihood, TrainingCount, Iterations, Converged);

    /// <summary>Serialized form.</summary>
    public sealed record Payload(double[] Weights, double[][] Means, double[][] Covariances, CovarianceKind Covariance,
        double MeanLogLikelihood, int TrainingCount, int Iterations, bool Converged);

    private static void MStep(IReadOnlyList<double[]> x, double[] resp, int k, CovarianceKind kind, double reg,
        double[] weights, double[][] means, double[][] covs)
    {
        int n = x.Count, d = x[0].Length;
        for (int c = 0; c < k; c++)
        {
            double nk = 0;
            for (int i = 0; i < n; i++) nk += resp[i * k + c];
            nk = Math.Max(nk, 10 * double.Epsilon);
            var mu = new double[d];
            for (int i = 0; i < n; i++)
            {
                double r = resp[i * k + c];
                if (r == 0) continue;
                for (int a = 0; a < d; a++) mu[a] += r * x[i][a];
            }
            for (int a = 0; a < d; a++) mu[a] /= nk;
            var cov = new double[d * d];
            for (int i = 0; i < n; i++)
            {
                double r = resp[i * k + c];
                if (r == 0) continue;
                var xi = x[i];
                for (int a = 0; a < d; a++)
                {
                    double da = xi[a] - mu[a];
                    if (kind == CovarianceKind.Diagonal) { cov[a * d + a] += r * da * da; continue; }
                    for (int b = 0; b <= a; b++) cov[a * d + b] += r * da * (xi[b] - mu[b]);
                }
            }
            for (int a = 0; a < d; a++)
            {
                for (int b = 0; b <= a; b++) { cov[a * d + b] /= nk; cov[b * d + a] = cov[a * d + b]; }
                cov[a * d + a] += reg;
                // An empty or single-point component still needs a positive-definite covariance.
                if (!(cov[a * d + a] > 0)) cov[a * d + a] = Math.Max(reg, 1e-12);
            }
            weights[c] = nk / n;
            means[c] = mu;
            covs[c] = cov;
        }
        double sw = weights.Sum();
        for (int c = 0; c < k; c++) weights[c] /= sw;
    }

    private static double[][] KMeans(IReadOnlyList<double[]> x, int k, Random rng)
    {
        int n = x.Count;
        var centres = new double[k][];
        centres[0] = (double[])x[rng.Next(n)].Clone();
        var d2 = new double[n];
        for (int c = 1; c < k; c++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double best = double.MaxValue;
                for (int j = 0; j < c; j++) best = Math.Min(best, Dist2(x[i], centres[j]));
                d2[i] = best; sum += best;
            }
            int pick = n - 1;
            if (sum > 0)
            {
                double u = rng.NextDouble() * sum, acc = 0;
                for (int i = 0; i < n; i++) { acc += d2[i]; if (u < acc) { pick = i; break; } }
            }
            else pick = rng.Next(n);
            centres[c] = (double[])x[pick].Clone();
        }
        int d = x[0].Length;
        var assign = new int[n];
        for (int iter = 0; iter < 10; iter++)
        {
            for (int i = 0; i < n; i++)
            {
                int best = 0; double bd = double.MaxValue;
                for (int c = 0; c < k; c++) { double dd = Dist2(x[i], centres[c]); if (dd < bd) { bd = dd; best = c; } }
                assign[i] = best;
            }
            for (int c = 0; c < k; c++)
            {
                var sum = new double[d]; int count = 0;
                for (int i = 0; i < n; i++) if (assign[i] == c) { count++; for (int a = 0; a < d; a++) sum[a] += x[i][a]; }
                if (count == 0) continue;
                for (int a = 0; a < d; a++) sum[a] /= count;
                centres[c] = sum;
            }
        }
        return centres;
    }

    private static double Dist2(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double t = a[i] - b[i]; s += t * t; }
        return s;
    }
}
