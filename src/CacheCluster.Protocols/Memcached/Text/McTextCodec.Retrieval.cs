using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    /// <summary>
    /// <c>get|gets|bget &lt;key&gt;*</c> and <c>gat|gats &lt;exptime&gt; &lt;key&gt;*</c>: one McGet/McGat per key, in
    /// order, any number of keys. Like memcached, a key over 250 bytes stops the request there: the
    /// keys before it were still fetched (and touched), but the whole answer is
    /// "CLIENT_ERROR bad command line format". Retrieval has no noreply ("noreply" is just a key).
    /// </summary>
    McRequest DecodeGet(scoped ref Ctx c, McTextOp op)
    {
        bool touch = op is McTextOp.Gat or McTextOp.Gats;
        long expiresAt = 0;
        if (touch)
        {
            if (!McNumbers.SafeStrToI32(c.Token(1), out int exptime)) return Fail(McTextErrors.InvalidExptime, quiet: false);
            expiresAt = c.Expiry(exptime);
        }

        int firstKey = touch ? 2 : 1;
        var keys = c.Tokens.Count > firstKey ? c.Line[c.Tokens.Start(firstKey)..] : default;
        var opCode = touch ? Op.McGat : Op.McGet;
        while (!keys.IsEmpty)
        {
            if (keys[0] == (byte)' ') { keys = keys[1..]; continue; }
            int end = keys.IndexOf((byte)' ');
            var key = end < 0 ? keys : keys[..end];
            if (key.Length > McCodecOptions.MaxKeyLength) return FixedError(McTextErrors.BadFormat, quiet: false);
            c.Add(opCode, key).Int1 = expiresAt;
            keys = end < 0 ? default : keys[end..];
        }
        return Data(op, quiet: false);
    }
}
