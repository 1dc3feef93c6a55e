using System.Text;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached.Differential;

/// <summary>
/// Seeded random text-protocol requests: storage commands (with noreply, bad data chunks and bad command lines),
/// cas with matching/mismatching/garbage CAS, get/gets/gat/gats multi-gets, touch, delete, incr/decr (non-numeric
/// values, huge deltas), flush_all, version/verbosity/stats, unknown and malformed lines, negative exptimes, too-long
/// keys and lines, oversized values, and meta commands (mg/ms/md/ma with most flags). Never emits "mn" (the marker).
/// </summary>
public sealed class McTextGenerator
{
    private readonly McGenContext _g;
    private readonly (string Name, double Weight, Func<McRequest> Make)[] _templates;
    private readonly double _total;

    public static readonly IReadOnlyList<string> KeyPool = new[] { "k0", "k1", "k2", "k3", "num", "cnt", "a:b", "\u00e9t\u00e9", new string('L', 250) };

    /// <summary>The only targets of incr/decr/ma, and never of append/prepend (see <see cref="McBinaryGenerator.Counters"/>).</summary>
    public static readonly IReadOnlyList<string> Counters = new[] { "num", "cnt" };

    private static readonly IReadOnlyList<string> NonCounters = KeyPool.Except(Counters).ToArray();

    /// <summary>Counter keys as they appear on the wire (plain or base64), whose size ("s" flag) depends on in-place padding.</summary>
    public static readonly IReadOnlySet<string> CounterWireKeys = Counters.Concat(Counters.Select(B64)).ToHashSet();

    public static IReadOnlyList<byte[]> KeyPoolBytes => KeyPool.Select(Encoding.UTF8.GetBytes).ToArray();

    public McTextGenerator(int seed, long baseUnixSeconds)
    {
        _g = new McGenContext(seed, baseUnixSeconds);
        _templates = new (string, double, Func<McRequest>)[]
        {
            ("storage", 18, Storage),
            ("cas", 6, Cas),
            ("get", 14, Get),
            ("gat", 4, Gat),
            ("touch", 3, Touch),
            ("delete", 5, Delete),
            ("arith", 10, Arith),
            ("flush_all", 1.5, Flush),
            ("misc", 3, Misc),
            ("bad-line", 4, BadLine),
            ("mg", 7, MetaGet),
            ("ms", 6, MetaSet),
            ("md", 3, MetaDelete),
            ("ma", 4, MetaArith),
            ("oversized", 0.6, Oversized),
            ("too-long", 0.3, TooLong),
            ("quit", 0.3, () => new McRequest("quit", McDialect.Text, "quit\r\n"u8.ToArray())),
        };
        _total = _templates.Sum(t => t.Weight);
    }

    public IEnumerable<McRequest> Take(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var x = _g.Rng.NextDouble() * _total;
            foreach (var t in _templates)
            {
                if ((x -= t.Weight) < 0 || t == _templates[^1])
                {
                    yield return t.Make();
                    break;
                }
            }
        }
    }

    private Random R => _g.Rng;
    private string Key() => _g.Pick(KeyPool);
    private string NoReply(double p = 0.15) => _g.Chance(p) ? " noreply" : "";

    private string Exptime() => R.Next(12) switch
    {
        0 => "-1",
        1 => _g.Pick("-100", "1000000000"), // already expired (negative / absolute in the past)
        2 => (_g.BaseUnixSeconds + 100_000).ToString(),
        3 or 4 => "1000",
        _ => "0",
    };

    private string Flags() => _g.Pick("0", "0", "1", "65535", "4294967295", "42");

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static McRequest Plain(string template, string text, string? key = null) =>
        new(template, McDialect.Text, B(text)) { Key = key == null ? null : B(key) };

    private static McRequest WithData(string template, string line, byte[] data, string? key = null) =>
        new(template, McDialect.Text, McBin.Concat(B(line), data, "\r\n"u8.ToArray())) { Key = key == null ? null : B(key) };

    private McRequest Storage()
    {
        var cmd = _g.Pick("set", "set", "add", "replace", "append", "prepend");
        var key = cmd is "append" or "prepend" ? _g.Pick(NonCounters) : Key();
        var value = _g.Value();
        var roll = R.Next(20);
        if (roll == 0)
        {
            // bad data chunk: more bytes than declared (the surplus is then parsed as a command line)
            var declared = value.Length;
            var sent = McBin.Concat(value, B(_g.Pick("x", "xy", "\r", "abc def")));
            return WithData("storage:bad-chunk", $"{cmd} {key} 0 0 {declared}{NoReply(0.3)}\r\n", sent, key);
        }
        if (roll == 1)
        {
            var line = _g.Pick(
                $"{cmd} {key} 0 0\r\n", $"{cmd} {key} abc 0 1\r\n", $"{cmd} {key} 0 abc 1\r\n", $"{cmd} {key} 0 0 -1\r\n",
                $"{cmd} {key} 0 0 abc\r\n", $"{cmd} {key} -1 0 1\r\n", $"{cmd} {key} 4294967296 0 1\r\n", $"{cmd}\r\n",
                $"{cmd} {key} 0 0 1 garbage\r\n", $"{cmd} {key} 0 0 1 noreply extra\r\n");
            return WithData("storage:bad-line", line, "v"u8.ToArray(), key);
        }
        return WithData("storage:" + cmd, $"{cmd} {key} {Flags()} {Exptime()} {value.Length}{NoReply()}\r\n", value, key);
    }

    private McRequest Cas()
    {
        var key = Key();
        var value = _g.Value();
        var casRef = _g.Chance(0.65) ? CasRef.Last(B(key)) : CasRef.Bogus;
        var garbage = _g.Chance(0.08) ? _g.Pick("abc", "-1", "") : null;
        var flags = Flags();
        var exp = Exptime();
        var noreply = NoReply();
        var suffix = _g.Chance(0.3) ? $"get {key}\r\n" : "";
        return new McRequest(garbage == null ? "cas" : "cas:bad", McDialect.Text, resolve => McBin.Concat(
            B($"cas {key} {flags} {exp} {value.Length} {(garbage ?? resolve(casRef).ToString())}{noreply}\r\n"), value, "\r\n"u8.ToArray(), B(suffix)))
        { Key = B(key) };
    }

    private McRequest Get()
    {
        var cmd = _g.Pick("get", "get", "gets");
        var roll = R.Next(30);
        if (roll == 0) return Plain("get:no-key", $"{cmd}\r\n");
        if (roll == 1) return Plain("get:too-long-key", $"{cmd} k0 {new string('K', 251)} k1\r\n");
        var keys = Enumerable.Range(0, R.Next(1, 6)).Select(_ => Key()).ToList();
        return Plain(keys.Count == 1 ? "get:" + cmd : "get:multi-" + cmd, $"{cmd} {string.Join(' ', keys)}\r\n", keys.Count == 1 ? keys[0] : null);
    }

    private McRequest Gat()
    {
        var cmd = _g.Pick("gat", "gats");
        var keys = Enumerable.Range(0, R.Next(1, 4)).Select(_ => Key()).ToList();
        if (_g.Chance(0.05)) return Plain("gat:bad", $"{cmd} abc {keys[0]}\r\n");
        if (_g.Chance(0.03)) return Plain("gat:no-key", $"{cmd} 100\r\n");
        return Plain("gat:" + cmd, $"{cmd} {Exptime()} {string.Join(' ', keys)}\r\n", keys.Count == 1 ? keys[0] : null);
    }

    private McRequest Touch()
    {
        var key = Key();
        if (_g.Chance(0.1)) return Plain("touch:bad", _g.Pick($"touch {key}\r\n", $"touch {key} abc\r\n"));
        return Plain("touch", $"touch {key} {Exptime()}{NoReply()}\r\n", key);
    }

    private McRequest Delete()
    {
        var key = Key();
        var line = R.Next(10) switch
        {
            0 => $"delete {key} 0\r\n",
            1 => $"delete {key} 5\r\n",
            2 => $"delete {key} 0 noreply\r\n",
            3 => "delete\r\n",
            _ => $"delete {key}{NoReply()}\r\n",
        };
        return Plain("delete", line, key);
    }

    private McRequest Arith()
    {
        var cmd = _g.Pick("incr", "decr");
        var key = _g.Pick(Counters);
        // counters stay below 2^63 (see McBinaryGenerator.Arith): huge deltas only for decr
        var delta = R.Next(10) switch
        {
            0 => _g.Pick("18446744073709551616", "-1", "abc", "1.5", ""),
            1 => "0",
            2 => cmd == "decr" ? _g.Pick("9223372036854775808", "18446744073709551615") : "1",
            _ => _g.Pick("1", "2", "5", "10", "100", "1000"),
        };
        var extra = _g.Chance(0.25) ? $"get {key}\r\n" : "";
        return Plain("arith:" + cmd, $"{cmd} {key} {delta}{NoReply()}\r\n{extra}", key);
    }

    private McRequest Flush() => Plain("flush_all", _g.Pick("flush_all\r\n", "flush_all 0\r\n", "flush_all noreply\r\n", "flush_all 0 noreply\r\n", "flush_all abc\r\n", "flush_all -1\r\n"));

    private McRequest Misc() => Plain("misc", _g.Pick("version\r\n", "verbosity 1\r\n", "verbosity 0 noreply\r\n", "verbosity\r\n", "stats\r\n", "stats reset\r\n", "verbosity abc\r\n"));

    private McRequest BadLine() => Plain("bad-line", _g.Pick(
        "\r\n", "   \r\n", "foo\r\n", "foo bar baz\r\n", "GET k0\r\n", "Set k0 0 0 1\r\n", "incr\r\n", "incr k0\r\n", "decr k0 1 2 3 4 5\r\n",
        "touch\r\n", "cas k0 0 0 1\r\nx\r\n", "get k0\n", "gets\r\n", "bogus_command with many tokens a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n",
        "version extra\r\n", "\0\r\n", "mg\r\n", "ms k0\r\n", "ma\r\n", "md\r\n", "mz k0\r\n"));

    private static string B64(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private McRequest MetaGet()
    {
        var key = Key();
        var b64 = _g.Chance(0.1);
        var flags = new List<string>();
        foreach (var f in new[] { "v", "f", "c", "k", "s", "h", "t", "l", "q", "u" })
            if (_g.Chance(f == "v" ? 0.6 : 0.25)) flags.Add(f);
        if (_g.Chance(0.2)) flags.Add("O" + R.Next(1000));
        if (_g.Chance(0.1)) flags.Add("T" + Exptime());
        if (_g.Chance(0.05)) flags.Add("N" + _g.Pick("1000", "0"));
        if (_g.Chance(0.04)) flags.Add(_g.Pick("!", "Zz", "O", "vv"));
        if (b64) flags.Add("b");
        var shuffled = flags.OrderBy(_ => R.Next()).ToList();
        return Plain("mg", $"mg {(b64 ? B64(key) : key)}{(shuffled.Count > 0 ? " " + string.Join(' ', shuffled) : "")}\r\n", b64 ? B64(key) : key);
    }

    private McRequest MetaSet()
    {
        var key = Key();
        var b64 = _g.Chance(0.1);
        var value = _g.Value();
        var casRef = _g.Chance(0.7) ? CasRef.Last(B(key)) : CasRef.Bogus;
        var useCas = _g.Chance(0.15);
        var flags = new List<string>();
        if (_g.Chance(0.3)) flags.Add("T" + Exptime());
        if (_g.Chance(0.3)) flags.Add("F" + Flags());
        if (_g.Chance(0.4))
            flags.Add("M" + (Counters.Contains(key) ? _g.Pick("S", "E", "R", "s", "e", "r", "X") : _g.Pick("S", "E", "A", "P", "R", "s", "e", "a", "p", "r", "X")));
        // no invalidation of counters: an in-place incr keeps the stale item, a reallocating one replaces it
        if (_g.Chance(0.1) && !Counters.Contains(key)) flags.Add("I");
        if (_g.Chance(0.15)) flags.Add("q");
        if (_g.Chance(0.2)) flags.Add("c");
        if (_g.Chance(0.1)) flags.Add("k");
        if (_g.Chance(0.1)) flags.Add("O" + R.Next(100));
        if (b64) flags.Add("b");
        var shuffled = flags.OrderBy(_ => R.Next()).ToList();
        var declared = _g.Chance(0.05) ? _g.Pick("abc", "-1") : value.Length.ToString();
        var wireKey = b64 ? B64(key) : key;
        var readBack = _g.Chance(0.3) ? $"mg {wireKey} v f{(b64 ? " b" : "")}\r\n" : "";
        return new McRequest("ms", McDialect.Text, resolve =>
        {
            var fl = shuffled.ToList();
            if (useCas) fl.Add("C" + resolve(casRef));
            return McBin.Concat(B($"ms {wireKey} {declared}{(fl.Count > 0 ? " " + string.Join(' ', fl) : "")}\r\n"), value, B("\r\n" + readBack));
        }) { Key = B(wireKey) };
    }

    private McRequest MetaDelete()
    {
        var key = Key();
        var casRef = _g.Chance(0.6) ? CasRef.Last(B(key)) : CasRef.Bogus;
        var useCas = _g.Chance(0.2);
        var flags = new List<string>();
        if (_g.Chance(0.3) && !Counters.Contains(key)) flags.Add("I");
        if (_g.Chance(0.15)) flags.Add("T" + _g.Pick("1000", "0"));
        if (_g.Chance(0.2)) flags.Add("q");
        if (_g.Chance(0.1)) flags.Add("k");
        if (_g.Chance(0.1)) flags.Add("O" + R.Next(100));
        var followUp = _g.Chance(0.4) ? $"mg {key} v c\r\nmg {key} v\r\n" : "";
        return new McRequest("md", McDialect.Text, resolve =>
        {
            var fl = flags.ToList();
            if (useCas) fl.Add("C" + resolve(casRef));
            return B($"md {key}{(fl.Count > 0 ? " " + string.Join(' ', fl) : "")}\r\n{followUp}");
        }) { Key = B(key) };
    }

    private McRequest MetaArith()
    {
        var key = _g.Pick(Counters);
        var flags = new List<string>();
        if (_g.Chance(0.4)) flags.Add("N" + _g.Pick("0", "1000"));
        if (_g.Chance(0.4)) flags.Add("J" + _g.Pick("0", "10", "abc"));
        if (_g.Chance(0.5)) flags.Add("D" + _g.Pick("1", "5", "100", "0", "abc"));
        if (_g.Chance(0.4)) flags.Add("M" + _g.Pick("I", "i", "+", "D", "d", "-", "X"));
        if (_g.Chance(0.5)) flags.Add("v");
        if (_g.Chance(0.15)) flags.Add("q");
        if (_g.Chance(0.15)) flags.Add("c");
        if (_g.Chance(0.1)) flags.Add("k");
        if (_g.Chance(0.1)) flags.Add("O" + R.Next(100));
        if (_g.Chance(0.1)) flags.Add("t");
        var shuffled = flags.OrderBy(_ => R.Next()).ToList();
        return Plain("ma", $"ma {key}{(shuffled.Count > 0 ? " " + string.Join(' ', shuffled) : "")}\r\n", key);
    }

    private McRequest Oversized()
    {
        var key = Key();
        var value = _g.BigValue();
        var cmd = _g.Pick("set", "set", "add", "append");
        if (cmd == "append") key = _g.Pick(NonCounters);
        return WithData("oversized", $"{cmd} {key} 0 0 {value.Length}{NoReply(0.3)}\r\n", McBin.Concat(value, B($"\r\nget {key}")), key);
    }

    /// <summary>A command line longer than memcached's read buffer without a newline: memcached closes the connection (a huge get is parsed instead).</summary>
    private McRequest TooLong() => _g.Chance(0.6)
        ? Plain("too-long:set", "set " + new string('a', 20_000) + " 0 0 1\r\nx\r\n")
        : Plain("too-long:get", "get " + string.Join(' ', Enumerable.Repeat("zz", 8000)) + "\r\n");
}
