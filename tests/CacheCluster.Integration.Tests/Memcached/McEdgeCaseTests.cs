using System.Text;
using CacheCluster.Integration.Tests.Memcached.Differential;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// Fixed request sequences, each pinning one behaviour where the random differential runs found (or could easily
/// miss) a difference; every sequence is sent to a real memcached and to the node and all replies must match, with
/// the same normalization as <see cref="McDifferentialTests"/>. One case per item in DISCREPANCIES.md.
/// </summary>
public sealed class McEdgeCaseTests : IClassFixture<McPairFixture>
{
    private readonly McPairFixture _fx;
    private readonly ITestOutputHelper _out;

    public McEdgeCaseTests(McPairFixture fx, ITestOutputHelper output)
    {
        _fx = fx;
        _out = output;
    }

    private static McRequest T(string text, string? key = null) =>
        new("edge", McDialect.Text, Encoding.UTF8.GetBytes(text)) { Key = key == null ? null : Encoding.UTF8.GetBytes(key) };

    private static McRequest TData(string line, byte[] data, string? key = null) =>
        new("edge", McDialect.Text, McBin.Concat(Encoding.UTF8.GetBytes(line), data, "\r\n"u8.ToArray())) { Key = key == null ? null : Encoding.UTF8.GetBytes(key) };

    /// <summary>A text request whose CAS token is "the last CAS this server returned for <paramref name="key"/>".</summary>
    private static McRequest TCas(string key, Func<ulong, string> text) =>
        new("edge", McDialect.Text, resolve => Encoding.UTF8.GetBytes(text(resolve(CasRef.Last(Encoding.UTF8.GetBytes(key)))))) { Key = Encoding.UTF8.GetBytes(key) };

    private static uint _opaque = 100;

    private static McRequest B(byte op, string key = "", byte[]? extras = null, byte[]? value = null, bool casOfLast = false, ulong cas = 0)
    {
        var k = Encoding.UTF8.GetBytes(key);
        var opaque = _opaque++;
        var req = new McRequest("edge", McDialect.Binary, resolve =>
            McBin.Frame(op, k, extras ?? Array.Empty<byte>(), value ?? Array.Empty<byte>(), opaque, casOfLast ? resolve(CasRef.Last(k)) : cas));
        if (k.Length > 0) req.OpaqueKeys[opaque] = k;
        return req;
    }

    private static byte[] Fill(int n, char c) => Enumerable.Repeat((byte)c, n).ToArray();

    private static readonly Dictionary<string, Func<McRequest[]>> Cases = new()
    {
        // --- binary ---
        ["bin-stat-unknown-group"] = () => new[] { B(Op.Stat, "nosuchgroup") },
        ["bin-set-size-limit"] = () => new[]
        {
            B(Op.Set, "e:big", McBin.StoreExtras(0, 0), Fill(1048476, 'a')), B(Op.Get, "e:nothing"),
            B(Op.Set, "e:big", McBin.StoreExtras(0, 0), Fill(1048516, 'b')), B(Op.GetK, "e:big"),
            B(Op.Set, "e:big", McBin.StoreExtras(0, 0), Fill(1048576, 'c')), B(Op.GetK, "e:big"),
            B(Op.Set, "e:big", McBin.StoreExtras(0, 0), Fill(1048577, 'd')), B(Op.GetK, "e:big"),
        },
        ["bin-too-large-beats-exists-and-missing"] = () => new[]
        {
            B(Op.Set, "e:k", McBin.StoreExtras(0, 0), "v"u8.ToArray()),
            B(Op.Add, "e:k", McBin.StoreExtras(0, 0), Fill(1048577, 'x')),
            B(Op.Append, "e:missing", value: Fill(1048577, 'x')),
        },
        ["bin-append-over-limit"] = () => new[]
        {
            B(Op.Set, "e:ap", McBin.StoreExtras(0, 0), Fill(1048064, 'a')),
            B(Op.Append, "e:ap", value: Fill(1000, 'z')),
            B(Op.Append, "e:ap", value: Fill(1048064, 'z')),
            B(Op.GetK, "e:nothing"),
        },
        ["bin-expired-store-returns-cas"] = () => new[]
        {
            B(Op.Set, "e:x", McBin.StoreExtras(0, 1_000_000_000), "v"u8.ToArray()),
            B(Op.Increment, "e:n", McBin.DeltaExtras(1, 5, 1_000_000_000)),
            B(Op.Get, "e:x"),
        },
        ["bin-incr-cas-on-empty-value"] = () => new[]
        {
            B(Op.Set, "e:empty", McBin.StoreExtras(0, 0)),
            B(Op.Increment, "e:empty", McBin.DeltaExtras(1, 0, 0), cas: CasRef.BogusValue),
            B(Op.Increment, "e:empty", McBin.DeltaExtras(1, 0, 0)),
        },

        // --- text ---
        ["txt-append-over-limit"] = () => new[]
        {
            TData("set e:ap 0 0 1048064\r\n", Fill(1048064, 'a')),
            TData("append e:ap 0 0 1000\r\n", Fill(1000, 'z')),
            T("mg e:ap s\r\n"),
        },
        ["txt-set-size-limit"] = () => new[]
        {
            TData("set e:big 0 0 1048476\r\n", Fill(1048476, 'a')),
            TData("set e:big 0 0 1048516\r\n", Fill(1048516, 'b')),
            T("mg e:big s\r\n"),
        },

        // --- meta ---
        ["md-invalidate-bumps-cas"] = () => new[]
        {
            T("set e:m 0 0 1\r\nv\r\n"), T("gets e:m\r\n"), T("md e:m I\r\n", "e:m"), T("gets e:m\r\n"),
            T("set e:m2 0 0 1\r\nv\r\n"), T("gets e:m2\r\n"), T("md e:m2 I\r\n", "e:m2"),
            TCas("e:m2", cas => $"cas e:m2 0 0 1 {cas}\r\nw\r\n"), T("get e:m2\r\n"),
        },
        ["ma-vivify-ttl"] = () => new[] { T("ma e:c N100 J7 v t\r\n", "e:c"), T("mg e:c t v\r\n", "e:c") },
        ["ma-vivify-quiet"] = () => new[] { T("ma e:c2 N0 J1 q c\r\n", "e:c2"), T("ma e:c2 q\r\n", "e:c2"), T("mg e:c2 v\r\n", "e:c2") },
        ["mg-b64-key-echo"] = () => new[]
        {
            T("set e:plain 0 0 1\r\nv\r\n"), T($"mg {B64("e:plain")} b k v\r\n"),
            T($"ms {B64("e:bin")} 1 b\r\nv\r\n"), T($"mg {B64("e:bin")} b k v\r\n"),
            T($"mg {B64("e:viv")} b k N30 v\r\n"), T($"mg {B64("e:viv")} b k v\r\n"),
        },
        ["touch-and-vivify-mark-fetched"] = () => new[]
        {
            T("set e:t 0 0 1\r\nv\r\n"), T("touch e:t 100\r\n"), T("mg e:t h\r\n"),
            T("set e:g 0 0 1\r\nv\r\n"), T("gat 100 e:g\r\n"), T("mg e:g h\r\n"),
            T("mg e:v N30 v\r\n"), T("mg e:v u h\r\n"),
        },
        ["concat-makes-a-fresh-item"] = () => new[]
        {
            // memcached's append/prepend store a new item: the fetched bit and the stale/win-token state are gone
            T("set e:f 0 0 1\r\nv\r\n"), T("get e:f\r\n"), T("append e:f 0 0 1\r\nx\r\n"), T("mg e:f h\r\n"),
            T("get e:f\r\n"), T("prepend e:f 0 0 1\r\nx\r\n"), T("mg e:f h\r\n"),
            T("get e:f\r\n"), T("ms e:f 1 MA\r\nx\r\n"), T("mg e:f h\r\n"),

            T("set e:s 0 0 1\r\n5\r\n"), T("md e:s I\r\n"), T("mg e:s v\r\n"), T("append e:s 0 0 1\r\na\r\n"), T("mg e:s v\r\n"),
            T("md e:s I\r\n"), T("mg e:s v\r\n"), T("prepend e:s 0 0 1\r\na\r\n"), T("mg e:s v\r\n"),
            T("md e:s I\r\n"), T("mg e:s v\r\n"), T("ms e:s 1 MA\r\nb\r\n"), T("mg e:s v\r\n"),
        },
        ["mg-vivify-ttl-flag-order"] = () => new[]
        {
            // memcached reports t as of the point in the flag list where t appears: N (creating the item) after t -> t-1
            T("mg e:o1 T0 v t N1000\r\n"), T("mg e:o1 t\r\n"), T("mg e:o2 v t N1000\r\n"), T("mg e:o3 T0 N1000 t v\r\n"),
        },
        ["mg-T-in-the-past"] = () => new[] { T("set e:p 42 0 1\r\nv\r\n"), T("mg e:p T1000000000 f t\r\n"), T("mg e:p v\r\n") },
        ["ms-expired-returns-cas"] = () => new[]
        {
            T("ms e:e 1 T-1 c\r\nv\r\n", "e:e"), T("ms e:e 1 T1000000000 c\r\nv\r\n", "e:e"), T("mg e:e v\r\n"),
        },
        ["ms-invalidate-older-cas-keeps-ttl"] = () => new[]
        {
            T("set e:i 0 1000 1\r\nv\r\n"), T("gets e:i\r\n"), T("set e:i 0 1000 1\r\nw\r\n"),
            TCas("e:i", cas => $"ms e:i 1 T-1 I C{cas}\r\nz\r\n"), T("mg e:i v t\r\n"), T("delete e:i\r\n"),
        },
    };

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Sequence_MatchesMemcached(string name)
    {
        var requests = Cases[name]();
        var dialect = requests[0].Dialect;
        var keys = requests.SelectMany(r => r.OpaqueKeys.Values).Concat(requests.Where(r => r.Key != null).Select(r => r.Key!)).ToList();
        // no re-sync: each short sequence is compared as written, every reply
        var report = await McDiffRunner.RunAsync(_fx.Reference.Port, _fx.Subject.Port, dialect, requests, keys, name, keepMismatches: 50, resync: false);
        _out.WriteLine(report.Describe(50));
        Assert.True(report.Ok, report.Describe(50) + "\n" + _fx.Tail());
    }
}
