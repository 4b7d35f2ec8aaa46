using DuckDB.NET.Data;
using ShapeStudy.Core;
using ShapeStudy.Study;
using ShapeStudy.Study.Storage;
using ShapeStudy.Study.Tables;

namespace ShapeStudy.Study.Tests.Storage;

public sealed class StorageTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shapestudy-storage-" + Guid.NewGuid().ToString("N"));

    public StorageTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ParquetTable_IsReadByDuckDbWithValuesNullsAndProvenance()
    {
        var t = new Table("cells").Column<string>("cell_id").Column<double>("volume_um3").Column<double?>("sphericity").Column<int>("label").Column<bool>("ok");
        t.Add(("cell_id", "a"), ("volume_um3", 1.5), ("sphericity", 0.9), ("label", 3), ("ok", true));
        t.Add(("cell_id", "b"), ("volume_um3", 2.25), ("sphericity", null), ("label", 7), ("ok", false));
        var path = await ParquetTableWriter.WriteAsync(t, _dir, new Dictionary<string, string> { ["shapestudy.seed"] = "42" });

        Assert.Equal(Path.Combine(_dir, "cells.parquet"), path);
        Assert.Single(Directory.GetFiles(_dir));   // no temporary file left behind
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT count(*), sum(volume_um3), count(sphericity), sum(label) FROM '{path}'";
        using (var r = cmd.ExecuteReader())
        {
            Assert.True(r.Read());
            Assert.Equal(2L, r.GetInt64(0));
            Assert.Equal(3.75, r.GetDouble(1), 12);
            Assert.Equal(1L, r.GetInt64(2));
            Assert.Equal("10", r.GetValue(3).ToString());
        }
        cmd.CommandText = $"SELECT decode(value) FROM parquet_kv_metadata('{path}') WHERE decode(key) = 'shapestudy.seed'";
        Assert.Equal("42", cmd.ExecuteScalar()?.ToString());
    }

    [Fact]
    public void ParquetTable_RejectsRowsOfTheWrongShape()
    {
        var t = new Table("x").Column<double>("a");
        Assert.Throws<ArgumentException>(() => t.Add(("b", 1.0)));
        Assert.Throws<ArgumentException>(() => t.Add(("a", null)));
    }

    [Fact]
    public void ArtifactStore_CheckpointsAreReplacedAtomicallyPerNameAndDeleted()
    {
        var store = new ArtifactStore(Path.Combine(_dir, "a"));
        const string key = "fit|spines/spine_00|d_um2_per_ms|0123abcd";   // any text names a checkpoint (a task key)
        Assert.Null(store.ReadCheckpoint(key));
        store.WriteCheckpoint(key, [1, 2, 3]);
        store.WriteCheckpoint(key, [4, 5]);                                   // replaces, never appends
        store.WriteCheckpoint(key + "-other", [9]);
        Assert.Equal([4, 5], store.ReadCheckpoint(key));
        Assert.Equal([9], store.ReadCheckpoint(key + "-other"));
        var files = Directory.GetFiles(Path.Combine(_dir, "a", "checkpoints"));
        Assert.Equal(2, files.Length);                                        // one file per name, no temporaries left
        Assert.All(files, f => Assert.Matches("^[0-9a-f]{64}\\.json$", Path.GetFileName(f)));   // named by hash: no path characters from the key
        store.DeleteCheckpoint(key);
        store.DeleteCheckpoint(key);                                          // twice: nothing to delete is fine
        Assert.Null(store.ReadCheckpoint(key));
        Assert.Equal([9], store.ReadCheckpoint(key + "-other"));
    }

    [Fact]
    public void ArtifactStore_RoundTripsAndDetectsCorruption()
    {
        var store = new ArtifactStore(Path.Combine(_dir, "a"));
        var mask = new Volume<byte>(2, 3, 4, new Spacing(0.5, 0.25, 0.125), Enumerable.Range(0, 24).Select(i => (byte)(i % 2)).ToArray(), (1.0, 2.0, 3.0));
        var r = store.Put(ArtifactCodecs.EncodeMask(mask), "mask");
        Assert.Equal(r, store.Put(ArtifactCodecs.EncodeMask(mask), "mask"));   // content addressed: same bytes, same ref
        var back = ArtifactCodecs.DecodeMask(store.Get(r));
        Assert.Equal(mask.Data, back.Data);
        Assert.Equal(mask.Spacing, back.Spacing);
        Assert.Equal(mask.Origin, back.Origin);

        var file = Directory.GetFiles(store.Root, r.Sha256, SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<InvalidDataException>(() => store.Get(r));
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void MeshCodec_RoundTripsExactly()
    {
        var mesh = new TriangleMesh(new[] { 0.0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 }, new[] { 0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3 });
        var back = ArtifactCodecs.DecodeMesh(ArtifactCodecs.EncodeMesh(mesh));
        Assert.Equal(mesh.Vertices, back.Vertices);
        Assert.Equal(mesh.Triangles, back.Triangles);
        Assert.Throws<InvalidDataException>(() => ArtifactCodecs.DecodeMask(ArtifactCodecs.EncodeMesh(mesh)));
    }

    [Fact]
    public void StudyStore_CommitsOnceAndSurvivesReopen()
    {
        var path = Path.Combine(_dir, "state.db");
        var now = new DateTime(2026, 11, 25, 0, 0, 0, DateTimeKind.Utc);
        using (var store = new StudyStore(path))
        {
            store.MarkStarted("k1", "segment", "in", "node", now);
            Assert.Null(store.FindCommitted("k1"));
            Assert.True(store.Commit("k1", "{\"a\":1}", now.AddSeconds(2)));
            Assert.False(store.Commit("k1", "{\"a\":2}", now.AddSeconds(3)));   // duplicate result ignored
            store.MarkStarted("k2", "simulate", "s", "node", now);
            store.MarkFailed("k2", "boom", now);
        }
        using (var store = new StudyStore(path))
        {
            var r = store.FindCommitted("k1");
            Assert.NotNull(r);
            Assert.Equal("{\"a\":1}", r!.ResultJson);
            Assert.Equal(1, r.Attempts);
            Assert.Null(store.FindCommitted("k2"));
            Assert.Equal("boom", store.Find("k2")!.Error);
        }
    }

    [Fact]
    public void TaskKeys_ChangeWithEveryIngredientAndNotOtherwise()
    {
        string Key(string stage = "simulate", string version = "v1", string p = "d=0.2", string input = "abc", ulong seed = 1) =>
            TaskKeys.Compute(stage, version, p, new[] { input }, seed);
        var k = Key();
        Assert.Equal(k, Key());
        Assert.Equal(64, k.Length);
        Assert.NotEqual(k, Key(stage: "fit"));
        Assert.NotEqual(k, Key(version: "v2"));
        Assert.NotEqual(k, Key(p: "d=0.3"));
        Assert.NotEqual(k, Key(input: "abd"));
        Assert.NotEqual(k, Key(seed: 2));
        Assert.Equal(TaskKeys.Canonical(("b", 0.1), ("a", 2)), TaskKeys.Canonical(("a", 2), ("b", 0.1)));
    }
}
