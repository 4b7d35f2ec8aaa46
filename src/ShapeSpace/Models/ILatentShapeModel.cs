namespace ShapeStudy.ShapeSpace;

/// <summary>
/// A generative shape model over spherical-harmonic coefficient vectors (length (Lmax + 1)², µm, index l² + l + m, in
/// the aligned frame of <see cref="ShCoefficients"/>) with a standard-normal latent prior: latent z ~ N(0, I) of
/// length <see cref="LatentSize"/>. For PCA, z_k is the k-th mode score in units of its standard deviation (σ); for a
/// VAE, z is the encoder's mean. Implementations are immutable and thread-safe for <see cref="Encode"/>/<see cref="Decode"/>.
/// </summary>
public interface ILatentShapeModel
{
    /// <summary>Model family: "pca" or "vae".</summary>
    string Kind { get; }
    /// <summary>Highest SH degree of the coefficient vectors the model reads and writes.</summary>
    int Lmax { get; }
    /// <summary>Latent dimension (number of modes).</summary>
    int LatentSize { get; }
    /// <summary>SHA-256 of the model's canonical serialized form (its identity in task keys and tables).</summary>
    string ContentHash { get; }
    /// <summary>Latent code (length <see cref="LatentSize"/>) of a coefficient vector (length (Lmax + 1)², µm).</summary>
    double[] Encode(double[] coefficients);
    /// <summary>Coefficient vector (length (Lmax + 1)², µm) of a latent code.</summary>
    double[] Decode(double[] latent);
}

/// <summary>Conversions between <see cref="ShCoefficients"/> and plain coefficient vectors.</summary>
public static class ShVectors
{
    /// <summary>
    /// The first (lmax + 1)² coefficients of a fit (its truncation to degree <paramref name="lmax"/>, µm); the fit must
    /// have Lmax ≥ lmax. Coefficients are in the fit's aligned frame, so vectors of different shapes are comparable.
    /// </summary>
    public static double[] Truncate(ShCoefficients fit, int lmax)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (lmax < 0 || lmax > fit.Lmax) throw new ArgumentOutOfRangeException(nameof(lmax), $"must be in [0, {fit.Lmax}]");
        return fit.Coefficients.AsSpan(0, RealSphericalHarmonics.Count(lmax)).ToArray();
    }

    /// <summary>The first (lmax + 1)² entries of a coefficient vector (its truncation to degree <paramref name="lmax"/>).</summary>
    public static double[] Truncate(double[] coefficients, int lmax)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        int count = RealSphericalHarmonics.Count(lmax);
        if (lmax < 0 || count > coefficients.Length) throw new ArgumentOutOfRangeException(nameof(lmax), $"vector of {coefficients.Length} coefficients cannot be truncated to lmax {lmax}");
        return coefficients.AsSpan(0, count).ToArray();
    }

    /// <summary>
    /// An aligned-frame shape (centroid at the origin, identity rotation) from a coefficient vector of length
    /// (lmax + 1)² (µm). Fit-error fields are NaN, the shape counts as star-shaped (a radial function always is), and
    /// <see cref="ShCoefficients.InputVolumeUm3"/> is the volume of the radial solid, (1/3)∫ max(r, 0)³ dΩ, by
    /// Gauss–Legendre × uniform quadrature exact for band-limited integrands up to degree 3·lmax (µm³).
    /// </summary>
    public static ShCoefficients ToShape(double[] coefficients, int lmax)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Length != RealSphericalHarmonics.Count(lmax))
            throw new ArgumentException($"expected {RealSphericalHarmonics.Count(lmax)} coefficients for lmax {lmax}, got {coefficients.Length}");
        double[] identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        return new ShCoefficients(lmax, (double[])coefficients.Clone(), (0, 0, 0), identity, true, 0, double.NaN, double.NaN,
            RadialVolume(coefficients, lmax));
    }

    /// <summary>(1/3)∫ max(r, 0)³ dΩ of r = Σ c Y (µm³).</summary>
    public static double RadialVolume(double[] coefficients, int lmax)
    {
        int nTheta = 2 * lmax + 2, nPhi = 2 * nTheta;
        var (nodes, weights) = GaussLegendre.Rule(nTheta);
        var basis = new double[RealSphericalHarmonics.Count(lmax)];
        double volume = 0;
        for (int i = 0; i < nTheta; i++)
        {
            double ct = nodes[i], st = Math.Sqrt(Math.Max(0, 1 - ct * ct));
            for (int j = 0; j < nPhi; j++)
            {
                RealSphericalHarmonics.EvaluateAngles(lmax, ct, st, 2 * Math.PI * (j + 0.5) / nPhi, basis);
                double r = 0;
                for (int k = 0; k < basis.Length; k++) r += coefficients[k] * basis[k];
                if (r > 0) volume += weights[i] * (2 * Math.PI / nPhi) * r * r * r / 3;
            }
        }
        return volume;
    }

    /// <summary>
    /// Root-mean-square radial difference (µm) between two radial shapes over the unit sphere:
    /// sqrt(∫ (r_a − r_b)² dΩ / 4π) = ‖c_a − c_b‖ / sqrt(4π) by orthonormality (Parseval). Vectors of different length
    /// are compared as if the shorter were padded with zeros.
    /// </summary>
    public static double RmsRadialDifference(double[] a, double[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        double s = 0;
        int n = Math.Max(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            double d = (i < a.Length ? a[i] : 0) - (i < b.Length ? b[i] : 0);
            s += d * d;
        }
        return Math.Sqrt(s / (4 * Math.PI));
    }
}
