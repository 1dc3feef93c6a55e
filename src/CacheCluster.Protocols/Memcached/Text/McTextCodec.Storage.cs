using System.Buffers;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    enum StoreKind : byte { Set, Add, Replace, Append, Prepend, Cas }

    /// <summary>
    /// <c>set|add|replace|append|prepend &lt;key&gt; &lt;flags&gt; &lt;exptime&gt; &lt;bytes&gt; [noreply]</c> and
    /// <c>cas &lt;key&gt; &lt;flags&gt; &lt;exptime&gt; &lt;bytes&gt; &lt;cas unique&gt; [noreply]</c>, then the data block
    /// (the token count was checked by the dispatcher). As memcached 1.6.18's process_update_command:
    /// a malformed line is refused alone (its data block is then read as the next command line), a
    /// value over the item size limit is refused and its block discarded, and a block not ending in
    /// CRLF is "bad data chunk". noreply silences every answer.
    /// </summary>
    McParseStatus DecodeStorage(scoped ref Ctx c, StoreKind kind, out McRequest req)
    {
        bool noreply = c.Tokens.LastIsNoreply(c.Line);
        var key = c.Token(1);
        if (key.Length > McCodecOptions.MaxKeyLength
            || !McNumbers.SafeStrToU32(c.Token(2), out uint flags)
            || !McNumbers.SafeStrToI32(c.Token(3), out int exptime)
            || !McNumbers.SafeStrToI32(c.Token(4), out int vlen))
            return Done(ref c, out req, Fail(McTextErrors.BadFormat, noreply));
        ulong cas = 0;
        if (kind == StoreKind.Cas && !McNumbers.SafeStrToU64(c.Token(5), out cas))
            return Done(ref c, out req, Fail(McTextErrors.BadFormat, noreply));
        if (vlen < 0 || vlen > int.MaxValue - 2)
            return Done(ref c, out req, Fail(McTextErrors.BadFormat, noreply));
        long block = (long)vlen + 2;

        if (TooLarge(key.Length, flags, vlen))
        {
            // memcached unlinks the old item of a set that cannot be stored, so no stale value survives
            if (kind == StoreKind.Set)
            {
                c.Add(Op.McDelete, key);
                return Reject(ref c, block, out req, FixedError(McTextErrors.TooLarge, noreply));
            }
            return Reject(ref c, block, out req, Fail(McTextErrors.TooLarge, noreply));
        }

        long total = c.Length + block;
        if (c.Input.Length < total) { req = default; return McParseStatus.Incomplete; }

        var data = c.Input.Slice(c.Length, vlen);
        if (!EndsWithCrLf(c.Input.Slice(c.Length + vlen, 2)))
        {
            c.Consumed = total;
            req = Fail(McTextErrors.BadDataChunk, noreply);
            return McParseStatus.Complete;
        }

        ref var cmd = ref c.Add(Op.McStore, key);
        cmd.Value = CopyValue(data, vlen);
        cmd.Flags = flags;
        cmd.Int1 = c.Expiry(exptime);
        cmd.Cas = cas;
        cmd.Options = kind switch
        {
            StoreKind.Add => CommandOptions.Nx,
            StoreKind.Replace => CommandOptions.Xx,
            StoreKind.Append => CommandOptions.Append,
            StoreKind.Prepend => CommandOptions.Prepend,
            _ => CommandOptions.None,
        };
        // append/prepend: the grown item must still fit the item size limit (checked where the old value is)
        if (kind is StoreKind.Append or StoreKind.Prepend) cmd.Int2 = _options.MaxItemSize;
        c.Consumed = total;
        req = Data(McTextOp.Store, noreply);
        return McParseStatus.Complete;
    }

    static bool EndsWithCrLf(ReadOnlySequence<byte> two)
    {
        Span<byte> b = stackalloc byte[2];
        two.CopyTo(b);
        return b[0] == (byte)'\r' && b[1] == (byte)'\n';
    }

    /// <summary>A stored value: an exact-size array the store owns.</summary>
    static byte[] CopyValue(ReadOnlySequence<byte> data, int length)
    {
        if (length == 0) return [];
        var value = GC.AllocateUninitializedArray<byte>(length);
        data.CopyTo(value);
        return value;
    }
}
