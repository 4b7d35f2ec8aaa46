using MathNet.Numerics.LinearAlgebra;

namespace ShapeStudy.Statistics;

/// <summary>How a <see cref="TimeCourseSurrogate"/> handles several outputs (e.g. the time points of a transient).</summary>
public enum SurrogateBasis
{
    /// <summary>Principal components of the centred design outputs; one GP per retained component score.</summary>
    Pca,

    /// <summary>One independent GP per output.</summary>
    Independent,
}

/// <summary>Options of <see cref="TimeCourseSurrogate.Fit"/>.</summary>
/// <param name="Gp">Options of each component's <see cref="GaussianProcess"/>.</param>
/// <param name="Basis">Output basis.</param>
/// <param name="PcaVarianceFraction">PCA keeps the fewest components explaining at least this fraction of the output variance.</param>
/// <param name="MaxComponents">Upper bound on the PCA components kept.</param>
public sealed record SurrogateOptions(GaussianProcessOptions? Gp = null, SurrogateBasis Basis = SurrogateBasis.Pca,
    double PcaVarianceFraction = 0.9999, int MaxComponents = 12);

/// <summary>Validation of a surrogate against simulator outputs it did not see (leave-one-out or a held-out set).</summary>
/// <param name="Rmse">Root-mean-square error over all points and outputs, output units.</param>
/// <param name="RelativeRmse">Rmse divided by the standard deviation of the simulator outputs about their per-output means.</param>
/// <param name="MaxAbsError">Largest absolute error, output units.</param>
/// <param name="Coverage95">Fraction of (point, output) values inside the surrogate's central 95 % predictive interval.</param>
/// <param name="RmsePerOutput">Rmse of each output (e.g. each time point), output units.</param>
/// <param name="Points">Number of validation points.</param>
public sealed record SurrogateValidation(double Rmse, double RelativeRmse, double MaxAbsError, double Coverage95, double[] RmsePerOutput, int Points);

/// <summary>
/// A Gaussian-process surrogate of a simulator with a vector output (a time course, µM at fixed times, or several
/// phenotypes): outputs are either projected on their principal components (centred; the retained scores each get an
/// independent GP, and the mean-square truncation residual per output is added to the predictive variance) or modelled
/// by independent GPs per output. Immutable and thread-safe after fitting.
/// </summary>
public sealed class TimeCourseSurrogate
{
    private readonly GaussianProcess[] _gps;
    private readonly double[] _center;        // per-output mean (PCA) or zeros
    private readonly double[] _basis;         // flat [component · T + t] (PCA) or empty
    private readonly double[] _truncation;    // per-output mean-square truncation residual (PCA)
    private readonly int _outputs;

    private TimeCourseSurrogate(GaussianProcess[] gps, double[] center, double[] basis, double[] truncation, int outputs, SurrogateBasis kind,
        double[][] inputs, double[][] outputsTrain)
    {
        (_gps, _center, _basis, _truncation, _outputs, Basis) = (gps, center, basis, truncation, outputs, kind);
        DesignInputs = inputs;
        DesignOutputs = outputsTrain;
    }

    /// <summary>Number of inputs (parameters, in physical units).</summary>
    public int Dimension => _gps[0].Dimension;

    /// <summary>Number of outputs T.</summary>
    public int Outputs => _outputs;

    /// <summary>Output basis.</summary>
    public SurrogateBasis Basis { get; }

    /// <summary>The fitted processes: one per PCA component or per output.</summary>
    public IReadOnlyList<GaussianProcess> Processes => _gps;

    /// <summary>Design inputs the surrogate was fitted to, [point][input].</summary>
    public double[][] DesignInputs { get; }

    /// <summary>Simulator outputs at the design, [point][output].</summary>
    public double[][] DesignOutputs { get; }

    /// <summary>
    /// Fits a surrogate to simulator runs: <paramref name="inputs"/> [point][parameter] (physical units) and
    /// <paramref name="outputs"/> [point][output] (e.g. µM at each sampled time).
    /// </summary>
    public static TimeCourseSurrogate Fit(double[][] inputs, double[][] outputs, SurrogateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var o = options ?? new SurrogateOptions();
        int n = inputs.Length;
        if (outputs.Length != n) throw new ArgumentException($"{n} design inputs but {outputs.Length} output rows");
        if (n < 3) throw new ArgumentException("need at least 3 design points");
        int t = outputs[0].Length;
        if (t < 1) throw new ArgumentException("need at least one output");
        foreach (var row in outputs) if (row.Length != t) throw new ArgumentException("all output rows must have the same length");
        var gpOptions = o.Gp ?? new GaussianProcessOptions();
        if (o.Basis == SurrogateBasis.Independent)
        {
            var gps = new GaussianProcess[t];
            for (int k = 0; k < t; k++)
            {
                var col = new double[n];
                for (int i = 0; i < n; i++) col[i] = outputs[i][k];
                gps[k] = GaussianProcess.Fit(inputs, col, gpOptions with { Seed = Core.Seeds.Child(gpOptions.Seed, FormattableString.Invariant($"output/{k}")) });
            }
            return new TimeCourseSurrogate(gps, new double[t], [], new double[t], t, o.Basis, inputs, outputs);
        }
        if (!(o.PcaVarianceFraction > 0 && o.PcaVarianceFraction <= 1) || o.MaxComponents < 1) throw new ArgumentOutOfRangeException(nameof(options));
        var center = new double[t];
        for (int i = 0; i < n; i++) for (int k = 0; k < t; k++) center[k] += outputs[i][k];
        for (int k = 0; k < t; k++) center[k] /= n;
        var y = Matrix<double>.Build.Dense(n, t, (i, k) => outputs[i][k] - center[k]);
        var svd = y.Svd(computeVectors: true);
        var s = svd.S;
        double total = 0;
        for (int c = 0; c < s.Count; c++) total += s[c] * s[c];
        int keep = 1;
        if (total > 0)
        {
            double acc = s[0] * s[0];
            while (keep < Math.Min(o.MaxComponents, Math.Min(s.Count, n - 1)) && acc < o.PcaVarianceFraction * total) { acc += s[keep] * s[keep]; keep++; }
        }
        var vt = svd.VT;
        var basis = new double[keep * t];
        for (int c = 0; c < keep; c++) for (int k = 0; k < t; k++) basis[c * t + k] = vt[c, k];
        var scores = new double[keep][];
        for (int c = 0; c < keep; c++)
        {
            scores[c] = new double[n];
            for (int i = 0; i < n; i++)
            {
                double sc = 0;
                for (int k = 0; k < t; k++) sc += y[i, k] * basis[c * t + k];
                scores[c][i] = sc;
            }
        }
        var truncation = new double[t];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < t; k++)
            {
                double rec = 0;
                for (int c = 0; c < keep; c++) rec += scores[c][i] * basis[c * t + k];
                double r = y[i, k] - rec;
                truncation[k] += r * r / n;
            }
        var procs = new GaussianProcess[keep];
        for (int c = 0; c < keep; c++)
            procs[c] = GaussianProcess.Fit(inputs, scores[c], gpOptions with { Seed = Core.Seeds.Child(gpOptions.Seed, FormattableString.Invariant($"component/{c}")) });
        return new TimeCourseSurrogate(procs, center, basis, truncation, t, o.Basis, inputs, outputs);
    }

    /// <summary>Predictive mean of every output at <paramref name="input"/> (physical units), written to <paramref name="mean"/> (length T).</summary>
    public void PredictMean(ReadOnlySpan<double> input, Span<double> mean)
    {
        if (mean.Length != _outputs) throw new ArgumentException($"mean needs {_outputs} entries");
        if (Basis == SurrogateBasis.Independent)
        {
            for (int k = 0; k < _outputs; k++) mean[k] = _gps[k].PredictMean(input);
            return;
        }
        _center.CopyTo(mean);
        for (int c = 0; c < _gps.Length; c++)
        {
            double sc = _gps[c].PredictMean(input);
            int off = c * _outputs;
            for (int k = 0; k < _outputs; k++) mean[k] += sc * _basis[off + k];
        }
    }

    /// <summary>
    /// Predictive mean (output units) and variance (output units², surrogate uncertainty of the simulator's output, including
    /// the PCA truncation residual) of every output at <paramref name="input"/>; spans of length T.
    /// </summary>
    public void Predict(ReadOnlySpan<double> input, Span<double> mean, Span<double> variance)
    {
        if (mean.Length != _outputs || variance.Length != _outputs) throw new ArgumentException($"mean and variance need {_outputs} entries");
        if (Basis == SurrogateBasis.Independent)
        {
            for (int k = 0; k < _outputs; k++) (mean[k], variance[k]) = _gps[k].Predict(input);
            return;
        }
        _center.CopyTo(mean);
        _truncation.CopyTo(variance);
        for (int c = 0; c < _gps.Length; c++)
        {
            var (sc, v) = _gps[c].Predict(input);
            int off = c * _outputs;
            for (int k = 0; k < _outputs; k++)
            {
                double b = _basis[off + k];
                mean[k] += sc * b;
                variance[k] += v * b * b;
            }
        }
    }

    /// <summary>Predictive mean at <paramref name="input"/> as a new array (length T).</summary>
    public double[] PredictMean(double[] input)
    {
        var m = new double[_outputs];
        PredictMean(input, m);
        return m;
    }

    /// <summary>
    /// Leave-one-out validation at the design points from each process's exact LOO predictions (the PCA basis is kept from
    /// the full design, so the estimate is slightly optimistic for PCA surrogates).
    /// </summary>
    public SurrogateValidation LeaveOneOut()
    {
        int n = DesignInputs.Length;
        var loo = _gps.Select(g => g.LeaveOneOut()).ToArray();
        var mean = new double[n][];
        var variance = new double[n][];
        for (int i = 0; i < n; i++)
        {
            mean[i] = new double[_outputs];
            variance[i] = new double[_outputs];
            if (Basis == SurrogateBasis.Independent)
            {
                for (int k = 0; k < _outputs; k++) (mean[i][k], variance[i][k]) = (loo[k].Mean[i], loo[k].Variance[i]);
                continue;
            }
            for (int k = 0; k < _outputs; k++) (mean[i][k], variance[i][k]) = (_center[k], _truncation[k]);
            for (int c = 0; c < _gps.Length; c++)
                for (int k = 0; k < _outputs; k++)
                {
                    double b = _basis[c * _outputs + k];
                    mean[i][k] += loo[c].Mean[i] * b;
                    variance[i][k] += loo[c].Variance[i] * b * b;
                }
        }
        return Score(DesignOutputs, mean, variance);
    }

    /// <summary>Validation against held-out simulator runs: <paramref name="inputs"/> [point][input], <paramref name="outputs"/> [point][output].</summary>
    public SurrogateValidation Validate(double[][] inputs, double[][] outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Length != outputs.Length || inputs.Length == 0) throw new ArgumentException("need matching, non-empty held-out inputs and outputs");
        var mean = new double[inputs.Length][];
        var variance = new double[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            mean[i] = new double[_outputs];
            variance[i] = new double[_outputs];
            Predict(inputs[i], mean[i], variance[i]);
        }
        return Score(outputs, mean, variance);
    }

    private SurrogateValidation Score(double[][] truth, double[][] mean, double[][] variance)
    {
        int n = truth.Length;
        var perOutput = new double[_outputs];
        var colMean = new double[_outputs];
        for (int i = 0; i < n; i++)
        {
            if (truth[i].Length != _outputs) throw new ArgumentException($"output row {i} has {truth[i].Length} values, expected {_outputs}");
            for (int k = 0; k < _outputs; k++) colMean[k] += truth[i][k] / n;
        }
        double se = 0, spread = 0, maxAbs = 0;
        int inside = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < _outputs; k++)
            {
                double err = truth[i][k] - mean[i][k];
                se += err * err;
                perOutput[k] += err * err;
                double dev = truth[i][k] - colMean[k];
                spread += dev * dev;
                maxAbs = Math.Max(maxAbs, Math.Abs(err));
                if (Math.Abs(err) <= 1.959963984540054 * Math.Sqrt(variance[i][k]) + 1e-12 * Math.Abs(truth[i][k])) inside++;
            }
        for (int k = 0; k < _outputs; k++) perOutput[k] = Math.Sqrt(perOutput[k] / n);
        double rmse = Math.Sqrt(se / (n * _outputs));
        double sd = Math.Sqrt(spread / (n * _outputs));
        return new SurrogateValidation(rmse, sd > 0 ? rmse / sd : double.NaN, maxAbs, (double)inside / (n * _outputs), perOutput, n);
    }
}
