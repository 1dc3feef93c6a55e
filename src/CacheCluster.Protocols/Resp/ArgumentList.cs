namespace CacheCluster.Protocols.Resp;

/// <summary>
/// The arguments of one parsed request (argument 0 is the command name): a window of
/// <see cref="Count"/> consecutive arguments in a <see cref="RequestArena"/>, starting at the
/// arena-global index <see cref="First"/>. Valid until the arena is reset.
/// </summary>
public readonly struct ArgumentList
{
    private readonly RequestArena? _arena;
    private readonly int _first;
    private readonly int _count;

    public ArgumentList(RequestArena arena, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(arena);
        if (first < 0 || count < 0 || first + count > arena.ArgCount)
            throw new ArgumentOutOfRangeException(nameof(count));
        _arena = arena;
        _first = first;
        _count = count;
    }

    public RequestArena? Arena => _arena;

    /// <summary>Arena index of argument 0.</summary>
    public int First => _first;

    public int Count => _count;

    public ReadOnlySpan<byte> this[int i] => _arena!.Span(Index(i));

    public ReadOnlyMemory<byte> Memory(int i) => _arena!.Memory(Index(i));

    /// <summary>See <see cref="RequestArena.ToArray"/>: a dedicated (large) argument is handed over, not copied.</summary>
    public byte[] ToArray(int i) => _arena!.ToArray(Index(i));

    public int Length(int i) => _arena!.Length(Index(i));

    /// <summary>
    /// True if argument <paramref name="i"/> equals <paramref name="upperAsciiName"/> ignoring ASCII case.
    /// Meant for literals such as "GET"u8 or "EX"u8.
    /// </summary>
    public bool Is(int i, ReadOnlySpan<byte> upperAsciiName)
    {
        // Vectorized, allocation-free; non-ASCII bytes never match.
        return System.Text.Ascii.EqualsIgnoreCase(this[i], upperAsciiName);
    }

    private int Index(int i)
    {
        if ((uint)i >= (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(i), i, "No such argument in the request.");
        return _first + i;
    }
}
