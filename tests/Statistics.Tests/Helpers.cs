namespace ShapeStudy.Statistics.Tests;

internal static class Helpers
{
    public static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "ShapeStudy.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ShapeStudy.sln not found above the test directory");
    }

    /// <summary>m chains of n draws of a stationary Gaussian AR(1) with coefficient phi, unit marginal variance, plus an offset per chain.</summary>
    public static double[][] Ar1Chains(int m, int n, double phi, int seed, double[]? offsets = null)
    {
        var rng = new Random(seed);
        var chains = new double[m][];
        double innovation = Math.Sqrt(1 - phi * phi);
        for (int c = 0; c < m; c++)
        {
            var x = new double[n];
            double v = Normal(rng);
            for (int i = 0; i < n; i++)
            {
                x[i] = v + (offsets?[c] ?? 0);
                v = phi * v + innovation * Normal(rng);
            }
            chains[c] = x;
        }
        return chains;
    }
}
