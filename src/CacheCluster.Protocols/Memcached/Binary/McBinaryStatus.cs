namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>Response status codes of memcached's binary protocol.</summary>
public enum McBinaryStatus : ushort
{
    Success = 0x00,
    KeyNotFound = 0x01,        // KEY_ENOENT
    KeyExists = 0x02,          // KEY_EEXISTS
    TooLarge = 0x03,           // E2BIG
    InvalidArguments = 0x04,   // EINVAL
    NotStored = 0x05,
    NonNumeric = 0x06,         // DELTA_BADVAL
    AuthError = 0x20,
    AuthContinue = 0x21,
    UnknownCommand = 0x81,
    OutOfMemory = 0x82,        // ENOMEM
    NotSupported = 0x83,
    InternalError = 0x84,      // EINTERNAL
    Busy = 0x85,               // EBUSY
    TemporaryFailure = 0x86,   // ETMPFAIL
}

/// <summary>
/// The error bodies memcached sends (write_bin_error's default texts, and out_of_memory's texts
/// with their "SERVER_ERROR " prefix stripped). Constants, so no error allocates.
/// </summary>
public static class McBinaryStatusText
{
    public const string NotFound = "Not found";
    public const string Exists = "Data exists for key.";
    public const string TooLarge = "Too large.";
    public const string InvalidArguments = "Invalid arguments";
    public const string NotStored = "Not stored.";
    public const string NonNumeric = "Non-numeric server-side value for incr or decr";
    public const string AuthError = "Auth failure.";
    public const string UnknownCommand = "Unknown command";
    public const string OutOfMemory = "Out of memory";
    public const string OutOfMemoryStoring = "Out of memory allocating item";
    public const string OutOfMemoryIncrementing = "Out of memory incrementing value";
    public const string NotSupported = "Not supported";
    public const string InternalError = "Internal error";
    public const string Loading = "Temporary failure: loading the dataset";
    public const string PersistenceFailed = "Internal error: journal write failed";
    public const string TryAgain = "Temporary failure: the shard is moving or its owner is unreachable";
    public const string ClusterDown = "Temporary failure: this node is cut off from the cluster";

    /// <summary>memcached's generic text for a status (empty for success).</summary>
    public static string Of(McBinaryStatus status) => status switch
    {
        McBinaryStatus.Success => "",
        McBinaryStatus.KeyNotFound => NotFound,
        McBinaryStatus.KeyExists => Exists,
        McBinaryStatus.TooLarge => TooLarge,
        McBinaryStatus.InvalidArguments => InvalidArguments,
        McBinaryStatus.NotStored => NotStored,
        McBinaryStatus.NonNumeric => NonNumeric,
        McBinaryStatus.AuthError => AuthError,
        McBinaryStatus.UnknownCommand => UnknownCommand,
        McBinaryStatus.OutOfMemory => OutOfMemory,
        McBinaryStatus.NotSupported => NotSupported,
        _ => InternalError,
    };
}
