using ShapeStudy.Study.Manifest;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// <c>--set key=value</c>: the overridden value is what the study uses, later overrides win, the provenance records
/// them, and a bad key or value is reported like any manifest error — naming the key (and its line when the file has
/// it) and saying it came from --set.
/// </summary>
public sealed class ManifestOverrideTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-set-" + Guid.NewGuid().ToString("N"));
    private readonly string _manifest;

    public ManifestOverrideTests()
    {
        Directory.CreateDirectory(_dir);
        _manifest = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(_manifest, $"""
            schema_version: 1
            study: {"{"} id: sets, seed: 3 {"}"}
            inputs:
              - meshes: {RepoPaths.Data("microns-spines", "spine_0?.obj")}
                name: spines
            segmentation:
              sigma_um: 0.01
            shape_space: {"{"} modes: 2 {"}"}
            simulation:
              duration_ms: 10
              parameters: {"{"} d_um2_per_ms: {"{"} grid: [0.1, 0.2] {"}"} {"}"}
            outputs: {"{"} dir: out {"}"}
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IReadOnlyList<ManifestOverride> Sets(params string[] texts) =>
        texts.Select(t => ManifestOverride.TryParse(t, out var o, out var e) ? o! : throw new ArgumentException(e)).ToList();

    [Fact]
    public void OverridesReplaceAndAddValuesBeforeValidation()
    {
        var plain = ManifestLoader.Load(_manifest).Manifest!;
        Assert.Equal(2, plain.Simulation.Parameters.Count);
        Assert.Equal(10.0, plain.Simulation.DurationMs);

        var result = ManifestLoader.Load(_manifest, Sets("simulation.parameters.d_um2_per_ms=0.3", "shape_space.variants_per_cell=1",
            "simulation.duration_ms=20", "simulation.duration_ms=25", "inputs[0].name=real-spines", "fit.chains=3", "fit.observed=simulated", "fit.true_value=0.2"));
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var m = result.Manifest!;
        var sweep = m.Simulation.ExpandSweep(1);
        Assert.Single(sweep);
        Assert.Equal(0.3, sweep[0].DUm2PerMs);
        Assert.Equal(1, m.ShapeSpace.VariantsPerCell);     // a key the file does not have is added
        Assert.Equal(25.0, m.Simulation.DurationMs);       // the later override wins
        Assert.Equal("real-spines", m.Inputs[0].Name);    // list items by index
        Assert.Equal(3, m.Fit!.Chains);                    // a whole section the file does not have
        Assert.Equal(plain.Segmentation.SigmaUm, m.Segmentation.SigmaUm);
        // provenance: the overrides are part of the recorded manifest text and its hash
        Assert.Contains("# --set simulation.duration_ms=25", m.ManifestText);
        Assert.NotEqual(plain.ManifestHash, m.ManifestHash);
        Assert.StartsWith(plain.ManifestText, m.ManifestText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAndRunReportBadOverridesNamingTheKey()
    {
        var unknown = await CliRunner.Run("validate", _manifest, "--set", "shape_space.colour=red");
        Assert.Equal(Cli.InvalidManifest, unknown.Code);
        Assert.Contains($"{_manifest}: shape_space.colour: unknown key 'colour'", unknown.Err);
        Assert.Contains("(set by --set shape_space.colour=red)", unknown.Err);

        var misspelt = await CliRunner.Run("run", _manifest, "--set", "simulation.paramters.d_um2_per_ms=0.3");
        Assert.Equal(Cli.InvalidManifest, misspelt.Code);
        Assert.Contains("simulation.paramters: unknown key 'paramters'", misspelt.Err);
        Assert.Contains("did you mean 'parameters'?", misspelt.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));

        // a replaced value keeps the position of the value it replaced
        var badValue = await CliRunner.Run("validate", _manifest, "--set", "segmentation.sigma_um=abc");
        Assert.Equal(Cli.InvalidManifest, badValue.Code);
        Assert.Contains($"{_manifest}:7:13: segmentation.sigma_um: expected a number", badValue.Err);
        Assert.Contains("(set by --set segmentation.sigma_um=abc)", badValue.Err);

        var index = await CliRunner.Run("validate", _manifest, "--set", "inputs[3].name=x");
        Assert.Equal(Cli.InvalidManifest, index.Code);
        Assert.Contains("inputs[3].name: --set inputs[3].name=x: inputs has 1 item(s), so [3] does not exist", index.Err);

        var throughScalar = await CliRunner.Run("validate", _manifest, "--set", "study.id.name=x");
        Assert.Contains("study.id is the value 'sets', not a mapping", throughScalar.Err);

        var malformed = await CliRunner.Run("validate", _manifest, "--set", "no-equals-sign");
        Assert.Equal(Cli.InvalidManifest, malformed.Code);
        Assert.Contains("--set 'no-equals-sign': expected key=value", malformed.Err);

        var good = await CliRunner.Run("validate", _manifest, "--set", "shape_space.variants_per_cell=3", "--set", "simulation.parameters.d_um2_per_ms=0.3");
        Assert.True(good.Code == 0, good.Err);
        Assert.Contains("1 parameter set(s), 3 variants per cell", good.Out);

        var cluster = await CliRunner.Run("run", _manifest, "--cluster", "127.0.0.1:1", "--set", "simulation.duration_ms=5");
        Assert.Equal(Cli.InvalidManifest, cluster.Code);
        Assert.Contains("--set cannot be combined with --cluster", cluster.Err);
    }
}
