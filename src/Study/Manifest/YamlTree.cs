using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ShapeStudy.Study.Manifest;

/// <summary>A YAML node with its 1-based start position; built from parser events so nothing (duplicates included) is lost.</summary>
internal abstract class YNode(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
}

/// <summary>A scalar. <see cref="Plain"/> is true for unquoted, untagged scalars (the only ones read as numbers or null).</summary>
internal sealed class YScalar(int line, int column, string value, bool plain, string? tag) : YNode(line, column)
{
    public string Value { get; } = value;
    public bool Plain { get; } = plain;
    /// <summary>Explicit tag (e.g. <c>tag:yaml.org,2002:str</c>), or null.</summary>
    public string? Tag { get; } = tag;
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed class YSequence(int line, int column, List<YNode> items) : YNode(line, column)
{
    public IReadOnlyList<YNode> Items { get; } = items;
}

/// <summary>A mapping; entries keep document order and duplicates.</summary>
internal sealed class YMapping(int line, int column, List<KeyValuePair<YNode, YNode>> entries) : YNode(line, column)
{
    public IReadOnlyList<KeyValuePair<YNode, YNode>> Entries { get; } = entries;
}

/// <summary>Reads a single-document YAML stream into a <see cref="YNode"/> tree.</summary>
internal sealed class YamlTree
{
    private const int MaxDepth = 64;

    private readonly IParser _parser;
    private readonly Dictionary<string, YNode> _anchors = new(StringComparer.Ordinal);
    private readonly Stack<(Mark Start, char Bracket)> _openFlow = new();

    private YamlTree(IParser parser) => _parser = parser;

    /// <summary>
    /// Parses <paramref name="text"/>. Returns the root node, or null for a stream without documents.
    /// Throws <see cref="YamlException"/> (with a position) on syntax errors, undefined aliases, excessive nesting
    /// and a second document.
    /// </summary>
    public static YNode? Parse(string text)
    {
        var tree = new YamlTree(new Parser(new StringReader(text)));
        try
        {
            return tree.ReadStream();
        }
        catch (YamlException e) when (tree._openFlow.Count > 0 && e.Message.Contains("flow", StringComparison.Ordinal))
        {
            var (start, bracket) = tree._openFlow.Peek();
            throw new YamlException(e.Start, e.End,
                $"{StripPosition(e.Message)} (the '{bracket}' at line {start.Line}, column {start.Column} is not closed)");
        }
        catch (Exception e) when (e is not YamlException)
        {
            // YamlDotNet's scanner can fail with a bare exception (e.g. InvalidOperationException) on some malformed
            // input, typically an unclosed flow collection followed by more lines; report a position anyway.
            if (tree._openFlow.Count > 0)
            {
                var (start, bracket) = tree._openFlow.Peek();
                char closing = bracket == '{' ? '}' : ']';
                throw new YamlException(start, start, $"the '{bracket}' opened here is not closed by a matching '{closing}'");
            }
            var at = tree._parser.Current?.End ?? Mark.Empty;
            throw new YamlException(at, at, "malformed YAML after this point");
        }
    }

    /// <summary>YamlDotNet prefixes messages with "(Line: …) - (Line: …): "; positions are reported separately.</summary>
    internal static string StripPosition(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ");
        return (m.Success ? message[m.Length..] : message).Trim();
    }

    private YNode? ReadStream()
    {
        _parser.Consume<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _)) return null;
        _parser.Consume<DocumentStart>();
        var root = Read(0);
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
            throw new YamlException(second.Start, second.End, "a manifest holds a single YAML document; found a second one ('---')");
        _parser.Consume<StreamEnd>();
        return root;
    }

    private YNode Read(int depth)
    {
        var current = _parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
        if (depth > MaxDepth)
            throw new YamlException(current.Start, current.End, $"nesting deeper than {MaxDepth} levels");
        int line = (int)current.Start.Line, column = (int)current.Start.Column;
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                    throw new YamlException(alias.Start, alias.End, $"alias '*{alias.Value.Value}' refers to an undefined anchor");
                return target;
            case Scalar s:
            {
                _parser.MoveNext();
                var node = new YScalar(line, column, s.Value, s.Style == ScalarStyle.Plain && s.Tag.IsEmpty, s.Tag.IsEmpty ? null : s.Tag.Value);
                Register(s, node);
                return node;
            }
            case SequenceStart ss:
            {
                bool flow = ss.Style == SequenceStyle.Flow;
                if (flow) _openFlow.Push((ss.Start, '['));
                _parser.MoveNext();
                var items = new List<YNode>();
                var seq = new YSequence(line, column, items);
                Register(ss, seq);
                while (!_parser.TryConsume<SequenceEnd>(out _)) items.Add(Read(depth + 1));
                if (flow) _openFlow.Pop();
                return seq;
            }
            case MappingStart ms:
            {
                bool flow = ms.Style == MappingStyle.Flow;
                if (flow) _openFlow.Push((ms.Start, '{'));
                _parser.MoveNext();
                var entries = new List<KeyValuePair<YNode, YNode>>();
                var map = new YMapping(line, column, entries);
                Register(ms, map);
                while (!_parser.TryConsume<MappingEnd>(out _))
                {
                    var key = Read(depth + 1);
                    var value = Read(depth + 1);
                    entries.Add(new KeyValuePair<YNode, YNode>(key, value));
                }
                if (flow) _openFlow.Pop();
                return map;
            }
            default:
                throw new YamlException(current.Start, current.End, $"unexpected YAML event {current.GetType().Name}");
        }
    }

    private void Register(NodeEvent e, YNode node)
    {
        if (!e.Anchor.IsEmpty) _anchors[e.Anchor.Value] = node;
    }
}
