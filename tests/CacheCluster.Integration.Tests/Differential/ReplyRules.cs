using System.Globalization;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>
/// How the subject's reply is compared to the reference reply. Returns null when acceptable, else the reason.
/// Whenever either side is an error, every rule falls back to an exact comparison.
/// </summary>
public delegate string? ReplyRule(RespValue expected, RespValue actual);

public static class ReplyRules
{
    public static readonly ReplyRule Exact = (e, a) => e.Equals(a) ? null : "replies differ";

    private static ReplyRule WithErrorsExact(ReplyRule inner) => (e, a) =>
        e.IsError || a.IsError ? Exact(e, a) : inner(e, a);

    /// <summary>Same RESP type (and same null marker); the contents may differ (INFO, CLIENT LIST, MEMORY USAGE...).</summary>
    public static readonly ReplyRule SameKind = WithErrorsExact((e, a) =>
        e.Kind != a.Kind ? $"reply type differs ({e.Kind} vs {a.Kind})"
        : e.IsNull && e.NullMarker != a.NullMarker ? "null type differs"
        : null);

    /// <summary>Aggregate compared as a multiset (KEYS).</summary>
    public static readonly ReplyRule Unordered = WithErrorsExact((e, a) =>
    {
        if (e.Kind != a.Kind) return $"reply type differs ({e.Kind} vs {a.Kind})";
        if (!e.IsAggregate) return Exact(e, a);
        var left = e.Items!.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var right = a.Items!.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var missing = left.Where(kv => !right.TryGetValue(kv.Key, out var c) || c != kv.Value).Select(kv => kv.Key.ToString()).ToList();
        var extra = right.Where(kv => !left.ContainsKey(kv.Key)).Select(kv => kv.Key.ToString()).ToList();
        return missing.Count == 0 && extra.Count == 0 ? null : $"elements differ; missing/wrong-count: [{string.Join(", ", missing)}] extra: [{string.Join(", ", extra)}]";
    });

    /// <summary>Aggregate compared as a set (duplicates ignored) — SCAN full walks.</summary>
    public static readonly ReplyRule AsSet = WithErrorsExact((e, a) =>
    {
        if (e.Kind != a.Kind) return $"reply type differs ({e.Kind} vs {a.Kind})";
        var l = e.Items!.ToHashSet();
        var r = a.Items!.ToHashSet();
        return l.SetEquals(r) ? null : $"sets differ; missing: [{string.Join(", ", l.Except(r))}] extra: [{string.Join(", ", r.Except(l))}]";
    });

    /// <summary>Integers equal within a tolerance, but negative sentinels (-1 no TTL, -2 no key) must be exact.</summary>
    public static ReplyRule IntegerNear(long tolerance) => WithErrorsExact((e, a) =>
    {
        if (e.Kind != RespKind.Integer || a.Kind != RespKind.Integer) return Exact(e, a);
        if (e.Integer < 0 || a.Integer < 0) return e.Integer == a.Integer ? null : "sentinel values differ";
        return Math.Abs(e.Integer - a.Integer) <= tolerance ? null : $"differ by more than {tolerance}";
    });

    /// <summary>TIME: two bulk strings, seconds and microseconds, both numeric, seconds close to each other.</summary>
    public static readonly ReplyRule Time = WithErrorsExact((e, a) =>
    {
        if (a.Kind != RespKind.Array || a.Count != 2 || a[0].Kind != RespKind.Bulk || a[1].Kind != RespKind.Bulk) return "TIME must be an array of two bulk strings";
        if (!long.TryParse(a[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) || !long.TryParse(a[1].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var us)) return "TIME fields not numeric";
        if (us is < 0 or > 999_999) return "microseconds out of range";
        var es = long.Parse(e[0].Text, CultureInfo.InvariantCulture);
        return Math.Abs(es - s) <= 2 ? null : "seconds differ by more than 2";
    });

    /// <summary>HELLO: same reply type, same field names, same proto.</summary>
    public static readonly ReplyRule Hello = WithErrorsExact((e, a) =>
    {
        if (e.Kind != a.Kind) return $"reply type differs ({e.Kind} vs {a.Kind})";
        var ed = e.AsDictionary();
        var ad = a.AsDictionary();
        if (!ed.Keys.ToHashSet().SetEquals(ad.Keys)) return $"HELLO fields differ: [{string.Join(",", ed.Keys)}] vs [{string.Join(",", ad.Keys)}]";
        if (!ed["proto"].Equals(ad["proto"])) return "proto differs";
        if (!ed["mode"].Equals(ad["mode"]) || !ed["role"].Equals(ad["role"])) return "mode/role differ";
        return null;
    });

    /// <summary>OBJECT ENCODING: null vs null, otherwise one of the string encodings, and "int" exactly when Redis says "int".</summary>
    public static readonly ReplyRule StringEncoding = WithErrorsExact((e, a) =>
    {
        if (e.Kind != a.Kind) return $"reply type differs ({e.Kind} vs {a.Kind})";
        if (e.IsNull) return a.NullMarker == e.NullMarker ? null : "null type differs";
        var t = a.Text;
        if (t is not ("int" or "embstr" or "raw")) return $"'{t}' is not a string encoding";
        return null;
    });

    /// <summary>One SCAN page: [cursor, keys]; keys compared as a set, the cursor only for shape (its encoding is implementation-defined).</summary>
    public static readonly ReplyRule ScanPage = WithErrorsExact((e, a) =>
    {
        if (a.Kind != RespKind.Array || a.Count != 2 || a[0].Kind != RespKind.Bulk || a[1].Kind != RespKind.Array) return "SCAN reply must be [bulk cursor, array]";
        if (!ulong.TryParse(a[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return "cursor is not an unsigned integer";
        return AsSet(e[1], a[1]);
    });

    /// <summary>COMMAND INFO: per entry, name/arity/first/last/step exact, flags and ACL categories as sets (tips, key specs and subcommands are not compared).</summary>
    public static readonly ReplyRule CommandInfo = WithErrorsExact((e, a) =>
    {
        if (e.Kind != a.Kind) return "shape differs";
        if (e.Count != a.Count)
        {
            // COMMAND INFO without names lists every command: the servers implement different sets, so compare
            // the subject's commands against the reference's entries of the same name.
            var byName = e.Items!.Where(x => x.Kind == RespKind.Array && x.Count >= 6).ToDictionary(x => x[0].Text);
            var rows = new List<RespValue>();
            var refs = new List<RespValue>();
            foreach (var y in a.Items!)
            {
                if (y.Kind != RespKind.Array || y.Count < 6) return $"entry {y} is not a command info array";
                if (!byName.TryGetValue(y[0].Text, out var x)) return $"command '{y[0].Text}' is unknown to redis-server";
                rows.Add(y);
                refs.Add(x);
            }
            e = RespValue.Arr(refs);
            a = RespValue.Arr(rows);
        }
        var problems = new List<string>();
        for (var i = 0; i < e.Count; i++)
        {
            var x = e[i];
            var y = a[i];
            if (x.IsNull || y.IsNull) { if (!x.Equals(y)) problems.Add($"entry {i} null-ness differs"); continue; }
            if (y.Kind != RespKind.Array || y.Count < 6) { problems.Add($"entry {i} is not a command info array"); continue; }
            foreach (var f in new[] { 0, 1, 3, 4, 5 })
                if (!x[f].Equals(y[f])) problems.Add($"'{x[0].Text}' field {f} differs ({x[f]} vs {y[f]})");
            if (x[2].Kind != y[2].Kind || !x[2].Items!.ToHashSet().SetEquals(y[2].Items!)) problems.Add($"'{x[0].Text}' flags differ ({x[2]} vs {y[2]})");
            if (x.Count > 6 && (y.Count <= 6 || x[6].Kind != y[6].Kind || !x[6].Items!.ToHashSet().SetEquals(y[6].Items!)))
                problems.Add($"'{x[0].Text}' ACL categories differ ({x[6]} vs {(y.Count > 6 ? y[6].ToString() : "missing")})");
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    });
}
