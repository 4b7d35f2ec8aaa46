using ShapeStudy.Study.Manifest;

namespace ShapeStudy.Study.Tests.Manifest;

/// <summary>A throw-away study folder under the system temp directory, deleted on dispose.</summary>
internal sealed class TempStudyDirectory : IDisposable
{
    public string Root { get; }

    public TempStudyDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "shapestudy-manifest-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="relativePath"/> (creating folders) and returns the absolute path.</summary>
    public string Write(string relativePath, string content)
    {
        var full = Path.GetFullPath(Path.Combine(Root, relativePath));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Creates the small data tree the test manifests refer to.</summary>
    public void WriteSampleData()
    {
        Write("data/gala/train_raw.tif", "tiff-bytes");
        Write("data/gala/train_labels.tif", "tiff-bytes");
        Write("data/ovule/raw.tiff", "tiff-bytes");
        foreach (var i in new[] { 2, 0, 1 }) Write($"data/microns-spines/spine_{i:00}.obj", "v 0 0 0\n");
        Write("data/microns-spines/spines_table.csv", "id\n");
        Write("data/microns-spines/notes_spine.obj.txt", "not a mesh\n");
        Write("data/traces/observed.csv", "t_ms,c_um\n0,0\n");
    }

    /// <summary>
    /// Writes and loads study.yaml: one volume input <paramref name="volume"/>, the <paramref name="segmentation"/> section
    /// (a YAML flow mapping) and the output folder.
    /// </summary>
    public ManifestLoadResult LoadVolumeStudy(string studyId, string volume, string segmentation, int? seed = null)
    {
        var path = Write("study.yaml", $$"""
            schema_version: 1
            study: { id: {{studyId}}{{(seed is { } s ? $", seed: {s}" : "")}} }
            inputs:
              - volume: {{volume}}
            segmentation: {{segmentation}}
            outputs: { dir: out }
            """);
        return ManifestLoader.Load(path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is harmless
        }
    }
}
