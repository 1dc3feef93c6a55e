using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CacheCluster.Integration.Tests.Metrics;

public sealed record MetricFamily(string Name, string Type, string Help);

public sealed record MetricSample(string Name, string Family, IReadOnlyDictionary<string, string> Labels, double Value, int Line)
{
    public string Key => PrometheusText.SeriesKey(Name, Labels);
}

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, stricter than Prometheus where
/// our endpoint promises more: every family has exactly one HELP and one TYPE line, both before its
/// first sample; a family's samples are contiguous; metric and label names match the grammar;
/// label values use only the three escapes (\\ \" \n); values are Go floats (or +Inf, -Inf, NaN);
/// no series appears twice; counters are finite and ≥ 0; each histogram series has ascending le
/// buckets, cumulative counts, a final le="+Inf" bucket equal to its _count, and a _sum.
/// Any violation throws <see cref="FormatException"/> naming the line.
/// </summary>
public sealed class PrometheusText
{
    static readonly Regex MetricName = new("^[a-zA-Z_:][a-zA-Z0-9_:]*$", RegexOptions.CultureInvariant);
    static readonly Regex LabelName = new("^[a-zA-Z_][a-zA-Z0-9_]*$", RegexOptions.CultureInvariant);
    static readonly Regex GoFloat = new(@"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant);
    static readonly Regex Timestamp = new("^-?[0-9]+$", RegexOptions.CultureInvariant);
    static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public Dictionary<string, MetricFamily> Families { get; } = new(StringComparer.Ordinal);
    public List<MetricSample> Samples { get; } = new();
    /// <summary>Family names in the order they appeared.</summary>
    public List<string> Order { get; } = new();

    public static PrometheusText Parse(string text)
    {
        var p = new PrometheusText();
        p.ParseAll(text);
        return p;
    }

    /// <summary>The value of the one series with exactly these labels (name, value, ...); throws if absent.</summary>
    public double Value(string name, params string[] labels)
    {
        var key = SeriesKey(name, Pairs(labels));
        var s = Samples.FirstOrDefault(x => x.Key == key);
        return s?.Value ?? throw new KeyNotFoundException($"no series {key}");
    }

    public bool Has(string name, params string[] labels)
    {
        var key = SeriesKey(name, Pairs(labels));
        return Samples.Any(x => x.Key == key);
    }

    public IEnumerable<MetricSample> Series(string name) => Samples.Where(s => s.Name == name);

    public static string SeriesKey(string name, IReadOnlyDictionary<string, string> labels) =>
        name + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";

    static Dictionary<string, string> Pairs(string[] labels)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i += 2) d[labels[i]] = labels[i + 1];
        return d;
    }

    void ParseAll(string text)
    {
        if (text.Length == 0) throw new FormatException("empty exposition");
        if (!text.EndsWith('\n')) throw new FormatException("the exposition does not end with a line feed");
        if (text.Contains('\r')) throw new FormatException("carriage return in the exposition (lines end with \\n only)");
        var lines = text.Split('\n');
        var help = new HashSet<string>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);   // families whose samples are over
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;                                      // family of the last sample or header
        for (int i = 0; i < lines.Length - 1; i++)
        {
            int n = i + 1;
            var line = lines[i];
            void Fail(string why) => throw new FormatException($"line {n}: {why}: '{line}'");
            if (line.Length == 0) Fail("empty line");
            if (line[0] == '#')
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE")) Fail("a comment other than HELP or TYPE");
                var name = parts[2];
                if (!MetricName.IsMatch(name)) Fail("bad metric name in " + parts[1]);
                if (current != null && current != name) closed.Add(current);
                if (closed.Contains(name)) Fail($"{parts[1]} of {name} after its samples or another family");
                current = name;
                if (parts[1] == "HELP")
                {
                    if (!help.Add(name)) Fail("second HELP");
                    UnescapeHelp(parts.Length == 4 ? parts[3] : "", Fail);
                    if (Families.TryGetValue(name, out var f)) Families[name] = f with { Help = parts.Length == 4 ? parts[3] : "" };
                    else Families[name] = new MetricFamily(name, "", parts.Length == 4 ? parts[3] : "");
                    if (!Order.Contains(name)) Order.Add(name);
                }
                else
                {
                    if (parts.Length != 4 || !Types.Contains(parts[3])) Fail("bad TYPE");
                    if (Families.TryGetValue(name, out var f))
                    {
                        if (f.Type != "") Fail("second TYPE");
                        Families[name] = f with { Type = parts[3] };
                    }
                    else Families[name] = new MetricFamily(name, parts[3], "");
                    if (!Order.Contains(name)) Order.Add(name);
                }
                continue;
            }

            var (sampleName, labels, rest) = ParseSeries(line, Fail);
            var family = FamilyOf(sampleName);
            if (family == null) Fail($"sample of {sampleName} without TYPE");
            var fam = Families[family!];
            if (fam.Type == "") Fail($"sample of {family} before its TYPE");
            if (!help.Contains(family!)) Fail($"sample of {family} before its HELP");
            if (current != null && current != family) closed.Add(current);
            if (closed.Contains(family!)) Fail($"samples of {family} are not contiguous");
            current = family;

            var fields = rest.Split(' ');
            if (fields.Length is < 1 or > 2 || fields[0].Length == 0) Fail("expected 'value [timestamp]' after the series");
            double value = ParseValue(fields[0], Fail);
            if (fields.Length == 2 && !Timestamp.IsMatch(fields[1])) Fail("bad timestamp");
            if (labels.ContainsKey("le") && !(fam.Type == "histogram" && sampleName == family + "_bucket")) Fail("le label outside a histogram bucket");
            if (fam.Type == "counter" && (double.IsNaN(value) || double.IsInfinity(value) || value < 0)) Fail("counter value not finite and >= 0");
            var s = new MetricSample(sampleName, family!, labels, value, n);
            if (!series.Add(s.Key)) Fail("duplicate series " + s.Key);
            Samples.Add(s);
        }
        foreach (var f in Families.Values)
        {
            if (f.Type == "") throw new FormatException($"{f.Name} has HELP but no TYPE");
            if (!help.Contains(f.Name)) throw new FormatException($"{f.Name} has TYPE but no HELP");
            if (f.Type == "histogram") CheckHistogram(f.Name);
        }
    }

    /// <summary>The family a sample name belongs to (histogram suffixes resolved), or null.</summary>
    string? FamilyOf(string sampleName)
    {
        if (Families.TryGetValue(sampleName, out var f) && f.Type != "histogram") return sampleName;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (!sampleName.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var baseName = sampleName[..^suffix.Length];
            if (Families.TryGetValue(baseName, out var h) && h.Type == "histogram") return baseName;
        }
        return null;
    }

    static (string Name, Dictionary<string, string> Labels, string Tail) ParseSeries(string line, Action<string> fail)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (!MetricName.IsMatch(name)) fail("bad metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i >= line.Length) fail("unterminated label set");
                if (line[i] == '}') { i++; break; }
                int start = i;
                while (i < line.Length && line[i] != '=') i++;
                var lname = line[start..i];
                if (!LabelName.IsMatch(lname) || lname.StartsWith("__", StringComparison.Ordinal)) fail($"bad label name '{lname}'");
                if (i + 1 >= line.Length || line[i + 1] != '"') fail("label value not quoted");
                i += 2;
                var v = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) fail("unterminated label value");
                    char c = line[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= line.Length) fail("dangling backslash in a label value");
                        char e = line[i++];
                        v.Append(e switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"bad escape \\{e} in a label value: '{line}'"),
                        });
                    }
                    else v.Append(c);
                }
                if (!labels.TryAdd(lname, v.ToString())) fail($"label {lname} twice");
                if (i < line.Length && line[i] == ',') { i++; if (i < line.Length && line[i] == '}') fail("trailing comma in a label set"); }
                else if (i >= line.Length || line[i] != '}') fail("expected ',' or '}' after a label");
            }
        }
        if (i >= line.Length || line[i] != ' ') fail("expected one space after the series");
        var rest = line[(i + 1)..];
        if (rest.StartsWith(' ') || rest.EndsWith(' ')) fail("extra spaces");
        return (name, labels, rest);
    }

    public static double ParseValue(string s, Action<string> fail)
    {
        switch (s)
        {
            case "+Inf": return double.PositiveInfinity;
            case "-Inf": return double.NegativeInfinity;
            case "NaN": return double.NaN;
        }
        if (!GoFloat.IsMatch(s)) fail($"bad value '{s}'");
        return double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    static void UnescapeHelp(string s, Action<string> fail)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\') continue;
            if (i + 1 >= s.Length || s[i + 1] is not ('\\' or 'n')) fail("bad escape in HELP");
            i++;
        }
    }

    void CheckHistogram(string name)
    {
        var samples = Samples.Where(s => s.Family == name).ToList();
        var groups = samples.GroupBy(s => SeriesKey("", s.Labels.Where(l => l.Key != "le").ToDictionary(l => l.Key, l => l.Value)));
        foreach (var g in groups)
        {
            var buckets = g.Where(s => s.Name == name + "_bucket").ToList();
            var sums = g.Where(s => s.Name == name + "_sum").ToList();
            var counts = g.Where(s => s.Name == name + "_count").ToList();
            string where = $"histogram {name}{g.Key}";
            if (buckets.Count == 0) throw new FormatException($"{where}: no buckets");
            if (sums.Count != 1 || counts.Count != 1) throw new FormatException($"{where}: needs exactly one _sum and one _count");
            double prevLe = double.NegativeInfinity, prevCount = 0;
            foreach (var b in buckets)
            {
                if (!b.Labels.TryGetValue("le", out var leText)) throw new FormatException($"{where}: bucket without le (line {b.Line})");
                double le = ParseValue(leText, why => throw new FormatException($"{where}: {why} (line {b.Line})"));
                if (!(le > prevLe)) throw new FormatException($"{where}: le {leText} not ascending (line {b.Line})");
                if (b.Value < prevCount || b.Value != Math.Floor(b.Value)) throw new FormatException($"{where}: bucket count {b.Value} not cumulative (line {b.Line})");
                prevLe = le;
                prevCount = b.Value;
            }
            if (!double.IsPositiveInfinity(prevLe)) throw new FormatException($"{where}: the last bucket is not le=\"+Inf\"");
            if (prevCount != counts[0].Value) throw new FormatException($"{where}: +Inf bucket {prevCount} != _count {counts[0].Value}");
            if (double.IsNaN(sums[0].Value)) throw new FormatException($"{where}: _sum is NaN");
        }
    }

    /// <summary>A histogram series' count, sum and cumulative buckets (labels without le).</summary>
    public (double Count, double Sum, List<(double Le, double Count)> Buckets) Histogram(string name, params string[] labels)
    {
        var count = Value(name + "_count", labels);
        var sum = Value(name + "_sum", labels);
        var want = Pairs(labels);
        var buckets = Samples.Where(s => s.Name == name + "_bucket" &&
                s.Labels.Count == want.Count + 1 && want.All(kv => s.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .Select(s => (ParseValue(s.Labels["le"], _ => { }), s.Value)).ToList();
        return (count, sum, buckets);
    }
}

/// <summary>GET /metrics of a node, checked and parsed.</summary>
public static class MetricsScrape
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static async Task<(HttpStatusCode Status, string? ContentType, string Body)> GetRawAsync(string host, int adminPort)
    {
        using var resp = await Http.GetAsync($"http://{host}:{adminPort}/metrics");
        var body = await resp.Content.ReadAsStringAsync();
        return (resp.StatusCode, resp.Content.Headers.ContentType?.ToString(), body);
    }

    /// <summary>Scrapes and parses strictly; fails the test with the body when the exposition is not valid.</summary>
    public static async Task<PrometheusText> GetAsync(string host, int adminPort)
    {
        var (status, type, body) = await GetRawAsync(host, adminPort);
        Assert.True(status == HttpStatusCode.OK, $"GET /metrics answered {(int)status}: {body}");
        Assert.Equal(ContentType, type);
        try
        {
            return PrometheusText.Parse(body);
        }
        catch (FormatException e)
        {
            Assert.Fail($"/metrics is not valid exposition text: {e.Message}\n--- body ---\n{body}");
            throw;
        }
    }
}
