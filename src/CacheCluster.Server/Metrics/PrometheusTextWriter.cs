using System.Globalization;
using System.Text;

namespace CacheCluster.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format, version 0.0.4: per metric family one
/// <c># HELP</c> and one <c># TYPE</c> line, then its samples, contiguous. Escapes HELP text
/// (<c>\\</c>, <c>\n</c>) and label values (<c>\\</c>, <c>"</c>, <c>\n</c>); writes histograms as
/// cumulative <c>_bucket{le=...}</c> series ending with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    readonly StringBuilder _sb = new(16 * 1024);
    readonly HashSet<string> _families = new(StringComparer.Ordinal);
    string? _family;
    string _type = "";

    /// <summary>Starts a metric family; each name at most once per exposition.</summary>
    public PrometheusTextWriter Family(string name, MetricType type, string help)
    {
        if (!IsMetricName(name)) throw new ArgumentException($"invalid metric name '{name}'", nameof(name));
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family '{name}' written twice");
        _family = name;
        _type = type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            MetricType.Histogram => "histogram",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        _sb.Append("# HELP ").Append(name).Append(' ');
        foreach (char c in help)
        {
            if (c == '\\') _sb.Append("\\\\");
            else if (c == '\n') _sb.Append("\\n");
            else _sb.Append(c);
        }
        _sb.Append('\n');
        _sb.Append("# TYPE ").Append(name).Append(' ').Append(_type).Append('\n');
        return this;
    }

    /// <summary>A sample of the current (counter or gauge) family, with label pairs (name, value, name, value, ...).</summary>
    public PrometheusTextWriter Sample(double value, params string[] labels)
    {
        StartSample(_family!, labels, null);
        AppendValue(value);
        return this;
    }

    /// <summary>An integer sample of the current (counter or gauge) family.</summary>
    public PrometheusTextWriter Sample(long value, params string[] labels)
    {
        StartSample(_family!, labels, null);
        _sb.Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    /// <summary>One series of the current histogram family: its buckets, sum and count.</summary>
    public PrometheusTextWriter Histogram(HistogramSnapshot h, params string[] labels)
    {
        if (_type != "histogram") throw new InvalidOperationException($"'{_family}' is not a histogram");
        string bucket = _family + "_bucket";
        for (int i = 0; i < h.Cumulative.Length; i++)
        {
            string le = i < h.Bounds.Count ? FormatBound(h.Bounds[i]) : "+Inf";
            StartSample(bucket, labels, le);
            _sb.Append(h.Cumulative[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        StartSample(_family + "_sum", labels, null);
        AppendValue(h.Sum);
        StartSample(_family + "_count", labels, null);
        _sb.Append(h.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    public override string ToString() => _sb.ToString();

    void StartSample(string name, string[] labels, string? le)
    {
        if (_family == null) throw new InvalidOperationException("a sample needs a family first");
        if (labels.Length % 2 != 0) throw new ArgumentException("labels come in (name, value) pairs", nameof(labels));
        _sb.Append(name);
        if (labels.Length > 0 || le != null)
        {
            _sb.Append('{');
            for (int i = 0; i < labels.Length; i += 2)
            {
                if (i > 0) _sb.Append(',');
                if (!IsLabelName(labels[i])) throw new ArgumentException($"invalid label name '{labels[i]}'", nameof(labels));
                _sb.Append(labels[i]).Append("=\"");
                AppendLabelValue(labels[i + 1]);
                _sb.Append('"');
            }
            if (le != null)
            {
                if (labels.Length > 0) _sb.Append(',');
                _sb.Append("le=\"").Append(le).Append('"');
            }
            _sb.Append('}');
        }
        _sb.Append(' ');
    }

    void AppendLabelValue(string v)
    {
        foreach (char c in v)
        {
            switch (c)
            {
                case '\\': _sb.Append("\\\\"); break;
                case '"': _sb.Append("\\\""); break;
                case '\n': _sb.Append("\\n"); break;
                default: _sb.Append(c); break;
            }
        }
    }

    void AppendValue(double v)
    {
        _sb.Append(FormatValue(v)).Append('\n');
    }

    /// <summary>A sample value as Prometheus reads it: shortest round-trip form, +Inf, -Inf, NaN.</summary>
    public static string FormatValue(double v) =>
        double.IsNaN(v) ? "NaN"
        : double.IsPositiveInfinity(v) ? "+Inf"
        : double.IsNegativeInfinity(v) ? "-Inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A bucket bound in plain decimal (0.00005, not 5E-05), as client libraries print it.</summary>
    public static string FormatBound(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : v.ToString("0.###############", CultureInfo.InvariantCulture);

    public static bool IsMetricName(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] is '_' or ':')) return false;
        foreach (char c in s) if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':')) return false;
        return true;
    }

    public static bool IsLabelName(string s)
    {
        if (s.Length == 0 || !(char.IsAsciiLetter(s[0]) || s[0] == '_') || s.StartsWith("__", StringComparison.Ordinal)) return false;
        foreach (char c in s) if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        return s != "le";   // reserved for histogram buckets
    }
}

public enum MetricType { Counter, Gauge, Histogram }
