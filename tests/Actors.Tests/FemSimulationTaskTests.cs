using System.Text.Json;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Tests;

/// <summary>The simulate stage running a finite-element model on a small box whose top face is the PSD.</summary>
public sealed class FemSimulationTaskTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-femfail-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>A calcium_spine task on a 1 µm box whose top face is the PSD, 1 ms simulated, output every 0.5 ms.</summary>
    private (StageRunner Runner, PlannedTask Task) CalciumBoxTask(SortedDictionary<string, double> model)
    {
        var artifacts = new ArtifactStore(Path.Combine(_dir, "artifacts"));
        var box = BoxTetMesher.Box(3, 3, 3, sideMarkers: [BoundaryRegion.Membrane, BoundaryRegion.Membrane, BoundaryRegion.Membrane,
            BoundaryRegion.Membrane, BoundaryRegion.Membrane, BoundaryRegion.Psd]);
        Assert.Contains(BoundaryRegion.Psd, box.FaceMarkers);
        var artifact = new TetMeshArtifact(box.Vertices, box.Tetrahedra, box.TetRegions, box.BoundaryFaces, box.FaceMarkers, new int[box.TetCount]);
        var tet = artifacts.Put(JsonSerializer.SerializeToUtf8Bytes(artifact), "tetmesh");
        var parameters = new ParameterSet(0, 0.22, 0, 0, 1) { Model = model };
        var payload = new SimulatePayload("box/p00", tet, parameters, 1.0, 0.5, 1000) { Model = "calcium_spine", TetMesh = tet };
        return (new StageRunner(artifacts), new PlannedTask("k", Stages.Simulate, "box/p00", StageJson.Write(payload)));
    }

    [Fact]
    public void A_run_reports_its_simulated_time_and_steps_at_every_output_time()
    {
        var (runner, task) = CalciumBoxTask(new SortedDictionary<string, double>(StringComparer.Ordinal));
        var lines = new List<string>();
        var result = StageJson.Read<SimulateResult>(runner.Run(task, lines.Add));
        Assert.Equal(3, lines.Count);                                  // t = 0, 0.5, 1 ms
        Assert.StartsWith("t 0.00/1.00 ms, 0 steps", lines[0]);
        Assert.StartsWith("t 0.50/1.00 ms, ", lines[1]);
        Assert.StartsWith($"t 1.00/1.00 ms, {result.Steps} steps", lines[2]);   // the run's own step count, at the end
        // the box is all "head": the compartments it lacks are left out instead of written as NaN series (which the
        // timeseries artifact's JSON cannot hold), and the ion count is finite
        Assert.Equal(["head", "whole"], result.Phenotypes.Keys.Order());
        Assert.True(double.IsFinite(result.Outputs!["spine_peak_ions"]) && result.Outputs["spine_peak_ions"] > 0);
    }

    [Fact]
    public void A_run_that_cannot_proceed_is_retried_with_halved_steps_then_fails_with_the_reason()
    {
        // a finite but absurd influx: its square overflows, so every step is rejected whatever its size
        var (runner, task) = CalciumBoxTask(new SortedDictionary<string, double>(StringComparer.Ordinal) { ["influx_peak_um_um_per_ms"] = 1e300 });
        var e = Assert.Throws<InvalidOperationException>(() => runner.Run(task));
        Assert.Contains($"{StageRunner.MaxDtHalvings} halvings", e.Message);
        Assert.Contains("dt 0.0625 ms", e.Message);        // the last attempt: 0.5 ms halved 3 times
        Assert.Contains("fell below the minimum", e.Message);
        Assert.Contains("newton", e.Message);             // the rejection reason
    }
}
