using ShapeStudy.Actors.Pipeline;
using ShapeStudy.Core;
using ShapeStudy.Study.Manifest;
using ShapeStudy.Study.Pipeline;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Actors.Tests;

/// <summary>
/// A direct fit task (2 chains × 100 iterations of adaptive Metropolis, a voxel simulation per step, on a small box cell)
/// checkpoints every <see cref="StageRunner.FitCheckpointEvery"/> iterations; a later attempt resumes from the checkpoint
/// with the uninterrupted run's exact draws, and an unusable checkpoint is reported and ignored.
/// </summary>
public sealed class FitTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("shapestudy-fit-task-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An artifact store that also keeps a copy of every checkpoint written (what a kill would leave on disk).</summary>
    private sealed class RecordingStore(string root) : IArtifactStore
    {
        private readonly ArtifactStore _inner = new(root);
        public List<byte[]> Checkpoints { get; } = new();
        public string Location => _inner.Location;
        public ArtifactRef Put(byte[] bytes, string kind) => _inner.Put(bytes, kind);
        public byte[] Get(ArtifactRef artifact) => _inner.Get(artifact);
        public bool Contains(ArtifactRef artifact) => _inner.Contains(artifact);
        public int RemoveAbandonedWrites() => _inner.RemoveAbandonedWrites();
        public byte[]? ReadCheckpoint(string name) => _inner.ReadCheckpoint(name);
        public void WriteCheckpoint(string name, byte[] bytes) { Checkpoints.Add(bytes); _inner.WriteCheckpoint(name, bytes); }
        public void DeleteCheckpoint(string name) => _inner.DeleteCheckpoint(name);
    }

    private static PlannedTask FitTask(IArtifactStore store)
    {
        var box = new Volume<byte>(6, 6, 12, new Spacing(0.1, 0.1, 0.1), Enumerable.Repeat((byte)1, 6 * 6 * 12).ToArray());
        var mask = store.Put(ArtifactCodecs.EncodeMask(box), "mask");
        var payload = new FitPayload("box/cell", mask, new ParameterSet(0, 0.22, 0.1, 5.0, 1.0), 5, 0.25, 1000, null, null, 0.22, 0.02,
            0.02, 2.0, false, Chains: 2, Warmup: 40, Draws: 60, Seed: 3);
        return new PlannedTask("fit|box/cell", Stages.Fit, "box/cell", StageJson.Write(payload));
    }

    private static (FitResult Result, List<string> Lines) Run(IArtifactStore store)
    {
        var lines = new List<string>();
        var result = StageJson.Read<FitResult>(new StageRunner(store).Run(FitTask(store), lines.Add));
        return (result, lines);
    }

    [Fact]
    public void AFitResumedFromItsMidwayCheckpointGivesTheUninterruptedDrawsAndAnUnusableCheckpointIsIgnored()
    {
        var first = new RecordingStore(Path.Combine(_dir, "uninterrupted"));
        var (reference, lines) = Run(first);
        Assert.Equal(["iteration 50/100 (draws)", "iteration 100/100 (draws)"], lines.Select(l => l[..l.IndexOf(',')]));
        Assert.Equal(2, first.Checkpoints.Count);
        Assert.Null(first.ReadCheckpoint(FitTask(first).Key));        // deleted once the fit completed

        // what a kill after iteration 50 leaves behind: that checkpoint, in a fresh store
        var killed = new ArtifactStore(Path.Combine(_dir, "killed"));
        killed.WriteCheckpoint(FitTask(killed).Key, first.Checkpoints[0]);
        var (resumed, resumedLines) = Run(killed);
        Assert.Equal("resumed from its checkpoint at iteration 50/100", resumedLines[0]);
        Assert.Equal(reference.PosteriorDraws, resumed.PosteriorDraws);   // content hash of every draw of every chain
        Assert.Equal(reference with { PosteriorDraws = resumed.PosteriorDraws }, resumed);   // summary, acceptance, simulator calls

        var corrupt = new ArtifactStore(Path.Combine(_dir, "corrupt"));
        corrupt.WriteCheckpoint(FitTask(corrupt).Key, "{\"Sampler\": 12"u8.ToArray());
        var (fresh, freshLines) = Run(corrupt);
        Assert.StartsWith("checkpoint not usable", freshLines[0]);
        Assert.Equal(reference.PosteriorDraws, fresh.PosteriorDraws);
    }
}
