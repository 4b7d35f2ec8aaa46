using Parquet;
using Parquet.Schema;
using ShapeStudy.Study.Storage;

namespace ShapeStudy.Study.Tables;

/// <summary>
/// Writes a <see cref="Table"/> as one Parquet file with key-value provenance metadata. The file is written under a
/// temporary name (not ending in .parquet), flushed to disk and renamed, so readers never see a partial file.
/// </summary>
public static class ParquetTableWriter
{
    /// <summary>Writes <paramref name="table"/> to <c>dir/name.parquet</c> and returns the path.</summary>
    public static async Task<string> WriteAsync(Table table, string dir, IReadOnlyDictionary<string, string> metadata)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, table.Name + ".parquet");
        var tmp = AtomicFile.TempNameFor(path);
        var fields = table.ColumnNames.Select(c => (Field: MakeField(c, table.TypeOf(c)), Name: c)).ToList();
        var schema = new ParquetSchema(fields.Select(f => (Field)f.Field));
        await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await using (var writer = await ParquetWriter.CreateAsync(schema, fs))
            {
                writer.CustomMetadata = metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
                using var rg = writer.CreateRowGroup();
                foreach (var (field, name) in fields)
                    await WriteColumn(rg, field, table.TypeOf(name), table.ValuesOf(name));
            }
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    private static DataField MakeField(string name, Type t)
    {
        if (t == typeof(double)) return new DataField<double>(name);
        if (t == typeof(double?)) return new DataField<double?>(name);
        if (t == typeof(long)) return new DataField<long>(name);
        if (t == typeof(int)) return new DataField<int>(name);
        if (t == typeof(bool)) return new DataField<bool>(name);
        if (t == typeof(string)) return new DataField<string>(name, true);
        throw new ArgumentException($"column '{name}': type {t.Name} is not supported");
    }

    private static async Task WriteColumn(ParquetRowGroupWriter rg, DataField field, Type t, IReadOnlyList<object?> values)
    {
        if (t == typeof(double)) await rg.WriteAsync(field, (ReadOnlyMemory<double>)values.Select(v => (double)v!).ToArray());
        else if (t == typeof(double?)) await rg.WriteAsync(field, (ReadOnlyMemory<double?>)values.Select(v => (double?)v).ToArray());
        else if (t == typeof(long)) await rg.WriteAsync(field, (ReadOnlyMemory<long>)values.Select(v => (long)v!).ToArray());
        else if (t == typeof(int)) await rg.WriteAsync(field, (ReadOnlyMemory<int>)values.Select(v => (int)v!).ToArray());
        else if (t == typeof(bool)) await rg.WriteAsync(field, (ReadOnlyMemory<bool>)values.Select(v => (bool)v!).ToArray());
        else await rg.WriteAsync(field, values.Select(v => (string?)v).ToArray()!);
    }
}
