using System;
using System.IO;
using System.Linq;

namespace ShapeStudy.Testing;

/// <summary>
/// Locates the repository (the folder holding ShapeStudy.sln) by walking up from the test's output folder. Compiled
/// into every test project via Directory.Build.props.
/// </summary>
public static class RepoPaths
{
    /// <summary>Absolute path of the repository root.</summary>
    public static string Root { get; } = Find();

    /// <summary>Absolute path of <c>studies/data/&lt;parts…&gt;</c> under the repository root.</summary>
    public static string Data(params string[] parts) => Path.Combine(new[] { Root, "studies", "data" }.Concat(parts).ToArray());

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ShapeStudy.sln"))) return dir.FullName;
        throw new InvalidOperationException("ShapeStudy.sln not found above " + AppContext.BaseDirectory);
    }
}
