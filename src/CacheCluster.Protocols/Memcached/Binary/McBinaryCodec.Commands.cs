using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>Per-opcode decoding of a complete, well-shaped frame into commands (memcached's process_bin_*).</summary>
public sealed partial class McBinaryCodec
{
    const int MaxExtras = 20; // incr/decr: delta(8) initial(8) expiration(4); the shape checks bound the rest

    void Decode(McBinaryOpcode loud, in McBinaryHeader h, in ReadOnlySequence<byte> body, in Targets t, ref McRequest req)
    {
        Span<byte> extras = stackalloc byte[MaxExtras];
        body.Slice(0, h.ExtrasLength).CopyTo(extras);
        ReadOnlySequence<byte> key = body.Slice(h.ExtrasLength, h.KeyLength);

        switch (loud)
        {
            case McBinaryOpcode.Get:
            case McBinaryOpcode.GetK:
                Keyed(Op.McGet, in key, in t, ref req);
                break;
            case McBinaryOpcode.Gat:
            case McBinaryOpcode.GatK:
                Keyed(Op.McGat, in key, in t, ref req).Int1 = Expiry(extras, t.Clock);
                break;
            case McBinaryOpcode.Touch:
                Keyed(Op.McTouch, in key, in t, ref req).Int1 = Expiry(extras, t.Clock);
                break;
            case McBinaryOpcode.Set:
            case McBinaryOpcode.Add:
            case McBinaryOpcode.Replace:
            case McBinaryOpcode.Append:
            case McBinaryOpcode.Prepend:
                DecodeStore(loud, in h, extras, in body, in key, in t, ref req);
                break;
            case McBinaryOpcode.Delete:
                Keyed(Op.McDelete, in key, in t, ref req).Cas = h.Cas;
                break;
            case McBinaryOpcode.Increment:
            case McBinaryOpcode.Decrement:
                DecodeIncr(loud, in h, extras, in key, in t, ref req);
                break;
            case McBinaryOpcode.Flush:
                DecodeFlush(h.ExtrasLength == 4 ? BinaryPrimitives.ReadUInt32BigEndian(extras) : 0, in t, ref req);
                break;
            case McBinaryOpcode.Noop:
                Local(McLocal.Noop, ref req);
                break;
            case McBinaryOpcode.Version:
                Local(McLocal.Version, ref req);
                break;
            case McBinaryOpcode.Quit:
                Local(McLocal.Quit, ref req);
                req.CloseAfter = true;
                break;
            case McBinaryOpcode.Stat:
                string? group = h.KeyLength == 0 ? null : Encoding.Latin1.GetString(key);
                if (group is null or "settings" or "items" or "slabs" or "sizes" or "conns" or "reset" || group.StartsWith("detail", StringComparison.Ordinal))
                {
                    Local(McLocal.Stats, ref req);
                    req.Group = group;
                }
                else Fail(ref req, McBinaryStatus.KeyNotFound, McBinaryStatusText.NotFound); // memcached: unknown group
                break;
            default:
                throw new InvalidOperationException($"Opcode 0x{(byte)loud:x2} passed the shape checks but has no decoder.");
        }
    }

    /// <summary>SET/ADD/REPLACE (flags + expiration extras) and APPEND/PREPEND (no extras).</summary>
    void DecodeStore(McBinaryOpcode loud, in McBinaryHeader h, ReadOnlySpan<byte> extras, in ReadOnlySequence<byte> body,
        in ReadOnlySequence<byte> key, in Targets t, ref McRequest req)
    {
        long valueLength = h.ValueLength;
        // memcached limits the whole item (header, key, flags, data, CAS), not just the value
        uint flags = loud is McBinaryOpcode.Append or McBinaryOpcode.Prepend ? 0 : BinaryPrimitives.ReadUInt32BigEndian(extras);
        if (MemcachedItem.Size(h.KeyLength, flags, valueLength) > _maxItemSize)
        {
            TooLarge(loud, in key, in t, ref req);
            return;
        }
        ref Command c = ref Keyed(Op.McStore, in key, in t, ref req);
        c.Value = CopyValue(body.Slice(h.ExtrasLength + h.KeyLength));
        c.Cas = h.Cas;
        switch (loud)
        {
            case McBinaryOpcode.Append:
                c.Options = CommandOptions.Append;
                c.Int2 = _maxItemSize; // the grown item must still fit
                return;
            case McBinaryOpcode.Prepend:
                c.Options = CommandOptions.Prepend;
                c.Int2 = _maxItemSize;
                return;
        }
        c.Flags = BinaryPrimitives.ReadUInt32BigEndian(extras);
        c.Int1 = Expiry(extras[4..], t.Clock);
        // a CAS turns any of set/add/replace into a plain compare-and-swap (NREAD_CAS)
        if (h.Cas == 0)
            c.Options = loud == McBinaryOpcode.Add ? CommandOptions.Nx : loud == McBinaryOpcode.Replace ? CommandOptions.Xx : CommandOptions.None;
    }

    /// <summary>
    /// A value over the item size limit: "Too large.". For SET memcached also unlinks the old item
    /// ("Avoid stale data persisting in cache because we failed alloc"), so a delete is sent whose
    /// reply is ignored; the request keeps the status for <see cref="Write"/>.
    /// </summary>
    static void TooLarge(McBinaryOpcode loud, in ReadOnlySequence<byte> key, in Targets t, ref McRequest req)
    {
        if (loud == McBinaryOpcode.Set) Keyed(Op.McDelete, in key, in t, ref req);
        else req.Kind = McRequestKind.Error;
        req.Status = (ushort)McBinaryStatus.TooLarge;
        req.ErrorText = McBinaryStatusText.TooLarge;
    }

    static void DecodeIncr(McBinaryOpcode loud, in McBinaryHeader h, ReadOnlySpan<byte> extras, in ReadOnlySequence<byte> key,
        in Targets t, ref McRequest req)
    {
        ref Command c = ref Keyed(Op.McIncr, in key, in t, ref req);
        c.Int1 = (long)BinaryPrimitives.ReadUInt64BigEndian(extras);       // delta, unsigned as bits
        c.Int2 = (long)BinaryPrimitives.ReadUInt64BigEndian(extras[8..]);  // initial, unsigned as bits
        uint expiration = BinaryPrimitives.ReadUInt32BigEndian(extras[16..]);
        c.Cas = h.Cas;
        var o = loud == McBinaryOpcode.Decrement ? CommandOptions.Decrement : CommandOptions.None;
        if (expiration != uint.MaxValue) // 0xffffffff: do not create a missing item
        {
            o |= CommandOptions.Create;
            c.Int3 = MemcachedTime.ToAbsoluteMs(expiration, t.Clock.NowMs);
        }
        c.Options = o;
    }

    /// <summary>FLUSH: now (every shard) or after a delay the node schedules; an absolute time becomes a delay.</summary>
    static void DecodeFlush(uint expiration, in Targets t, ref McRequest req)
    {
        long delay = expiration;
        if (expiration > MemcachedTime.RelativeLimitSeconds) delay = expiration - t.Clock.NowMs / 1000;
        if (delay > 0)
        {
            Local(McLocal.FlushDelayed, ref req);
            req.Number = delay;
            return;
        }
        req.Kind = McRequestKind.Data;
        for (int s = 0; s < t.Map.ShardCount; s++) t.Sink.Add(s).Op = Op.Flush;
    }

    /// <summary>Copies the key into the arena and appends a command on it, routed to the key's shard.</summary>
    static ref Command Keyed(Op op, in ReadOnlySequence<byte> key, in Targets t, ref McRequest req)
    {
        ReadOnlyMemory<byte> k = t.Arena.Memory(t.Arena.Append(key));
        req.Kind = McRequestKind.Data;
        req.Key = k;
        ref Command c = ref t.Sink.Add(t.Map.ShardOf(k.Span));
        c.Op = op;
        c.Key = k;
        return ref c;
    }

    static void Local(McLocal local, ref McRequest req)
    {
        req.Kind = McRequestKind.Local;
        req.Local = local;
    }

    /// <summary>A 4-byte big-endian expiration (unsigned, so never negative) as an absolute Unix ms time.</summary>
    static long Expiry(ReadOnlySpan<byte> field, IClock clock) =>
        MemcachedTime.ToAbsoluteMs(BinaryPrimitives.ReadUInt32BigEndian(field), clock.NowMs);

    /// <summary>The value as an owned, exact-size array.</summary>
    static byte[] CopyValue(in ReadOnlySequence<byte> value)
    {
        if (value.Length == 0) return Array.Empty<byte>();
        byte[] owned = GC.AllocateUninitializedArray<byte>(checked((int)value.Length));
        value.CopyTo(owned);
        return owned;
    }
}
