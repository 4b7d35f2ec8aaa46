using System.Globalization;
using System.Text.RegularExpressions;
using Parquet;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// <c>inspect</c> and <c>run --dry-run</c> against a real study's outputs: inspect lists every Parquet table with the row
/// count and columns Parquet.Net reads from the file; the dry run of the finished study finds every task cached, a
/// changed simulation parameter makes exactly the simulations (and the fit built on parameter set 0) new, and a
/// fresh folder has only new tasks and is left untouched.
/// </summary>
[Collection(StudyResultsCollection.Name)]
public sealed class InspectAndDryRunTests(StudyResultsFixture study)
{
    private static async Task<(long Rows, string[] Columns, IReadOnlyDictionary<string, string> Meta)> ReadWithParquetNet(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        long rows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            rows += rg.RowCount;
        }
        return (rows, reader.Schema.GetDataFields().Select(f => f.Name).ToArray(), reader.CustomMetadata);
    }

    private async Task<Dictionary<string, long>> TaskStages()
    {
        var tasks = await ResultTables.ReadAsync(Path.Combine(study.OutDir, "tasks.parquet"));
        return tasks.Strings("stage").GroupBy(s => s!).ToDictionary(g => g.Key, g => (long)g.Count());
    }

    [Fact]
    public async Task InspectListsEveryTableWithTheRowCountAndColumnsOfTheFile()
    {
        var r = await CliRunner.Run("inspect", study.OutDir);
        Assert.True(r.Code == 0, r.Out + r.Err);
        var files = Directory.GetFiles(study.OutDir, "*.parquet");
        Assert.Equal(10, files.Length);
        Assert.Contains("tables: 10", r.Out);
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var (rows, columns, meta) = await ReadWithParquetNet(file);
            var line = Regex.Match(r.Out, $@"^  {Regex.Escape(name)}\s+(\d+) rows\s+(\d+) columns\n    (.*)$", RegexOptions.Multiline);
            Assert.True(line.Success, $"{name} is not listed:\n{r.Out}");
            Assert.Equal(rows, long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.Equal(columns.Length, int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture));
            Assert.Equal(columns, line.Groups[3].Value.Split(", ").Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]).ToArray());
            Assert.Contains($"manifest_sha256: {meta["shapestudy.manifest_sha256"]}", r.Out);
        }
        Assert.Contains("study: report-e2e", r.Out);
        Assert.Contains("failed tasks: 0", r.Out);
        Assert.DoesNotContain("\u001b[", r.Out);   // plain text when not writing to a terminal
    }

    [Fact]
    public async Task InspectListsFailedTasksWithTheirReasons()
    {
        // a tasks table with one deterministic failure, as the coordinator writes it (same schema, one row changed)
        var dir = Path.Combine(study.Dir, "inspect-failed");
        Directory.CreateDirectory(dir);
        var source = await ResultTables.ReadAsync(Path.Combine(study.OutDir, "tasks.parquet"));
        var table = new Study.Tables.Table("tasks");
        foreach (var c in source.Columns)
        {
            if (c.Type == typeof(string)) table.Column<string>(c.Name);
            else if (c.Type == typeof(int)) table.Column<int>(c.Name);
            else if (c.Type == typeof(double?)) table.Column<double?>(c.Name);
            else throw new InvalidOperationException($"unexpected column type {c.Type} of {c.Name}");
        }
        for (int i = 0; i < source.RowCount; i++)
        {
            bool fail = i == 0;
            table.Add(source.Columns.Select(c => (c.Name, c.Name switch
            {
                "status" when fail => "failed",
                "error" when fail => "InvalidDataException: the surface is open (a flat patch encloses no volume)",
                _ => c.Values.GetValue(i),
            })).ToArray());
        }
        await Study.Tables.ParquetTableWriter.WriteAsync(table, dir, source.Metadata);
        var firstStage = source.Strings("stage")[0];
        var firstSubject = source.Strings("subject")[0];

        var r = await CliRunner.Run("inspect", dir);
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("failed tasks: 1", r.Out);
        Assert.Contains($"  {firstStage} {firstSubject}: failed after ", r.Out);
        Assert.Contains("InvalidDataException: the surface is open (a flat patch encloses no volume)", r.Out);
        Assert.Contains("missing tables: cells, segmentation_quality, shapes", r.Out);
    }

    [Fact]
    public async Task InspectOfAFolderWithoutTablesIsAClearError()
    {
        var r = await CliRunner.Run("inspect", Path.Combine(study.Dir, "spines"));
        Assert.Equal(InspectVerb.Unreadable, r.Code);
        Assert.Contains("holds no .parquet tables", r.Err);
        var missing = await CliRunner.Run("inspect", Path.Combine(study.Dir, "no-such-folder"));
        Assert.Equal(InspectVerb.Unreadable, missing.Code);
        Assert.Contains("results folder not found", missing.Err);
        Assert.Contains("no-such-folder", missing.Err);
    }

    [Fact]
    public async Task ATableWithoutAColumnItNeedsIsAClearErrorNamingFileAndColumn()
    {
        var dir = Path.Combine(study.Dir, "inspect-truncated");
        var table = new Study.Tables.Table("tasks").Column<string>("status");
        table.Add(("status", "failed"));
        var path = await Study.Tables.ParquetTableWriter.WriteAsync(table, dir, new Dictionary<string, string>());
        var r = await CliRunner.Run("inspect", dir);
        Assert.Equal(InspectVerb.Unreadable, r.Code);
        Assert.Contains($"{path}: no column 'stage'", r.Err);
    }

    [Fact]
    public async Task DryRunAfterTheRunFindsEveryTaskCached()
    {
        var plan = DryRunVerb.Compute(Study.Manifest.ManifestLoader.Load(study.Manifest).Manifest!);
        var stages = await TaskStages();
        Assert.Equal(stages.Values.Sum(), plan.Cached);
        Assert.Equal(0, plan.New);
        Assert.Empty(plan.LaterStages);
        foreach (var s in plan.Stages) Assert.Equal(stages[s.Stage], s.Cached);

        var r = await CliRunner.Run("run", study.Manifest, "--dry-run");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Matches($@"total\s+{plan.Cached}\s+{plan.Cached}\s+0", r.Out);
        Assert.Contains("every task is cached", r.Out);
        // a run after the dry run confirms it: nothing executes
        Assert.Matches(@"(\d+) tasks, 0 executed, \1 cached", (await CliRunner.Run("run", study.Manifest, "--plain")).Out);
    }

    [Fact]
    public async Task DryRunWithAChangedParameterMakesOnlyTheSimulationsAndTheFitNew()
    {
        var stages = await TaskStages();
        var r = await CliRunner.Run("run", study.Manifest, "--dry-run", "--set", "simulation.parameters.decay_per_ms=0.2");
        Assert.True(r.Code == 0, r.Out + r.Err);
        var rows = Regex.Matches(r.Out, @"^  (\w+)\s+(\d+)\s+(\d+)\s+(\d+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => (Tasks: long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                Cached: long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), New: long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)));
        foreach (var stage in new[] { "segment", "load_mesh", "surface_mesh", "describe", "shape_model", "variant" })
            Assert.Equal((stages[stage], stages[stage], 0L), rows[stage]);
        Assert.Equal((stages["simulate"], 0L, stages["simulate"]), rows["simulate"]);
        Assert.Equal((1L, 0L, 1L), rows["fit"]);
        Assert.False(rows.ContainsKey("associate"));   // needs the new simulations' results first
        Assert.Contains("more associate tasks follow from their results", r.Out);
    }

    [Fact]
    public async Task DryRunOfAFreshStudyHasOnlyNewTasksAndWritesNothing()
    {
        var dir = Path.Combine(study.Dir, "fresh");
        Directory.CreateDirectory(dir);
        var manifest = Path.Combine(dir, "study.yaml");
        File.WriteAllText(manifest, File.ReadAllText(study.Manifest)
            .Replace("raw.npy", Path.Combine(study.Dir, "raw.npy"), StringComparison.Ordinal)
            .Replace("labels.npy", Path.Combine(study.Dir, "labels.npy"), StringComparison.Ordinal)
            .Replace("spines/*.obj", Path.Combine(study.Dir, "spines", "*.obj"), StringComparison.Ordinal));
        var r = await CliRunner.Run("run", manifest, "--dry-run");
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("no state yet: a fresh study", r.Out);
        Assert.Matches(@"segment\s+1\s+0\s+1\n", r.Out);
        Assert.Matches(@"load_mesh\s+5\s+0\s+5\n", r.Out);
        Assert.Matches(@"total\s+6\s+0\s+6\n", r.Out);
        Assert.Contains("more surface_mesh, describe, shape_model, variant, simulate, associate, fit tasks follow", r.Out);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "a dry run created the output folder");
    }
}
