using MathNet.Numerics;

namespace ShapeStudy.Statistics;

/// <summary>
/// Independent Gaussian errors for a time course: y[i] ~ N(f(θ)[i], σ²) with the observed values, model values and σ in
/// the same physical units (e.g. µM). The log-likelihood is the full log-density (including −n log σ − n/2 log 2π).
/// </summary>
/// <param name="Observed">Observed values y, shape (n).</param>
/// <param name="Sigma">Noise standard deviation σ &gt; 0 in the units of y (used by the overloads without σ).</param>
public sealed record GaussianLikelihood(double[] Observed, double Sigma = 1)
{
    /// <summary>Log-likelihood of the model values <paramref name="model"/> (shape (n)) with noise sd <see cref="Sigma"/>.</summary>
    public double LogDensity(ReadOnlySpan<double> model) => LogDensity(model, Sigma);

    /// <summary>Log-likelihood with noise sd <paramref name="sigma"/> (e.g. a sampled parameter); −∞ when σ ≤ 0.</summary>
    public double LogDensity(ReadOnlySpan<double> model, double sigma)
    {
        int n = Check(model);
        if (!(sigma > 0)) return double.NegativeInfinity;
        double ss = 0;
        for (int i = 0; i < n; i++) { double r = Observed[i] - model[i]; ss += r * r; }
        return -0.5 * ss / (sigma * sigma) - n * Math.Log(sigma) - 0.5 * n * Math.Log(2 * Math.PI);
    }

    /// <summary>∂ log L / ∂ f[i] = (y[i] − f[i]) / σ², written to <paramref name="gradient"/> (shape (n)); chain it with the model's Jacobian for HMC.</summary>
    public void GradientWrtModel(ReadOnlySpan<double> model, double sigma, Span<double> gradient)
    {
        int n = Check(model);
        if (gradient.Length != n) throw new ArgumentException("gradient must have one entry per observation");
        double inv = 1 / (sigma * sigma);
        for (int i = 0; i < n; i++) gradient[i] = (Observed[i] - model[i]) * inv;
    }

    private int Check(ReadOnlySpan<double> model)
    {
        if (model.Length != Observed.Length) throw new ArgumentException($"model has {model.Length} values, observations {Observed.Length}");
        return model.Length;
    }
}

/// <summary>
/// Independent Student-t errors for a time course (robust to outliers): (y[i] − f(θ)[i]) / σ ~ t_ν, values and σ in the
/// units of y. Full log-density: Σ_i [lnΓ((ν+1)/2) − lnΓ(ν/2) − ½ ln(νπ) − ln σ − (ν+1)/2 · ln(1 + r_i²/(ν σ²))].
/// </summary>
/// <param name="Observed">Observed values y, shape (n).</param>
/// <param name="Nu">Degrees of freedom ν &gt; 0.</param>
/// <param name="Sigma">Scale σ &gt; 0 in the units of y.</param>
public sealed record StudentTLikelihood(double[] Observed, double Nu = 4, double Sigma = 1)
{
    /// <summary>Log-likelihood of the model values with the record's ν and σ.</summary>
    public double LogDensity(ReadOnlySpan<double> model) => LogDensity(model, Nu, Sigma);

    /// <summary>Log-likelihood with degrees of freedom <paramref name="nu"/> and scale <paramref name="sigma"/>; −∞ when either is ≤ 0.</summary>
    public double LogDensity(ReadOnlySpan<double> model, double nu, double sigma)
    {
        if (model.Length != Observed.Length) throw new ArgumentException($"model has {model.Length} values, observations {Observed.Length}");
        if (!(nu > 0) || !(sigma > 0)) return double.NegativeInfinity;
        int n = model.Length;
        double s = 0, inv = 1 / (nu * sigma * sigma);
        for (int i = 0; i < n; i++) { double r = Observed[i] - model[i]; s += Math.Log(1 + r * r * inv); }
        double c = SpecialFunctions.GammaLn(0.5 * (nu + 1)) - SpecialFunctions.GammaLn(0.5 * nu) - 0.5 * Math.Log(nu * Math.PI) - Math.Log(sigma);
        return n * c - 0.5 * (nu + 1) * s;
    }

    /// <summary>∂ log L / ∂ f[i] = (ν+1) r_i / (ν σ² + r_i²) with r_i = y[i] − f[i], written to <paramref name="gradient"/> (shape (n)).</summary>
    public void GradientWrtModel(ReadOnlySpan<double> model, double nu, double sigma, Span<double> gradient)
    {
        if (model.Length != Observed.Length || gradient.Length != Observed.Length) throw new ArgumentException("model and gradient must have one entry per observation");
        double ns2 = nu * sigma * sigma;
        for (int i = 0; i < model.Length; i++) { double r = Observed[i] - model[i]; gradient[i] = (nu + 1) * r / (ns2 + r * r); }
    }
}
