using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ShapeStudy.Dashboard.Tests;

/// <summary>One sample of a metric: name, labels (in order of appearance) and value.</summary>
public sealed record PromSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, written from the format's specification. It rejects
/// what Prometheus would reject and what the format forbids: bad metric or label names, unescaped or unknown escapes in
/// label values, duplicate labels, non-numeric values, a TYPE given twice or after its samples, a family whose samples
/// are not contiguous, duplicate series, samples whose name does not belong to the declared type (histogram
/// <c>_bucket/_sum/_count</c>), histograms without a <c>+Inf</c> bucket, with decreasing cumulative buckets or with
/// <c>_count</c> ≠ the <c>+Inf</c> bucket, counters that are negative, and input that does not end with a newline.
/// </summary>
public static partial class PrometheusParser
{
    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    private static readonly HashSet<string> Types = new() { "counter", "gauge", "histogram", "summary", "untyped" };

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the line on any violation.</summary>
    public static IReadOnlyList<PromSample> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a line feed");
        var samples = new List<PromSample>();
        var types = new Dictionary<string, string>();
        var helps = new HashSet<string>();
        var closedFamilies = new HashSet<string>();
        var seenSeries = new HashSet<string>();
        string? currentFamily = null;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            int n = i + 1;
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length >= 3 && parts[0] == "#" && parts[1] is "HELP" or "TYPE")
                {
                    var name = parts[2];
                    if (!MetricName().IsMatch(name)) throw new FormatException($"line {n}: bad metric name '{name}' in {parts[1]}");
                    if (parts[1] == "HELP")
                    {
                        if (!helps.Add(name)) throw new FormatException($"line {n}: second HELP for {name}");
                        if (parts.Length == 4) CheckHelpEscapes(parts[3], n);
                    }
                    else
                    {
                        if (parts.Length != 4 || !Types.Contains(parts[3])) throw new FormatException($"line {n}: bad TYPE line '{line}'");
                        if (types.ContainsKey(name)) throw new FormatException($"line {n}: second TYPE for {name}");
                        if (samples.Any(s => FamilyOf(s.Name, types) == name || s.Name == name))
                            throw new FormatException($"line {n}: TYPE for {name} after its samples");
                        types[name] = parts[3];
                    }
                    SwitchFamily(name, ref currentFamily, closedFamilies, n);
                }
                continue;   // other comments are allowed
            }
            var sample = ParseSample(line, n);
            var family = FamilyOf(sample.Name, types);
            if (types.TryGetValue(family, out var type))
            {
                bool nameOk = type switch
                {
                    "histogram" => sample.Name == family + "_bucket" || sample.Name == family + "_sum" || sample.Name == family + "_count",
                    "summary" => sample.Name == family || sample.Name == family + "_sum" || sample.Name == family + "_count",
                    _ => sample.Name == family,
                };
                if (!nameOk) throw new FormatException($"line {n}: sample {sample.Name} does not belong to {type} {family}");
                if (type == "counter" && (sample.Value < 0 || double.IsNaN(sample.Value))) throw new FormatException($"line {n}: counter {sample.Name} is {sample.Value}");
                if (type == "histogram" && sample.Name.EndsWith("_bucket", StringComparison.Ordinal) && !sample.Labels.ContainsKey("le"))
                    throw new FormatException($"line {n}: histogram bucket without le");
            }
            SwitchFamily(family, ref currentFamily, closedFamilies, n);
            var series = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!seenSeries.Add(series)) throw new FormatException($"line {n}: duplicate series {series}");
            samples.Add(sample);
        }
        foreach (var (name, type) in types.Where(t => t.Value == "histogram")) CheckHistogram(name, samples);
        return samples;
    }

    private static void SwitchFamily(string family, ref string? current, HashSet<string> closed, int n)
    {
        if (current == family) return;
        if (closed.Contains(family)) throw new FormatException($"line {n}: samples of {family} are not contiguous");
        if (current is not null) closed.Add(current);
        current = family;
    }

    private static string FamilyOf(string sampleName, IReadOnlyDictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var baseName = sampleName[..^suffix.Length];
                if (types.TryGetValue(baseName, out var t) && t is "histogram" or "summary") return baseName;
            }
        return sampleName;
    }

    private static void CheckHelpEscapes(string help, int n)
    {
        for (int i = 0; i < help.Length; i++)
            if (help[i] == '\\')
            {
                if (i + 1 >= help.Length || help[i + 1] is not ('\\' or 'n')) throw new FormatException($"line {n}: bad escape in HELP");
                i++;
            }
    }

    private static PromSample ParseSample(string line, int n)
    {
        int pos = 0;
        while (pos < line.Length && line[pos] is not ('{' or ' ')) pos++;
        var name = line[..pos];
        if (!MetricName().IsMatch(name)) throw new FormatException($"line {n}: bad metric name '{name}'");
        var labels = new Dictionary<string, string>();
        if (pos < line.Length && line[pos] == '{')
        {
            pos++;
            while (true)
            {
                if (pos >= line.Length) throw new FormatException($"line {n}: unterminated label set");
                if (line[pos] == '}') { pos++; break; }
                int eq = line.IndexOf('=', pos);
                if (eq < 0) throw new FormatException($"line {n}: label without '='");
                var label = line[pos..eq];
                if (!LabelName().IsMatch(label) || label.StartsWith("__", StringComparison.Ordinal)) throw new FormatException($"line {n}: bad label name '{label}'");
                pos = eq + 1;
                if (pos >= line.Length || line[pos] != '"') throw new FormatException($"line {n}: label value of {label} is not quoted");
                pos++;
                var value = new StringBuilder();
                while (true)
                {
                    if (pos >= line.Length) throw new FormatException($"line {n}: unterminated label value of {label}");
                    char c = line[pos++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (pos >= line.Length) throw new FormatException($"line {n}: dangling escape");
                        char e = line[pos++];
                        value.Append(e switch
                        {
                            '\\' => '\\', '"' => '"', 'n' => '\n',
                            _ => throw new FormatException($"line {n}: unknown escape \\{e} in label {label}"),
                        });
                    }
                    else value.Append(c);
                }
                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"line {n}: duplicate label {label}");
                if (pos < line.Length && line[pos] == ',') pos++;
                else if (pos >= line.Length || line[pos] != '}') throw new FormatException($"line {n}: expected ',' or '}}' after label {label}");
            }
        }
        if (pos >= line.Length || line[pos] != ' ') throw new FormatException($"line {n}: expected a space before the value");
        var rest = line[(pos + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2) throw new FormatException($"line {n}: expected value [timestamp]");
        var v = ParseValue(rest[0], n);
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"line {n}: bad timestamp '{rest[1]}'");
        return new PromSample(name, labels, v);
    }

    private static double ParseValue(string s, int n) => s switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !s.Contains(',', StringComparison.Ordinal)
            ? v : throw new FormatException($"line {n}: bad value '{s}'"),
    };

    private static void CheckHistogram(string name, IReadOnlyList<PromSample> samples)
    {
        string KeyOf(PromSample s) => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));
        foreach (var group in samples.Where(s => s.Name == name + "_bucket").GroupBy(KeyOf))
        {
            var buckets = group.Select(s => (Le: ParseValue(s.Labels["le"], 0), s.Value)).ToList();
            if (!buckets.Any(b => double.IsPositiveInfinity(b.Le))) throw new FormatException($"{name}{{{group.Key}}}: no +Inf bucket");
            var ordered = buckets.OrderBy(b => b.Le).ToList();
            if (!ordered.Select(b => b.Le).SequenceEqual(buckets.Select(b => b.Le))) throw new FormatException($"{name}{{{group.Key}}}: buckets not in increasing le order");
            for (int i = 1; i < ordered.Count; i++)
                if (ordered[i].Value < ordered[i - 1].Value) throw new FormatException($"{name}{{{group.Key}}}: cumulative buckets decrease at le={ordered[i].Le}");
            var count = samples.SingleOrDefault(s => s.Name == name + "_count" && KeyOf(s) == group.Key)
                ?? throw new FormatException($"{name}{{{group.Key}}}: no _count");
            if (samples.All(s => !(s.Name == name + "_sum" && KeyOf(s) == group.Key))) throw new FormatException($"{name}{{{group.Key}}}: no _sum");
            if (count.Value != ordered[^1].Value) throw new FormatException($"{name}{{{group.Key}}}: _count {count.Value} ≠ +Inf bucket {ordered[^1].Value}");
        }
    }
}
