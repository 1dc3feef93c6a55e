using CacheCluster.Core;

namespace CacheCluster.Storage;

/// <summary>Generic key commands: expiry, introspection, rename/copy, whole-shard walks.</summary>
public sealed partial class CommandExecutor
{
    Reply Expire(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: false);
        if (h < 0) return Reply.Int(0);
        long current = store.ExpiresAtOf(h); // 0 = no expiry, i.e. infinite
        long when = c.Int1;
        var o = c.Options;
        if ((o & CommandOptions.Nx) != 0 && current != 0) return Reply.Int(0);
        if ((o & CommandOptions.Xx) != 0 && current == 0) return Reply.Int(0);
        if ((o & CommandOptions.Gt) != 0 && (current == 0 || when <= current)) return Reply.Int(0);
        if ((o & CommandOptions.Lt) != 0 && current != 0 && when >= current) return Reply.Int(0);
        if (when <= store.NowMs) store.Remove(h);
        else store.SetExpiry(h, when);
        return Reply.Int(1);
    }

    Reply Persist(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: false);
        if (h < 0 || store.ExpiresAtOf(h) == 0) return Reply.Int(0);
        store.SetExpiry(h, 0);
        return Reply.Int(1);
    }

    Reply Ttl(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0) return Reply.Int(-2);
        long expiresAt = store.ExpiresAtOf(h);
        if (expiresAt == 0) return Reply.Int(-1);
        var mode = (TtlMode)c.Int1;
        bool absolute = mode is TtlMode.AbsoluteSeconds or TtlMode.AbsoluteMilliseconds;
        long ms = absolute ? expiresAt : Math.Max(0, expiresAt - store.NowMs);
        bool inMs = mode is TtlMode.Milliseconds or TtlMode.AbsoluteMilliseconds;
        return Reply.Int(inMs ? ms : (ms + 500) / 1000);
    }

    Reply Type(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        return Reply.Status(h < 0 ? "none" : TypeName(store.KindOf(h)));
    }

    static readonly byte[] StringTypeName = "string"u8.ToArray();

    static byte[] TypeNameBytes(ValueKind kind) => kind switch
    {
        ValueKind.String => StringTypeName,
        _ => [],
    };

    public static string TypeName(ValueKind kind) => kind switch
    {
        ValueKind.String => "string",
        _ => "none",
    };

    Reply ObjectEncoding(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0) return Reply.Nil;
        var v = store.StringOf(h);
        // Redis: integers that fit a long are "int", short strings "embstr", the rest "raw"
        string enc = v.Length <= 20 && RedisNumbers.TryParseInt64(v, out _) ? "int" : v.Length <= 44 ? "embstr" : "raw";
        return Reply.Value(System.Text.Encoding.ASCII.GetBytes(enc));
    }

    Reply ObjectRefCount(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0) return Reply.Nil;
        // Redis shares small integer objects (0..9999) unless an LRU policy needs per-key access times
        bool shared = (store.MaxMemoryBytes == 0 || store.Policy == EvictionPolicy.NoEviction) && RedisNumbers.TryParseInt64(store.StringOf(h), out long n) && n >= 0 && n < 10000;
        return Reply.Int(shared ? int.MaxValue : 1);
    }

    Reply ObjectIdleTime(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0) return Reply.Nil;
        return Reply.Int(Math.Max(0, store.NowMs - store.LastAccessOf(h)) / 1000);
    }

    Reply ObjectFreq(ref Command c)
    {
        int h = Read(c.Key.Span, touch: false);
        if (h < 0) return Reply.Nil;
        return Reply.Fail(ErrorCode.LfuNotSelected);
    }

    Reply MemoryUsage(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: false);
        return h < 0 ? Reply.Nil : Reply.Int(store.SizeOf(h));
    }

    Reply Dump(ref Command c)
    {
        int h = store.Find(c.Key.Span, touch: false);
        if (h < 0) return Reply.Nil;
        if (!IsString(h)) return Reply.Fail(ErrorCode.WrongType);
        return new Reply
        {
            Kind = ReplyKind.Entry,
            Extra = new EntrySnapshot { Value = store.StringOf(h), Flags = store.FlagsOf(h), ExpiresAtMs = store.ExpiresAtOf(h) },
        };
    }

    Reply Restore(ref Command c)
    {
        var e = (EntrySnapshot)c.Extra!;
        int h = store.Find(c.Key.Span, touch: false);
        if ((c.Options & CommandOptions.Nx) != 0 && h >= 0) return Reply.Int(0);
        WriteString(c.Key.Span, h, e.Value, e.Flags, e.ExpiresAtMs);
        return Reply.Int(1);
    }

    Reply RenameLocal(ref Command c)
    {
        bool nx = (c.Options & CommandOptions.Nx) != 0;
        int src = store.Find(c.Key.Span, touch: false);
        if (src < 0) return Reply.Fail(ErrorCode.NoSuchKey);
        if (c.Key.Span.SequenceEqual(c.Key2.Span)) return nx ? Reply.Int(0) : Reply.Ok;
        int dst = store.Find(c.Key2.Span, touch: false);
        if (nx && dst >= 0) return Reply.Int(0);
        var kind = store.KindOf(src);
        var value = store.ValueOf(src);
        long size = store.SizeOf(src) - store.KeyOf(src).Length - CacheStore.EntryOverhead;
        uint flags = store.FlagsOf(src);
        long expiresAt = store.ExpiresAtOf(src);
        store.Remove(src);
        store.Set(c.Key2.Span, kind, value, size, flags, expiresAt);
        return nx ? Reply.Int(1) : Reply.Ok;
    }

    Reply CopyLocal(ref Command c)
    {
        int src = store.Find(c.Key.Span, touch: false);
        if (src < 0) return Reply.Int(0);
        int dst = store.Find(c.Key2.Span, touch: false);
        if (dst >= 0 && (c.Options & CommandOptions.Replace) == 0) return Reply.Int(0);
        // stored strings are immutable, so both keys can share one array
        store.Set(c.Key2.Span, store.StringOf(src), store.FlagsOf(src), store.ExpiresAtOf(src));
        return Reply.Int(1);
    }

    Reply Keys(ref Command c)
    {
        var keys = new List<byte[]>();
        var pattern = c.Pattern.Span;
        bool all = pattern.Length == 1 && pattern[0] == (byte)'*';
        long cursor = 0;
        do
        {
            _handles.Clear();
            cursor = store.Scan(cursor, 1024, _handles);
            foreach (int h in _handles)
            {
                if (all || Glob.Match(pattern, store.KeyOf(h))) keys.Add(store.KeyArrayOf(h));
            }
        } while (cursor != 0);
        return new Reply { Kind = ReplyKind.Keys, Extra = keys };
    }

    Reply Scan(ref Command c)
    {
        _handles.Clear();
        long next = store.Scan(c.Int1, (int)Math.Min(c.Int2, int.MaxValue), _handles);
        var keys = new List<byte[]>(_handles.Count);
        var pattern = c.Pattern.Span;
        bool match = (c.Options & CommandOptions.HasPattern) != 0;
        bool typeFilter = (c.Options & CommandOptions.TypeFilter) != 0;
        foreach (int h in _handles)
        {
            if (match && !Glob.Match(pattern, store.KeyOf(h))) continue;
            if (typeFilter && !TypeNameBytes(store.KindOf(h)).AsSpan().SequenceEqual(c.Value))
                continue;
            keys.Add(store.KeyArrayOf(h));
        }
        return new Reply { Kind = ReplyKind.ScanPage, Integer = next, Extra = keys };
    }

    Reply RandomKey()
    {
        int h = store.RandomEntry();
        return h < 0 ? Reply.Nil : Reply.Value(store.KeyArrayOf(h));
    }
}
