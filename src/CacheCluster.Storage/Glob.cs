namespace CacheCluster.Storage;

/// <summary>
/// Glob matching with Redis's stringmatchlen semantics (KEYS, SCAN MATCH, PSUBSCRIBE):
/// <c>*</c> <c>?</c> <c>[abc]</c> <c>[^a]</c> <c>[a-z]</c> (reversed ranges too) and <c>\</c> escapes.
/// Bytes, not chars: ignoreCase folds ASCII only, like C's tolower in the C locale.
/// </summary>
public static class Glob
{
    // Redis 7 caps recursion depth so patterns like "*a*a*a*...b" cannot blow the stack.
    private const int MaxNesting = 1000;

    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
    {
        // Redis's loop never runs for an empty text, so there "*" fails to match "" (redis/redis#15643).
        // We follow glob semantics instead: a run of stars matches the empty string.
        if (text.IsEmpty)
        {
            int i = 0;
            while (i < pattern.Length && pattern[i] == (byte)'*') i++;
            return i == pattern.Length;
        }
        bool skipLongerMatches = false;
        return MatchImpl(pattern, text, ignoreCase, ref skipLongerMatches, 0);
    }

    private static bool MatchImpl(ReadOnlySpan<byte> p, ReadOnlySpan<byte> s, bool nocase, ref bool skipLongerMatches, int nesting)
    {
        if (nesting > MaxNesting) return false;
        int pi = 0, si = 0;
        while (pi < p.Length && si < s.Length)
        {
            switch (p[pi])
            {
                case (byte)'*':
                    while (pi + 1 < p.Length && p[pi + 1] == (byte)'*') pi++;
                    if (pi == p.Length - 1) return true;
                    for (; si < s.Length; si++)
                    {
                        if (MatchImpl(p[(pi + 1)..], s[si..], nocase, ref skipLongerMatches, nesting + 1)) return true;
                        // The rest failed from every later position; widening an earlier star cannot help.
                        if (skipLongerMatches) return false;
                    }
                    skipLongerMatches = true;
                    return false;

                case (byte)'?':
                    si++;
                    break;

                case (byte)'[':
                {
                    pi++;
                    bool not = pi < p.Length && p[pi] == (byte)'^';
                    if (not) pi++;
                    bool match = false;
                    byte c = s[si];
                    while (true)
                    {
                        if (pi >= p.Length)
                        {
                            pi--;                 // unterminated class: step back so the shared pi++ ends the pattern
                            break;
                        }
                        if (p[pi] == (byte)'\\' && pi + 1 < p.Length)
                        {
                            pi++;
                            if (p[pi] == c) match = true;   // escaped members compare exactly, as in Redis
                        }
                        else if (p[pi] == (byte)']')
                        {
                            break;
                        }
                        else if (pi + 2 < p.Length && p[pi + 1] == (byte)'-')
                        {
                            int start = p[pi], end = p[pi + 2], ch = c;
                            if (start > end) (start, end) = (end, start);
                            if (nocase)
                            {
                                start = Lower(start);
                                end = Lower(end);
                                ch = Lower(ch);
                            }
                            pi += 2;
                            if (ch >= start && ch <= end) match = true;
                        }
                        else if (nocase ? Lower(p[pi]) == Lower(c) : p[pi] == c)
                        {
                            match = true;
                        }
                        pi++;
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    si++;
                    break;
                }

                case (byte)'\\':
                    if (pi + 1 < p.Length) pi++;
                    goto default;

                default:
                    if (nocase ? Lower(p[pi]) != Lower(s[si]) : p[pi] != s[si]) return false;
                    si++;
                    break;
            }
            pi++;
            if (si == s.Length)
            {
                while (pi < p.Length && p[pi] == (byte)'*') pi++;
                break;
            }
        }
        return pi == p.Length && si == s.Length;
    }

    private static int Lower(int c) => (uint)(c - 'A') <= 'Z' - 'A' ? c | 0x20 : c;
}
