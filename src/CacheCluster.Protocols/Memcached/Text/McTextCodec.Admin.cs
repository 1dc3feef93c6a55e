using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    /// <summary>
    /// <c>stats [group]</c>, with memcached 1.6.18's sub-commands (exact names). Groups the node fills:
    /// general, settings, items, slabs, conns, reset (answered RESET). Those whose answer does not
    /// depend on our data are answered here as memcached does by default: detail on|off (OK; per-prefix
    /// stats are not kept, so dump is empty), cachedump (argument checks, then an empty dump),
    /// extstore (none), sizes (disabled).
    /// </summary>
    McRequest DecodeStats(scoped ref Ctx c)
    {
        var stats = new McRequest { Kind = McRequestKind.Local, Local = McLocal.Stats };
        int n = c.Tokens.N;
        if (n == 2) return stats;
        var sub = c.Token(1);
        if (sub.SequenceEqual("reset"u8)) stats.Group = "reset";
        else if (sub.SequenceEqual("detail"u8))
        {
            if (n < 4) return Fail(McTextErrors.StatsDetailUsage, quiet: false);
            var arg = c.Token(2);
            if (arg.SequenceEqual("on"u8) || arg.SequenceEqual("off"u8)) return Fail("OK", quiet: false);
            if (arg.SequenceEqual("dump"u8)) return Fail("END", quiet: false);
            return Fail(McTextErrors.StatsDetailUsage, quiet: false);
        }
        else if (sub.SequenceEqual("settings"u8)) stats.Group = "settings";
        else if (sub.SequenceEqual("cachedump"u8))
        {
            if (n < 5) return Fail(McTextErrors.StatsBadLine, quiet: false);
            if (!McNumbers.SafeStrToU32(c.Token(2), out uint id) || !McNumbers.SafeStrToU32(c.Token(3), out _))
                return Fail(McTextErrors.BadFormat, quiet: false);
            return Fail(id >= 64 ? McTextErrors.IllegalSlabId : "END", quiet: false);
        }
        else if (sub.SequenceEqual("conns"u8)) stats.Group = "conns";
        else if (sub.SequenceEqual("extstore"u8)) return Fail("END", quiet: false);
        else if (sub.SequenceEqual("items"u8)) stats.Group = "items";
        else if (sub.SequenceEqual("slabs"u8)) stats.Group = "slabs";
        else if (sub.SequenceEqual("sizes"u8)) return Fail("STAT sizes_status disabled\r\nEND", quiet: false);
        else if (sub.SequenceEqual("sizes_enable"u8)) return Fail("STAT sizes_status enabled", quiet: false);
        else if (sub.SequenceEqual("sizes_disable"u8)) return Fail("STAT sizes_status disabled", quiet: false);
        else return Fail(McTextErrors.Error, quiet: false);
        return stats;
    }

    /// <summary>
    /// The rest of memcached 1.6.18's command chain (commands not told apart by their first letter):
    /// bget, flush_all, version, quit, verbosity; watch is refused as with watching disabled;
    /// admin commands we do not have (slabs, lru, lru_crawler, extstore, cache_memlimit, ...) are
    /// ERROR; a line ending in an HTTP version closes the connection; anything else is ERROR.
    /// </summary>
    McRequest DecodeOther(scoped ref Ctx c)
    {
        int n = c.Tokens.N;
        var cm = c.Token(0);
        if (cm.SequenceEqual("bget"u8)) return n >= 3 ? DecodeGet(ref c, McTextOp.Get) : Fail(McTextErrors.Error, quiet: false);
        if (cm.SequenceEqual("flush_all"u8)) return n is >= 2 and <= 4 ? DecodeFlushAll(ref c) : Fail(McTextErrors.Error, quiet: false);
        if (cm.SequenceEqual("version"u8)) return new McRequest { Kind = McRequestKind.Local, Local = McLocal.Version };
        if (cm.SequenceEqual("quit"u8)) return new McRequest { Kind = McRequestKind.Local, Local = McLocal.Quit, CloseAfter = true };
        if (cm.SequenceEqual("watch"u8)) return Fail(McTextErrors.WatchDisabled, quiet: false);
        if (cm.SequenceEqual("verbosity"u8)) return n is 3 or 4 ? DecodeVerbosity(ref c) : Fail(McTextErrors.Error, quiet: false);
        if (c.Token(c.Tokens.Count - 1).StartsWith("HTTP/"u8))
            return Fail(null, quiet: false, close: true); // an HTTP client: memcached hangs up
        return Fail(McTextErrors.Error, quiet: false);
    }

    /// <summary>
    /// <c>flush_all [delay] [noreply]</c>: now = Op.Flush on every shard; a delay in the future =
    /// Local FlushDelayed with Number = seconds (a delay over 30 days is a Unix time, as for expiry).
    /// </summary>
    McRequest DecodeFlushAll(scoped ref Ctx c)
    {
        bool noreply = c.Tokens.LastIsNoreply(c.Line);
        int exptime = 0;
        if (c.Tokens.N != (noreply ? 3 : 2) && !McNumbers.SafeStrToI32(c.Token(1), out exptime))
            return Fail(McTextErrors.InvalidExptime, noreply);
        if (exptime > 0)
        {
            long delay = exptime;
            if (exptime > MemcachedTime.RelativeLimitSeconds) delay = exptime - c.Clock.NowMs / 1000;
            if (delay > 0)
                return new McRequest { Kind = McRequestKind.Local, Local = McLocal.FlushDelayed, Number = delay, Quiet = noreply };
        }
        for (int s = 0; s < c.Map.ShardCount; s++) c.Sink.Add(s).Op = Op.Flush;
        return Data(McTextOp.FlushAll, noreply);
    }

    /// <summary><c>verbosity &lt;level&gt; [noreply]</c>: the node keeps the level; OK.</summary>
    static McRequest DecodeVerbosity(scoped ref Ctx c)
    {
        bool noreply = c.Tokens.LastIsNoreply(c.Line);
        if (!McNumbers.SafeStrToU32(c.Token(1), out uint level)) return Fail(McTextErrors.BadFormat, noreply);
        return new McRequest { Kind = McRequestKind.Local, Local = McLocal.Verbosity, Number = level, Quiet = noreply };
    }
}
