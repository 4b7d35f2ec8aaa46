using System.Text.Json;
using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Core;
using ShapeStudy.Physics.Fem;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Tests;

public sealed class FemSimulationFailureTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-femfail-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void A_run_that_cannot_proceed_is_retried_with_halved_steps_then_fails_with_the_reason()
    {
        var artifacts = new ArtifactStore(Path.Combine(_dir, "artifacts"));
        // a 1 µm box whose top face is the PSD
        var box = BoxTetMesher.Box(3, 3, 3, sideMarkers: [BoundaryRegion.Membrane, BoundaryRegion.Membrane, BoundaryRegion.Membrane,
            BoundaryRegion.Membrane, BoundaryRegion.Membrane, BoundaryRegion.Psd]);
        Assert.Contains(BoundaryRegion.Psd, box.FaceMarkers);
        var artifact = new TetMeshArtifact(box.Vertices, box.Tetrahedra, box.TetRegions, box.BoundaryFaces, box.FaceMarkers, new int[box.TetCount]);
        var tet = artifacts.Put(JsonSerializer.SerializeToUtf8Bytes(artifact), "tetmesh");
        // a finite but absurd influx: its square overflows, so every step is rejected whatever its size
        var parameters = new ParameterSet(0, 0.22, 0, 0, 1) { Model = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["influx_peak_um_um_per_ms"] = 1e300 } };
        var payload = new SimulatePayload("box/p00", tet, parameters, 1.0, 0.5, 1000) { Model = "calcium_spine", TetMesh = tet };
        var runner = new StageRunner(artifacts);
        var e = Assert.Throws<InvalidOperationException>(() => runner.Run(new PlannedTask("k", Stages.Simulate, "box/p00", StageJson.Write(payload))));
        Assert.Contains($"{StageRunner.MaxDtHalvings} halvings", e.Message);
        Assert.Contains("dt 0.0625 ms", e.Message);        // the last attempt: 0.5 ms halved 3 times
        Assert.Contains("fell below the minimum", e.Message);
        Assert.Contains("newton", e.Message);             // the rejection reason
    }
}
