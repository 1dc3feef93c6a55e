using System.Buffers.Binary;
using System.Text;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached.Differential;

/// <summary>Random source shared by the binary and text generators.</summary>
public sealed class McGenContext
{
    public Random Rng { get; }
    /// <summary>Fixed "now" from which absolute future expiry times are derived (deterministic for both servers).</summary>
    public long BaseUnixSeconds { get; }

    public McGenContext(int seed, long baseUnixSeconds)
    {
        Rng = new Random(seed);
        BaseUnixSeconds = baseUnixSeconds;
    }

    public bool Chance(double p) => Rng.NextDouble() < p;
    public T Pick<T>(params T[] items) => items[Rng.Next(items.Length)];
    public T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];

    /// <summary>Values: numbers (incr/decr interplay), text, binary, CRLF inside, empty, a few KB; never containing "mn".</summary>
    public byte[] Value()
    {
        return Rng.Next(14) switch
        {
            0 => Array.Empty<byte>(),
            1 or 2 => Encoding.ASCII.GetBytes(Pick("0", "1", "42", "007", "99", "100", "999999999999", "18446744073709551616", "-5", " 7", "7 ", "12abc", "1000000", "5  ")),
            3 => new byte[] { 0, 1, 2, (byte)'\r', (byte)'\n', 0xff, 0xfe, (byte)'x' },
            4 => "line1\r\nline2\r\n"u8.ToArray(),
            5 => Encoding.ASCII.GetBytes(new string('z', Pick(100, 1000, 5000))),
            6 => "\u00e9t\u00e9 \u2603"u8.ToArray(),
            _ => Encoding.ASCII.GetBytes(Pick("v", "hello", "world", "hello world", "x", "abc") + Rng.Next(100)),
        };
    }

    /// <summary>A value that does not fit, or barely fits, a 1 MB item (memcached -I 1m).</summary>
    public byte[] BigValue()
    {
        var len = Pick(1024 * 1024 - 512, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 1024 * 1024 + 100_000);
        var b = new byte[len];
        Array.Fill(b, (byte)('a' + Rng.Next(26)));
        return b;
    }
}

/// <summary>
/// Seeded random binary-protocol requests: every opcode memcached 1.6 knows (including quiet variants, GETK/GATK,
/// incr/decr with initial value and expiration incl. 0xffffffff, CAS matches and mismatches, append/prepend, touch,
/// flush, version/noop/verbosity/stat), plus unknown opcodes, oversized keys and values, wrong extras lengths,
/// inconsistent headers and bad magic bytes.
/// </summary>
public sealed class McBinaryGenerator
{
    private readonly McGenContext _g;
    private readonly (string Name, double Weight, Func<McRequest> Make)[] _templates;
    private readonly double _total;
    private uint _opaque = 1;

    public static readonly IReadOnlyList<byte[]> KeyPool = new[]
    {
        "k0", "k1", "k2", "k3", "num", "cnt", "sp ace\r\n\0key", "\u00e9\u00e8", new string('L', 250),
    }.Select(Encoding.UTF8.GetBytes).ToArray();

    /// <summary>
    /// incr/decr only ever target these keys, and append/prepend never do: memcached rewrites a counter in place
    /// (space-padded) or reallocates it depending on whether another thread holds the item at that instant, so
    /// "17 " + "x" vs "17" + "x" would make memcached disagree with itself.
    /// </summary>
    public static readonly IReadOnlyList<byte[]> Counters = KeyPool.Where(k => k.AsSpan().SequenceEqual("num"u8) || k.AsSpan().SequenceEqual("cnt"u8)).ToArray();

    private static readonly IReadOnlyList<byte[]> NonCounters = KeyPool.Except(Counters).ToArray();

    public McBinaryGenerator(int seed, long baseUnixSeconds)
    {
        _g = new McGenContext(seed, baseUnixSeconds);
        _templates = new (string, double, Func<McRequest>)[]
        {
            ("get", 14, Get),
            ("multiget", 7, MultiGet),
            ("store", 18, Store),
            ("delete", 6, Delete),
            ("arith", 12, Arith),
            ("concat", 8, Concat),
            ("touch/gat", 8, TouchGat),
            ("flush", 2, Flush),
            ("misc", 4, Misc),
            ("unknown-opcode", 2, Unknown),
            ("oversized-key", 1.5, OversizedKey),
            ("oversized-value", 0.6, OversizedValue),
            ("wrong-extras", 2, WrongExtras),
            ("bad-header", 0.8, BadHeader),
            ("quit", 0.4, Quit),
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
    private byte[] Key() => _g.Pick(KeyPool);

    private CasRef Cas(byte[] key, double p = 0.3) => !_g.Chance(p) ? CasRef.Zero : _g.Chance(0.6) ? CasRef.Last(key) : CasRef.Bogus;

    private uint Exptime() => R.Next(10) switch
    {
        0 => 0xffffffff,
        1 => 1_000_000_000, // absolute, in the past: expires at once
        2 => (uint)(_g.BaseUnixSeconds + 100_000), // absolute, future
        3 or 4 => 1000,
        _ => 0,
    };

    private uint Flags() => _g.Pick(0u, 0u, 1u, 0xdeadbeefu, 0xffffffffu, 42u);

    /// <summary>A single frame with a CAS placeholder; the opaque maps back to the key.</summary>
    private sealed record FrameSpec(byte Op, byte[] Key, byte[] Extras, byte[] Value, CasRef Cas, uint Opaque, byte Magic = 0x80, byte DataType = 0, ushort? KeyLen = null, byte? ExtLen = null);

    private FrameSpec F(byte op, byte[] key, byte[]? extras = null, byte[]? value = null, CasRef? cas = null) =>
        new(op, key, extras ?? Array.Empty<byte>(), value ?? Array.Empty<byte>(), cas ?? CasRef.Zero, _opaque++);

    private McRequest Req(string template, params FrameSpec[] frames)
    {
        var req = new McRequest(template, McDialect.Binary, resolve => McBin.Concat(frames.Select(f =>
            McBin.Frame(f.Op, f.Key, f.Extras, f.Value, f.Opaque, resolve(f.Cas), f.Magic, f.DataType, keyLenOverride: f.KeyLen, extLenOverride: f.ExtLen)).ToArray()));
        foreach (var f in frames)
            if (f.Key.Length > 0)
                req.OpaqueKeys[f.Opaque] = f.Key;
        return req;
    }

    private McRequest Get()
    {
        var op = _g.Pick(Op.Get, Op.GetK, Op.GetQ, Op.GetKQ);
        return Req("get:" + Op.Name(op), F(op, Key()));
    }

    /// <summary>Like dalli's get_multi: quiet gets for several keys, then a NOOP (or a loud GETK) that ends the batch.</summary>
    private McRequest MultiGet()
    {
        var frames = Enumerable.Range(0, R.Next(2, 6)).Select(_ => F(_g.Pick(Op.GetKQ, Op.GetKQ, Op.GetQ), Key())).ToList();
        frames.Add(_g.Chance(0.5) ? F(Op.Noop, Array.Empty<byte>()) : F(Op.GetK, Key()));
        return Req("multiget", frames.ToArray());
    }

    private McRequest Store()
    {
        var op = _g.Pick(Op.Set, Op.Set, Op.Add, Op.Replace, Op.SetQ, Op.AddQ, Op.ReplaceQ);
        var key = Key();
        var frames = new List<FrameSpec> { F(op, key, McBin.StoreExtras(Flags(), Exptime()), _g.Value(), Cas(key)) };
        if (_g.Chance(0.3)) frames.Add(F(_g.Pick(Op.Get, Op.GetK), key)); // read back
        return Req("store:" + Op.Name(op), frames.ToArray());
    }

    private McRequest Delete()
    {
        var op = _g.Pick(Op.Delete, Op.DeleteQ);
        var key = Key();
        return Req("delete:" + Op.Name(op), F(op, key, cas: Cas(key)));
    }

    private McRequest Arith()
    {
        var op = _g.Pick(Op.Increment, Op.Decrement, Op.IncrementQ, Op.DecrementQ);
        var key = _g.Pick(Counters);
        // Counters stay below 2^63: for larger values memcached 1.6's safe_strtoull() strchr()s for a '-' past the
        // end of the (not NUL-terminated) item data, so memcached itself answers "non-numeric" at random. Huge
        // deltas only for decrements (they floor at 0); wrap-around is covered by the client tests.
        var incr = op is Op.Increment or Op.IncrementQ;
        var delta = incr ? _g.Pick(0UL, 1UL, 1UL, 5UL, 100UL) : _g.Pick(0UL, 1UL, 1UL, 5UL, 100UL, 1UL << 63, ulong.MaxValue);
        var initial = _g.Pick(0UL, 1UL, 10UL, 42UL);
        var exp = _g.Pick(0u, 0u, 0xffffffffu, 0xffffffffu, 1000u, 1_000_000_000u);
        var frames = new List<FrameSpec> { F(op, key, McBin.DeltaExtras(delta, initial, exp), cas: Cas(key, 0.15)) };
        if (_g.Chance(0.3)) frames.Add(F(Op.Get, key));
        return Req("arith:" + Op.Name(op), frames.ToArray());
    }

    private McRequest Concat()
    {
        var op = _g.Pick(Op.Append, Op.Prepend, Op.AppendQ, Op.PrependQ);
        var key = _g.Pick(NonCounters);
        var frames = new List<FrameSpec> { F(op, key, value: _g.Value(), cas: Cas(key, 0.2)) };
        if (_g.Chance(0.4)) frames.Add(F(Op.Get, key));
        return Req("concat:" + Op.Name(op), frames.ToArray());
    }

    private McRequest TouchGat()
    {
        var op = _g.Pick(Op.Touch, Op.Gat, Op.GatQ, Op.GatK, Op.GatKQ);
        var key = Key();
        var exp = _g.Pick(0u, 1000u, 0xffffffffu, 1_000_000_000u, (uint)(_g.BaseUnixSeconds + 50_000));
        var frames = new List<FrameSpec> { F(op, key, McBin.U32(exp), cas: Cas(key, 0.1)) };
        if (_g.Chance(0.3)) frames.Add(F(Op.GetK, key));
        return Req("touch:" + Op.Name(op), frames.ToArray());
    }

    private McRequest Flush()
    {
        var op = _g.Pick(Op.Flush, Op.FlushQ);
        return Req("flush:" + Op.Name(op), F(op, Array.Empty<byte>(), _g.Chance(0.5) ? McBin.U32(0) : null));
    }

    private McRequest Misc() => R.Next(5) switch
    {
        0 => Req("misc:VERSION", F(Op.Version, Array.Empty<byte>())),
        1 => Req("misc:NOOP", F(Op.Noop, Array.Empty<byte>())),
        // memcached 1.6 answers binary VERBOSITY with "Unknown command"; with its 4-byte extras it then also swallows
        // 4 bytes of the next request (same bug as other unknown commands with a body), so only the body-less form.
        2 => Req("misc:VERBOSITY", F(Op.Verbosity, Array.Empty<byte>())),
        3 => Req("misc:STAT", F(Op.Stat, Array.Empty<byte>())),
        _ => Req("misc:STAT-unknown-group", F(Op.Stat, "nosuchgroup"u8.ToArray())),
    };

    private McRequest Unknown()
    {
        var op = _g.Pick<byte>(0x1f, 0x25, 0x30, 0x3c, 0x40, 0x48, 0x80, 0xaa, 0xfe, 0xff, Op.SaslListMechs);
        // Body-less only: memcached 1.6.18 swallows an unknown command's body twice (it then eats the next request),
        // so there is no sane reply to compare with.
        return Req($"unknown:0x{op:x2}", F(op, Array.Empty<byte>()));
    }

    private McRequest OversizedKey()
    {
        var key = Encoding.ASCII.GetBytes(new string('K', _g.Pick(251, 300, 1000)));
        return R.Next(3) switch
        {
            0 => Req("oversized-key:GET", F(Op.Get, key)),
            1 => Req("oversized-key:SET", F(Op.Set, key, McBin.StoreExtras(0, 0), "v"u8.ToArray())),
            _ => Req("oversized-key:GETKQ", F(Op.GetKQ, key), F(Op.Noop, Array.Empty<byte>())),
        };
    }

    private McRequest OversizedValue()
    {
        var key = _g.Pick(NonCounters);
        var op = _g.Pick(Op.Set, Op.SetQ, Op.Add, Op.Append);
        var extras = op == Op.Append ? null : McBin.StoreExtras(0, 0);
        return Req("oversized-value:" + Op.Name(op), F(op, key, extras, _g.BigValue()), F(Op.GetK, key));
    }

    /// <summary>Well-formed frames whose extras/key/value presence is wrong for the opcode.</summary>
    private McRequest WrongExtras()
    {
        var key = Key();
        return R.Next(12) switch
        {
            0 => Req("wrong-extras:GET+extras", F(Op.Get, key, McBin.U32(0))),
            1 => Req("wrong-extras:SET-4", F(Op.Set, key, McBin.U32(0), "v"u8.ToArray())),
            2 => Req("wrong-extras:SET-0", F(Op.Set, key, null, "v"u8.ToArray())),
            3 => Req("wrong-extras:INCR-0", F(Op.Increment, key)),
            4 => Req("wrong-extras:APPEND+extras", F(Op.Append, key, McBin.StoreExtras(0, 0), "v"u8.ToArray())),
            5 => Req("wrong-extras:TOUCH-0", F(Op.Touch, key)),
            6 => Req("wrong-extras:GET-nokey", F(Op.Get, Array.Empty<byte>())),
            7 => Req("wrong-extras:NOOP+key", F(Op.Noop, key)),
            8 => Req("wrong-extras:VERSION+value", F(Op.Version, Array.Empty<byte>(), value: "x"u8.ToArray())),
            9 => Req("wrong-extras:DELETE+value", F(Op.Delete, key, value: "x"u8.ToArray())),
            10 => Req("wrong-extras:FLUSH-8", F(Op.Flush, Array.Empty<byte>(), McBin.StoreExtras(0, 0))),
            _ => Req("wrong-extras:SET-nokey", F(Op.Set, Array.Empty<byte>(), McBin.StoreExtras(0, 0), "v"u8.ToArray())),
        };
    }

    /// <summary>Header fields that contradict the body (the body length itself is always honest, so nothing waits).</summary>
    private McRequest BadHeader()
    {
        var key = Key();
        var f = F(Op.Get, key);
        // (extlen > body length is not generated: memcached 1.6.18 then waits for the missing extras bytes.)
        return R.Next(3) switch
        {
            // after a valid NOOP: a connection's first byte decides binary vs text, and this must stay binary
            0 => Req("bad-header:magic", F(Op.Noop, Array.Empty<byte>()), f with { Magic = _g.Pick<byte>(0x81, 0x00, 0x7f) }),
            1 => Req("bad-header:keylen>body", f with { KeyLen = (ushort)(key.Length + 5) }),
            _ => Req("bad-header:datatype", f with { DataType = 1 }),
        };
    }

    private McRequest Quit() => _g.Chance(0.5)
        ? Req("quit:QUIT", F(Op.Quit, Array.Empty<byte>()))
        : Req("quit:QUITQ", F(Op.QuitQ, Array.Empty<byte>()));

    /// <summary>Reads a big-endian u64 (used by tests that inspect counters).</summary>
    public static ulong U64(byte[] b) => BinaryPrimitives.ReadUInt64BigEndian(b);
}
