using System.Text;

namespace CacheCluster.Integration.Tests.Infrastructure;

public enum RespKind
{
    SimpleString, // +
    Error,        // -  (also RESP3 blob error '!', see BlobError)
    Integer,      // :
    Bulk,         // $
    Null,         // $-1, *-1 (RESP2) or _ (RESP3); NullMarker tells which
    Array,        // *
    Map,          // %
    Set,          // ~
    Double,       // ,
    Boolean,      // #
    Verbatim,     // =
    BigNumber,    // (
    Push,         // >
    BlobError,    // !
    Attribute,    // |
}

/// <summary>One complete RESP2/RESP3 reply as a tree.</summary>
public sealed class RespValue : IEquatable<RespValue>
{
    public RespKind Kind { get; }
    /// <summary>Payload for simple/error/bulk/verbatim/double/bignum (raw bytes, for verbatim includes the "txt:" prefix).</summary>
    public byte[]? Bytes { get; }
    public long Integer { get; }
    public bool Boolean { get; }
    /// <summary>Children for array/set/push; for map/attribute alternating key,value.</summary>
    public IReadOnlyList<RespValue>? Items { get; }
    /// <summary>For Null: the type marker that was on the wire: '$', '*' or '_'.</summary>
    public char NullMarker { get; }

    private RespValue(RespKind kind, byte[]? bytes = null, long integer = 0, bool boolean = false, IReadOnlyList<RespValue>? items = null, char nullMarker = '\0')
    {
        Kind = kind; Bytes = bytes; Integer = integer; Boolean = boolean; Items = items; NullMarker = nullMarker;
    }

    public static RespValue Simple(byte[] b) => new(RespKind.SimpleString, b);
    public static RespValue Simple(string s) => new(RespKind.SimpleString, Encoding.UTF8.GetBytes(s));
    public static RespValue Err(byte[] b) => new(RespKind.Error, b);
    public static RespValue Err(string s) => new(RespKind.Error, Encoding.UTF8.GetBytes(s));
    public static RespValue BlobErr(byte[] b) => new(RespKind.BlobError, b);
    public static RespValue Int(long v) => new(RespKind.Integer, integer: v);
    public static RespValue Bulk(byte[] b) => new(RespKind.Bulk, b);
    public static RespValue Bulk(string s) => new(RespKind.Bulk, Encoding.UTF8.GetBytes(s));
    public static RespValue Nil(char marker) => new(RespKind.Null, nullMarker: marker);
    public static RespValue Arr(IReadOnlyList<RespValue> items) => new(RespKind.Array, items: items);
    public static RespValue MapOf(IReadOnlyList<RespValue> kv) => new(RespKind.Map, items: kv);
    public static RespValue SetOf(IReadOnlyList<RespValue> items) => new(RespKind.Set, items: items);
    public static RespValue PushOf(IReadOnlyList<RespValue> items) => new(RespKind.Push, items: items);
    public static RespValue AttributeOf(IReadOnlyList<RespValue> kv) => new(RespKind.Attribute, items: kv);
    public static RespValue Dbl(byte[] raw) => new(RespKind.Double, raw);
    public static RespValue Bool(bool b) => new(RespKind.Boolean, boolean: b);
    public static RespValue Verbatim(byte[] raw) => new(RespKind.Verbatim, raw);
    public static RespValue BigNum(byte[] raw) => new(RespKind.BigNumber, raw);

    public bool IsError => Kind is RespKind.Error or RespKind.BlobError;
    public bool IsNull => Kind == RespKind.Null;
    public bool IsAggregate => Kind is RespKind.Array or RespKind.Map or RespKind.Set or RespKind.Push or RespKind.Attribute;

    /// <summary>Text of a string-ish reply (simple, error, bulk, verbatim without the 4-byte format prefix, double, bignum).</summary>
    public string Text => Kind switch
    {
        RespKind.Verbatim when Bytes!.Length >= 4 && Bytes[3] == (byte)':' => Encoding.UTF8.GetString(Bytes, 4, Bytes.Length - 4),
        RespKind.Integer => Integer.ToString(),
        RespKind.Boolean => Boolean ? "true" : "false",
        _ when Bytes != null => Encoding.UTF8.GetString(Bytes),
        _ => throw new InvalidOperationException($"reply {this} has no text"),
    };

    /// <summary>Payload bytes for string-like values (verbatim without its prefix).</summary>
    public byte[] Payload => Kind == RespKind.Verbatim && Bytes!.Length >= 4 ? Bytes[4..] : Bytes ?? throw new InvalidOperationException($"reply {this} has no payload");

    public RespValue this[int i] => Items![i];
    public int Count => Items?.Count ?? 0;

    /// <summary>For Map replies (or RESP2 flat arrays of pairs): key→value by key text.</summary>
    public Dictionary<string, RespValue> AsDictionary()
    {
        var d = new Dictionary<string, RespValue>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < Count; i += 2) d[Items![i].Text] = Items[i + 1];
        return d;
    }

    public bool Equals(RespValue? other)
    {
        if (other is null || other.Kind != Kind) return false;
        switch (Kind)
        {
            case RespKind.Integer: return Integer == other.Integer;
            case RespKind.Boolean: return Boolean == other.Boolean;
            case RespKind.Null: return NullMarker == other.NullMarker;
            default:
                if (Items != null || other.Items != null)
                {
                    if (Items == null || other.Items == null || Items.Count != other.Items.Count) return false;
                    for (var i = 0; i < Items.Count; i++) if (!Items[i].Equals(other.Items[i])) return false;
                    return true;
                }
                return Bytes.AsSpan().SequenceEqual(other.Bytes);
        }
    }

    public override bool Equals(object? obj) => Equals(obj as RespValue);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Kind);
        h.Add(Integer);
        h.Add(Boolean);
        h.Add(NullMarker);
        if (Bytes != null) h.AddBytes(Bytes);
        if (Items != null) foreach (var i in Items) h.Add(i.GetHashCode());
        return h.ToHashCode();
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        Render(sb, 0);
        return sb.ToString();
    }

    private void Render(StringBuilder sb, int depth)
    {
        if (depth > 0 && sb.Length > 4000) { sb.Append('…'); return; }
        switch (Kind)
        {
            case RespKind.SimpleString: sb.Append('+').Append(Escape(Bytes!)); break;
            case RespKind.Error: sb.Append('-').Append(Escape(Bytes!)); break;
            case RespKind.BlobError: sb.Append('!').Append(Escape(Bytes!)); break;
            case RespKind.Integer: sb.Append(':').Append(Integer); break;
            case RespKind.Bulk: sb.Append('"').Append(Escape(Bytes!)).Append('"'); break;
            case RespKind.Null: sb.Append("(nil").Append(NullMarker).Append(')'); break;
            case RespKind.Double: sb.Append(',').Append(Escape(Bytes!)); break;
            case RespKind.Boolean: sb.Append(Boolean ? "#t" : "#f"); break;
            case RespKind.Verbatim: sb.Append("=\"").Append(Escape(Bytes!)).Append('"'); break;
            case RespKind.BigNumber: sb.Append('(').Append(Escape(Bytes!)); break;
            default:
                var (open, close) = Kind switch
                {
                    RespKind.Array => ("[", "]"),
                    RespKind.Set => ("~{", "}"),
                    RespKind.Push => (">[", "]"),
                    RespKind.Map => ("%{", "}"),
                    _ => ("|{", "}"),
                };
                sb.Append(open);
                for (var i = 0; i < Items!.Count; i++)
                {
                    if (i > 0) sb.Append((Kind is RespKind.Map or RespKind.Attribute) && i % 2 == 1 ? ": " : ", ");
                    if (sb.Length > 4000) { sb.Append($"…(+{Items.Count - i} more)"); break; }
                    Items[i].Render(sb, depth + 1);
                }
                sb.Append(close);
                break;
        }
    }

    public static string Escape(byte[] b)
    {
        var sb = new StringBuilder();
        var max = Math.Min(b.Length, 300);
        for (var i = 0; i < max; i++)
        {
            var c = b[i];
            switch (c)
            {
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                default:
                    if (c < 0x20 || c >= 0x7f) sb.Append($"\\x{c:x2}"); else sb.Append((char)c);
                    break;
            }
        }
        if (b.Length > max) sb.Append($"…({b.Length} bytes)");
        return sb.ToString();
    }
}
