namespace ShapeStudy.Study.Tables;

/// <summary>
/// A tidy table built row by row: named, typed columns (double, long, int, bool, string; nullable doubles are
/// written as Parquet optional values). Column order is the order of first declaration.
/// </summary>
public sealed class Table
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, (Type Type, List<object?> Values)> _columns = new();

    public Table(string name) => Name = name;

    /// <summary>Table (file) name without extension, e.g. "cells".</summary>
    public string Name { get; }

    public int RowCount { get; private set; }

    public IReadOnlyList<string> ColumnNames => _order;

    /// <summary>Declares a column up front so that empty tables keep their schema.</summary>
    public Table Column<T>(string name)
    {
        if (!_columns.ContainsKey(name))
        {
            _order.Add(name);
            _columns[name] = (typeof(T), new List<object?>());
        }
        return this;
    }

    /// <summary>Appends one row; every declared column must be given (missing ones become null for nullable types).</summary>
    public void Add(params (string Column, object? Value)[] cells)
    {
        var given = new Dictionary<string, object?>();
        foreach (var (c, v) in cells)
        {
            if (!_columns.ContainsKey(c)) throw new ArgumentException($"table {Name} has no column '{c}'");
            given[c] = v;
        }
        foreach (var name in _order)
        {
            var (type, values) = _columns[name];
            given.TryGetValue(name, out var v);
            if (v is null && type != typeof(string) && type != typeof(double?))
                throw new ArgumentException($"table {Name}: column '{name}' of type {type.Name} needs a value");
            values.Add(v is null ? null : Convert(v, type, name));
        }
        RowCount++;
    }

    public Type TypeOf(string column) => _columns[column].Type;

    public IReadOnlyList<object?> ValuesOf(string column) => _columns[column].Values;

    private object Convert(object v, Type type, string column)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (v.GetType() == target) return v;
        try { return System.Convert.ChangeType(v, target, System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) { throw new ArgumentException($"table {Name}: column '{column}' expects {target.Name}, got {v.GetType().Name}", e); }
    }
}
