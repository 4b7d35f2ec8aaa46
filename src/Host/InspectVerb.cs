using System.CommandLine;
using Spectre.Console;

namespace ShapeStudy.Host;

/// <summary>
/// <c>shapestudy inspect &lt;results&gt;</c>: what a study wrote — provenance (study id, manifest SHA-256, seed, code
/// version), every Parquet table with its row count and columns, and every failed task with its reason. A table in a
/// terminal; plain lines when output is redirected, <c>NO_COLOR</c> is set or <c>--plain</c> is given.
/// </summary>
public static class InspectVerb
{
    /// <summary>Exit code when the folder or a table cannot be read.</summary>
    public const int Unreadable = 2;

    public static Command Create(TextWriter output, TextWriter errors)
    {
        var dir = new Argument<string>("results") { Description = "A study's results folder (its outputs.dir)." };
        var plain = new Option<bool>("--plain") { Description = "Plain text (also when output is redirected or NO_COLOR is set)." };
        var cmd = new Command("inspect", "List a results folder's tables (row counts, columns), failed tasks with their reasons, and provenance.") { dir, plain };
        cmd.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(dir)!, Terminal.Rich(output, parse.GetValue(plain)), output, errors, ct));
        return cmd;
    }

    /// <summary>A failed (or quarantined) task from the <c>tasks</c> table.</summary>
    public sealed record FailedTask(string Stage, string Subject, string Status, int Attempts, string Error);

    /// <summary>The failed and quarantined tasks of <paramref name="tasks"/> (the <c>tasks</c> table), in table order.</summary>
    public static IReadOnlyList<FailedTask> Failures(ResultTable? tasks)
    {
        if (tasks is null || !tasks.Has("status")) return [];
        var status = tasks.Strings("status");
        var stage = tasks.Strings("stage");
        var subject = tasks.Strings("subject");
        var attempts = tasks.Doubles("attempts");
        var error = tasks.Strings("error");
        var list = new List<FailedTask>();
        for (int i = 0; i < status.Length; i++)
            if (status[i] is "failed" or "quarantined")
                list.Add(new FailedTask(stage[i] ?? "", subject[i] ?? "", status[i]!, (int)attempts[i], error[i] ?? "(no reason recorded)"));
        return list;
    }

    private static async Task<int> RunAsync(string dir, bool rich, TextWriter output, TextWriter errors, CancellationToken ct)
    {
        IReadOnlyList<ResultTable> tables;
        try
        {
            tables = await ResultTables.ReadAllAsync(dir, ct);
        }
        catch (IOException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return Unreadable;
        }
        if (tables.Count == 0)
        {
            errors.WriteLine($"error: {Path.GetFullPath(dir)} holds no .parquet tables (is it a study's outputs.dir, and has the study finished?)");
            return Unreadable;
        }
        var meta = tables[0].Metadata;
        string Meta(string key) => meta.TryGetValue("shapestudy." + key, out var v) ? v : "(not recorded)";
        IReadOnlyList<FailedTask> failures;
        try
        {
            failures = Failures(tables.Find("tasks"));
        }
        catch (KeyNotFoundException e)
        {
            errors.WriteLine($"error: {e.Message}");
            return Unreadable;
        }
        var missing = ResultTables.Known.Where(k => tables.Find(k) is null).ToList();

        if (rich)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Path.GetFullPath(dir))}[/]");
            AnsiConsole.MarkupLine($"study [bold]{Markup.Escape(Meta("study_id"))}[/], seed {Markup.Escape(Meta("seed"))}, manifest sha256 {Markup.Escape(Meta("manifest_sha256"))}");
            AnsiConsole.MarkupLine($"code {Markup.Escape(Meta("code_version"))}, results as of {Markup.Escape(Meta("created_utc"))}");
            var t = new Table().AddColumn("table").AddColumn(new TableColumn("rows").RightAligned()).AddColumn("columns");
            foreach (var table in tables)
                t.AddRow(Markup.Escape(table.Name), table.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", table.Columns.Select(ColumnText))));
            AnsiConsole.Write(t);
            if (missing.Count > 0) AnsiConsole.MarkupLine($"[yellow]missing tables:[/] {Markup.Escape(string.Join(", ", missing))}");
            if (failures.Count == 0) AnsiConsole.MarkupLine("[green]no failed tasks[/]");
            else
            {
                var f = new Table().AddColumn("stage").AddColumn("subject").AddColumn("status").AddColumn("attempts").AddColumn("reason");
                foreach (var x in failures)
                    f.AddRow(Markup.Escape(x.Stage), Markup.Escape(x.Subject), $"[red]{x.Status}[/]", $"{x.Attempts}", Markup.Escape(x.Error));
                AnsiConsole.MarkupLine($"[red]{failures.Count} failed task(s)[/]");
                AnsiConsole.Write(f);
            }
            return 0;
        }

        output.WriteLine(Path.GetFullPath(dir));
        output.WriteLine($"study: {Meta("study_id")}");
        output.WriteLine($"seed: {Meta("seed")}");
        output.WriteLine($"manifest_sha256: {Meta("manifest_sha256")}");
        output.WriteLine($"code_version: {Meta("code_version")}");
        output.WriteLine($"created_utc: {Meta("created_utc")}");
        output.WriteLine($"tables: {tables.Count}");
        foreach (var table in tables)
        {
            output.WriteLine($"  {table.Name,-22} {table.RowCount,8} rows  {table.Columns.Count,3} columns");
            output.WriteLine($"    {string.Join(", ", table.Columns.Select(ColumnText))}");
        }
        if (missing.Count > 0) output.WriteLine($"missing tables: {string.Join(", ", missing)}");
        output.WriteLine($"failed tasks: {failures.Count}");
        foreach (var x in failures)
            output.WriteLine($"  {x.Stage} {x.Subject}: {x.Status} after {x.Attempts} attempt(s): {x.Error}");
        return 0;
    }

    private static string ColumnText(ResultColumn c)
    {
        var t = Nullable.GetUnderlyingType(c.Type) is { } u ? TypeName(u) + "?" : TypeName(c.Type);
        return $"{c.Name}:{t}";
    }

    private static string TypeName(Type t) =>
        t == typeof(double) ? "double" : t == typeof(int) ? "int32" : t == typeof(long) ? "int64" : t == typeof(bool) ? "bool"
        : t == typeof(string) ? "string" : t.Name;
}

/// <summary>Whether to draw rich terminal output (tables, colour) or plain lines.</summary>
public static class Terminal
{
    /// <summary>
    /// True only when writing to the real console, that console is not redirected, <c>NO_COLOR</c> is unset or empty
    /// (no-color.org) and <paramref name="plain"/> was not asked for.
    /// </summary>
    public static bool Rich(TextWriter output, bool plain) =>
        Rich(plain, output == Console.Out, Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>The decision of <see cref="Rich(TextWriter, bool)"/> from its inputs.</summary>
    public static bool Rich(bool plain, bool toConsole, bool redirected, string? noColor) =>
        !plain && toConsole && !redirected && string.IsNullOrEmpty(noColor);
}
