using MathNet.Numerics.Distributions;
using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>Half-normal prior on [0, ∞): density 2·N(x; 0, <paramref name="Sd"/>²) for x ≥ 0, in x's physical units.</summary>
public sealed record HalfNormalPrior(double Sd) : Prior
{
    /// <summary>Scale σ of the underlying normal (&gt; 0); the half-normal's own sd is σ·√(1 − 2/π).</summary>
    public double Sd { get; init; } = Sd > 0 && double.IsFinite(Sd) ? Sd : throw new ArgumentException($"half-normal prior scale must be positive, got {Sd}");

    public override double LogPdf(double x)
    {
        if (!(x >= 0)) return double.NegativeInfinity;
        double z = x / Sd;
        return -0.5 * z * z - Math.Log(Sd) + 0.5 * Math.Log(2 / Math.PI);
    }
    public override double Lower => 0;
    public override double Upper => double.PositiveInfinity;
    public override double Sample(Random rng) => Math.Abs(Sd * rng.StandardNormal());
    public override double Scale => Sd * Math.Sqrt(1 - 2 / Math.PI);
}

/// <summary>
/// The prior of u = ln θ when θ (positive, physical units) has the prior <paramref name="Inner"/>: log p(u) = log p_inner(eᵘ) + u
/// (change of variables). Sampling a positive scale parameter such as a diffusion coefficient in u is the natural choice when
/// its prior spans decades; the posterior of θ is eᵘ of the draws.
/// </summary>
public sealed record LogTransformedPrior(Prior Inner) : Prior
{
    /// <summary>The prior of θ; its support must lie in (0, ∞).</summary>
    public Prior Inner { get; init; } = Inner is { Lower: >= 0 } ? Inner : throw new ArgumentException("a log-transformed prior needs a prior on positive values");

    public override double LogPdf(double u) => Inner.LogPdf(Math.Exp(u)) + u;
    public override double Lower => Inner.Lower > 0 ? Math.Log(Inner.Lower) : double.NegativeInfinity;
    public override double Upper => Math.Log(Inner.Upper);
    public override double Sample(Random rng) => Math.Log(Inner.Sample(rng));

    /// <summary>σ for a log-normal θ; (ln high − ln low)/√12 for bounded support; otherwise 1.</summary>
    public override double Scale => Inner is LogNormalPrior l ? l.Sigma
        : double.IsFinite(Lower) && double.IsFinite(Upper) ? (Upper - Lower) / Math.Sqrt(12) : 1;
}

/// <summary>
/// The prior <see cref="Inner"/> restricted to [<see cref="Low"/>, <see cref="High"/>] and renormalized:
/// log p(x) = log p_inner(x) − log P_inner(Low ≤ X ≤ High) inside the bounds, −∞ outside. The normalizer uses the exact CDF
/// for uniform, normal, log-normal and half-normal priors and adaptive quadrature of the density otherwise. Draws use the
/// inverse CDF when it is known and rejection from the inner prior otherwise.
/// </summary>
public sealed record TruncatedPrior : Prior
{
    private readonly double _logMass;

    /// <summary>Truncates <paramref name="inner"/> to [<paramref name="low"/>, <paramref name="high"/>] (low &lt; high; either may be infinite).</summary>
    public TruncatedPrior(Prior inner, double low, double high)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(low < high)) throw new ArgumentException($"truncation needs low < high, got [{low}, {high}]");
        Inner = inner;
        Low = Math.Max(low, inner.Lower);
        High = Math.Min(high, inner.Upper);
        if (!(Low < High)) throw new ArgumentException("truncation interval does not overlap the inner prior's support");
        double mass = Cdf(inner, High) is double ch && Cdf(inner, Low) is double cl ? ch - cl : Integrate(inner, Low, High);
        if (!(mass > 0)) throw new ArgumentException("the inner prior has no mass inside the truncation interval");
        _logMass = Math.Log(mass);
    }

    /// <summary>The prior being truncated.</summary>
    public Prior Inner { get; }

    /// <summary>Lower truncation bound (at least the inner prior's lower bound).</summary>
    public double Low { get; }

    /// <summary>Upper truncation bound (at most the inner prior's upper bound).</summary>
    public double High { get; }

    /// <summary>Probability mass of the inner prior inside [Low, High].</summary>
    public double Mass => Math.Exp(_logMass);

    public override double LogPdf(double x) => x >= Low && x <= High ? Inner.LogPdf(x) - _logMass : double.NegativeInfinity;
    public override double Lower => Low;
    public override double Upper => High;

    public override double Sample(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double? cl = Cdf(Inner, Low), ch = Cdf(Inner, High);
        if (cl is double a && ch is double b && b - a > 1e-12)
        {
            for (int attempt = 0; attempt < 64; attempt++)
            {
                double x = InverseCdf(Inner, a + (b - a) * rng.NextDouble());
                if (x >= Low && x <= High) return x;
            }
        }
        for (int attempt = 0; attempt < 1_000_000; attempt++)
        {
            double x = Inner.Sample(rng);
            if (x >= Low && x <= High) return x;
        }
        throw new InvalidOperationException("could not draw from the truncated prior: too little mass inside the bounds");
    }

    public override double Scale => double.IsFinite(Low) && double.IsFinite(High) ? Math.Min(Inner.Scale, (High - Low) / Math.Sqrt(12)) : Inner.Scale;

    private static double? Cdf(Prior p, double x)
    {
        if (double.IsNegativeInfinity(x)) return 0;
        if (double.IsPositiveInfinity(x)) return 1;
        return p switch
        {
            UniformPrior u => Math.Clamp((x - u.Low) / (u.High - u.Low), 0, 1),
            NormalPrior n => Normal.CDF(n.Mean, n.Sd, x),
            LogNormalPrior l => x <= 0 ? 0 : Normal.CDF(l.Mu, l.Sigma, Math.Log(x)),
            HalfNormalPrior h => x <= 0 ? 0 : 2 * Normal.CDF(0, h.Sd, x) - 1,
            _ => null,
        };
    }

    private static double InverseCdf(Prior p, double q) => p switch
    {
        UniformPrior u => u.Low + q * (u.High - u.Low),
        NormalPrior n => Normal.InvCDF(n.Mean, n.Sd, q),
        LogNormalPrior l => Math.Exp(Normal.InvCDF(l.Mu, l.Sigma, q)),
        HalfNormalPrior h => Normal.InvCDF(0, h.Sd, 0.5 * (q + 1)),
        _ => double.NaN,
    };

    private static double Integrate(Prior p, double low, double high)
    {
        // Map infinite ends onto a finite interval: x = t/(1 − t²) on (−1, 1), or x = a + t/(1 − t) on [0, 1).
        if (double.IsFinite(low) && double.IsFinite(high))
            return MathNet.Numerics.Integrate.DoubleExponential(x => Math.Exp(p.LogPdf(x)), low, high, 1e-10);
        if (double.IsFinite(low))
            return MathNet.Numerics.Integrate.DoubleExponential(t => { double x = low + t / (1 - t); return Math.Exp(p.LogPdf(x)) / ((1 - t) * (1 - t)); }, 0, 1, 1e-10);
        if (double.IsFinite(high))
            return MathNet.Numerics.Integrate.DoubleExponential(t => { double x = high - t / (1 - t); return Math.Exp(p.LogPdf(x)) / ((1 - t) * (1 - t)); }, 0, 1, 1e-10);
        return MathNet.Numerics.Integrate.DoubleExponential(t => { double x = t / (1 - t * t); return Math.Exp(p.LogPdf(x)) * (1 + t * t) / ((1 - t * t) * (1 - t * t)); }, -1, 1, 1e-10);
    }
}

/// <summary>Log-posterior helpers combining priors (physical units) with a log-likelihood.</summary>
public static class LogPosterior
{
    /// <summary>θ ↦ Σ_j log prior_j(θ_j) + logLikelihood(θ); −∞ (without calling the likelihood) outside the priors' support.</summary>
    public static Func<double[], double> Of(IReadOnlyList<Prior> priors, Func<double[], double> logLikelihood)
    {
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(logLikelihood);
        var p = priors.ToArray();
        return theta =>
        {
            double lp = LogPrior(p, theta);
            return double.IsNegativeInfinity(lp) ? lp : lp + logLikelihood(theta);
        };
    }

    /// <summary>
    /// Log-posterior with gradient for <see cref="NutsSampler"/>: Σ_j log prior_j(θ_j) + log L(θ) and its gradient
    /// (<see cref="PriorGradients.LogPdfDerivative"/> plus the likelihood's gradient); (−∞, zeros) outside the priors' support.
    /// </summary>
    public static Func<double[], (double LogDensity, double[] Gradient)> WithGradient(IReadOnlyList<Prior> priors,
        Func<double[], (double LogLikelihood, double[] Gradient)> logLikelihoodAndGradient)
    {
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(logLikelihoodAndGradient);
        var p = priors.ToArray();
        return theta =>
        {
            double lp = LogPrior(p, theta);
            if (double.IsNegativeInfinity(lp)) return (lp, new double[p.Length]);
            var (ll, g) = logLikelihoodAndGradient(theta);
            var grad = new double[p.Length];
            for (int j = 0; j < p.Length; j++) grad[j] = g[j] + PriorGradients.LogPdfDerivative(p[j], theta[j]);
            return (lp + ll, grad);
        };
    }

    /// <summary>Σ_j log prior_j(θ_j), stopping at the first −∞ (θ outside a prior's support).</summary>
    private static double LogPrior(Prior[] priors, double[] theta)
    {
        double lp = 0;
        for (int j = 0; j < priors.Length; j++)
        {
            lp += priors[j].LogPdf(theta[j]);
            if (double.IsNegativeInfinity(lp)) break;
        }
        return lp;
    }

    /// <summary><paramref name="count"/> starting points drawn independently from the priors, [point][parameter].</summary>
    public static double[][] DrawInitial(IReadOnlyList<Prior> priors, int count, Random rng)
    {
        ArgumentNullException.ThrowIfNull(priors);
        ArgumentNullException.ThrowIfNull(rng);
        var init = new double[count][];
        for (int i = 0; i < count; i++)
        {
            init[i] = new double[priors.Count];
            for (int j = 0; j < priors.Count; j++) init[i][j] = priors[j].Sample(rng);
        }
        return init;
    }
}

/// <summary>Derivatives of prior log-densities, for gradient-based samplers.</summary>
public static class PriorGradients
{
    /// <summary>
    /// d/dx log p(x) inside the support: exact for uniform, normal, log-normal, half-normal and truncations of them; a central
    /// finite difference (step 1e-6·max(1, |x|), kept inside the support) otherwise. Units: 1/(units of x).
    /// </summary>
    public static double LogPdfDerivative(Prior prior, double x)
    {
        ArgumentNullException.ThrowIfNull(prior);
        switch (prior)
        {
            case UniformPrior: return 0;
            case NormalPrior n: return -(x - n.Mean) / (n.Sd * n.Sd);
            case LogNormalPrior l: return -(1 + (Math.Log(x) - l.Mu) / (l.Sigma * l.Sigma)) / x;
            case HalfNormalPrior h: return -x / (h.Sd * h.Sd);
            case TruncatedPrior t when t.Inner is UniformPrior or NormalPrior or LogNormalPrior or HalfNormalPrior or TruncatedPrior:
                return LogPdfDerivative(t.Inner, x);
        }
        double step = 1e-6 * Math.Max(1, Math.Abs(x));
        double lo = Math.Max(prior.Lower, x - step), hi = Math.Min(prior.Upper, x + step);
        return (prior.LogPdf(hi) - prior.LogPdf(lo)) / (hi - lo);
    }
}
