using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp;

/// <summary>Redis 7's error texts (without the leading '-').</summary>
public static class RespErrors
{
    public const string Syntax = "ERR syntax error";
    public const string NotInteger = "ERR value is not an integer or out of range";
    public const string NotFloat = "ERR value is not a valid float";
    public const string WrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
    public const string Overflow = "ERR increment or decrement would overflow";
    public const string DecrementOverflow = "ERR decrement would overflow";
    public const string NanOrInfinity = "ERR increment would produce NaN or Infinity";
    public const string OutOfMemory = "OOM command not allowed when used memory > 'maxmemory'.";
    public const string StringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
    public const string OffsetOutOfRange = "ERR offset is out of range";
    public const string NoSuchKey = "ERR no such key";
    public const string SameObject = "ERR source and destination objects are the same";
    public const string InvalidCursor = "ERR invalid cursor";
    public const string DbIndexOutOfRange = "ERR DB index is out of range";
    public const string LfuNotSelected = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
    public const string Internal = "ERR internal error: the shard failed and was restarted";
    public const string Loading = "LOADING CacheCluster is loading the dataset in memory";
    public const string PersistenceFailed = "ERR journal write failed: the write was not stored (see the server log)";
    public const string TryAgain = "TRYAGAIN the shard is moving or its owner is unreachable, try again";
    public const string ClusterDown = "CLUSTERDOWN this node is not serving: not joined, or cut off from the cluster majority";

    public static string WrongArity(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";
    public static string InvalidExpire(string name) => $"ERR invalid expire time in '{name}' command";
    public static string UnknownSubcommand(ReadOnlySpan<byte> sub, string container) =>
        $"ERR unknown subcommand '{Clip(sub, 128)}'. Try {container.ToUpperInvariant()} HELP.";

    /// <summary>Redis: "unknown command 'x', with args beginning with: 'a' 'b' " (args clipped to ~128 chars).</summary>
    public static string UnknownCommand(ArgumentList args)
    {
        var sb = new StringBuilder("ERR unknown command '");
        sb.Append(Clip(args[0], 128)).Append("', with args beginning with: ");
        int used = 0;
        for (int i = 1; i < args.Count && used < 128; i++)
        {
            string a = Clip(args[i], 128 - used);
            sb.Append('\'').Append(a).Append("' ");
            used += a.Length + 3;
        }
        return Sanitize(sb.ToString());
    }

    public static string For(ErrorCode code) => code switch
    {
        ErrorCode.WrongType => WrongType,
        ErrorCode.NotInteger => NotInteger,
        ErrorCode.NotFloat => NotFloat,
        ErrorCode.Overflow => Overflow,
        ErrorCode.NanOrInfinity => NanOrInfinity,
        ErrorCode.OutOfMemory => OutOfMemory,
        ErrorCode.StringTooLong => StringTooLong,
        ErrorCode.OffsetOutOfRange => OffsetOutOfRange,
        ErrorCode.NoSuchKey => NoSuchKey,
        ErrorCode.SameObject => SameObject,
        ErrorCode.LfuNotSelected => LfuNotSelected,
        ErrorCode.Loading => Loading,
        ErrorCode.PersistenceFailed => PersistenceFailed,
        ErrorCode.TryAgain => TryAgain,
        ErrorCode.ClusterDown => ClusterDown,
        _ => Internal,
    };

    /// <summary>Redis formats arguments with "%.*s": at most max bytes, and stops at a NUL byte.</summary>
    static string Clip(ReadOnlySpan<byte> s, int max)
    {
        int nul = s.IndexOf((byte)0);
        if (nul >= 0) s = s[..nul];
        if (s.Length > max) s = s[..max];
        return Encoding.Latin1.GetString(s);
    }

    /// <summary>Error replies are one line: Redis replaces CR/LF with spaces.</summary>
    public static string Sanitize(string s) => s.Replace('\r', ' ').Replace('\n', ' ');
}
