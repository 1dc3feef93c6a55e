using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    // memcached 1.6.18: the dispatcher checked the token count; "noreply" (the last token) then
    // silences every answer, errors included.

    /// <summary><c>incr|decr &lt;key&gt; &lt;delta&gt; [noreply]</c>: unsigned 64-bit, a missing item is NOT_FOUND.</summary>
    McRequest DecodeArithmetic(scoped ref Ctx c, bool decrement)
    {
        bool noreply = c.Tokens.LastIsNoreply(c.Line);
        var key = c.Token(1);
        if (key.Length > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, noreply);
        if (!McNumbers.SafeStrToU64(c.Token(2), out ulong delta)) return Fail(McTextErrors.InvalidDelta, noreply);
        ref var cmd = ref c.Add(Op.McIncr, key);
        cmd.Int1 = unchecked((long)delta);
        if (decrement) cmd.Options = CommandOptions.Decrement;
        return Data(McTextOp.Incr, noreply);
    }

    /// <summary><c>touch &lt;key&gt; &lt;exptime&gt; [noreply]</c>.</summary>
    McRequest DecodeTouch(scoped ref Ctx c)
    {
        bool noreply = c.Tokens.LastIsNoreply(c.Line);
        var key = c.Token(1);
        if (key.Length > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, noreply);
        if (!McNumbers.SafeStrToI32(c.Token(2), out int exptime)) return Fail(McTextErrors.InvalidExptime, noreply);
        c.Add(Op.McTouch, key).Int1 = c.Expiry(exptime);
        return Data(McTextOp.Touch, noreply);
    }

    /// <summary>
    /// <c>delete &lt;key&gt; [noreply]</c>, and the legacy <c>delete &lt;key&gt; 0 [noreply]</c>; any other
    /// argument is memcached's usage error.
    /// </summary>
    McRequest DecodeDelete(scoped ref Ctx c)
    {
        int n = c.Tokens.N;
        bool noreply = false;
        if (n > 3)
        {
            bool holdIsZero = c.Token(2).SequenceEqual("0"u8);
            noreply = c.Tokens.LastIsNoreply(c.Line);
            bool valid = (n == 4 && (holdIsZero || noreply)) || (n == 5 && holdIsZero && noreply);
            if (!valid) return Fail(McTextErrors.DeleteUsage, noreply);
        }
        var key = c.Token(1);
        if (key.Length > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, noreply);
        c.Add(Op.McDelete, key);
        return Data(McTextOp.Delete, noreply);
    }
}
