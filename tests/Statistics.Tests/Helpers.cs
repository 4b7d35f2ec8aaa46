using ShapeStudy.Core;

namespace ShapeStudy.Statistics.Tests;

internal static class Helpers
{
    /// <summary>m chains of n draws of a stationary Gaussian AR(1) with coefficient phi, unit marginal variance, plus an offset per chain.</summary>
    public static double[][] Ar1Chains(int m, int n, double phi, int seed, double[]? offsets = null)
    {
        var rng = new Random(seed);
        var chains = new double[m][];
        double innovation = Math.Sqrt(1 - phi * phi);
        for (int c = 0; c < m; c++)
        {
            var x = new double[n];
            double v = rng.StandardNormal();
            for (int i = 0; i < n; i++)
            {
                x[i] = v + (offsets?[c] ?? 0);
                v = phi * v + innovation * rng.StandardNormal();
            }
            chains[c] = x;
        }
        return chains;
    }
}
