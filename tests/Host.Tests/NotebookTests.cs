using System.Text.Json;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using ShapeStudy.Testing;

namespace ShapeStudy.Host.Tests;

/// <summary>
/// notebooks/analysis.ipynb, notebooks/quickstart_analysis.ipynb and docs/analysis-sql.md read only tables and columns that a real run writes: the notebook's
/// <c>COLUMNS</c> (what it loads) is checked against the Parquet schemas of the fixture study, every column the code
/// names (subscripts, joins, group-bys, renames, constants) is one it loaded from that table (or one it derived), and
/// every SQL query of the notebook and the doc runs in DuckDB on the fixture's files.
/// </summary>
[Collection(StudyResultsCollection.Name)]
public sealed partial class NotebookTests(StudyResultsFixture study)
{
    private static readonly string NotebookPath = Path.Combine(RepoPaths.Root, "notebooks", "analysis.ipynb");
    private static readonly string QuickstartNotebookPath = Path.Combine(RepoPaths.Root, "notebooks", "quickstart_analysis.ipynb");

    /// <summary>The code cells of a notebook (default analysis.ipynb), checked to be nbformat 4 JSON on the way.</summary>
    private static List<string> CodeCells(string? path = null)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path ?? NotebookPath));
        var root = doc.RootElement;
        Assert.Equal(4, root.GetProperty("nbformat").GetInt32());
        Assert.True(root.GetProperty("nbformat_minor").GetInt32() >= 4);
        var code = new List<string>();
        var ids = new HashSet<string>();
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            var type = cell.GetProperty("cell_type").GetString();
            Assert.Contains(type, new[] { "code", "markdown" });
            Assert.True(ids.Add(cell.GetProperty("id").GetString()!), "duplicate cell id");
            var source = cell.GetProperty("source");
            var text = source.ValueKind == JsonValueKind.Array ? string.Concat(source.EnumerateArray().Select(l => l.GetString())) : source.GetString()!;
            if (type != "code") continue;
            Assert.Equal(JsonValueKind.Null, cell.GetProperty("execution_count").ValueKind);
            Assert.Equal(0, cell.GetProperty("outputs").GetArrayLength());   // committed without outputs
            code.Add(text);
        }
        return code;
    }

    private async Task<Dictionary<string, HashSet<string>>> Schemas()
    {
        var schemas = new Dictionary<string, HashSet<string>>();
        foreach (var table in await ResultTables.ReadAllAsync(study.OutDir))
            schemas[table.Name] = table.Columns.Select(c => c.Name).ToHashSet();
        return schemas;
    }

    /// <summary>The JSON value that follows <c>NAME = </c> in the code (a dict or list literal written JSON-compatibly).</summary>
    private static JsonElement Literal(string code, string name)
    {
        var at = Regex.Match(code, $@"^{name} = ([\[{{])", RegexOptions.Multiline);
        Assert.True(at.Success, $"the notebook defines no {name}");
        int start = at.Groups[1].Index, depth = 0, i = start;
        for (; i < code.Length; i++)
        {
            if (code[i] is '{' or '[') depth++;
            else if (code[i] is '}' or ']' && --depth == 0) break;
        }
        return JsonDocument.Parse(code[start..(i + 1)]).RootElement.Clone();
    }

    private static IEnumerable<string> Strings(string listText) =>
        Regex.Matches(listText, @"[""']([^""']*)[""']").Select(m => m.Groups[1].Value);

    [Fact]
    public async Task NotebookReadsOnlyTablesAndColumnsThatARealRunWrites()
    {
        var code = string.Join("\n", CodeCells());
        var schemas = await Schemas();
        var loaded = Literal(code, "COLUMNS").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(c => c.GetString()!).ToHashSet());
        var derived = Literal(code, "DERIVED").EnumerateArray().Select(e => e.GetString()!).ToHashSet();

        // every table is loaded, and every column it loads exists in that table of a real run
        Assert.Equal(schemas.Keys.OrderBy(k => k), loaded.Keys.OrderBy(k => k));
        foreach (var (table, columns) in loaded)
            foreach (var column in columns)
                Assert.True(schemas[table].Contains(column), $"COLUMNS[\"{table}\"] names '{column}', which {table}.parquet does not have");

        // variables bound to tables: `x = t["name"]` and `a, b = t["p"], t["q"]`
        var tableOf = new Dictionary<string, string>();
        foreach (Match m in TableBinding().Matches(code))
        {
            var names = m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
            var tables = Regex.Matches(m.Groups[2].Value, @"t\[""(\w+)""\]").Select(x => x.Groups[1].Value).ToArray();
            Assert.Equal(names.Length, tables.Length);
            for (int i = 0; i < names.Length; i++) tableOf[names[i]] = tables[i];
        }
        Assert.True(tableOf.Count >= 8, "the notebook binds fewer tables to names than expected: " + string.Join(", ", tableOf.Keys));

        var everyLoaded = loaded.Values.SelectMany(c => c).ToHashSet();
        int checkedReferences = 0;
        void Check(string variable, string column, string context)
        {
            checkedReferences++;
            if (variable == "t") { Assert.True(loaded.ContainsKey(column), $"{context}: no table '{column}'"); return; }
            if (tableOf.TryGetValue(variable, out var table))
                Assert.True(loaded[table].Contains(column), $"{context}: '{column}' is not a loaded column of {table}");
            else
                Assert.True(everyLoaded.Contains(column) || derived.Contains(column), $"{context}: '{column}' is neither a loaded nor a derived column");
        }

        foreach (Match m in Subscript().Matches(code)) Check(m.Groups[1].Value, m.Groups[2].Value, m.Value);
        foreach (Match m in ListSubscript().Matches(code))
            foreach (var c in Strings(m.Groups[2].Value)) Check(m.Groups[1].Value, c, m.Value);
        foreach (Match m in ColumnCall().Matches(code))
            foreach (var c in Strings(m.Groups[2].Value)) Check(m.Groups[1].Value, c, m.Value);
        foreach (Match m in JoinKey().Matches(code))
            foreach (var c in Strings(m.Groups[1].Value)) Check("", c, m.Value);
        foreach (Match m in Rename().Matches(code))
        {
            // a rename's source is a column of the renamed frame, its target a declared derived column
            foreach (Match pair in Regex.Matches(m.Groups[2].Value, @"""(\w+)"":\s*""(\w+)"""))
            {
                Check(m.Groups[1].Value, pair.Groups[1].Value, m.Value);
                Assert.True(derived.Contains(pair.Groups[2].Value), $"{m.Value}: '{pair.Groups[2].Value}' is not declared in DERIVED");
            }
        }
        foreach (Match m in ColumnConstant().Matches(code)) Check("", m.Groups[2].Value, m.Value);
        Assert.True(checkedReferences >= 60, $"only {checkedReferences} column references were found; the patterns no longer match the notebook");
    }

    private static DuckDBConnection OpenWithViews(string outDir)
    {
        var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        foreach (var table in ResultTables.Known)
            Execute(db, $"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{Path.Combine(outDir, table + ".parquet")}')");
        return db;
    }

    /// <summary>Runs one statement and returns its row count (reading every value).</summary>
    private static int Execute(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        int rows = 0;
        while (reader.Read())
        {
            for (int i = 0; i < reader.FieldCount; i++) _ = reader.GetValue(i);
            rows++;
        }
        return rows;
    }

    [Fact]
    public void NotebookSqlRunsOnARealRunsOutputs()
    {
        var code = string.Join("\n", CodeCells());
        var queries = SqlConstant().Matches(code).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Contains("LINEAGE_SQL", queries.Keys);
        Assert.Contains("RELATION_SQL", queries.Keys);
        using var db = OpenWithViews(study.OutDir);
        // one lineage row per (cell, shape, simulation); with one parameter set, one per shape
        Assert.Equal(Execute(db, "SELECT * FROM shapes"), Execute(db, queries["LINEAGE_SQL"]));
        Assert.Equal(2, Execute(db, queries["RELATION_SQL"]));   // real and synthetic
    }

    [Fact]
    public void DocumentedSqlRunsOnARealRunsOutputs()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "analysis-sql.md"));
        var blocks = Regex.Matches(doc, "```sql\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 6);
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        var results = new List<int>();
        foreach (var block in blocks)
            foreach (var statement in block.Replace("results/quickstart/", study.OutDir + "/", StringComparison.Ordinal)
                         .Split(";\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                results.Add(Execute(db, statement.TrimEnd(';')));
        Assert.Equal(10, results[10]);                           // row counts of ten tables
        Assert.True(results[11] >= 6, "provenance keys");
        Assert.All(results.Skip(13), n => Assert.True(n > 0));   // every analysis query returns rows on this study
    }

    /// <summary>
    /// quickstart_analysis.ipynb (the notebook README links to) loads every table a real run writes, names only columns of
    /// the frames it reads them from (attribute access, subscripts, column lists, aggregations, join keys), and its SQL runs
    /// in DuckDB on the fixture's files.
    /// </summary>
    [Fact]
    public async Task QuickstartNotebookReadsOnlyColumnsThatARealRunWritesAndItsSqlRuns()
    {
        var code = string.Join("\n", CodeCells(QuickstartNotebookPath));
        var schemas = await Schemas();
        var tables = Strings(Regex.Match(code, @"^TABLES = \[([^\]]*)\]", RegexOptions.Multiline | RegexOptions.Singleline).Groups[1].Value).ToList();
        Assert.Equal(schemas.Keys.Order(), tables.Order());

        // the frames the notebook works with and the tables their columns come from (subsets, rows and merges of them)
        var frames = new Dictionary<string, string[]>
        {
            ["cells"] = ["cells"], ["not_done"] = ["cells"], ["shapes"] = ["shapes"], ["s"] = ["shapes"], ["synthetic"] = ["shapes"],
            ["sims"] = ["simulations"], ["chosen"] = ["simulations"], ["ts"] = ["timeseries"], ["curve"] = ["timeseries"],
            ["pheno"] = ["simulations", "shapes", "cells"], ["group"] = ["simulations", "shapes", "cells"],
            ["assoc"] = ["associations"], ["fits"] = ["fits"], ["fit"] = ["fits"], ["draws"] = ["posterior_draws"],
            ["d"] = ["posterior_draws"], ["g"] = ["posterior_draws"],
        };
        var pandas = new HashSet<string> { "loc", "iloc", "empty", "columns", "T", "str", "index", "values", "shape" };
        var all = schemas.Values.SelectMany(c => c).ToHashSet();
        int checkedReferences = 0;
        void Check(string frame, string column, string context)
        {
            checkedReferences++;
            var allowed = frames.TryGetValue(frame, out var from) ? from.SelectMany(t => schemas[t]).ToHashSet() : all;
            Assert.True(allowed.Contains(column), $"{context}: '{column}' is not a column of {(from is null ? "any table" : string.Join(" + ", from))}");
        }
        foreach (var frame in frames.Keys)
            foreach (Match m in Regex.Matches(code, $@"(?<![\w./""']){frame}\.([A-Za-z_]\w*)\b(?!\s*\()"))
                if (!pandas.Contains(m.Groups[1].Value)) Check(frame, m.Groups[1].Value, m.Value);
        // subscripts and column calls on those frames (summaries the notebook builds itself, e.g. `spread`, are not checked)
        foreach (Match m in Subscript().Matches(code))
            if (frames.ContainsKey(m.Groups[1].Value)) Check(m.Groups[1].Value, m.Groups[2].Value, m.Value);
        foreach (Match m in ListSubscript().Matches(code))
            if (frames.ContainsKey(m.Groups[1].Value))
                foreach (var c in Strings(m.Groups[2].Value)) Check(m.Groups[1].Value, c, m.Value);
        foreach (Match m in ColumnCall().Matches(code))
            if (frames.ContainsKey(m.Groups[1].Value))
                foreach (var c in Strings(m.Groups[2].Value)) Check(m.Groups[1].Value, c, m.Value);
        foreach (Match m in JoinKey().Matches(code))
            foreach (var c in Strings(m.Groups[1].Value)) Check("", c, m.Value);
        foreach (Match m in Regex.Matches(code, @"\(""(\w+)"", ""(?:size|min|max|median|mean)""\)")) Check("cells", m.Groups[1].Value, m.Value);
        foreach (var (list, frame) in new[] { ("descriptors", "shapes"), ("whole", "sims") })
            foreach (var c in Strings(Regex.Match(code, $@"^{list} = \[([^\]]*)\]", RegexOptions.Multiline).Groups[1].Value))
                Check(frame, c, list);
        Assert.True(checkedReferences >= 60, $"only {checkedReferences} column references were found; the patterns no longer match the notebook");

        // every SQL query runs on the fixture's outputs through the same views the notebook creates
        var queries = Regex.Matches(code, @"con\.sql\(f?'''(.*?)'''\)", RegexOptions.Singleline).Select(m => m.Groups[1].Value
            .Replace("{(RESULTS / \"*.parquet\").as_posix()}", Path.Combine(study.OutDir, "*.parquet"), StringComparison.Ordinal)
            .Replace(@"\\", @"\", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, queries.Count);
        using var db = OpenWithViews(study.OutDir);
        Assert.All(queries, q => Assert.True(Execute(db, q) > 0, $"no rows from:\n{q}"));
    }

    [GeneratedRegex(@"^(\w+(?:, \w+)*) = (t\[""\w+""\](?:, t\[""\w+""\])*)\s*$", RegexOptions.Multiline)]
    private static partial Regex TableBinding();

    [GeneratedRegex(@"(\w*)\[\s*[""']([a-z_][a-z0-9_]*)[""']\s*\]")]
    private static partial Regex Subscript();

    [GeneratedRegex(@"(\w*)\[\[([^\[\]]+)\]\]")]
    private static partial Regex ListSubscript();

    [GeneratedRegex(@"(\w*)\.(?:groupby|sort_values|set_index|drop_duplicates|value_counts)\(\s*(\[[^\]]*\]|""\w+"")")]
    private static partial Regex ColumnCall();

    [GeneratedRegex(@"\bon=(\[[^\]]*\]|""\w+"")")]
    private static partial Regex JoinKey();

    [GeneratedRegex(@"(\w+)(?:\[\[[^\]]*\]\])?\.rename\(columns=\{([^}]*)\}\)")]
    private static partial Regex Rename();

    [GeneratedRegex(@"^(DESCRIPTOR|PHENOTYPE) = ""(\w+)""", RegexOptions.Multiline)]
    private static partial Regex ColumnConstant();

    [GeneratedRegex("^(\\w+_SQL) = \"\"\"(.*?)\"\"\"", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SqlConstant();
}
