namespace ShapeStudy.Core;

/// <summary>Extra draws from <see cref="Random"/>.</summary>
public static class RandomExtensions
{
    /// <summary>
    /// One draw from the standard normal distribution N(0, 1) by the Box–Muller transform: with u1 uniform on (0, 1]
    /// and u2 uniform on [0, 1), returns sqrt(−2 ln u1) · cos(2π u2). Consumes exactly two <see cref="Random.NextDouble"/>
    /// values per call (the sine partner is discarded), so seeded sequences are reproducible.
    /// </summary>
    public static double StandardNormal(this Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
