namespace CacheCluster.Protocols.Memcached.Text;

/// <summary>memcached 1.6's response lines for errors, verbatim from proto_text.c (as memcached 1.6.18 answers; without CRLF).</summary>
public static class McTextErrors
{
    public const string Error = "ERROR";
    public const string BadFormat = "CLIENT_ERROR bad command line format";
    public const string BadDataChunk = "CLIENT_ERROR bad data chunk";
    public const string TooLarge = "SERVER_ERROR object too large for cache";
    public const string OutOfMemoryStoring = "SERVER_ERROR out of memory storing object";
    public const string OutOfMemory = "SERVER_ERROR out of memory";
    public const string OutOfMemoryReading = "SERVER_ERROR out of memory reading request";
    public const string InvalidExptime = "CLIENT_ERROR invalid exptime argument";
    public const string InvalidDelta = "CLIENT_ERROR invalid numeric delta argument";
    public const string DeleteUsage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
    public const string StatsBadLine = "CLIENT_ERROR bad command line";
    public const string StatsDetailUsage = "CLIENT_ERROR usage: stats detail on|off|dump";
    public const string IllegalSlabId = "CLIENT_ERROR Illegal slab id";
    public const string NonNumeric = "CLIENT_ERROR cannot increment or decrement non-numeric value";
    public const string ShutdownDisabled = "ERROR: shutdown not enabled";
    public const string WatchDisabled = "CLIENT_ERROR watch commands not allowed";

    /// <summary>No memcached counterpart: a shard failed while running the command.</summary>
    public const string Internal = "SERVER_ERROR internal error";
    public const string Loading = "SERVER_ERROR loading the dataset, try again";
    public const string PersistenceFailed = "SERVER_ERROR journal write failed";
    public const string TryAgain = "SERVER_ERROR temporary failure: the shard is moving or its owner is unreachable";
    public const string ClusterDown = "SERVER_ERROR temporary failure: this node is cut off from the cluster";

    // ---- meta
    public const string DuplicateFlag = "CLIENT_ERROR duplicate flag";
    public const string InvalidFlag = "CLIENT_ERROR invalid flag";
    public const string InvalidOrDuplicateFlag = "CLIENT_ERROR invalid or duplicate flag";
    public const string MgFlagsTooLong = "CLIENT_ERROR options flags are too long";   // mg's wording
    public const string FlagsTooLong = "CLIENT_ERROR options flags too long";        // ms, md, ma
    public const string MLength = "CLIENT_ERROR incorrect length for M token";
    public const string BadToken = "CLIENT_ERROR bad token in command line format";
    public const string KeyDecode = "CLIENT_ERROR error decoding key";
    public const string InvalidInitial = "CLIENT_ERROR invalid numeric initial value";
    public const string InvalidDeltaValue = "CLIENT_ERROR invalid numeric delta value";
    public const string OpaqueTooLong = "CLIENT_ERROR opaque token too long";
    public const string MsInvalidMode = "CLIENT_ERROR invalid mode for ms M token";
    public const string MaInvalidMode = "CLIENT_ERROR invalid mode for ma M token";
}
