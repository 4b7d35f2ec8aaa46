using System.Text.Json;
using ShapeStudy.Core;
using ShapeStudy.Imaging;
using ShapeStudy.Physics;

namespace ShapeStudy.Bench;

/// <summary>
/// .NET side of `bench/run marching-cubes`: reads the shared float32 field (written by bench/marching_cubes.py), times
/// <see cref="IsoSurface.Extract(Volume{float}, double)"/> at the given level (median of <c>repeats</c> runs after one
/// warm-up) and prints one JSON object with the time, the triangle and vertex counts and the mesh's topology.
/// </summary>
internal static class MarchingCubesBench
{
    public static int Run(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: ShapeStudy.Bench marching-cubes <field.npy> <level> [repeats=5]");
            return 2;
        }
        var field = NpyFormat.Read(args[1], Spacing.Isotropic(1)).Voxels;
        double level = double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        int repeats = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5;
        TriangleMesh mesh = IsoSurface.Extract(field, level);
        double seconds = Program.Median(repeats, () => mesh = IsoSurface.Extract(field, level));
        var (boundary, nonManifold, misoriented, _) = mesh.EdgeTopology();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tool = $"ShapeStudy.Physics IsoSurface (.NET {Environment.Version}, {Environment.ProcessorCount} cores)",
            size = $"{field.NZ}x{field.NY}x{field.NX}",
            seconds,
            triangles = mesh.TriangleCount,
            vertices = mesh.VertexCount,
            boundary_edges = boundary,
            non_manifold_edges = nonManifold,
            misoriented_edges = misoriented,
            euler = mesh.EulerCharacteristic(),
            area = mesh.Area(),
            volume = mesh.SignedVolume(),
        }));
        return 0;
    }
}
