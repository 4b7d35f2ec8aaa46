using Parquet;
using Parquet.Schema;

namespace ShapeStudy.Host;

/// <summary>One column of a result table: its name, CLR element type and values (nullable types hold nulls).</summary>
public sealed record ResultColumn(string Name, Type Type, Array Values);

/// <summary>
/// One Parquet table of a results folder read fully into memory: columns by name, the row count and the file's
/// key-value metadata (provenance, <c>shapestudy.*</c> keys).
/// </summary>
public sealed class ResultTable
{
    private readonly Dictionary<string, ResultColumn> _byName;

    public ResultTable(string name, string path, long rows, IReadOnlyList<ResultColumn> columns, IReadOnlyDictionary<string, string> metadata)
    {
        Name = name;
        Path = path;
        RowCount = rows;
        Columns = columns;
        Metadata = metadata;
        _byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>Table name: the file name without <c>.parquet</c>.</summary>
    public string Name { get; }
    public string Path { get; }
    public long RowCount { get; }
    public IReadOnlyList<ResultColumn> Columns { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public bool Has(string column) => _byName.ContainsKey(column);

    /// <summary>A numeric column as doubles (null → NaN); throws <see cref="KeyNotFoundException"/> naming table and column when absent.</summary>
    public double[] Doubles(string column)
    {
        var c = Column(column);
        var result = new double[c.Values.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = c.Values.GetValue(i) switch
            {
                null => double.NaN,
                double d => d,
                float f => f,
                int n => n,
                long l => l,
                bool b => b ? 1 : 0,
                _ => double.NaN,
            };
        return result;
    }

    /// <summary>A column as strings (numbers in invariant format, null stays null).</summary>
    public string?[] Strings(string column)
    {
        var c = Column(column);
        var result = new string?[c.Values.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = c.Values.GetValue(i) is { } v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
        return result;
    }

    public ResultColumn Column(string column) =>
        _byName.TryGetValue(column, out var c) ? c : throw new KeyNotFoundException($"{Path}: no column '{column}'");
}

/// <summary>Reads the Parquet tables of a results folder (<c>outputs.dir</c> of a study).</summary>
public static class ResultTables
{
    /// <summary>The ten tables a study writes, in the order of docs/tables.md.</summary>
    public static readonly IReadOnlyList<string> Known =
        ["cells", "segmentation_quality", "shapes", "meshes", "simulations", "timeseries", "fits", "posterior_draws", "associations", "tasks"];

    /// <summary>
    /// Reads every <c>*.parquet</c> file of <paramref name="dir"/> (known tables first, in their documented order).
    /// Throws <see cref="DirectoryNotFoundException"/> or <see cref="IOException"/> naming the folder or file.
    /// </summary>
    public static async Task<IReadOnlyList<ResultTable>> ReadAllAsync(string dir, CancellationToken ct = default)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"results folder not found: {Path.GetFullPath(dir)}");
        var files = Directory.GetFiles(dir, "*.parquet")
            .OrderBy(f => Known.IndexOf(Path.GetFileNameWithoutExtension(f)) is var i and >= 0 ? i : int.MaxValue)
            .ThenBy(f => f, StringComparer.Ordinal)
            .ToList();
        var tables = new List<ResultTable>();
        foreach (var f in files) tables.Add(await ReadAsync(f, ct));
        return tables;
    }

    private static int IndexOf(this IReadOnlyList<string> list, string item)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == item) return i;
        return -1;
    }

    /// <summary>Reads one Parquet file fully (all row groups, every flat column).</summary>
    public static async Task<ResultTable> ReadAsync(string path, CancellationToken ct = default)
    {
        try
        {
            await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: ct);
            var fields = reader.Schema.GetDataFields();
            var parts = fields.Select(_ => new List<Array>()).ToList();
            long rows = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var rg = reader.OpenRowGroupReader(g);
                rows += rg.RowCount;
                for (int i = 0; i < fields.Length; i++)
                    parts[i].Add(await ReadColumnAsync(rg, fields[i], checked((int)rg.RowCount), ct));
            }
            var columns = fields.Select((f, i) => new ResultColumn(f.Name, ElementType(f), Concat(parts[i], ElementType(f), rows))).ToList();
            return new ResultTable(Path.GetFileNameWithoutExtension(path), path, rows, columns,
                reader.CustomMetadata is { } meta ? new Dictionary<string, string>(meta) : new Dictionary<string, string>());
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            throw new IOException($"cannot read {path} as Parquet: {e.Message}", e);
        }
    }

    private static async Task<Array> ReadColumnAsync(ParquetRowGroupReader rg, DataField f, int rows, CancellationToken ct)
    {
        var t = f.ClrType;
        if (IsText(f)) { var a = new string?[rows]; await rg.ReadAsync(f, a.AsMemory(), null, ct); return a; }
        if (f.IsNullable)
        {
            if (t == typeof(double)) { var a = new double?[rows]; await rg.ReadAsync<double>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(int)) { var a = new int?[rows]; await rg.ReadAsync<int>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(long)) { var a = new long?[rows]; await rg.ReadAsync<long>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(bool)) { var a = new bool?[rows]; await rg.ReadAsync<bool>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(float)) { var a = new float?[rows]; await rg.ReadAsync<float>(f, a.AsMemory(), null, ct); return a; }
        }
        else
        {
            if (t == typeof(double)) { var a = new double[rows]; await rg.ReadAsync<double>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(int)) { var a = new int[rows]; await rg.ReadAsync<int>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(long)) { var a = new long[rows]; await rg.ReadAsync<long>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(bool)) { var a = new bool[rows]; await rg.ReadAsync<bool>(f, a.AsMemory(), null, ct); return a; }
            if (t == typeof(float)) { var a = new float[rows]; await rg.ReadAsync<float>(f, a.AsMemory(), null, ct); return a; }
        }
        throw new NotSupportedException($"column '{f.Name}' has type {t.Name}{(f.IsNullable ? "?" : "")}, which ShapeStudy tables do not use");
    }

    /// <summary>UTF-8 text columns (Parquet.Net 6 reports their element type as string or ReadOnlyMemory&lt;char&gt;).</summary>
    private static bool IsText(DataField f) => f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>);

    private static Type ElementType(DataField f) =>
        IsText(f) ? typeof(string) : f.IsNullable && f.ClrType.IsValueType ? typeof(Nullable<>).MakeGenericType(f.ClrType) : f.ClrType;

    private static Array Concat(List<Array> parts, Type type, long rows)
    {
        if (parts.Count == 1) return parts[0];
        var all = Array.CreateInstance(type, rows);
        long at = 0;
        foreach (var p in parts)
        {
            Array.Copy(p, 0, all, at, p.Length);
            at += p.Length;
        }
        return all;
    }

    /// <summary>A table by name from <paramref name="tables"/>, or null when the folder has no such file.</summary>
    public static ResultTable? Find(this IReadOnlyList<ResultTable> tables, string name) => tables.FirstOrDefault(t => t.Name == name);
}
