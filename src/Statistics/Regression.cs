using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;

namespace ShapeStudy.Statistics;

/// <summary>One coefficient of a linear regression with its standard error, t statistic, two-sided p-value and confidence interval.</summary>
/// <param name="Name">Predictor name ("intercept" for the constant term).</param>
/// <param name="Estimate">Least-squares estimate (units of y per unit of the predictor).</param>
/// <param name="StandardError">Standard error sqrt(s² [(XᵀX)⁻¹]_jj), s² = RSS / (n − p).</param>
/// <param name="T">Estimate / StandardError.</param>
/// <param name="PValue">Two-sided p-value of T under Student's t with n − p degrees of freedom.</param>
/// <param name="CiLow">Lower bound of the confidence interval Estimate − t_{1−α/2, n−p} · StandardError.</param>
/// <param name="CiHigh">Upper bound of that interval.</param>
public sealed record RegressionCoefficient(string Name, double Estimate, double StandardError, double T, double PValue, double CiLow, double CiHigh);

/// <summary>Result of an ordinary least-squares fit.</summary>
/// <param name="Coefficients">Intercept first (when fitted), then one entry per predictor in input order.</param>
/// <param name="RSquared">Coefficient of determination 1 − RSS/TSS (TSS about the mean with an intercept, about 0 without).</param>
/// <param name="AdjustedRSquared">1 − (1 − R²)(n − i)/(n − p), i = 1 with an intercept and 0 without.</param>
/// <param name="ResidualSd">Residual standard error s = sqrt(RSS / (n − p)), units of y.</param>
/// <param name="N">Number of observations.</param>
/// <param name="DegreesOfFreedom">Residual degrees of freedom n − p.</param>
/// <param name="FStatistic">F statistic of the model against the intercept-only (or zero) model.</param>
/// <param name="FPValue">Upper-tail p-value of <paramref name="FStatistic"/>.</param>
/// <param name="Fitted">Fitted values, shape (n).</param>
/// <param name="Residuals">y − fitted, shape (n).</param>
public sealed record OlsResult(RegressionCoefficient[] Coefficients, double RSquared, double AdjustedRSquared, double ResidualSd, int N,
    int DegreesOfFreedom, double FStatistic, double FPValue, double[] Fitted, double[] Residuals)
{
    /// <summary>The coefficient called <paramref name="name"/>.</summary>
    public RegressionCoefficient this[string name] => Coefficients.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"no coefficient named '{name}'");
}

/// <summary>Linear regression by ordinary least squares (Householder QR via MathNet).</summary>
public static class LinearRegression
{
    /// <summary>
    /// Regresses <paramref name="y"/> (shape (n)) on the columns of <paramref name="predictors"/> ([predictor][observation], each
    /// of length n) plus an intercept when <paramref name="intercept"/> is true. Names default to x0, x1, …. Throws when the design
    /// is rank deficient or n ≤ p. Standard errors assume independent homoscedastic errors.
    /// </summary>
    public static OlsResult Ols(double[][] predictors, double[] y, IReadOnlyList<string>? names = null, bool intercept = true, double ciLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(predictors);
        ArgumentNullException.ThrowIfNull(y);
        if (!(ciLevel > 0 && ciLevel < 1)) throw new ArgumentOutOfRangeException(nameof(ciLevel), "confidence level must lie in (0, 1)");
        int n = y.Length, k = predictors.Length, p = k + (intercept ? 1 : 0);
        if (names is not null && names.Count != k) throw new ArgumentException($"need {k} predictor names, got {names.Count}");
        if (p == 0) throw new ArgumentException("need at least one predictor or an intercept");
        if (n <= p) throw new ArgumentException($"need more observations ({n}) than coefficients ({p})");
        for (int j = 0; j < k; j++)
            if (predictors[j].Length != n) throw new ArgumentException($"predictor {j} has {predictors[j].Length} values, y has {n}");
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(y[i])) throw new ArgumentException($"y[{i}] is not finite; drop missing rows first");
            for (int j = 0; j < k; j++)
                if (!double.IsFinite(predictors[j][i])) throw new ArgumentException($"predictor {j} at row {i} is not finite; drop missing rows first");
        }
        var x = Matrix<double>.Build.Dense(n, p, (i, j) => intercept ? (j == 0 ? 1.0 : predictors[j - 1][i]) : predictors[j][i]);
        var qr = x.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
        var r = qr.R;
        double maxDiag = 0;
        for (int j = 0; j < p; j++) maxDiag = Math.Max(maxDiag, Math.Abs(r[j, j]));
        for (int j = 0; j < p; j++)
            if (Math.Abs(r[j, j]) <= 1e-10 * maxDiag) throw new ArgumentException("the design matrix is rank deficient (collinear or constant predictors)");
        var yv = Vector<double>.Build.DenseOfArray(y);
        var beta = qr.Solve(yv);
        var fitted = (x * beta).ToArray();
        var resid = new double[n];
        double rss = 0, ym = 0;
        for (int i = 0; i < n; i++) { resid[i] = y[i] - fitted[i]; rss += resid[i] * resid[i]; ym += y[i]; }
        ym /= n;
        double tss = 0;
        for (int i = 0; i < n; i++) { double c = intercept ? y[i] - ym : y[i]; tss += c * c; }
        int dof = n - p;
        double s2 = rss / dof;
        // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ; its diagonal is the row sums of squares of R⁻¹.
        var rInv = r.Inverse();
        double tCrit = StudentT.InvCDF(0, 1, dof, 0.5 + ciLevel / 2);
        var coefficients = new RegressionCoefficient[p];
        for (int j = 0; j < p; j++)
        {
            double v = 0;
            for (int m = j; m < p; m++) v += rInv[j, m] * rInv[j, m];
            double se = Math.Sqrt(s2 * v);
            double t = beta[j] / se;
            double pv = 2 * StudentT.CDF(0, 1, dof, -Math.Abs(t));
            string name = intercept && j == 0 ? "intercept" : names?[j - (intercept ? 1 : 0)] ?? $"x{j - (intercept ? 1 : 0)}";
            coefficients[j] = new RegressionCoefficient(name, beta[j], se, t, pv, beta[j] - tCrit * se, beta[j] + tCrit * se);
        }
        double r2 = tss > 0 ? 1 - rss / tss : double.NaN;
        int i0 = intercept ? 1 : 0;
        double adj = 1 - (1 - r2) * (n - i0) / dof;
        int dfModel = p - i0;
        double f = dfModel > 0 ? (tss - rss) / dfModel / s2 : double.NaN;
        double fp = dfModel > 0 ? 1 - FisherSnedecor.CDF(dfModel, dof, f) : double.NaN;
        return new OlsResult(coefficients, r2, adj, Math.Sqrt(s2), n, dof, f, fp, fitted, resid);
    }
}

/// <summary>Result of a robust (Huber M-estimator) regression.</summary>
/// <param name="Coefficients">Intercept first (when fitted), then one per predictor; p-values and intervals from the normal approximation.</param>
/// <param name="Scale">Robust residual scale s (normalized MAD at convergence), units of y.</param>
/// <param name="Weights">Final IRLS weight of each observation (1 = inlier, &lt; 1 = down-weighted).</param>
/// <param name="Iterations">IRLS iterations used.</param>
public sealed record RobustRegressionResult(RegressionCoefficient[] Coefficients, double Scale, double[] Weights, int Iterations)
{
    /// <summary>The coefficient called <paramref name="name"/>.</summary>
    public RegressionCoefficient this[string name] => Coefficients.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"no coefficient named '{name}'");
}

/// <summary>Robust linear regression.</summary>
public static class RobustRegression
{
    /// <summary>
    /// Huber M-estimator by iteratively reweighted least squares: weights w_i = min(1, c / |r_i / s|) with tuning constant
    /// <paramref name="tuning"/> (1.345: 95 % efficiency under normal errors) and scale s = median|rᵢ|/Φ⁻¹(3/4) (the residuals'
    /// MAD about zero, as R's MASS::rlm and statsmodels RLM) re-estimated every iteration, starting from OLS; stops when no
    /// coefficient changes by more than 1e-10 (relative). Standard errors use Huber's sandwich with small-sample correction
    /// (statsmodels RLM "H1"):
    /// Cov = K² · [Σψ(r/s)²/(n − p)] / [(Σψ′/n)²] · s² (XᵀX)⁻¹, K = 1 + (p/n)·Var(ψ′)/mean(ψ′)².
    /// Layout as <see cref="LinearRegression.Ols"/>: <paramref name="predictors"/> is [predictor][observation].
    /// </summary>
    public static RobustRegressionResult Huber(double[][] predictors, double[] y, IReadOnlyList<string>? names = null, bool intercept = true,
        double tuning = 1.345, double ciLevel = 0.95, int maxIterations = 200)
    {
        if (!(tuning > 0)) throw new ArgumentOutOfRangeException(nameof(tuning));
        var ols = LinearRegression.Ols(predictors, y, names, intercept, ciLevel);
        int n = y.Length, k = predictors.Length, p = k + (intercept ? 1 : 0);
        var x = Matrix<double>.Build.Dense(n, p, (i, j) => intercept ? (j == 0 ? 1.0 : predictors[j - 1][i]) : predictors[j][i]);
        var beta = Vector<double>.Build.DenseOfEnumerable(ols.Coefficients.Select(c => c.Estimate));
        var yv = Vector<double>.Build.DenseOfArray(y);
        var w = new double[n];
        double scale = 0;
        int it = 0;
        for (; it < maxIterations; it++)
        {
            var r = yv - x * beta;
            scale = Mad(r.ToArray(), aboutMedian: false);
            if (!(scale > 0)) break; // exact fit of at least half the points
            for (int i = 0; i < n; i++) { double u = Math.Abs(r[i] / scale); w[i] = u <= tuning ? 1 : tuning / u; }
            var xw = Matrix<double>.Build.Dense(n, p, (i, j) => x[i, j] * Math.Sqrt(w[i]));
            var yw = Vector<double>.Build.Dense(n, i => y[i] * Math.Sqrt(w[i]));
            var next = xw.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Solve(yw);
            double change = 0;
            for (int j = 0; j < p; j++) change = Math.Max(change, Math.Abs(next[j] - beta[j]) / Math.Max(1e-300, Math.Abs(next[j]) + 1e-12));
            beta = next;
            if (change < 1e-10) { it++; break; }
        }
        var resid = yv - x * beta;
        if (!(scale > 0)) scale = Mad(resid.ToArray(), aboutMedian: false);
        // Sandwich covariance with Huber's correction factor K.
        double sumPsi2 = 0, sumD = 0, sumD2 = 0;
        for (int i = 0; i < n; i++)
        {
            double u = scale > 0 ? resid[i] / scale : 0;
            double psi = Math.Abs(u) <= tuning ? u : tuning * Math.Sign(u);
            double d = Math.Abs(u) <= tuning ? 1 : 0;
            sumPsi2 += psi * psi;
            sumD += d;
            sumD2 += d * d;
        }
        double m = sumD / n, varD = sumD2 / n - m * m;
        double kFactor = 1 + p / (double)n * varD / (m * m);
        double factor = kFactor * kFactor * (sumPsi2 / (n - p)) / (m * m) * scale * scale;
        var xtxInv = (x.TransposeThisAndMultiply(x)).Inverse();
        double zc = Normal.InvCDF(0, 1, 0.5 + ciLevel / 2);
        var coefficients = new RegressionCoefficient[p];
        for (int j = 0; j < p; j++)
        {
            double se = Math.Sqrt(factor * xtxInv[j, j]);
            double t = beta[j] / se;
            coefficients[j] = new RegressionCoefficient(ols.Coefficients[j].Name, beta[j], se, t, 2 * Normal.CDF(0, 1, -Math.Abs(t)),
                beta[j] - zc * se, beta[j] + zc * se);
        }
        return new RobustRegressionResult(coefficients, scale, w, it);
    }

    /// <summary>Normalized median absolute deviation, median|v − m| / Φ⁻¹(3/4), about m = the median of the values, or about
    /// m = 0 when <paramref name="aboutMedian"/> is false (the scale of regression residuals).</summary>
    public static double Mad(double[] values, bool aboutMedian = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        var a = (double[])values.Clone();
        Array.Sort(a);
        double med = aboutMedian ? Quantiles.Sorted(a, 0.5) : 0;
        for (int i = 0; i < a.Length; i++) a[i] = Math.Abs(a[i] - med);
        Array.Sort(a);
        return Quantiles.Sorted(a, 0.5) / 0.6744897501960817;
    }
}

/// <summary>Pearson and partial correlation with Fisher-z confidence intervals.</summary>
public static class Correlation
{
    /// <summary>Pearson's r of two equal-length samples; NaN when either is constant or n &lt; 2.</summary>
    public static double PearsonR(double[] x, double[] y)
    {
        Check(x, y);
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
        mx /= n; my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        if (!(sxx > 0) || !(syy > 0)) return double.NaN;
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1.0, 1.0);
    }

    /// <summary>
    /// Pearson's r with the Fisher-z confidence interval tanh(atanh r ± z_{1−α/2}/sqrt(n − 3)) and the two-sided p-value of
    /// t = r sqrt((n − 2)/(1 − r²)) with n − 2 degrees of freedom (as scipy.stats.pearsonr).
    /// </summary>
    public static AssociationEstimate Pearson(double[] x, double[] y, double ciLevel = 0.95)
    {
        double r = PearsonR(x, y);
        return WithFisherInterval(r, x.Length, 0, ciLevel);
    }

    /// <summary>
    /// Pearson's r with a percentile bootstrap interval (pairs resampled with replacement <paramref name="resamples"/> times;
    /// resamples with a constant variable are skipped) and the t-test p-value of <see cref="Pearson(double[], double[], double)"/>.
    /// </summary>
    public static AssociationEstimate PearsonBootstrap(double[] x, double[] y, int resamples, Random rng, double ciLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples));
        var point = Pearson(x, y, ciLevel);
        int n = x.Length;
        var boot = new List<double>(resamples);
        var bx = new double[n];
        var by = new double[n];
        for (int b = 0; b < resamples && n >= 2; b++)
        {
            for (int i = 0; i < n; i++) { int k = rng.Next(n); bx[i] = x[k]; by[i] = y[k]; }
            double r = PearsonR(bx, by);
            if (!double.IsNaN(r)) boot.Add(r);
        }
        if (boot.Count == 0) return point with { CiLow = double.NaN, CiHigh = double.NaN };
        var sorted = boot.ToArray();
        Array.Sort(sorted);
        double alpha = (1 - ciLevel) / 2;
        return point with { CiLow = Quantiles.Sorted(sorted, alpha), CiHigh = Quantiles.Sorted(sorted, 1 - alpha) };
    }

    /// <summary>
    /// Partial correlation of <paramref name="x"/> and <paramref name="y"/> controlling for <paramref name="covariates"/>
    /// ([covariate][observation]): the Pearson correlation of the OLS residuals of x and of y on the covariates (with an
    /// intercept). p-value from t with n − 2 − k degrees of freedom, Fisher-z interval with standard error 1/sqrt(n − 3 − k),
    /// k = number of covariates (as pingouin.partial_corr).
    /// </summary>
    public static AssociationEstimate Partial(double[] x, double[] y, double[][] covariates, double ciLevel = 0.95)
    {
        Check(x, y);
        ArgumentNullException.ThrowIfNull(covariates);
        int k = covariates.Length;
        if (k == 0) return Pearson(x, y, ciLevel);
        if (x.Length <= k + 3) throw new ArgumentException($"need more than {k + 3} observations for a partial correlation with {k} covariates");
        var rx = LinearRegression.Ols(covariates, x).Residuals;
        var ry = LinearRegression.Ols(covariates, y).Residuals;
        return WithFisherInterval(PearsonR(rx, ry), x.Length, k, ciLevel);
    }

    /// <summary>Fisher-z interval and t-test p-value for a (partial) correlation <paramref name="r"/> from n pairs with k covariates.</summary>
    public static AssociationEstimate WithFisherInterval(double r, int n, int k, double ciLevel = 0.95)
    {
        if (!(ciLevel > 0 && ciLevel < 1)) throw new ArgumentOutOfRangeException(nameof(ciLevel), "confidence level must lie in (0, 1)");
        int dof = n - 2 - k;
        if (double.IsNaN(r) || dof < 1) return new AssociationEstimate(r, double.NaN, double.NaN, double.NaN, n);
        double p;
        if (Math.Abs(r) >= 1) p = 0;
        else
        {
            double t = r * Math.Sqrt(dof / ((1 - r) * (1 + r)));
            p = 2 * StudentT.CDF(0, 1, dof, -Math.Abs(t));
        }
        double lo = double.NaN, hi = double.NaN;
        if (dof >= 2 && Math.Abs(r) < 1)
        {
            double z = Math.Atanh(r), se = 1 / Math.Sqrt(dof - 1), zc = Normal.InvCDF(0, 1, 0.5 + ciLevel / 2);
            lo = Math.Tanh(z - zc * se);
            hi = Math.Tanh(z + zc * se);
        }
        return new AssociationEstimate(r, lo, hi, p, n);
    }

    private static void Check(double[] x, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length) throw new ArgumentException($"x and y must have the same length, got {x.Length} and {y.Length}");
        for (int i = 0; i < x.Length; i++)
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) throw new ArgumentException($"non-finite value at pair {i}; drop missing pairs first");
    }
}
