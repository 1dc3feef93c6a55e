using System.Text;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// memcached 1.6 meta commands (mg/ms/md/ma/mn/me) over a raw socket, every expectation taken from a real
/// memcached 1.6.18. Returned flags are compared as a set (memcached echoes them in request order and appends
/// W/X/Z); byte-exact ordering is covered by the differential tests.
/// </summary>
public sealed class MetaCommandTests : IClassFixture<McSubjectFixture>
{
    private readonly McSubjectFixture _fx;

    public MetaCommandTests(McSubjectFixture fx) => _fx = fx;

    private async Task<McConnection> ConnectAsync() => await McConnection.ConnectAsync(_fx.Port);

    private static string P(string test) => McSubjectFixture.Prefix("meta-" + test).Replace(":", "_");

    /// <summary>Sends the request plus "mn" and returns the reply items before "MN".</summary>
    private async Task<List<McTextItem>> Call(McConnection c, string request)
    {
        var (items, closed) = await McText.ExchangeAsync(c, request);
        Assert.False(closed, $"connection closed after '{Esc.Text(request)}': {McText.Describe(items)}\n{_fx.Tail()}");
        return items;
    }

    private async Task<McTextItem> One(McConnection c, string request)
    {
        var items = await Call(c, request);
        Assert.True(items.Count == 1, $"'{Esc.Text(request)}': expected one reply, got {McText.Describe(items)}");
        return items[0];
    }

    /// <summary>Asserts code, data (null: no data block) and the exact set of returned flags ("c*" = any CAS number, "t~N" = TTL within N-2..N).</summary>
    private static void Is(McTextItem item, string code, string? data, params string[] flags)
    {
        var t = item.Tokens;
        var what = $"reply '{item}'";
        Assert.True(t.Length > 0 && t[0] == code, $"{what}: expected return code {code}");
        var actualFlags = t.Skip(code == "VA" ? 2 : 1).ToList();
        if (code == "VA")
        {
            Assert.True(item.Data != null, $"{what}: VA without data block");
            // an incr/decr result may be rewritten in place, space-padded to the old length (memcached does that when it can)
            var text = data != null && data.Length > 0 && data.All(char.IsAsciiDigit) ? item.DataText!.TrimEnd(' ') : item.DataText;
            Assert.True(data == text, $"{what}: expected data '{data}'");
            Assert.Equal(item.Data!.Length.ToString(), t[1]);
        }
        else Assert.True(item.Data == null && data == null, $"{what}: unexpected data");

        var remaining = actualFlags.ToList();
        foreach (var f in flags)
        {
            string? match;
            if (f == "c*") match = remaining.FirstOrDefault(a => a.Length > 1 && a[0] == 'c' && ulong.TryParse(a[1..], out var v) && v > 0);
            else if (f.StartsWith("t~", StringComparison.Ordinal))
            {
                var n = int.Parse(f[2..]);
                match = remaining.FirstOrDefault(a => a.Length > 1 && a[0] == 't' && int.TryParse(a[1..], out var v) && v <= n && v >= n - 2);
            }
            else if (f == "l*") match = remaining.FirstOrDefault(a => a.Length > 1 && a[0] == 'l' && int.TryParse(a[1..], out var v) && v is >= 0 and <= 2);
            else match = remaining.FirstOrDefault(a => a == f);
            Assert.True(match != null, $"{what}: flag '{f}' missing (flags: {string.Join(' ', actualFlags)}; expected {string.Join(' ', flags)})");
            remaining.Remove(match!);
        }
        Assert.True(remaining.Count == 0, $"{what}: unexpected flags {string.Join(' ', remaining)} (expected exactly {string.Join(' ', flags)})");
    }

    private static ulong Cas(McTextItem item) =>
        item.Tokens.Where(t => t.Length > 1 && t[0] == 'c' && ulong.TryParse(t[1..], out _)).Select(t => ulong.Parse(t[1..])).Single();

    [Fact]
    public async Task Mg_ReturnsRequestedFlags()
    {
        var k = P("mg");
        await using var c = await ConnectAsync();
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 5 0 3\r\nabc\r\n"));
        var full = await One(c, $"mg {k} v f c k s t h l O123\r\n");
        Is(full, "VA", "abc", "f5", "c*", "k" + k, "s3", "t-1", "h0", "l*", "O123");
        var gets = (await Call(c, $"gets {k}\r\n"))[0];
        Assert.Equal(ulong.Parse(gets.Tokens[4]), Cas(full)); // the same CAS as gets shows
        Is(await One(c, $"mg {k} h\r\n"), "HD", null, "h1");           // fetched before now
        Is(await One(c, $"mg {k}\r\n"), "HD", null);                   // no flags: just "found"
        Is(await One(c, $"mg {k} k q v\r\n"), "VA", "abc", "k" + k);   // q does not hide hits
        Is(await One(c, $"mg {k} s f\r\n"), "HD", null, "s3", "f5");   // metadata without the value

        // T updates the TTL, t reports it
        Is(await One(c, $"mg {k} T100 t v\r\n"), "VA", "abc", "t~100");
        Is(await One(c, $"mg {k} t\r\n"), "HD", null, "t~100");
        Assert.Equal("TOUCHED", await McText.LineAsync(c, $"touch {k} 0\r\n"));
        Is(await One(c, $"mg {k} t\r\n"), "HD", null, "t-1");
    }

    [Fact]
    public async Task Mg_Miss_And_Quiet()
    {
        var k = P("mgmiss");
        await using var c = await ConnectAsync();
        Is(await One(c, $"mg {k} v\r\n"), "EN", null);
        Is(await One(c, $"mg {k} v O5 k\r\n"), "EN", null, "O5", "k" + k); // miss echoes opaque and key
        Is(await One(c, $"mg {k} s\r\n"), "EN", null);
        Assert.Empty(await Call(c, $"mg {k} v q\r\n"));                   // q hides EN
        Assert.Empty(await Call(c, $"mg {k} v q O9 k\r\n"));

        // pipelined quiet gets: only the hits come back, then MN
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k}b 0 0 2\r\nhi\r\n"));
        var items = await Call(c, $"mg {k}a v q k\r\nmg {k}b v q k\r\nmg {k}c v q k\r\n");
        Assert.Single(items);
        Is(items[0], "VA", "hi", $"k{k}b");
    }

    [Fact]
    public async Task Mg_Base64Key()
    {
        var k = P("b64");
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(k));
        await using var c = await ConnectAsync();
        Is(await One(c, $"mg {b64} b k v\r\n"), "EN", null, "k" + b64, "b");
        Is(await One(c, $"ms {b64} 2 b\r\nhi\r\n"), "HD", null);
        Is(await One(c, $"mg {b64} b k v\r\n"), "VA", "hi", "k" + b64, "b");
        var got = await Call(c, $"get {k}\r\n");                       // the same key, decoded
        Assert.Equal($"VALUE {k} 0 2", got[0].LineText);
        Assert.Equal("hi", got[0].DataText);
        Is(await One(c, $"md {b64} b\r\n"), "HD", null);
        Assert.Equal(new[] { "END" }, (await Call(c, $"get {k}\r\n")).Select(i => i.LineText));
    }

    [Fact]
    public async Task Ms_Modes()
    {
        var k = P("ms");
        await using var c = await ConnectAsync();
        Is(await One(c, $"ms {k} 2 MS\r\nhi\r\n"), "HD", null);               // set
        Is(await One(c, $"ms {k} 2 ME\r\nhi\r\n"), "NS", null);               // add: exists
        Is(await One(c, $"ms {k}new 2 ME\r\nhi\r\n"), "HD", null);            // add: new
        Is(await One(c, $"ms {k}none 2 MA\r\nhi\r\n"), "NS", null);           // append: missing
        Is(await One(c, $"ms {k}new 2 MA\r\n!!\r\n"), "HD", null);            // append
        Is(await One(c, $"ms {k}new 2 MP\r\n<<\r\n"), "HD", null);            // prepend
        Is(await One(c, $"mg {k}new v\r\n"), "VA", "<<hi!!");
        Is(await One(c, $"ms {k}none 1 MR\r\nx\r\n"), "NS", null);            // replace: missing
        Is(await One(c, $"ms {k}new 1 MR\r\nx\r\n"), "HD", null);             // replace
        Is(await One(c, $"mg {k}new v\r\n"), "VA", "x");
        Assert.Equal("CLIENT_ERROR invalid mode for ms M token", (await One(c, $"ms {k}new 1 Ms\r\ny\r\n")).LineText); // modes are upper case
        Assert.Equal("CLIENT_ERROR invalid mode for ms M token", (await One(c, $"ms {k} 1 MZ\r\nx\r\n")).LineText);
        Is(await One(c, $"mg {k} v\r\n"), "VA", "hi");                         // the failed ms changed nothing
    }

    [Fact]
    public async Task Ms_TtlFlagsCasAndQuiet()
    {
        var k = P("ms2");
        await using var c = await ConnectAsync();
        Is(await One(c, $"ms {k} 2 T100 F7\r\nhi\r\n"), "HD", null);
        Is(await One(c, $"mg {k} v t f\r\n"), "VA", "hi", "t~100", "f7");
        var ret = await One(c, $"ms {k} 3 c\r\nabc\r\n");                    // c returns the new CAS
        Is(ret, "HD", null, "c*");
        var cas = Cas(ret);
        Is(await One(c, $"mg {k} c t f\r\n"), "HD", null, "c" + cas, "t-1", "f0"); // a plain ms resets TTL and flags
        Is(await One(c, $"ms {k} 1 C{cas + 1000}\r\nz\r\n"), "EX", null);    // CAS mismatch
        Is(await One(c, $"ms {k} 1 C{cas}\r\nz\r\n"), "HD", null);           // CAS match
        Is(await One(c, $"ms {k}none 1 C{cas}\r\nz\r\n"), "NF", null);       // CAS on a missing key
        Assert.Empty(await Call(c, $"ms {k} 1 q\r\nq\r\n"));                   // q hides HD...
        Is(await One(c, $"ms {k} 1 q ME\r\nq\r\n"), "NS", null);              // ...but not NS
        Is(await One(c, $"mg {k} v\r\n"), "VA", "q");
        Is(await One(c, $"ms {k} 2 O77 k\r\nok\r\n"), "HD", null, "O77", "k" + k);
        Is(await One(c, $"ms {k} 0\r\n\r\n"), "HD", null);                      // empty value
        Is(await One(c, $"mg {k} v s\r\n"), "VA", "", "s0");
    }

    [Fact]
    public async Task Ms_InvalidateWithOlderCas_MarksStale()
    {
        var k = P("msI");
        await using var c = await ConnectAsync();
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nv\r\n"));
        var older = Cas(await One(c, $"mg {k} c\r\n"));
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nw\r\n"));
        Is(await One(c, $"ms {k} 1 I C{older}\r\nx\r\n"), "HD", null);       // older CAS + I: stored, but stale
        Is(await One(c, $"mg {k} v\r\n"), "VA", "x", "X", "W");
        Is(await One(c, $"mg {k} v\r\n"), "VA", "x", "X", "Z");
    }

    [Fact]
    public async Task Md_Invalidate_ThenWinThenZ()
    {
        var k = P("md");
        await using var c = await ConnectAsync();
        Is(await One(c, $"md {k}\r\n"), "NF", null);
        Is(await One(c, $"md {k} q\r\n"), "NF", null);                        // q hides HD only
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nv\r\n"));
        Assert.Empty(await Call(c, $"md {k} q\r\n"));
        Is(await One(c, $"mg {k} v\r\n"), "EN", null);

        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 0 0 1\r\nv\r\n"));
        var cas = Cas(await One(c, $"mg {k} c\r\n"));
        Is(await One(c, $"md {k} C{cas + 1000}\r\n"), "EX", null);             // CAS mismatch: not deleted
        Is(await One(c, $"md {k} I T30\r\n"), "HD", null);                      // invalidate: stale, TTL 30 (and a new CAS)
        var first = await One(c, $"mg {k} v c t\r\n");
        Is(first, "VA", "v", "c*", "t~30", "X", "W");                              // first fetch wins the recache
        Assert.NotEqual(cas, Cas(first));
        Is(await One(c, $"mg {k} v c\r\n"), "VA", "v", "c" + Cas(first), "X", "Z"); // later ones see a winner exists
        Is(await One(c, $"mg {k} v\r\n"), "VA", "v", "X", "Z");
        Is(await One(c, $"ms {k} 1\r\nw\r\n"), "HD", null);                      // a fresh set clears the stale state
        Is(await One(c, $"mg {k} v\r\n"), "VA", "w");
        Is(await One(c, $"md {k} k O4\r\n"), "HD", null, "k" + k, "O4");
        Is(await One(c, $"mg {k} v\r\n"), "EN", null);
    }

    [Fact]
    public async Task Mg_Vivify_WinThenZ()
    {
        var k = P("viv");
        await using var c = await ConnectAsync();
        Is(await One(c, $"mg {k} N30 v c t\r\n"), "VA", "", "c*", "t~30", "W"); // miss + N: empty item created, caller wins
        Is(await One(c, $"mg {k} N30 v\r\n"), "VA", "", "Z");
        Is(await One(c, $"mg {k} v\r\n"), "VA", "", "Z");
        Is(await One(c, $"ms {k} 3 T0\r\nnew\r\n"), "HD", null);
        Is(await One(c, $"mg {k} v t\r\n"), "VA", "new", "t-1");
    }

    [Fact]
    public async Task Ma_Modes()
    {
        var k = P("ma");
        await using var c = await ConnectAsync();
        Is(await One(c, $"ma {k}\r\n"), "NF", null);
        Is(await One(c, $"ma {k} q\r\n"), "NF", null);
        Is(await One(c, $"ma {k} N0 J13 v\r\n"), "VA", "13");                  // auto-create with the initial value
        Is(await One(c, $"ma {k} v t c\r\n"), "VA", "14", "t-1", "c*");        // default: incr by 1
        Is(await One(c, $"ma {k} v MD D5\r\n"), "VA", "9");                     // decr
        Is(await One(c, $"ma {k} v M- D50\r\n"), "VA", "0");                    // decr floors at 0
        Is(await One(c, $"ma {k} v MI D18446744073709551615\r\n"), "VA", "18446744073709551615");
        // (never incr/decr a value >= 2^63 itself: real memcached 1.6 then randomly says non-numeric, see DISCREPANCIES.md)
        Is(await One(c, $"ms {k} 1\r\n5\r\n"), "HD", null);
        Is(await One(c, $"ma {k} v M+ D18446744073709551615\r\n"), "VA", "4");  // incr wraps at 2^64
        Is(await One(c, $"ma {k}\r\n"), "HD", null);
        Assert.Empty(await Call(c, $"ma {k} q\r\n"));                            // q hides HD
        Is(await One(c, $"mg {k} v\r\n"), "VA", "6");
        Is(await One(c, $"ma {k} k O9 v\r\n"), "VA", "7", "k" + k, "O9");
        Assert.Equal("CLIENT_ERROR invalid mode for ma M token", (await One(c, $"ma {k} MX\r\n")).LineText);
        Assert.Equal("CLIENT_ERROR invalid or duplicate flag", (await One(c, $"ma {k} v D-1\r\n")).LineText);
        Is(await One(c, $"ma {k}2 N100 J7 v t\r\n"), "VA", "7", "t~100");      // N sets the new item's TTL
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k}txt 0 0 2\r\nab\r\n"));
        Assert.Equal("CLIENT_ERROR cannot increment or decrement non-numeric value", (await One(c, $"ma {k}txt v\r\n")).LineText);
    }

    [Fact]
    public async Task Mn_And_Me()
    {
        var k = P("me");
        await using var c = await ConnectAsync();
        await c.SendAsync("mn\r\n");
        Assert.Equal("MN", await c.ReadLineTextAsync());
        Is(await One(c, $"me {k}\r\n"), "EN", null);
        Assert.Equal("STORED", await McText.LineAsync(c, $"set {k} 3 0 2\r\nhi\r\n"));
        var me = (await One(c, $"me {k}\r\n")).LineText;
        // "ME <key> exp=-1 la=0 cas=N fetch=no cls=1 size=66": cls/size are memcached's slab details, so only the shape is checked
        var t = me.Split(' ');
        Assert.True(t.Length >= 3 && t[0] == "ME" && t[1] == k, $"me reply '{me}'");
        var fields = t.Skip(2).Select(x => x.Split('=', 2)).ToDictionary(x => x[0], x => x.Length > 1 ? x[1] : "");
        foreach (var name in new[] { "exp", "la", "cas", "fetch", "cls", "size" })
            Assert.True(fields.ContainsKey(name), $"me reply '{me}' lacks {name}=");
        Assert.Equal("-1", fields["exp"]);
        Assert.Equal("no", fields["fetch"]);
        Assert.True(ulong.Parse(fields["cas"]) > 0, me);
        Is(await One(c, $"mg {k} v\r\n"), "VA", "hi");
        Assert.Contains("fetch=yes", (await One(c, $"me {k}\r\n")).LineText);
    }

    [Fact]
    public async Task MetaErrors_KeepConnectionUsable()
    {
        var k = P("err");
        await using var c = await ConnectAsync();
        Assert.Equal("ERROR", (await One(c, "mg\r\n")).LineText);
        Assert.StartsWith("CLIENT_ERROR", (await One(c, $"mg {new string('x', 251)} v\r\n")).LineText);
        Assert.Equal("CLIENT_ERROR bad data chunk", (await Call(c, $"ms {k} 2\r\nabcd\r\n"))[0].LineText);
        Is(await One(c, $"mg {k} v\r\n"), "EN", null);
    }
}
