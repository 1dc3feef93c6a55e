using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    // Meta commands as memcached 1.6.18 handles them (proto_text.c). Errors always show, q or not.
    // Supported flags: b c f h k l O q t v (+ s on mg) to return, T N I C F M D J to act, E and x from
    // later 1.6 releases. Accepted without effect (not expressible in the store's ops): R (recache
    // win), u (no LRU bump), P and L (proxy hints).

    /// <summary><c>mg &lt;key&gt; &lt;flags&gt;*</c> → one McGet (T → Touch, N → Vivify).</summary>
    McRequest DecodeMg(scoped ref Ctx c)
    {
        if (c.Tokens.N < 3) return Fail(McTextErrors.Error, quiet: false);
        if (c.Tokens.Length(1) > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, quiet: false);
        if (c.Tokens.N > McMetaFlags.MaxTokens) return Fail(McTextErrors.MgFlagsTooLong, quiet: false);
        Span<byte> keyBuf = stackalloc byte[McCodecOptions.MaxKeyLength];
        if (McMetaFlags.Parse(c.Line, c.Tokens, 2, keyBuf, out var f) is { } error) return Fail(error, quiet: false);
        var key = f.Binary ? keyBuf[..f.KeyLength] : c.Token(1);

        // memcached prints t where it stands among the flags: before T it is the TTL before the touch,
        // so then the item is read first and touched by a second command (unless an N after T decides)
        bool touchAfter = f.NewTtl && f.TtlFlagToken >= 0 && f.TtlFlagToken < f.TtlToken && (!f.Vivify || f.VivifyToken < f.TtlToken);
        ref var cmd = ref c.Add(Op.McGet, key);
        var options = CommandOptions.None;
        if (f.NewTtl && !touchAfter)
        {
            options |= CommandOptions.Touch;
            cmd.Int1 = c.Expiry(f.Ttl);
        }
        if (f.Vivify)
        {
            options |= CommandOptions.Vivify;
            // a created item gets N's TTL, or T's when T comes later in the request (memcached applies them in order)
            cmd.Int3 = c.Expiry(f.NewTtl && f.TtlToken > f.VivifyToken ? f.Ttl : f.VivifyTtl);
        }
        cmd.Options = options;
        var echo = cmd.Key.Span;
        if (touchAfter) c.Add(Op.McTouch, echo).Int1 = c.Expiry(f.Ttl);
        // memcached fetches first and only then notices an overlong opaque, while answering
        if (OpaqueTooLong(ref c, in f)) return FixedError(McTextErrors.OpaqueTooLong, quiet: false);
        var req = Meta(ref c, McTextOp.Mg, in f, echo);
        // on an item this request created, t before N (and T) sees no TTL yet
        if (f.TtlFlagToken >= 0 && f.Vivify && f.TtlFlagToken < f.VivifyToken && (!f.NewTtl || f.TtlFlagToken < f.TtlToken))
            req.Status |= (ushort)McMetaBits.TtlBeforeVivify;
        // on an item this request creates, t reports the last of T / N before it (memcached applies
        // flags in order): a T with no N between it and t wins
        if (f.Vivify && f.NewTtl && f.TtlFlagToken > f.TtlToken && !(f.VivifyToken > f.TtlToken && f.VivifyToken < f.TtlFlagToken))
        {
            req.Status |= (ushort)McMetaBits.TtlFromT;
            req.Number |= (long)f.Ttl << 32;
        }
        return req;
    }

    /// <summary>
    /// <c>ms &lt;key&gt; &lt;datalen&gt; &lt;flags&gt;*</c> + data block → one McStore. Mode M: E add, A append,
    /// P prepend, R replace, S set. A line without a usable length is refused alone; later refusals
    /// also discard the data block (memcached's swallow).
    /// </summary>
    McParseStatus DecodeMs(scoped ref Ctx c, out McRequest req)
    {
        int n = c.Tokens.N;
        if (n < 3) return Error(ref c, out req);
        if (c.Tokens.Length(1) > McCodecOptions.MaxKeyLength || n == 3)
            return Done(ref c, out req, Fail(McTextErrors.BadFormat, quiet: false));
        if (n > McMetaFlags.MaxTokens) return Done(ref c, out req, Fail(McTextErrors.FlagsTooLong, quiet: false));
        if (!McNumbers.SafeStrToI32(c.Token(2), out int vlen) || vlen < 0 || vlen > int.MaxValue - 2)
            return Done(ref c, out req, Fail(McTextErrors.BadFormat, quiet: false));
        long block = (long)vlen + 2;

        Span<byte> keyBuf = stackalloc byte[McCodecOptions.MaxKeyLength];
        if (McMetaFlags.Parse(c.Line, c.Tokens, 3, keyBuf, out var f) is { } error)
            return Reject(ref c, block, out req, Fail(error, quiet: false));
        var key = f.Binary ? keyBuf[..f.KeyLength] : c.Token(1);

        var options = CommandOptions.None;
        switch (f.Mode)
        {
            case 0: case (byte)'S': break;
            case (byte)'E': options = CommandOptions.Nx; break;
            case (byte)'A': options = CommandOptions.Append; break;
            case (byte)'P': options = CommandOptions.Prepend; break;
            case (byte)'R': options = CommandOptions.Xx; break;
            default: return Reject(ref c, block, out req, Fail(McTextErrors.MsInvalidMode, quiet: false));
        }
        if (OpaqueTooLong(ref c, in f))
            return Reject(ref c, block, out req, Fail(McTextErrors.OpaqueTooLong, quiet: false));
        if (TooLarge(key.Length, f.ClientFlags, vlen))
        {
            // memcached unlinks whatever the key held, whatever the mode
            c.Add(Op.McDelete, key);
            return Reject(ref c, block, out req, FixedError(McTextErrors.TooLarge, quiet: false));
        }

        long total = c.Length + block;
        if (c.Input.Length < total) { req = default; return McParseStatus.Incomplete; }
        if (!EndsWithCrLf(c.Input.Slice(c.Length + vlen, 2)))
        {
            c.Consumed = total;
            req = Fail(McTextErrors.BadDataChunk, quiet: false);
            return McParseStatus.Complete;
        }

        ref var cmd = ref c.Add(Op.McStore, key);
        cmd.Value = CopyValue(c.Input.Slice(c.Length, vlen), vlen);
        cmd.Flags = f.ClientFlags;
        cmd.Int1 = c.Expiry(f.Ttl);
        // a CAS turns set/replace into cas (and I then allows a stale store); add ignores it
        if (f.HasCas && (options & CommandOptions.Nx) == 0)
        {
            cmd.Cas = f.CompareCas;
            if (f.Invalidate && (options & (CommandOptions.Append | CommandOptions.Prepend)) == 0) options |= CommandOptions.Invalidate;
        }
        if (f.HasCasIn) cmd.Int4 = unchecked((long)f.NewCas);
        if ((options & (CommandOptions.Append | CommandOptions.Prepend)) != 0) cmd.Int2 = _options.MaxItemSize;
        if (f.Binary) options |= CommandOptions.Base64Key;
        cmd.Options = options;
        var echo = cmd.Key.Span;
        c.Consumed = total;
        req = Meta(ref c, McTextOp.Ms, in f, echo);
        return McParseStatus.Complete;
    }

    /// <summary>
    /// <c>md &lt;key&gt; &lt;flags&gt;*</c> → McDelete (I: mark stale, with T a new TTL; C: only if the CAS
    /// matches). With x (keep the item, drop its value) → McStore of an empty value, replace-only.
    /// Any flag error is "invalid or duplicate flag", as in memcached.
    /// </summary>
    McRequest DecodeMd(scoped ref Ctx c)
    {
        if (MetaPreamble(ref c) is { } refused) return refused;
        Span<byte> keyBuf = stackalloc byte[McCodecOptions.MaxKeyLength];
        if (McMetaFlags.Parse(c.Line, c.Tokens, 2, keyBuf, out var f) is not null)
            return Fail(McTextErrors.InvalidOrDuplicateFlag, quiet: false);
        if (OpaqueTooLong(ref c, in f)) return Fail(McTextErrors.OpaqueTooLong, quiet: false);
        var key = f.Binary ? keyBuf[..f.KeyLength] : c.Token(1);

        if (f.RemoveValue)
        {
            // x with I (stale tombstone) has no equivalent in the store's ops
            if (f.Invalidate) return Fail(McTextErrors.BadFormat, quiet: false);
            ref var tomb = ref c.Add(Op.McStore, key);
            tomb.Value = [];
            tomb.Flags = f.ClientFlags;
            tomb.Int1 = f.NewTtl ? c.Expiry(f.Ttl) : 0;
            tomb.Cas = f.HasCas ? f.CompareCas : 0;
            if (f.HasCasIn) tomb.Int4 = unchecked((long)f.NewCas);
            tomb.Options = CommandOptions.Xx;
            var tombKey = tomb.Key.Span;
            return Meta(ref c, McTextOp.MdRemoveValue, in f, tombKey);
        }

        ref var cmd = ref c.Add(Op.McDelete, key);
        if (f.HasCas) cmd.Cas = f.CompareCas;
        if (f.Invalidate)
        {
            cmd.Options = CommandOptions.Invalidate;
            if (f.NewTtl) cmd.Int1 = c.Expiry(f.Ttl);
        }
        var echo = cmd.Key.Span;
        return Meta(ref c, McTextOp.Md, in f, echo);
    }

    /// <summary>
    /// <c>ma &lt;key&gt; &lt;flags&gt;*</c> → McIncr: D delta (1), MI/M+ incr, MD/M- decr, N create with J
    /// (0), T new TTL, C compare CAS. Any flag error is "invalid or duplicate flag", as in memcached.
    /// </summary>
    McRequest DecodeMa(scoped ref Ctx c)
    {
        if (MetaPreamble(ref c) is { } refused) return refused;
        Span<byte> keyBuf = stackalloc byte[McCodecOptions.MaxKeyLength];
        if (McMetaFlags.Parse(c.Line, c.Tokens, 2, keyBuf, out var f) is not null)
            return Fail(McTextErrors.InvalidOrDuplicateFlag, quiet: false);
        bool decrement;
        switch (f.Mode)
        {
            case 0: case (byte)'I': case (byte)'+': decrement = false; break;
            case (byte)'D': case (byte)'-': decrement = true; break;
            default: return Fail(McTextErrors.MaInvalidMode, quiet: false);
        }
        var key = f.Binary ? keyBuf[..f.KeyLength] : c.Token(1);

        ref var cmd = ref c.Add(Op.McIncr, key);
        cmd.Int1 = unchecked((long)f.Delta);
        var options = decrement ? CommandOptions.Decrement : CommandOptions.None;
        if (f.Vivify)
        {
            options |= CommandOptions.Create;
            cmd.Int2 = unchecked((long)f.Initial);
            cmd.Int3 = c.Expiry(f.NewTtl && f.TtlToken > f.VivifyToken ? f.Ttl : f.VivifyTtl);
        }
        long ttlFromT = 0;
        if (f.NewTtl)
        {
            options |= CommandOptions.UpdateTtl;
            cmd.Int4 = c.Expiry(f.Ttl);
            ttlFromT = TtlSeconds(cmd.Int4, c.Clock.NowMs);
        }
        if (f.HasCas) cmd.Cas = f.CompareCas;
        cmd.Options = options;
        var echo = cmd.Key.Span;
        // memcached runs the arithmetic first and only then notices an overlong opaque, while answering
        if (OpaqueTooLong(ref c, in f))
        {
            var late = FixedError(McTextErrors.OpaqueTooLong, quiet: false);
            late.Status = (ushort)McMetaBits.ReplyErrorFirst;
            return late;
        }
        var req = Meta(ref c, McTextOp.Ma, in f, echo);
        // t prints the item's TTL at its place among the flags: after T, T's; on a created item before N, none
        if (f.TtlFlagToken >= 0)
        {
            if (f.NewTtl && f.TtlToken < f.TtlFlagToken)
            {
                req.Status |= (ushort)McMetaBits.TtlFromT;
                req.Number |= (long)((ulong)(uint)(int)ttlFromT << 32);
            }
            else if (!f.Vivify || f.VivifyToken > f.TtlFlagToken) req.Status |= (ushort)McMetaBits.TtlBeforeVivify;
        }
        return req;
    }

    /// <summary>md and ma: at least a key, at most 250 bytes, at most 20 tokens.</summary>
    static McRequest? MetaPreamble(scoped ref Ctx c)
    {
        if (c.Tokens.N < 3) return Fail(McTextErrors.Error, quiet: false);
        if (c.Tokens.Length(1) > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, quiet: false);
        if (c.Tokens.N > McMetaFlags.MaxTokens) return Fail(McTextErrors.FlagsTooLong, quiet: false);
        return null;
    }

    /// <summary>
    /// <c>me &lt;key&gt; [b]</c> (debug) → one McGet formatted as memcached's
    /// "ME key exp= la= cas= fetch= cls= size=" line, or EN.
    /// </summary>
    McRequest DecodeMe(scoped ref Ctx c)
    {
        if (c.Tokens.N < 3 || c.Tokens.Length(1) > McCodecOptions.MaxKeyLength) return Fail(McTextErrors.BadFormat, quiet: false);
        scoped var key = c.Token(1);
        Span<byte> keyBuf = stackalloc byte[McCodecOptions.MaxKeyLength];
        bool binary = c.Tokens.N >= 4 && c.Token(2).SequenceEqual("b"u8);
        if (binary)
        {
            int decoded = McBase64.DecodeTo(key, keyBuf);
            if (decoded == 0) return Fail(McTextErrors.BadFormat, quiet: false);
            key = keyBuf[..decoded];
        }
        var mem = c.Add(Op.McGet, key).Key;
        var req = Data(McTextOp.Me, quiet: false);
        req.Key = binary ? EchoArea(ref c, mem.Span, binary: true, default) : mem;
        req.Opaque = (uint)req.Key.Length;
        return req;
    }

    /// <summary>TTL in whole seconds as memcached reports it (t flag): -1 when the item never expires.</summary>
    static long TtlSeconds(long expiresAtMs, long nowMs) =>
        expiresAtMs == 0 ? -1 : Math.Max(0, (expiresAtMs - nowMs + 999) / 1000);

    static bool OpaqueTooLong(scoped ref Ctx c, in McMetaFlags f) =>
        f.OpaqueToken >= 0 && c.Tokens.Length(f.OpaqueToken) > McMetaFlags.MaxOpaqueLength;

    /// <summary>The request for a meta command whose single command was just added.</summary>
    static McRequest Meta(scoped ref Ctx c, McTextOp op, in McMetaFlags f, ReadOnlySpan<byte> key)
    {
        var req = Data(op, f.Quiet);
        req.Number = (long)f.Order;
        var bits = McMetaBits.None;
        if (f.Value) bits |= McMetaBits.Value;
        if (f.Binary) bits |= McMetaBits.Binary;
        req.Status = (ushort)bits;
        if (f.Has(McReturnFlag.Key) || f.OpaqueToken >= 0)
        {
            var opaque = f.OpaqueToken >= 0 ? c.Token(f.OpaqueToken) : default;
            req.Key = EchoArea(ref c, f.Has(McReturnFlag.Key) ? key : default, f.Binary, opaque);
            req.Opaque = (uint)(req.Key.Length - opaque.Length);
        }
        return req;
    }

    /// <summary>The key as echoed (base64 when <paramref name="binary"/>) followed by the O token, in the arena.</summary>
    static ReadOnlyMemory<byte> EchoArea(scoped ref Ctx c, ReadOnlySpan<byte> key, bool binary, ReadOnlySpan<byte> opaque)
    {
        int keyLength = binary ? McBase64.EncodedLength(key.Length) : key.Length;
        var span = c.Arena.Reserve(keyLength + opaque.Length, out int index);
        if (binary) McBase64.EncodeTo(key, span);
        else key.CopyTo(span);
        opaque.CopyTo(span[keyLength..]);
        return c.Arena.Memory(index);
    }
}
