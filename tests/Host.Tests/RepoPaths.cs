namespace ShapeStudy.Host.Tests;

/// <summary>Locates the repository (the folder holding ShapeStudy.sln) from the test's output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    public static string Data(params string[] parts) => Path.Combine(new[] { Root, "studies", "data" }.Concat(parts).ToArray());

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ShapeStudy.sln"))) return dir.FullName;
        throw new InvalidOperationException("ShapeStudy.sln not found above " + AppContext.BaseDirectory);
    }
}
