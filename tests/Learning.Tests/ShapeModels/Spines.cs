using System.Globalization;
using ShapeStudy.Core;
using ShapeStudy.ShapeSpace;
using ShapeStudy.Testing;

namespace ShapeStudy.Learning.Tests.ShapeModels;

/// <summary>
/// The 24 bundled MICrONS spines, SH-fitted once (aligned frames), shared by the VAE tests: at lmax 8 by default, at
/// lmax 16 when the environment variable SHAPESTUDY_FULL_COMPARISON=1 asks for the full PCA-versus-VAE comparison.
/// </summary>
internal static class Spines
{
    public static bool Full { get; } = Environment.GetEnvironmentVariable("SHAPESTUDY_FULL_COMPARISON") == "1";
    public static int Lmax { get; } = Full ? 16 : 8;

    private static readonly Lazy<(RealShape[] Shapes, ShapeDescriptors[] Descriptors, double[] EquivalentDiameters)> Loaded = new(() =>
    {
        var shapes = new RealShape[24];
        var descriptors = new ShapeDescriptors[24];
        var eqd = new double[24];
        Parallel.For(0, 24, i =>
        {
            var mesh = ReadObj(RepoPaths.Data("microns-spines", $"spine_{i:00}.obj"));
            var fit = SphericalHarmonics.Fit(mesh, Lmax, errorSubdivisions: 1);
            shapes[i] = new RealShape($"spine_{i:00}", fit.Coefficients);
            descriptors[i] = ShapeSpace.Descriptors.FromMesh(mesh);
            eqd[i] = descriptors[i].EquivalentDiameterUm;
        });
        return (shapes, descriptors, eqd);
    });

    public static RealShape[] Shapes => Loaded.Value.Shapes;
    public static ShapeDescriptors[] Descriptors => Loaded.Value.Descriptors;
    public static double[] EquivalentDiameters => Loaded.Value.EquivalentDiameters;
    public static double[][] Vectors(int lmax) => Shapes.Select(s => ShVectors.Truncate(s.Coefficients, lmax)).ToArray();

    /// <summary>Minimal Wavefront OBJ reader ("v x y z", triangular "f a b c" with optional /vt/vn suffixes).</summary>
    private static TriangleMesh ReadObj(string path)
    {
        var v = new List<double>();
        var f = new List<int>();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (parts[0] == "v") for (int k = 1; k <= 3; k++) v.Add(double.Parse(parts[k], CultureInfo.InvariantCulture));
            else if (parts[0] == "f") for (int k = 1; k <= 3; k++) f.Add(int.Parse(parts[k].Split('/')[0], CultureInfo.InvariantCulture) - 1);
        }
        return new TriangleMesh(v.ToArray(), f.ToArray());
    }
}
