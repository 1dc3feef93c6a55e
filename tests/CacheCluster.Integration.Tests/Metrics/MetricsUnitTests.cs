using System.Diagnostics;
using CacheCluster.Server.Metrics;

namespace CacheCluster.Integration.Tests.Metrics;

/// <summary>The histogram, the text writer and the test's own strict parser, in process.</summary>
public sealed class MetricsUnitTests
{
    [Fact]
    public void Histogram_BucketsAreUpperInclusive_CumulativeAndSumInExportedUnits()
    {
        var h = Histogram.Counts(1, 2, 5);
        foreach (var v in new long[] { 0, 1, 2, 3, 5, 6, 100 }) h.Record(v);
        var s = h.Snapshot();
        Assert.Equal(new long[] { 2, 3, 5, 7 }, s.Cumulative);   // ≤1: 0,1  ≤2: +2  ≤5: +3,5  +Inf: +6,100
        Assert.Equal(7, s.Count);
        Assert.Equal(117, s.Sum);

        var t = Histogram.Seconds(0.001, 0.01);
        t.Record(Stopwatch.Frequency / 1000);          // exactly 1 ms: in le=0.001
        t.Record(Stopwatch.Frequency / 1000 + 1);      // just over
        t.RecordExported(0.5);
        t.Record(-5);                                   // a clock step backwards counts as 0
        var ts = t.Snapshot();
        Assert.Equal(new long[] { 2, 3, 4 }, ts.Cumulative);
        Assert.Equal(0.502, ts.Sum, 6);          // 1 ms + 1 ms (and a tick) + 0.5 s + 0
    }

    [Fact]
    public void Histogram_ConcurrentRecords_LoseNothing()
    {
        var h = Histogram.Counts(10, 100);
        const int threads = 4, per = 100_000;
        Parallel.For(0, threads, t =>
        {
            for (int i = 0; i < per; i++) h.Record(i % 200);
        });
        var s = h.Snapshot();
        Assert.Equal(threads * per, s.Count);
        Assert.Equal(threads * per, s.Cumulative[^1]);
        Assert.Equal(threads * (per / 200) * 11, s.Cumulative[0]);          // 0..10 of every 200
        Assert.Equal((double)threads * (per / 200) * (199 * 200 / 2), s.Sum);
    }

    [Fact]
    public void Histogram_RejectsBoundsThatAreNotAscending()
    {
        Assert.Throws<ArgumentException>(() => Histogram.Counts());
        Assert.Throws<ArgumentException>(() => Histogram.Counts(1, 1));
        Assert.Throws<ArgumentException>(() => Histogram.Seconds(0.1, 0.01));
    }

    [Fact]
    public void Writer_EscapesAndFormats_AndItsOutputParsesStrictly()
    {
        var h = Histogram.Seconds(0.00005, 0.25, 1);
        h.RecordExported(0.0001);
        h.RecordExported(2);
        var w = new PrometheusTextWriter();
        w.Family("t_requests_total", MetricType.Counter, "Requests, with a back\\slash and a\nnewline.")
            .Sample(3, "path", "a\"b\\c\nd", "code", "200")
            .Sample(0, "path", "", "code", "500");
        w.Family("t_temperature", MetricType.Gauge, "A float.").Sample(-1.5).Sample(0.1 + 0.2, "x", "y");
        w.Family("t_limit", MetricType.Gauge, "Infinite.").Sample(double.PositiveInfinity);
        w.Family("t_latency_seconds", MetricType.Histogram, "A histogram.").Histogram(h.Snapshot(), "op", "get");
        var text = w.ToString();

        Assert.Contains("# HELP t_requests_total Requests, with a back\\\\slash and a\\nnewline.\n", text);
        Assert.Contains("t_requests_total{path=\"a\\\"b\\\\c\\nd\",code=\"200\"} 3\n", text);
        Assert.Contains("t_temperature{x=\"y\"} 0.30000000000000004\n", text);
        Assert.Contains("t_limit +Inf\n", text);
        Assert.Contains("t_latency_seconds_bucket{op=\"get\",le=\"0.00005\"} 0\n", text);
        Assert.Contains("t_latency_seconds_bucket{op=\"get\",le=\"0.25\"} 1\n", text);
        Assert.Contains("t_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 2\n", text);
        Assert.Contains("t_latency_seconds_count{op=\"get\"} 2\n", text);

        var p = PrometheusText.Parse(text);
        Assert.Equal("a\"b\\c\nd", p.Series("t_requests_total").First().Labels["path"]);
        Assert.Equal(3, p.Value("t_requests_total", "path", "a\"b\\c\nd", "code", "200"));
        Assert.Equal(2.0001, p.Histogram("t_latency_seconds", "op", "get").Sum, 9);
        Assert.Equal(["t_requests_total", "t_temperature", "t_limit", "t_latency_seconds"], p.Order);
    }

    [Fact]
    public void Writer_RefusesBadNamesAndSecondFamilies()
    {
        var w = new PrometheusTextWriter();
        Assert.Throws<ArgumentException>(() => w.Family("1bad", MetricType.Gauge, "x"));
        w.Family("ok", MetricType.Gauge, "x");
        Assert.Throws<InvalidOperationException>(() => w.Family("ok", MetricType.Gauge, "x"));
        Assert.Throws<ArgumentException>(() => w.Sample(1, "bad-label", "v"));
        Assert.Throws<ArgumentException>(() => w.Sample(1, "le", "v"));
        Assert.Throws<InvalidOperationException>(() => w.Histogram(Histogram.Counts(1).Snapshot()));
    }

    /// <summary>The parser must catch what a broken exporter would write, or the integration tests prove nothing.</summary>
    [Theory]
    [InlineData("m 1\n", "without TYPE")]
    [InlineData("# TYPE m gauge\nm 1\n", "before its HELP")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm 1", "line feed")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm 1\n# HELP m x\n", "second HELP")]
    [InlineData("# HELP m x\n# TYPE m gauge\n# TYPE m counter\nm 1\n", "second TYPE")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm 1\nm 2\n", "duplicate series")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{a=\"1\",b=\"2\"} 1\nm{b=\"2\",a=\"1\"} 2\n", "duplicate series")]
    [InlineData("# HELP m x\n# TYPE m gauge\n# HELP n x\n# TYPE n gauge\nm 1\nn 1\n", "not contiguous")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm 1\n# HELP n x\n# TYPE n gauge\nn 1\nm{a=\"b\"} 1\n", "not contiguous")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{a=\"\\t\"} 1\n", "bad escape")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{a=\"x} 1\n", "unterminated")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{1a=\"x\"} 1\n", "bad label name")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{a=\"x\",} 1\n", "trailing comma")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{a=\"x\",a=\"y\"} 1\n", "twice")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm 1,5\n", "bad value")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm inf\n", "bad value")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm  1\n", "extra spaces")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm\n", "expected one space")]
    [InlineData("# HELP m-x x\n# TYPE m-x gauge\n", "bad metric name")]
    [InlineData("# HELP c x\n# TYPE c counter\nc -1\n", "counter value")]
    [InlineData("# HELP m x\n# TYPE m gauge\nm{le=\"1\"} 1\n", "le label outside")]
    [InlineData("# HELP m x\n# TYPE m gauge\n\nm 1\n", "empty line")]
    [InlineData("# HELP m x\n# TYPE m gauge\n# just a comment\nm 1\n", "comment other than")]
    [InlineData("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative")]
    [InlineData("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf")]
    [InlineData("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "_count")]
    [InlineData("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not ascending")]
    [InlineData("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "_sum")]
    public void Parser_RejectsInvalidExpositions(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Parser_AcceptsTheSpecExample()
    {
        const string text =
            "# HELP http_requests_total The total number of HTTP requests.\n" +
            "# TYPE http_requests_total counter\n" +
            "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n" +
            "http_requests_total{method=\"post\",code=\"400\"} 3 1395066363000\n" +
            "# HELP msdos_file_access_time_seconds A gauge.\n" +
            "# TYPE msdos_file_access_time_seconds gauge\n" +
            "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n" +
            "# HELP http_request_duration_seconds A histogram of the request duration.\n" +
            "# TYPE http_request_duration_seconds histogram\n" +
            "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n" +
            "http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n" +
            "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n" +
            "http_request_duration_seconds_sum 53423\n" +
            "http_request_duration_seconds_count 144320\n";
        var p = PrometheusText.Parse(text);
        Assert.Equal(1027, p.Value("http_requests_total", "method", "post", "code", "200"));
        Assert.Equal("C:\\DIR\\FILE.TXT", p.Series("msdos_file_access_time_seconds").Single().Labels["path"]);
        Assert.Equal(144320, p.Histogram("http_request_duration_seconds").Count);
    }
}
