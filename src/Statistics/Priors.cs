using ShapeStudy.Core;

namespace ShapeStudy.Statistics;

/// <summary>
/// A univariate prior on one parameter in its physical units (e.g. µm²/ms): log-density, support bounds, and draws
/// used to start chains.
/// </summary>
public abstract record Prior
{
    /// <summary>Log probability density at <paramref name="x"/>; −∞ outside the support.</summary>
    public abstract double LogPdf(double x);

    /// <summary>Lower bound of the support (may be −∞).</summary>
    public abstract double Lower { get; }

    /// <summary>Upper bound of the support (may be +∞).</summary>
    public abstract double Upper { get; }

    /// <summary>A draw from the prior.</summary>
    public abstract double Sample(Random rng);

    /// <summary>A rough scale of the prior (standard deviation or equivalent), used for the initial proposal.</summary>
    public abstract double Scale { get; }
}

/// <summary>Uniform prior on [<paramref name="Low"/>, <paramref name="High"/>].</summary>
public sealed record UniformPrior(double Low, double High) : Prior
{
    /// <summary>Upper end of the support; must exceed <see cref="Low"/> (both finite).</summary>
    public double High { get; init; } = double.IsFinite(Low) && double.IsFinite(High) && High > Low
        ? High : throw new ArgumentException($"uniform prior needs finite bounds with low < high, got [{Low}, {High}]");

    public override double LogPdf(double x) => x >= Low && x <= High ? -Math.Log(High - Low) : double.NegativeInfinity;
    public override double Lower => Low;
    public override double Upper => High;
    public override double Sample(Random rng) => Low + (High - Low) * rng.NextDouble();
    public override double Scale => (High - Low) / Math.Sqrt(12);
}

/// <summary>Normal prior N(<paramref name="Mean"/>, <paramref name="Sd"/>²).</summary>
public sealed record NormalPrior(double Mean, double Sd) : Prior
{
    /// <summary>Standard deviation (&gt; 0).</summary>
    public double Sd { get; init; } = Sd > 0 && double.IsFinite(Sd) ? Sd : throw new ArgumentException($"normal prior sd must be positive, got {Sd}");

    public override double LogPdf(double x)
    {
        double z = (x - Mean) / Sd;
        return -0.5 * z * z - Math.Log(Sd) - 0.5 * Math.Log(2 * Math.PI);
    }
    public override double Lower => double.NegativeInfinity;
    public override double Upper => double.PositiveInfinity;
    public override double Sample(Random rng) => Mean + Sd * rng.StandardNormal();
    public override double Scale => Sd;
}

/// <summary>Log-normal prior: log x ~ N(<paramref name="Mu"/>, <paramref name="Sigma"/>²); density in x's physical units.</summary>
public sealed record LogNormalPrior(double Mu, double Sigma) : Prior
{
    /// <summary>Standard deviation of log x (&gt; 0).</summary>
    public double Sigma { get; init; } = Sigma > 0 && double.IsFinite(Sigma) ? Sigma : throw new ArgumentException($"log-normal prior sigma must be positive, got {Sigma}");

    public override double LogPdf(double x)
    {
        if (!(x > 0)) return double.NegativeInfinity;
        double lx = Math.Log(x);
        double z = (lx - Mu) / Sigma;
        return -0.5 * z * z - lx - Math.Log(Sigma) - 0.5 * Math.Log(2 * Math.PI);
    }
    public override double Lower => 0;
    public override double Upper => double.PositiveInfinity;
    public override double Sample(Random rng) => Math.Exp(Mu + Sigma * rng.StandardNormal());
    public override double Scale
    {
        get
        {
            double s2 = Sigma * Sigma;
            return Math.Sqrt((Math.Exp(s2) - 1) * Math.Exp(2 * Mu + s2));
        }
    }
}
