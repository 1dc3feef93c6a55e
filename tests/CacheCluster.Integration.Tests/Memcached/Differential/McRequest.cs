using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Memcached.Differential;

public enum McDialect { Binary, Text }

/// <summary>
/// A CAS value inside a request. The two servers hand out different CAS numbers, so a request cannot carry a literal:
/// it names "the last CAS this server returned for key K" (resolved per server at send time), or a value no server
/// has issued, or nothing (0).
/// </summary>
public sealed record CasRef(CasRef.Kinds Kind, string? Key = null)
{
    public enum Kinds { Zero, Bogus, LastFor }

    public static readonly CasRef Zero = new(Kinds.Zero);
    public static readonly CasRef Bogus = new(Kinds.Bogus);
    public static CasRef Last(byte[] key) => new(Kinds.LastFor, Convert.ToHexString(key));

    /// <summary>Never issued by memcached (counts up from 1) nor, realistically, by the node.</summary>
    public const ulong BogusValue = 0x0DEFACED_0BADF00DUL;
}

/// <summary>One generated request: one or more frames / command lines, rendered per server (CAS placeholders).</summary>
public sealed class McRequest
{
    private readonly Func<Func<CasRef, ulong>, byte[]> _render;

    public string Template { get; }
    public McDialect Dialect { get; }
    /// <summary>Binary: the key each frame's opaque refers to (for attributing response CAS values to keys).</summary>
    public Dictionary<uint, byte[]> OpaqueKeys { get; } = new();
    /// <summary>Text: the key of a single-key command (meta responses carry "c&lt;cas&gt;" without a key).</summary>
    public byte[]? Key { get; init; }

    public McRequest(string template, McDialect dialect, Func<Func<CasRef, ulong>, byte[]> render)
    {
        Template = template;
        Dialect = dialect;
        _render = render;
    }

    public McRequest(string template, McDialect dialect, byte[] bytes) : this(template, dialect, _ => bytes) { }

    public byte[] Render(Func<CasRef, ulong> cas) => _render(cas);

    /// <summary>A readable form of the request as sent to one server.</summary>
    public string Describe(Func<CasRef, ulong> cas)
    {
        var bytes = Render(cas);
        if (Dialect == McDialect.Text) return Esc.Bytes(bytes, 300);
        var frames = new List<string>();
        var pos = 0;
        while (pos + 24 <= bytes.Length && frames.Count < 12)
        {
            var bodyLen = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos + 8));
            var end = Math.Min(bytes.Length, pos + 24 + bodyLen);
            try
            {
                frames.Add(McFrame.Parse(bytes[pos..(pos + 24)], bytes[(pos + 24)..end]).ToString());
            }
            catch (InvalidDataException)
            {
                frames.Add($"[header {Convert.ToHexString(bytes, pos, 24)} body {end - pos - 24} bytes]");
            }
            pos = end;
        }
        if (pos < bytes.Length) frames.Add($"+{bytes.Length - pos} raw bytes");
        return string.Join(" ", frames);
    }
}

/// <summary>
/// Per-server state of a differential run: the last CAS seen per key (to resolve <see cref="CasRef"/>) and the
/// first-seen numbering of CAS values (so replies are compared by their CAS equality pattern, not the numbers).
/// </summary>
public sealed class McSideState
{
    private readonly Dictionary<string, ulong> _lastCas = new();
    private Dictionary<string, Dictionary<ulong, int>> _casIndex = new();

    public ulong Resolve(CasRef r) => r.Kind switch
    {
        CasRef.Kinds.Zero => 0,
        CasRef.Kinds.Bogus => CasRef.BogusValue,
        _ => _lastCas.TryGetValue(r.Key!, out var v) ? v : CasRef.BogusValue,
    };

    public void Observe(byte[] key, ulong cas)
    {
        if (cas != 0) _lastCas[Convert.ToHexString(key)] = cas;
    }

    public void Forget(byte[] key) => _lastCas.Remove(Convert.ToHexString(key));

    /// <summary>
    /// The CAS as "#i": its first-seen index among the CAS values this server returned for <paramref name="key"/>.
    /// Numbered per key (not globally): the node's CAS counters are per shard, so different keys may share a value,
    /// which memcached's global counter never does. That difference is pinned by its own test
    /// (<c>McCasTests.CasValues_AreUniqueAcrossKeys</c>) instead of making every later reply here mismatch.
    /// </summary>
    public string NormCas(byte[]? key, ulong cas)
    {
        if (cas == 0) return "0";
        var k = key == null ? "?" : Convert.ToHexString(key);
        if (!_casIndex.TryGetValue(k, out var map)) _casIndex[k] = map = new Dictionary<ulong, int>();
        if (!map.TryGetValue(cas, out var i)) map[cas] = i = map.Count;
        return "#" + i;
    }

    /// <summary>Forget all CAS state (after the pool keys were deleted on both servers).</summary>
    public void Reset()
    {
        _casIndex = new Dictionary<string, Dictionary<ulong, int>>();
        _lastCas.Clear();
    }
}

/// <summary>Turns raw replies into comparable strings (CAS by pattern, version by shape, stats by relied-on names).</summary>
public static class McNormalize
{
    /// <summary>Stat names the tests rely on; both servers must report each of them.</summary>
    public static readonly string[] ReliedStats =
    {
        "pid", "uptime", "time", "version", "curr_connections", "total_connections", "cmd_get", "cmd_set", "get_hits",
        "get_misses", "curr_items", "total_items", "bytes", "limit_maxbytes", "threads",
    };

    private static readonly Regex VersionShape = new(@"^\d+\.\d+\.\d+\S*$");

    private static readonly Regex PaddedDigits = new(@"^([0-9]+) *$");

    /// <summary>
    /// "17" and "17  " (digits, then any spaces) both as "17␣*", so in-place (space-padded) and reallocated incr/decr
    /// results compare equal.
    /// </summary>
    public static string? PaddedNumber(byte[] data)
    {
        if (data.Length == 0 || data.Length > 40 || data[0] is < (byte)'0' or > (byte)'9') return null;
        var m = PaddedDigits.Match(Encoding.ASCII.GetString(data));
        return m.Success ? m.Groups[1].Value + "␣*" : null;
    }

    public static List<string> Binary(IEnumerable<McFrame> frames, McSideState side, McRequest req)
    {
        var result = new List<string>();
        HashSet<string>? stats = null;
        foreach (var f in frames)
        {
            var key = req.OpaqueKeys.GetValueOrDefault(f.Opaque);
            if (key != null) side.Observe(key, f.Cas);
            if (f.Opcode == Op.Stat && f.Status == St.Ok && f.Key.Length > 0)
            {
                stats ??= new HashSet<string>();
                stats.Add(f.KeyText);
                continue;
            }
            if (stats != null)
            {
                result.Add("STATS{" + string.Join(",", ReliedStats.Where(stats.Contains)) + "}");
                stats = null;
            }
            var value = f.Opcode == Op.Version && f.Status == St.Ok
                ? (VersionShape.IsMatch(f.ValueText) ? "<version>" : "<bad version '" + Esc.Bytes(f.Value) + "'>")
                : PaddedNumber(f.Value) is { } num ? num : Esc.Bytes(f.Value, 200);
            result.Add($"{f.Magic:x2} {Op.Name(f.Opcode)} status=0x{f.Status:x4} dt={f.DataType} opaque={f.Opaque} cas={side.NormCas(key, f.Cas)}" +
                       $" ext={Convert.ToHexString(f.Extras)} key='{Esc.Bytes(f.Key, 80)}' value='{value}'" + (f.Value.Length > 200 ? $" len={f.Value.Length}" : ""));
        }
        if (stats != null) result.Add("STATS{" + string.Join(",", ReliedStats.Where(stats.Contains)) + "}(unterminated)");
        return result;
    }

    public static List<string> Text(IEnumerable<McTextItem> items, McSideState side, McRequest req)
    {
        var result = new List<string>();
        HashSet<string>? stats = null;
        foreach (var item in items)
        {
            var t = item.LineText.Split(' ');
            if (item.Data == null && t.Length == 3 && t[0] == "STAT")
            {
                stats ??= new HashSet<string>();
                stats.Add(t[1]);
                continue;
            }
            if (stats != null)
            {
                result.Add("STATS{" + string.Join(",", ReliedStats.Where(stats.Contains)) + "}");
                stats = null;
            }
            string line;
            if (item.Data != null && PaddedNumber(item.Data) != null)
            {
                // memcached's incr/decr rewrites a number in place, space-padded to the old length, only when nothing
                // else holds the item at that instant; which form a get then shows is not deterministic in memcached.
                if (t[0] == "VALUE" && t.Length >= 4) t[3] = "<n>";
                else if (t[0] == "VA") t[1] = "<n>";
            }
            if (t[0] == "VALUE" && t.Length == 5 && ulong.TryParse(t[4], out var cas))
            {
                var vkey = Encoding.UTF8.GetBytes(t[1]);
                side.Observe(vkey, cas);
                line = string.Join(' ', t[..4]) + " " + side.NormCas(vkey, cas);
            }
            else if (t[0] == "VERSION" && t.Length == 2 && item.Data == null)
            {
                line = VersionShape.IsMatch(t[1]) ? "VERSION <version>" : item.LineText;
            }
            else if (t[0] is "VA" or "HD" or "EN" or "NF" or "NS" or "EX")
            {
                var parts = new List<string> { t[0] };
                for (var i = 1; i < t.Length; i++)
                {
                    var tok = t[i];
                    if (t[0] == "VA" && i == 1) parts.Add(tok);
                    else if (tok.Length > 1 && tok[0] == 'c' && ulong.TryParse(tok[1..], out var c))
                    {
                        if (req.Key != null) side.Observe(req.Key, c);
                        parts.Add("c" + side.NormCas(req.Key, c));
                    }
                    else if (tok.Length > 1 && tok[0] == 't' && long.TryParse(tok[1..], out var ttl) && ttl > 0) parts.Add("t<positive>");
                    else if (tok.Length > 1 && tok[0] == 'l' && long.TryParse(tok[1..], out _)) parts.Add("l<n>");
                    // a counter's size and "fetched" bit depend on whether memcached's last incr/decr rewrote it in place
                    else if (tok.Length > 1 && tok[0] is 's' or 'h' && req.Key != null && McTextGenerator.CounterWireKeys.Contains(Encoding.UTF8.GetString(req.Key)))
                        parts.Add(tok[0] + "<n>");
                    else parts.Add(tok);
                }
                line = string.Join(' ', parts);
            }
            else line = item.Data != null ? Esc.Text(string.Join(' ', t), 300) : Esc.Bytes(item.Line, 300);
            result.Add(item.Data == null ? line : line + " <" + (PaddedNumber(item.Data) ?? Esc.Bytes(item.Data, 200)) + ">" + (item.Data.Length > 200 ? $" len={item.Data.Length}" : ""));
        }
        if (stats != null) result.Add("STATS{" + string.Join(",", ReliedStats.Where(stats.Contains)) + "}(unterminated)");
        return result;
    }
}
