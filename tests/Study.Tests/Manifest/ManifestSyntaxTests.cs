using ShapeStudy.Study.Manifest;
using ShapeStudy.Testing;

namespace ShapeStudy.Study.Tests.Manifest;

/// <summary>YAML-level behaviour: syntax-error positions, documents, anchors, nulls and cross-field checks.</summary>
public sealed class ManifestSyntaxTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ManifestLoadResult LoadText(string yaml) => ManifestLoader.Load(_dir.Write("study.yaml", yaml));

    private static string[] Lines(ManifestLoadResult r) => r.Errors.Select(e => $"{e.Line}:{e.Column} {e.Key}: {e.Message}").ToArray();

    [Theory]
    [InlineData("schema_version: 1\ninputs: [a, b\noutputs: { dir: x }\n", 2, 9, "YAML syntax error: the '[' opened here is not closed by a matching ']'")]
    [InlineData("schema_version: 1\nstudy: { id: x\n", 3, 1, "YAML syntax error: While parsing a flow mapping, did not find expected ',' or '}'. (the '{' at line 2, column 8 is not closed)")]
    [InlineData("schema_version: 1\nstudy:\n  id: x\n \t seed: 1\n", 4, 2, "YAML syntax error: a tab character in indentation (indent with spaces only); ")]
    [InlineData("schema_version: 1\nstudy: 'unterminated\n", 2, 8, "YAML syntax error: While scanning a quoted scalar, found unexpected end of stream.")]
    [InlineData("schema_version: 1\n---\nschema_version: 1\n", 2, 1, "YAML syntax error: a manifest holds a single YAML document; found a second one ('---')")]
    [InlineData("schema_version: 1\nstudy: *nowhere\n", 2, 8, "YAML syntax error: alias '*nowhere' refers to an undefined anchor")]
    public void SyntaxErrors_AreSingleErrorsWithPositions(string yaml, int line, int column, string message)
    {
        var result = LoadText(yaml);

        Assert.Null(result.Manifest);
        var error = Assert.Single(result.Errors);
        Assert.Equal((line, column, ""), (error.Line, error.Column, error.Key));
        Assert.StartsWith("YAML syntax error: ", error.Message);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void AnchorsAndAliases_ShareValues()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 1
            study: { id: anchors }
            inputs:
              - volume: data/gala/train_raw.tif
                spacing_um: &spacing [0.5, 0.25, 0.25]
              - volume: data/ovule/raw.tiff
                spacing_um: *spacing
            outputs: { dir: out }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var inputs = result.Manifest!.VolumeInputs.ToArray();
        Assert.Equal(new ShapeStudy.Core.Spacing(0.5, 0.25, 0.25), inputs[0].SpacingUm);
        Assert.Equal(inputs[0].SpacingUm, inputs[1].SpacingUm);
    }

    [Fact]
    public void SingleMeshFile_WithoutWildcard_IsOneInputNamedByItsStem()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 1
            study: { id: one-mesh }
            inputs:
              - meshes: data/microns-spines/spine_01.obj
            outputs: { dir: out }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var mesh = Assert.IsType<MeshInput>(Assert.Single(result.Manifest!.Inputs));
        Assert.Equal("spine_01", mesh.Name);
        Assert.Equal(Path.Combine(_dir.Root, "data", "microns-spines", "spine_01.obj"), Assert.Single(mesh.Files));
    }

    [Fact]
    public void EmptyValues_AndNonMappingRoot_AreTypeErrors()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version:
            study: { id: }
            inputs:
              - volume: data/gala/train_raw.tif
            outputs: { dir: ~ }
            """);
        Assert.Equal(new[]
        {
            "1:16 schema_version: expected the schema version 1 (the only version this program reads), got an empty value",
            "2:14 study.id: expected a study id matching [a-z0-9][a-z0-9_-]*, got an empty value",
            "5:17 outputs.dir: expected a path to the results directory, got an empty value",
        }, Lines(result));

        var list = LoadText("- a\n- b\n");
        Assert.Equal(new[] { "1:1 : expected a mapping with keys: schema_version, study, inputs, segmentation, shape_space, meshing, simulation, fit, statistics, execution, outputs; got a list of 2" },
            Lines(list));
    }

    [Fact]
    public void CrossFieldChecks_DoNotPileOnAnInvalidField()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 1
            study: { id: cross }
            inputs:
              - volume: data/gala/train_raw.tif
            simulation: { duration_ms: abc, dt_ms: 30 }
            fit: { observed: simulated, true_value: 50, prior: { uniform: [2, 1] } }
            outputs: { dir: out }
            """);

        Assert.Equal(new[]
        {
            "5:28 simulation.duration_ms: expected a positive number (ms), got 'abc'",
            "6:63 fit.prior.uniform: expected a list [low, high] with 0 < low < high (µm²/ms), got low 2 >= high 1",
        }, Lines(result));
    }

    [Fact]
    public void DefaultTimeStep_LongerThanDuration_IsReported()
    {
        _dir.WriteSampleData();
        var result = LoadText("""
            schema_version: 1
            study: { id: short }
            inputs:
              - volume: data/gala/train_raw.tif
            simulation: { duration_ms: 0.1 }
            outputs: { dir: out }
            """);

        Assert.Equal(new[] { "5:13 simulation.dt_ms: the default dt_ms (0.25) exceeds duration_ms (0.1); set dt_ms <= duration_ms" }, Lines(result));
    }

    [Fact]
    public void ErrorToString_FollowsFileLineColumnKeyMessage()
    {
        Assert.Equal("a.yaml:3:7: fit.chains: expected an integer from 2 to 16, got 1",
            new ManifestError("a.yaml", 3, 7, "fit.chains", "expected an integer from 2 to 16, got 1").ToString());
        Assert.Equal("a.yaml:2:1: YAML syntax error: x", new ManifestError("a.yaml", 2, 1, "", "YAML syntax error: x").ToString());
    }
}

/// <summary>Keeps docs/manifest.md honest: its example manifest must load.</summary>
public sealed class ManifestDocumentationTests : IDisposable
{
    private readonly TempStudyDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void BundledQuickstartManifest_IsValidAgainstTheRealData()
    {
        var repo = RepoPaths.Root;
        var result = ManifestLoader.Load(Path.Combine(repo, "studies", "quickstart.yaml"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var m = result.Manifest!;
        Assert.Equal(Path.Combine(repo, "studies", "data", "gala", "train_raw.tif"), Assert.IsType<VolumeInput>(m.Inputs[0]).Path);
        Assert.Equal(24, Assert.IsType<MeshInput>(m.Inputs[1]).Files.Count);
    }

    [Fact]
    public void ExampleInDocs_IsAValidManifest()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "manifest.md"));
        int start = doc.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        int end = doc.IndexOf("```", start, StringComparison.Ordinal);
        _dir.WriteSampleData();

        var result = ManifestLoader.Load(_dir.Write("study.yaml", doc[start..end]));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var m = result.Manifest!;
        Assert.Equal("quickstart", m.Study.Id);
        Assert.Equal(3, m.Simulation.ExpandSweep(m.Study.Seed).Count);
        Assert.Equal(3, Assert.IsType<MeshInput>(m.Inputs[1]).Files.Count);
    }
}
