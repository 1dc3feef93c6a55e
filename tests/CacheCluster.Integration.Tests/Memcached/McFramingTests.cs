using System.Text;
using CacheCluster.Integration.Tests.Memcached.Differential;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// TCP framing: each representative binary and text request, split into two writes at every byte boundary (with a
/// pause between the writes, on a fresh connection each time) and also sent one byte per write, must get exactly the
/// reply it gets when sent in one write. The one-write reply must also equal real memcached's.
/// </summary>
public sealed class McFramingTests : IClassFixture<McPairFixture>
{
    private readonly McPairFixture _fx;
    private readonly ITestOutputHelper _out;

    public McFramingTests(McPairFixture fx, ITestOutputHelper output)
    {
        _fx = fx;
        _out = output;
    }

    private sealed record Case(McDialect Dialect, byte[] Setup, byte[] Request);

    private static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
    private static readonly byte[] None = Array.Empty<byte>();

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // binary: the connection's very first byte is split off too when there is no setup
        ["bin-get-miss-first-request"] = new(McDialect.Binary, None, McBin.Frame(Op.Get, McBin.Key("fr:missing"), opaque: 7)),
        ["bin-set"] = new(McDialect.Binary, McBin.Frame(Op.Noop),
            McBin.Frame(Op.Set, McBin.Key("fr:b1"), McBin.StoreExtras(0xdeadbeef, 0), T("hello binary"), opaque: 11)),
        ["bin-getk-hit"] = new(McDialect.Binary, McBin.Frame(Op.Set, McBin.Key("fr:b2"), McBin.StoreExtras(3, 0), T("v2")),
            McBin.Frame(Op.GetK, McBin.Key("fr:b2"), opaque: 12)),
        ["bin-getkq-batch-noop"] = new(McDialect.Binary, McBin.Frame(Op.Set, McBin.Key("fr:b3"), McBin.StoreExtras(0, 0), T("three")),
            McBin.Concat(McBin.Frame(Op.GetKQ, McBin.Key("fr:b3"), opaque: 1), McBin.Frame(Op.GetKQ, McBin.Key("fr:nope"), opaque: 2),
                McBin.Frame(Op.GetQ, McBin.Key("fr:b3"), opaque: 3), McBin.Frame(Op.Noop, opaque: 4))),
        ["bin-incr-initial"] = new(McDialect.Binary, McBin.Frame(Op.Delete, McBin.Key("fr:ctr")),
            McBin.Concat(McBin.Frame(Op.Increment, McBin.Key("fr:ctr"), McBin.DeltaExtras(5, 40, 0), opaque: 5),
                McBin.Frame(Op.Increment, McBin.Key("fr:ctr"), McBin.DeltaExtras(2, 0, 0), opaque: 6))),
        ["bin-append-get"] = new(McDialect.Binary, McBin.Frame(Op.Set, McBin.Key("fr:b4"), McBin.StoreExtras(0, 0), T("ab")),
            McBin.Concat(McBin.Frame(Op.AppendQ, McBin.Key("fr:b4"), value: T("cd")), McBin.Frame(Op.Get, McBin.Key("fr:b4"), opaque: 9))),
        ["bin-set-300-bytes"] = new(McDialect.Binary, McBin.Frame(Op.Noop),
            McBin.Concat(McBin.Frame(Op.Set, McBin.Key("fr:b5"), McBin.StoreExtras(1, 0), Enumerable.Range(0, 300).Select(i => (byte)i).ToArray()),
                McBin.Frame(Op.Get, McBin.Key("fr:b5")))),
        ["bin-version"] = new(McDialect.Binary, McBin.Frame(Op.Noop), McBin.Frame(Op.Version, opaque: 77)),

        // text and meta
        ["txt-get-miss-first-request"] = new(McDialect.Text, None, T("get fr:missing\r\n")),
        ["txt-set"] = new(McDialect.Text, T("version\r\n"), T("set fr:t1 5 0 10\r\nhello\r\nxyz\r\n")),
        ["txt-multiget"] = new(McDialect.Text, T("set fr:t2 1 0 2\r\nv2\r\nset fr:t3 2 0 0\r\n\r\n"), T("get fr:t2 fr:none fr:t3 fr:t2\r\n")),
        ["txt-incr"] = new(McDialect.Text, T("set fr:c 0 0 2\r\n10\r\n"), T("incr fr:c 5\r\ndecr fr:c 20\r\n")),
        ["txt-noreply-then-get"] = new(McDialect.Text, T("set fr:t4 0 0 1\r\nx\r\n"), T("delete fr:t4 noreply\r\nappend fr:t5 0 0 1 noreply\r\ny\r\nget fr:t4\r\n")),
        ["txt-bare-newlines"] = new(McDialect.Text, T("set fr:t6 0 0 1\r\nq\r\n"), T("get fr:t6\ntouch fr:t6 100\n")),
        ["txt-bad-data-chunk"] = new(McDialect.Text, T("version\r\n"), T("set fr:t7 0 0 2\r\nabcd\r\n")),
        ["meta-ms-mg"] = new(McDialect.Text, T("md fr:m1 q\r\n"), T("ms fr:m1 5 T0 F9\r\nhello\r\nmg fr:m1 v f k s\r\n")),
        ["meta-ma-quiet"] = new(McDialect.Text, T("md fr:m2 q\r\n"), T("ma fr:m2 N0 J5 v\r\nma fr:m2 q\r\nmg fr:m2 v q k\r\nmg fr:nope v q\r\n")),
        ["meta-base64-key"] = new(McDialect.Text, T("version\r\n"), T("ms ZnI6bTM= 2 b\r\nhi\r\nmg ZnI6bTM= b k v\r\n")),
    };

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task SplitAtEveryByte_SameReplyAsWhole(string name)
    {
        var c = Cases[name];
        var whole = await RunAsync(_fx.Subject.Port, c, null);
        var failures = new List<string>();
        for (var split = 1; split < c.Request.Length; split++)
        {
            var got = await RunAsync(_fx.Subject.Port, c, new[] { split });
            if (!got.SequenceEqual(whole)) failures.Add($"split at byte {split}: {string.Join(" | ", got)}");
            if (failures.Count >= 10) break;
        }
        var byteByByte = await RunAsync(_fx.Subject.Port, c, Enumerable.Range(1, c.Request.Length - 1).ToArray(), TimeSpan.FromMilliseconds(1));
        if (!byteByByte.SequenceEqual(whole)) failures.Add($"one byte per write: {string.Join(" | ", byteByByte)}");

        var describe = $"{name}: request '{Esc.Bytes(c.Request, 200)}' ({c.Request.Length} bytes)\n  sent whole: {string.Join(" | ", whole)}";
        _out.WriteLine(describe);
        Assert.True(failures.Count == 0, describe + "\n  " + string.Join("\n  ", failures) + "\n" + _fx.Tail());

        var reference = await RunAsync(_fx.Reference.Port, c, null);
        Assert.True(reference.SequenceEqual(whole), $"{describe}\n  memcached: {string.Join(" | ", reference)}");
    }

    /// <summary>
    /// Fresh connection; the setup is sent whole (reply read up to the marker), then the request in pieces, then the
    /// marker; returns the request's normalized reply (plus "CLOSED" if the server closed the connection).
    /// </summary>
    private static async Task<List<string>> RunAsync(int port, Case c, int[]? splits, TimeSpan? pause = null)
    {
        await using var conn = await McConnection.ConnectAsync(port);
        var side = new McSideState();
        var req = new McRequest("framing", c.Dialect, c.Request);
        var marker = c.Dialect == McDialect.Binary ? McBin.Marker : McText.Marker;
        if (c.Setup.Length > 0)
        {
            await conn.SendAsync(McBin.Concat(c.Setup, marker));
            var closed = c.Dialect == McDialect.Binary ? (await McBin.ReadUntilMarkerAsync(conn)).Closed : (await McText.ReadUntilMarkerAsync(conn)).Closed;
            if (closed) throw new InvalidOperationException($"port {port} closed the connection during the setup '{Esc.Bytes(c.Setup)}'");
        }
        await conn.SendSplitAsync(McBin.Concat(c.Request, marker), splits ?? Array.Empty<int>(), pause ?? TimeSpan.FromMilliseconds(3));
        List<string> result;
        if (c.Dialect == McDialect.Binary)
        {
            var (frames, closed) = await McBin.ReadUntilMarkerAsync(conn);
            result = McNormalize.Binary(frames, side, req);
            if (closed) result.Add("CLOSED");
        }
        else
        {
            var (items, closed) = await McText.ReadUntilMarkerAsync(conn);
            result = McNormalize.Text(items, side, req);
            if (closed) result.Add("CLOSED");
        }
        return result;
    }
}
