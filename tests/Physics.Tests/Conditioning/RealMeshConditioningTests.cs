using ShapeStudy.Core;
using ShapeStudy.Physics.Conditioning;
using ShapeStudy.Testing;
using Xunit.Abstractions;

namespace ShapeStudy.Physics.Tests.Conditioning;

public class RealMeshConditioningTests(ITestOutputHelper output)
{
    private static string[] RealMeshFiles() =>
        Directory.GetFiles(TestGeometry.SpinesDir, "spine_*.obj").Order(StringComparer.Ordinal)
            .Concat(Directory.GetFiles(RepoPaths.Data("rangamani-spine"), "*.obj").Order(StringComparer.Ordinal)).ToArray();

    [Fact]
    public void DefaultConditioningOfEveryRealMeshIsCleanAndKeepsItsVolume()
    {
        var files = RealMeshFiles();
        Assert.True(files.Length >= 26, $"expected 24 spines and the Rangamani meshes, found {files.Length}");
        var results = new ConditioningResult[files.Length];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, files.Length, i => results[i] = SurfaceConditioning.Condition(ObjFormat.Read(files[i])));
        output.WriteLine($"conditioned {files.Length} meshes in {clock.Elapsed.TotalSeconds:F1} s");
        for (int i = 0; i < files.Length; i++)
        {
            var r = results[i];
            var q = r.Quality;
            output.WriteLine($"{Path.GetFileName(files[i])}: min angle {r.InputQuality.MinAngleDeg:F2} → {q.MinAngleDeg:F2}°, "
                + $"mean min {r.InputQuality.MeanMinAngleDeg:F2} → {q.MeanMinAngleDeg:F2}°, volume {r.InputQuality.VolumeUm3:F5} → {q.VolumeUm3:F5} µm³ "
                + $"({100 * (q.VolumeUm3 / r.InputQuality.VolumeUm3 - 1):+0.000;-0.000}%), si {r.InputQuality.SelfIntersections} → {q.SelfIntersections}, "
                + $"repairs [{string.Join("; ", r.Repairs)}]");
        }
    }
}
