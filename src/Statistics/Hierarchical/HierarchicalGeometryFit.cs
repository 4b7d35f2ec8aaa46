using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>
/// The study's shape population as a distribution of positive geometry descriptors (e.g. volume µm³, neck length µm): a
/// multivariate normal of the log-descriptors estimated from the shapes (real cells and synthetic variants), used as the
/// prior of each observation's geometry in <see cref="HierarchicalGeometryFit"/>.
/// </summary>
public sealed class ShapePopulation
{
    private readonly double[] _precision;
    private readonly double[] _cholesky;
    private readonly double _logNormalizer;

    /// <summary>A population with the given log-scale mean and covariance (row-major g × g, positive definite).</summary>
    public ShapePopulation(string[] names, double[] logMean, double[] logCovariance, double[] arithmeticMean)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(logMean);
        ArgumentNullException.ThrowIfNull(logCovariance);
        ArgumentNullException.ThrowIfNull(arithmeticMean);
        int g = logMean.Length;
        if (names.Length != g || logCovariance.Length != g * g || arithmeticMean.Length != g) throw new ArgumentException("inconsistent population dimensions");
        (Names, LogMean, LogCovariance, ArithmeticMean) = (names, logMean, logCovariance, arithmeticMean);
        _cholesky = (double[])logCovariance.Clone();
        if (!GaussianProcess.Cholesky(_cholesky, g)) throw new ArgumentException("population covariance is not positive definite");
        var m = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(g, g, (a, b) => logCovariance[a * g + b]).Inverse();
        _precision = new double[g * g];
        for (int a = 0; a < g; a++) for (int b = 0; b < g; b++) _precision[a * g + b] = m[a, b];
        double logDet = 0;
        for (int a = 0; a < g; a++) logDet += 2 * Math.Log(_cholesky[a * g + a]);
        _logNormalizer = -0.5 * (g * Math.Log(2 * Math.PI) + logDet);
    }

    /// <summary>Descriptor names.</summary>
    public string[] Names { get; }

    /// <summary>Mean of the log-descriptors.</summary>
    public double[] LogMean { get; }

    /// <summary>Covariance of the log-descriptors, row-major g × g.</summary>
    public double[] LogCovariance { get; }

    /// <summary>Arithmetic mean of the descriptors over the shapes (physical units): the "mean geometry".</summary>
    public double[] ArithmeticMean { get; }

    /// <summary>Number of descriptors g.</summary>
    public int Dimension => LogMean.Length;

    /// <summary>Estimates the population from descriptors of the study's shapes, [shape][descriptor] (all &gt; 0, at least g + 2 shapes).</summary>
    public static ShapePopulation FromDescriptors(double[][] descriptors, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        int m = descriptors.Length;
        if (m == 0) throw new ArgumentException("need at least one shape");
        int g = descriptors[0].Length;
        if (g < 1 || m < g + 2) throw new ArgumentException($"need at least {g + 2} shapes for {g} descriptors, got {m}");
        var mean = new double[g];
        var arith = new double[g];
        foreach (var row in descriptors)
        {
            if (row.Length != g) throw new ArgumentException("all shapes need the same descriptors");
            for (int j = 0; j < g; j++)
            {
                if (!(row[j] > 0) || !double.IsFinite(row[j])) throw new ArgumentException("descriptors must be positive and finite (they are modelled on the log scale)");
                mean[j] += Math.Log(row[j]) / m;
                arith[j] += row[j] / m;
            }
        }
        var cov = new double[g * g];
        foreach (var row in descriptors)
            for (int a = 0; a < g; a++)
                for (int b = 0; b < g; b++) cov[a * g + b] += (Math.Log(row[a]) - mean[a]) * (Math.Log(row[b]) - mean[b]) / (m - 1);
        var n = names?.ToArray() ?? Enumerable.Range(0, g).Select(j => $"g{j}").ToArray();
        if (n.Length != g) throw new ArgumentException($"need {g} descriptor names");
        return new ShapePopulation(n, mean, cov, arith);
    }

    /// <summary>Log-density of the log-descriptors <paramref name="logDescriptors"/> (length g) under the population.</summary>
    public double LogDensity(ReadOnlySpan<double> logDescriptors)
    {
        int g = Dimension;
        double q = 0;
        for (int a = 0; a < g; a++)
        {
            double da = logDescriptors[a] - LogMean[a];
            for (int b = 0; b < g; b++) q += da * _precision[a * g + b] * (logDescriptors[b] - LogMean[b]);
        }
        return _logNormalizer - 0.5 * q;
    }

    /// <summary>A geometry drawn from the population, physical units (length g).</summary>
    public double[] Sample(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int g = Dimension;
        var chol = _cholesky;
        var z = new double[g];
        for (int j = 0; j < g; j++) z[j] = rng.StandardNormal();
        var x = new double[g];
        for (int a = 0; a < g; a++)
        {
            double s = LogMean[a];
            for (int b = 0; b <= a; b++) s += chol[a * g + b] * z[b];
            x[a] = Math.Exp(s);
        }
        return x;
    }
}

/// <summary>One observed time course and, when available, the measured geometry descriptors of its cell.</summary>
/// <param name="Observed">Observed values (e.g. µM at the model's sampling times).</param>
/// <param name="MeasuredDescriptors">Measured descriptors (physical units, order of <see cref="ShapePopulation.Names"/>), or null when the cell's geometry was not measured.</param>
public sealed record GeometryObservation(double[] Observed, double[]? MeasuredDescriptors = null);

/// <summary>
/// A study in which kinetic parameters θ are shared by all observations while each observation's geometry g_j is a random
/// variable drawn from the shape population.
/// </summary>
/// <param name="KineticPriors">Priors of θ (physical units).</param>
/// <param name="Forward">Forward model or surrogate (θ, g) ↦ model time course, same length and units as the observations; thread-safe.</param>
/// <param name="Population">Shape population (prior of each g_j).</param>
/// <param name="Observations">Observed time courses with their measured descriptors.</param>
/// <param name="NoiseSd">Gaussian noise sd of the time courses (units of the observations).</param>
/// <param name="DescriptorLogSd">
/// Measurement error of the descriptors on the log scale (≈ relative error): log g_obs ~ N(log g_j, τ²). 0 = the measured
/// descriptors are exact (g_j is then fixed, not sampled).
/// </param>
public sealed record HierarchicalGeometryModel(IReadOnlyList<Prior> KineticPriors, Func<double[], double[], double[]> Forward, ShapePopulation Population,
    IReadOnlyList<GeometryObservation> Observations, double NoiseSd, double DescriptorLogSd = 0.05);

/// <summary>Result of a (hierarchical or geometry-naive) geometry-aware fit.</summary>
/// <param name="Kinetic">Posterior of the kinetic parameters (draws, summaries, 95 % intervals).</param>
/// <param name="GeometryMean">Posterior mean geometry per observation, [observation][descriptor] (physical units).</param>
/// <param name="KineticVariance">
/// Time-averaged posterior variance of the model time course due to kinetic uncertainty: mean over observations of
/// Var_θ f(θ, ḡ_j) (units²).
/// </param>
/// <param name="MorphologicalVariance">Time-averaged variance across observations of the posterior-mean time course E f(θ, g_j): the variability explained by geometry (units²).</param>
/// <param name="Raw">The kinetic chains.</param>
public sealed record GeometryFitResult(PosteriorFit Kinetic, double[][] GeometryMean, double KineticVariance, double MorphologicalVariance, McmcResult Raw);

/// <summary>
/// Geometry as a random variable: a hierarchical fit in which the kinetic parameters θ are shared by all observations and
/// each observation's log-geometry z_j = log g_j is latent, with population prior N(μ_pop, Σ_pop) and, when measured, a
/// measurement likelihood N(log g_obs,j; z_j, τ² I):
/// p(θ | y) ∝ Π prior(θ) · Π_j ∫ N(y_j; f(θ, e^{z}), σ² I) N(z; μ_pop, Σ_pop) N(log g_obs,j; z, τ² I) dz.
/// Each geometry integral is done by a Laplace approximation around the conditional mode ẑ_j(θ) (Gauss–Newton on the
/// negative log integrand, Jacobian of f in z by forward differences, Hessian JᵀJ/σ² + precision), exact when f is linear in
/// log g near the mode, so the sampler (<see cref="AdaptiveMetropolis"/>) only explores θ and mixes as well as a p-parameter
/// fit. Geometry posteriors are drawn from the Laplace approximation N(ẑ_j(θ), H_j⁻¹) at posterior draws of θ.
/// Because the posterior of θ is marginal over every cell's geometry, geometric variability is not mistaken for kinetic
/// variability. <see cref="SampleGeometryNaive"/> is the usual shortcut for contrast: every observation simulated at the
/// population's mean geometry.
/// </summary>
public static class HierarchicalGeometryFit
{
    /// <summary>Samples the hierarchical posterior of θ (chains start at prior draws; stream <c>am/initial</c> of the options' seed).</summary>
    public static GeometryFitResult Sample(HierarchicalGeometryModel model, AdaptiveMetropolisOptions? options = null)
    {
        Validate(model);
        var o = options ?? new AdaptiveMetropolisOptions(Chains: 4, Warmup: 2000, Draws: 2000);
        var latent = model.Observations.Select(ob => LatentGeometry.For(model, ob)).ToArray();
        double LogLikelihood(double[] theta)
        {
            double ll = 0;
            foreach (var l in latent)
            {
                ll += l.Marginal(theta, out _, out _);
                if (!double.IsFinite(ll)) return double.NegativeInfinity;
            }
            return ll;
        }
        var raw = AdaptiveMetropolis.Sample(LogLikelihood, model.KineticPriors, o);
        var rng = ResumableRandom.ForStream(o.Seed, "hierarchical/geometry");
        return Summarize(model, raw, (theta, j) => latent[j].Draw(theta, rng));
    }

    /// <summary>
    /// The geometry-naive fit: θ only, every observation simulated at the population's arithmetic mean geometry
    /// (<see cref="ShapePopulation.ArithmeticMean"/>); biased whenever the forward model is nonlinear in geometry.
    /// </summary>
    public static GeometryFitResult SampleGeometryNaive(HierarchicalGeometryModel model, AdaptiveMetropolisOptions? options = null)
    {
        Validate(model);
        var o = options ?? new AdaptiveMetropolisOptions(Chains: 4, Warmup: 2000, Draws: 2000);
        var mean = model.Population.ArithmeticMean;
        var likelihoods = model.Observations.Select(ob => new GaussianLikelihood(ob.Observed, model.NoiseSd)).ToArray();
        double LogLikelihood(double[] theta)
        {
            var f = model.Forward(theta, (double[])mean.Clone());
            double ll = 0;
            foreach (var l in likelihoods) ll += l.LogDensity(f);
            return ll;
        }
        var raw = AdaptiveMetropolis.Sample(LogLikelihood, model.KineticPriors, o);
        return Summarize(model, raw, (_, _) => mean);
    }

    private static GeometryFitResult Summarize(HierarchicalGeometryModel model, McmcResult raw, Func<double[], int, double[]> geometryOf)
    {
        int p = model.KineticPriors.Count, nObs = model.Observations.Count, g = model.Population.Dimension;
        var summaries = new ParameterSummary[p];
        var means = new double[p];
        var intervals = new (double, double)[p];
        for (int i = 0; i < p; i++)
        {
            var ch = raw.Parameter(i);
            summaries[i] = Diagnostics.Summary(ch);
            means[i] = summaries[i].Mean;
            var pooled = ch.SelectMany(c => c).ToArray();
            Array.Sort(pooled);
            intervals[i] = (Quantiles.Sorted(pooled, 0.025), Quantiles.Sorted(pooled, 0.975));
        }
        var all = raw.Draws.SelectMany(c => c).ToArray();
        var kinetic = new PosteriorFit(all, summaries, means, intervals, raw.AcceptanceRates.Average());

        // Geometry posteriors and the variance decomposition on up to 400 evenly spaced draws (serial: the geometry
        // draws share one seeded stream).
        int stride = Math.Max(1, all.Length / 400);
        var subset = Enumerable.Range(0, all.Length / stride).Select(s => all[s * stride]).ToArray();
        var geometries = new double[subset.Length][][];
        for (int s = 0; s < subset.Length; s++)
        {
            geometries[s] = new double[nObs][];
            for (int j = 0; j < nObs; j++) geometries[s][j] = geometryOf(subset[s], j);
        }
        var geometryMean = new double[nObs][];
        for (int j = 0; j < nObs; j++)
        {
            var gm = new double[g];
            for (int s = 0; s < subset.Length; s++) for (int a = 0; a < g; a++) gm[a] += geometries[s][j][a] / subset.Length;
            geometryMean[j] = gm;
        }
        int t = model.Observations[0].Observed.Length;
        var meanCourse = new double[nObs][];
        double kineticVar = 0;
        for (int j = 0; j < nObs; j++)
        {
            var sum = new double[t];
            var sumFixed = new double[t];
            var sumFixed2 = new double[t];
            for (int s = 0; s < subset.Length; s++)
            {
                var f = model.Forward((double[])subset[s].Clone(), (double[])geometries[s][j].Clone());
                var ff = model.Forward((double[])subset[s].Clone(), (double[])geometryMean[j].Clone());
                for (int k = 0; k < t; k++) { sum[k] += f[k]; sumFixed[k] += ff[k]; sumFixed2[k] += ff[k] * ff[k]; }
            }
            meanCourse[j] = sum.Select(v => v / subset.Length).ToArray();
            for (int k = 0; k < t; k++)
            {
                double m = sumFixed[k] / subset.Length;
                kineticVar += Math.Max(0, sumFixed2[k] / subset.Length - m * m) / (nObs * t);
            }
        }
        double morphVar = 0;
        for (int k = 0; k < t; k++)
        {
            double m = 0;
            for (int j = 0; j < nObs; j++) m += meanCourse[j][k] / nObs;
            for (int j = 0; j < nObs; j++) morphVar += (meanCourse[j][k] - m) * (meanCourse[j][k] - m) / (nObs * t);
        }
        return new GeometryFitResult(kinetic, geometryMean, kineticVar, morphVar, raw);
    }

    private static void Validate(HierarchicalGeometryModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(model.KineticPriors);
        ArgumentNullException.ThrowIfNull(model.Forward);
        ArgumentNullException.ThrowIfNull(model.Population);
        ArgumentNullException.ThrowIfNull(model.Observations);
        if (model.KineticPriors.Count < 1) throw new ArgumentException("need at least one kinetic parameter");
        if (model.Observations.Count < 1) throw new ArgumentException("need at least one observation");
        if (!(model.NoiseSd > 0)) throw new ArgumentException("noise sd must be positive");
        if (!(model.DescriptorLogSd >= 0)) throw new ArgumentException("descriptor measurement sd must be ≥ 0");
        int t = model.Observations[0].Observed.Length;
        foreach (var ob in model.Observations)
        {
            if (ob.Observed.Length != t) throw new ArgumentException("all observed time courses must have the same length");
            if (ob.MeasuredDescriptors is { } m && m.Length != model.Population.Dimension)
                throw new ArgumentException($"measured descriptors need {model.Population.Dimension} values");
            if (ob.MeasuredDescriptors is { } md && md.Any(v => !(v > 0))) throw new ArgumentException("measured descriptors must be positive");
        }
    }

    /// <summary>
    /// One observation's latent log-geometry: its Gaussian prior-times-measurement q(z) = N(m, P⁻¹) and the Laplace
    /// approximation of ∫ N(y; f(θ, e^z), σ²) q(z) dz (or the exact likelihood when the geometry is known exactly).
    /// </summary>
    private sealed class LatentGeometry
    {
        private readonly Func<double[], double[], double[]> _forward;
        private readonly double[] _y;
        private readonly double _sigma2;
        private readonly int _g;
        private readonly double[] _m, _precision; // q's mean and precision (g × g)
        private readonly double _logDetPrecision;
        private readonly double[]? _fixed;        // exact geometry when τ = 0 and measured

        private LatentGeometry(Func<double[], double[], double[]> forward, double[] y, double sigma, int g, double[] m, double[] precision, double[]? fixedGeometry)
        {
            (_forward, _y, _sigma2, _g, _m, _precision, _fixed) = (forward, y, sigma * sigma, g, m, precision, fixedGeometry);
            var c = (double[])precision.Clone();
            if (!GaussianProcess.Cholesky(c, g)) throw new ArgumentException("geometry precision is not positive definite");
            for (int a = 0; a < g; a++) _logDetPrecision += 2 * Math.Log(c[a * g + a]);
        }

        public static LatentGeometry For(HierarchicalGeometryModel model, GeometryObservation ob)
        {
            var pop = model.Population;
            int g = pop.Dimension;
            if (ob.MeasuredDescriptors is { } exact && model.DescriptorLogSd == 0)
                return new LatentGeometry(model.Forward, ob.Observed, model.NoiseSd, g, new double[g], Identity(g), (double[])exact.Clone());
            var cov = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(g, g, (a, b) => pop.LogCovariance[a * g + b]);
            var precision = cov.Inverse();
            var rhs = precision * MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(pop.LogMean);
            if (ob.MeasuredDescriptors is { } measured)
            {
                double w = 1 / (model.DescriptorLogSd * model.DescriptorLogSd);
                for (int a = 0; a < g; a++) { precision[a, a] += w; rhs[a] += w * Math.Log(measured[a]); }
            }
            var m = precision.Solve(rhs).ToArray();
            var pFlat = new double[g * g];
            for (int a = 0; a < g; a++) for (int b = 0; b < g; b++) pFlat[a * g + b] = precision[a, b];
            return new LatentGeometry(model.Forward, ob.Observed, model.NoiseSd, g, m, pFlat, null);
        }

        private static double[] Identity(int g)
        {
            var i = new double[g * g];
            for (int a = 0; a < g; a++) i[a * g + a] = 1;
            return i;
        }

        /// <summary>
        /// log ∫ N(y; f(θ, e^z), σ²) q(z) dz up to a θ-independent constant, with the conditional mode ẑ and the lower
        /// Cholesky factor of the Hessian H at ẑ (g × g).
        /// </summary>
        public double Marginal(double[] theta, out double[] mode, out double[] hessianCholesky)
        {
            int t = _y.Length, g = _g;
            if (_fixed is not null)
            {
                mode = _fixed.Select(v => Math.Log(v)).ToArray();
                hessianCholesky = Identity(g);
                return -0.5 * ResidualSquares(_forward((double[])theta.Clone(), (double[])_fixed.Clone())) / _sigma2;
            }
            var z = (double[])_m.Clone();
            var jac = new double[t * g];
            var h = new double[g * g];
            var grad = new double[g];
            var step = new double[g];
            var trial = new double[g];
            double phi = Phi(theta, z, out var f);
            for (int it = 0; it < 50; it++)
            {
                Jacobian(theta, z, f, jac);
                BuildNormalEquations(z, f, jac, h, grad);
                if (!GaussianProcess.Cholesky(h, g)) break;
                Solve(h, grad, step);
                double maxStep = 0;
                foreach (var v in step) maxStep = Math.Max(maxStep, Math.Abs(v));
                double scale = 1, phiBefore = phi;
                bool improved = false;
                for (int ls = 0; ls < 30; ls++)
                {
                    for (int a = 0; a < g; a++) trial[a] = z[a] - scale * step[a];
                    double phiTrial = Phi(theta, trial, out var fTrial);
                    if (phiTrial <= phi)
                    {
                        Array.Copy(trial, z, g);
                        phi = phiTrial;
                        f = fTrial;
                        improved = true;
                        break;
                    }
                    scale *= 0.5;
                }
                if (!improved || maxStep * scale < 1e-7 || phiBefore - phi < 1e-10 * (1 + phi)) break;
            }
            Jacobian(theta, z, f, jac);
            BuildNormalEquations(z, f, jac, h, grad);
            if (!double.IsFinite(phi) || !GaussianProcess.Cholesky(h, g))
            {
                mode = z;
                hessianCholesky = Identity(g);
                return double.NegativeInfinity;
            }
            double logDetH = 0;
            for (int a = 0; a < g; a++) logDetH += 2 * Math.Log(h[a * g + a]);
            mode = z;
            hessianCholesky = h;
            return -phi - 0.5 * logDetH + 0.5 * _logDetPrecision;
        }

        /// <summary>A geometry (physical units) from the Laplace approximation N(ẑ(θ), H⁻¹) of z | θ, y.</summary>
        public double[] Draw(double[] theta, Random rng)
        {
            if (_fixed is not null) return _fixed;
            Marginal(theta, out var mode, out var l);
            int g = _g;
            // z = ẑ + L⁻ᵀ ε has covariance (L Lᵀ)⁻¹ = H⁻¹.
            var e = new double[g];
            for (int a = 0; a < g; a++) e[a] = rng.StandardNormal();
            for (int a = g - 1; a >= 0; a--)
            {
                double s = e[a];
                for (int b = a + 1; b < g; b++) s -= l[b * g + a] * e[b];
                e[a] = s / l[a * g + a];
            }
            var geo = new double[g];
            for (int a = 0; a < g; a++) geo[a] = Math.Exp(mode[a] + e[a]);
            return geo;
        }

        private double ResidualSquares(double[] f)
        {
            double ss = 0;
            for (int k = 0; k < _y.Length; k++) { double r = _y[k] - f[k]; ss += r * r; }
            return ss;
        }

        /// <summary>Φ(z) = ½|y − f(θ, e^z)|²/σ² + ½ (z − m)ᵀ P (z − m).</summary>
        private double Phi(double[] theta, double[] z, out double[] f)
        {
            f = _forward((double[])theta.Clone(), z.Select(Math.Exp).ToArray());
            double ss = ResidualSquares(f);
            if (!double.IsFinite(ss)) return double.PositiveInfinity;
            double q = 0;
            for (int a = 0; a < _g; a++)
                for (int b = 0; b < _g; b++) q += (z[a] - _m[a]) * _precision[a * _g + b] * (z[b] - _m[b]);
            return 0.5 * ss / _sigma2 + 0.5 * q;
        }

        private void Jacobian(double[] theta, double[] z, double[] f, double[] jac)
        {
            int t = _y.Length;
            for (int a = 0; a < _g; a++)
            {
                double hStep = 1e-6 * Math.Max(1, Math.Abs(z[a]));
                var zp = (double[])z.Clone();
                zp[a] += hStep;
                var fp = _forward((double[])theta.Clone(), zp.Select(Math.Exp).ToArray());
                for (int k = 0; k < t; k++) jac[k * _g + a] = (fp[k] - f[k]) / hStep;
            }
        }

        /// <summary>Gauss–Newton Hessian H = JᵀJ/σ² + P (lower triangle) and gradient ∇Φ = −Jᵀr/σ² + P(z − m).</summary>
        private void BuildNormalEquations(double[] z, double[] f, double[] jac, double[] h, double[] grad)
        {
            int t = _y.Length, g = _g;
            for (int a = 0; a < g; a++)
            {
                double gr = 0;
                for (int k = 0; k < t; k++) gr -= jac[k * g + a] * (_y[k] - f[k]);
                gr /= _sigma2;
                for (int b = 0; b < g; b++) gr += _precision[a * g + b] * (z[b] - _m[b]);
                grad[a] = gr;
                for (int b = 0; b <= a; b++)
                {
                    double s = 0;
                    for (int k = 0; k < t; k++) s += jac[k * g + a] * jac[k * g + b];
                    h[a * g + b] = s / _sigma2 + _precision[a * g + b];
                }
            }
        }

        /// <summary>Solves (L Lᵀ) x = b with the lower Cholesky factor in <paramref name="l"/>.</summary>
        private void Solve(double[] l, double[] b, double[] x)
        {
            int g = _g;
            for (int a = 0; a < g; a++)
            {
                double s = b[a];
                for (int c = 0; c < a; c++) s -= l[a * g + c] * x[c];
                x[a] = s / l[a * g + a];
            }
            for (int a = g - 1; a >= 0; a--)
            {
                double s = x[a];
                for (int c = a + 1; c < g; c++) s -= l[c * g + a] * x[c];
                x[a] = s / l[a * g + a];
            }
        }
    }
}
