using System.Globalization;
using System.Text;

namespace ShapeStudy.Physics;

/// <summary>Shared plumbing of the mesh readers and writers: atomic writes and located errors.</summary>
internal static class FormatIo
{
    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file in the target directory and renames it over
    /// <paramref name="path"/>, so a failure never leaves a truncated file behind.
    /// </summary>
    public static void AtomicWrite(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                write(fs);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>An error located at a text line: "path:line: what".</summary>
    public static InvalidDataException AtLine(string path, int line, string what) => new($"{path}:{line}: {what}");

    /// <summary>An error located at a byte offset: "path: byte N: what".</summary>
    public static InvalidDataException AtByte(string path, long offset, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}: byte {offset}: {what}"));

    /// <summary>Reads the whole file; files beyond one array (2 GiB) are refused with a clear error.</summary>
    public static byte[] ReadAll(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength) throw new InvalidDataException($"{path}: {length} bytes exceed the 2 GiB in-memory limit");
        return File.ReadAllBytes(path);
    }

    public static readonly UTF8Encoding Utf8 = new(false);
}

/// <summary>
/// Whitespace-separated tokens and lines over a file's bytes (ASCII headers and text bodies), tracking the line number
/// and byte offset for error messages; binary sections are read from <see cref="Position"/> by the caller.
/// </summary>
internal sealed class ByteScanner(string path, byte[] bytes)
{
    public string Path { get; } = path;
    public byte[] Bytes { get; } = bytes;
    public int Position { get; set; }
    /// <summary>1-based line of <see cref="Position"/>.</summary>
    public int Line { get; private set; } = 1;

    public bool AtEnd => Position >= Bytes.Length;

    /// <summary>The current position and line, for <see cref="Restore"/>.</summary>
    public (int Position, int Line) Save() => (Position, Line);

    /// <summary>Returns to a position saved by <see cref="Save"/>.</summary>
    public void Restore((int Position, int Line) mark) { Position = mark.Position; Line = mark.Line; }

    /// <summary>The rest of the current line (without CR/LF), advancing past its end; null at the end of the file.</summary>
    public string? ReadLine()
    {
        if (Position >= Bytes.Length) return null;
        int start = Position;
        while (Position < Bytes.Length && Bytes[Position] != (byte)'\n') Position++;
        int end = Position;
        if (Position < Bytes.Length) { Position++; Line++; }
        if (end > start && Bytes[end - 1] == (byte)'\r') end--;
        return Encoding.Latin1.GetString(Bytes, start, end - start);
    }

    /// <summary>The next non-empty line, trimmed, skipping lines that start with <paramref name="comment"/> when given.</summary>
    public string? ReadContentLine(char? comment = null)
    {
        while (true)
        {
            var line = ReadLine();
            if (line is null) return null;
            var t = line.Trim();
            if (t.Length == 0 || (comment is char c && t[0] == c)) continue;
            return t;
        }
    }

    /// <summary>Line number of the most recently returned line.</summary>
    public int LastLine => Position > 0 && Position <= Bytes.Length && Bytes[Position - 1] == (byte)'\n' ? Line - 1 : Line;

    /// <summary>Advances past spaces, tabs and line ends (so that <see cref="Line"/> is the next token's line).</summary>
    public void SkipWhitespace()
    {
        while (Position < Bytes.Length)
        {
            byte b = Bytes[Position];
            if (b == (byte)'\n') { Line++; Position++; }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r') Position++;
            else break;
        }
    }

    /// <summary>The next whitespace-separated token; null at the end. Text after <paramref name="comment"/> to the end of
    /// the line is skipped when given.</summary>
    public string? NextToken(char? comment = null)
    {
        while (Position < Bytes.Length)
        {
            byte b = Bytes[Position];
            if (b == (byte)'\n') { Line++; Position++; }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r') Position++;
            else if (comment is char c && b == (byte)c) { while (Position < Bytes.Length && Bytes[Position] != (byte)'\n') Position++; }
            else break;
        }
        if (Position >= Bytes.Length) return null;
        int start = Position;
        while (Position < Bytes.Length && Bytes[Position] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) Position++;
        return Encoding.Latin1.GetString(Bytes, start, Position - start);
    }

    public InvalidDataException Error(string what) => FormatIo.AtLine(Path, Line, what);

    public string Token(string what, char? comment = null) =>
        NextToken(comment) ?? throw Error($"unexpected end of file: expected {what}");

    public double Double(string what, char? comment = null)
    {
        var t = Token(what, comment);
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw Error($"'{t}' is not a finite number ({what})");
        return v;
    }

    public long Long(string what, char? comment = null)
    {
        var t = Token(what, comment);
        if (!long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            // Integers written as floats (e.g. "3.0" in some PLY files) are accepted when integral.
            if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15)
                return (long)d;
            throw Error($"'{t}' is not an integer ({what})");
        }
        return v;
    }

    public int Int(string what, char? comment = null)
    {
        long v = Long(what, comment);
        if (v < int.MinValue || v > int.MaxValue) throw Error($"{v} is out of the 32-bit range ({what})");
        return (int)v;
    }

    /// <summary>A count: a non-negative integer not larger than <paramref name="max"/>.</summary>
    public int Count(string what, long max = int.MaxValue, char? comment = null)
    {
        long v = Long(what, comment);
        if (v < 0 || v > max) throw Error($"{what} {v} is out of range (0 to {max})");
        return (int)v;
    }
}
