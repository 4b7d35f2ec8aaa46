using ShapeStudy.Testing;

namespace ShapeStudy.ShapeSpace.Tests.Models;

/// <summary>The 24 MICrONS spines fitted once (lmax 16) and shared by the shape-model tests.</summary>
internal static class SpinePopulation
{
    public const int Lmax = 16;

    private static readonly Lazy<(string[] Ids, ShCoefficients[] Fits, ShapeDescriptors[] Descriptors)> Loaded = new(() =>
    {
        var ids = new string[24];
        var fits = new ShCoefficients[24];
        var descriptors = new ShapeDescriptors[24];
        for (int i = 0; i < 24; i++)
        {
            ids[i] = $"spine_{i:00}";
            var mesh = Obj.Read(RepoPaths.Data("microns-spines", $"spine_{i:00}.obj"));
            fits[i] = SphericalHarmonics.Fit(mesh, Lmax, errorSubdivisions: 2);
            descriptors[i] = ShapeSpace.Descriptors.FromMesh(mesh);
        }
        return (ids, fits, descriptors);
    });

    public static string[] Ids => Loaded.Value.Ids;
    public static ShCoefficients[] Fits => Loaded.Value.Fits;
    public static ShapeDescriptors[] Descriptors => Loaded.Value.Descriptors;
    public static double[][] Vectors(int lmax) => Fits.Select(f => ShVectors.Truncate(f, lmax)).ToArray();
}
