using System.Reflection;
using NetArchTest.Rules;

namespace ShapeStudy.Host.Tests;

/// <summary>DESIGN.md's dependency rules, checked on the compiled assemblies.</summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Core = typeof(Core.Spacing).Assembly;
    private static readonly Assembly Imaging = typeof(Imaging.TiffReader).Assembly;
    private static readonly Assembly ShapeSpace = typeof(ShapeSpace.Descriptors).Assembly;
    private static readonly Assembly Physics = typeof(Physics.MarchingCubes).Assembly;
    private static readonly Assembly Statistics = typeof(Statistics.Spearman).Assembly;
    private static readonly Assembly Learning = typeof(Learning.TorchRuntime).Assembly;
    private static readonly Assembly Study = typeof(Study.TaskKeys).Assembly;
    private static readonly Assembly Actors = typeof(Actors.StudyRunner).Assembly;

    private static readonly string[] Infrastructure = { "Akka", "TorchSharp", "LiteDB", "Parquet", "Microsoft.AspNetCore" };

    public static TheoryData<string> KernelNames => new() { "Core", "Imaging", "ShapeSpace", "Physics", "Statistics" };

    private static Assembly Kernel(string name) => name switch
    {
        "Core" => Core, "Imaging" => Imaging, "ShapeSpace" => ShapeSpace, "Physics" => Physics, "Statistics" => Statistics,
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void KernelLibrariesArePure(string name)
    {
        var result = Types.InAssembly(Kernel(name)).ShouldNot().HaveDependencyOnAny(Infrastructure).GetResult();
        Assert.True(result.IsSuccessful, $"{name} depends on infrastructure: {string.Join(", ", result.FailingTypeNames ?? new List<string>())}");
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void KernelLibrariesDoNotReferenceEachOther(string name)
    {
        var others = new[] { "Imaging", "ShapeSpace", "Physics", "Statistics" }.Where(o => o != name).Select(o => "ShapeStudy." + o).ToArray();
        var result = Types.InAssembly(Kernel(name)).ShouldNot().HaveDependencyOnAny(others).GetResult();
        Assert.True(result.IsSuccessful, $"{name} references another kernel: {string.Join(", ", result.FailingTypeNames ?? new List<string>())}");
        var referenced = Kernel(name).GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(referenced, r => others.Contains(r));
    }

    [Fact]
    public void AkkaAppearsOnlyInActorsAndHost()
    {
        foreach (var a in new[] { Core, Imaging, ShapeSpace, Physics, Statistics, Learning, Study })
        {
            Assert.DoesNotContain(a.GetReferencedAssemblies(), r => r.Name!.StartsWith("Akka", StringComparison.Ordinal));
            Assert.True(Types.InAssembly(a).ShouldNot().HaveDependencyOn("Akka").GetResult().IsSuccessful, a.GetName().Name);
        }
        Assert.Contains(Actors.GetReferencedAssemblies(), r => r.Name == "Akka.Cluster");
    }

    [Fact]
    public void TorchSharpAppearsOnlyInLearning()
    {
        foreach (var a in new[] { Core, Imaging, ShapeSpace, Physics, Statistics, Study, Actors, typeof(Cli).Assembly })
            Assert.DoesNotContain(a.GetReferencedAssemblies(), r => r.Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.Contains(Learning.GetReferencedAssemblies(), r => r.Name == "TorchSharp");
    }

    [Fact]
    public void StudyReferencesOnlyCoreAmongOurLibraries()
    {
        var ours = Study.GetReferencedAssemblies().Select(r => r.Name!).Where(n => n.StartsWith("ShapeStudy.", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "ShapeStudy.Core" }, ours);
    }
}
