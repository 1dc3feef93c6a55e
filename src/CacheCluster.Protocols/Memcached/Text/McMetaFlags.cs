namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>A meta flag that puts something in the response line, as a 4-bit code kept in request order.</summary>
internal enum McReturnFlag : byte
{
    None = 0,
    Size = 1,       // s
    Ttl = 2,        // t
    Cas = 3,        // c
    Flags = 4,      // f
    LastAccess = 5, // l
    Hit = 6,        // h
    Opaque = 7,     // O<token>
    Key = 8,        // k
}

/// <summary>
/// The flags of one meta command, parsed like memcached 1.6's _meta_flag_preparse: every token after
/// the key (after the length for ms) is a flag whose first byte names it; a flag may appear once;
/// an unknown flag or a repeated one stops parsing at once, while a bad value is remembered and
/// parsing goes on (the last bad value's message wins).
/// </summary>
internal struct McMetaFlags
{
    public const int MaxTokens = 20;      // MFLAG_MAX_OPT_LENGTH: memcached's ntokens (command, key and terminal token included)
    public const int MaxOpaqueLength = 32; // MFLAG_MAX_OPAQUE_LENGTH (the 'O' included)

    public bool Value, Quiet, Binary, HasCas, HasCasIn, NewTtl, Vivify, Invalidate, RemoveValue;
    public byte Mode;                 // M<mode>; 0 = none
    public int Ttl;                   // T<ttl>, raw seconds
    public int VivifyTtl;             // N<ttl>, raw seconds
    public uint ClientFlags;          // F<flags>
    public ulong CompareCas;          // C<cas>
    public ulong NewCas;              // E<cas>
    public ulong Delta;               // D<delta> (ma), default 1
    public ulong Initial;             // J<initial> (ma)
    public int TtlToken, VivifyToken; // token index of T / N (order decides which wins on a created item)
    public int TtlFlagToken;          // token index of t (ma reports the TTL as of that point)
    public int OpaqueToken;           // token index of O, -1 = none
    public ulong Order;               // McReturnFlag codes, 4 bits each, first flag in the low bits
    public int OrderCount;
    public int KeyLength;             // the key after base64 decoding (b), else the raw key length

    public readonly bool Has(McReturnFlag f)
    {
        for (int i = 0; i < OrderCount; i++)
            if ((McReturnFlag)((Order >> (4 * i)) & 0xF) == f) return true;
        return false;
    }

    void Push(McReturnFlag f)
    {
        Order |= (ulong)f << (4 * OrderCount);
        OrderCount++;
    }

    /// <summary>
    /// Parses tokens [<paramref name="first"/>, Count) of <paramref name="line"/> (the caller checked the
    /// key length and token count). With 'b' the key (token 1) is decoded into <paramref name="keyBuffer"/>
    /// (250 bytes). Returns null or memcached's error line. E (explicit CAS) and x (md: drop the value)
    /// come from later memcached 1.6 releases; 1.6.18 refuses them as invalid flags.
    /// </summary>
    public static string? Parse(ReadOnlySpan<byte> line, in McTokens tokens, int first, Span<byte> keyBuffer, out McMetaFlags f)
    {
        f = default;
        f.Delta = 1;
        f.OpaqueToken = -1;
        f.TtlToken = f.VivifyToken = f.TtlFlagToken = -1;
        var key = tokens.Get(line, 1);
        f.KeyLength = key.Length;

        Span<bool> seen = stackalloc bool[127];
        string? error = null;
        bool failed = false;
        for (int i = first; i < tokens.Count; i++)
        {
            var tok = tokens.Get(line, i);
            byte o = tok[0];
            if (o >= 127 || seen[o]) return McTextErrors.DuplicateFlag;
            seen[o] = true;
            var arg = tok[1..];
            switch ((char)o)
            {
                case 'b':
                    int n = McBase64.DecodeTo(key, keyBuffer);
                    if (n == 0) { error = McTextErrors.KeyDecode; failed = true; }
                    f.KeyLength = n;
                    f.Binary = true;
                    break;
                case 'N':
                    f.Vivify = true;
                    f.VivifyToken = i;
                    if (!McNumbers.SafeStrToI32(arg, out f.VivifyTtl)) { error = McTextErrors.BadToken; failed = true; }
                    break;
                case 'T':
                    f.TtlToken = i;
                    if (!McNumbers.SafeStrToI32(arg, out f.Ttl)) { error = McTextErrors.BadToken; failed = true; }
                    else f.NewTtl = true;
                    break;
                case 'R':
                    // recache-win: parsed for its syntax; not supported by the store (see McTextCodec remarks)
                    if (!McNumbers.SafeStrToI32(arg, out _)) { error = McTextErrors.BadToken; failed = true; }
                    break;
                case 'O':
                    f.OpaqueToken = i;
                    f.Push(McReturnFlag.Opaque);
                    break;
                case 'P': case 'L': case 'u':
                    break; // proxy hints / no LRU bump: accepted, no effect here
                case 'k': f.Push(McReturnFlag.Key); break;
                case 's': f.Push(McReturnFlag.Size); break;
                case 't': f.Push(McReturnFlag.Ttl); f.TtlFlagToken = i; break;
                case 'c': f.Push(McReturnFlag.Cas); break;
                case 'f': f.Push(McReturnFlag.Flags); break;
                case 'l': f.Push(McReturnFlag.LastAccess); break;
                case 'h': f.Push(McReturnFlag.Hit); break;
                case 'v': f.Value = true; break;
                case 'q': f.Quiet = true; break;
                case 'x': f.RemoveValue = true; break;
                case 'I': f.Invalidate = true; break;
                case 'F':
                    if (!McNumbers.SafeStrToU32(arg, out f.ClientFlags)) failed = true; // keeps the previous message
                    break;
                case 'C':
                    if (!McNumbers.SafeStrToU64(arg, out f.CompareCas)) { error = McTextErrors.BadToken; failed = true; }
                    else f.HasCas = true;
                    break;
                case 'E':
                    if (!McNumbers.SafeStrToU64(arg, out f.NewCas)) { error = McTextErrors.BadToken; failed = true; }
                    else f.HasCasIn = true;
                    break;
                case 'M':
                    if (tok.Length != 2) { error = McTextErrors.MLength; failed = true; }
                    else f.Mode = arg[0];
                    break;
                case 'J':
                    if (!McNumbers.SafeStrToU64(arg, out f.Initial)) { error = McTextErrors.InvalidInitial; failed = true; }
                    break;
                case 'D':
                    if (!McNumbers.SafeStrToU64(arg, out f.Delta)) { error = McTextErrors.InvalidDeltaValue; failed = true; }
                    break;
                default:
                    return McTextErrors.InvalidFlag;
            }
        }
        return failed ? error ?? McTextErrors.BadFormat : null;
    }
}
