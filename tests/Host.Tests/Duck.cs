using System.Globalization;
using DuckDB.NET.Data;

namespace ShapeStudy.Host.Tests;

/// <summary>DuckDB queries over a study's Parquet outputs (an independent reader of what Parquet.Net wrote).</summary>
internal static class Duck
{
    /// <summary>An open in-memory connection.</summary>
    public static DuckDBConnection Open()
    {
        var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        return db;
    }

    /// <summary>The first column of the first row of <paramref name="sql"/> (null when there is none).</summary>
    public static object? Scalar(this DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    /// <summary><see cref="Scalar"/> as a 64-bit integer (counts).</summary>
    public static long Count(this DuckDBConnection db, string sql) => Convert.ToInt64(db.Scalar(sql), CultureInfo.InvariantCulture);

    /// <summary>The Parquet key-value metadata entry <paramref name="key"/> of the file <paramref name="table"/> (null when absent).</summary>
    public static string? Provenance(this DuckDBConnection db, string table, string key) =>
        db.Scalar($"SELECT decode(value) FROM parquet_kv_metadata('{table}') WHERE decode(key) = '{key}'") as string;
}
