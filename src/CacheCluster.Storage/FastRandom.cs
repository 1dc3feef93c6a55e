namespace CacheCluster.Storage;

/// <summary>
/// SplitMix64: a tiny, allocation-free, seedable PRNG for eviction/expiry sampling.
/// Mutable struct: keep it in a non-readonly field so calls advance the stored state.
/// </summary>
internal struct FastRandom(int seed)
{
    private ulong _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) for n &gt; 0, via multiply-shift (no division).</summary>
    public int Next(int n) => (int)(((NextUInt64() >> 32) * (uint)n) >> 32);
}
