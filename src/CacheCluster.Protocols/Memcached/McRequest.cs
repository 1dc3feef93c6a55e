namespace CacheCluster.Protocols.Memcached;

/// <summary>What the connection must do for a decoded memcached request.</summary>
public enum McRequestKind : byte
{
    Data,   // shard commands [First, First+Count) in the batch; the codec writes the response from their replies
    Local,  // answered by the connection: see McLocal
    Error,  // answered at once by the codec (ErrorText / Status); CloseAfter says whether the connection ends
}

/// <summary>Requests the connection answers without a shard (or with the node's help).</summary>
public enum McLocal : byte
{
    None,
    Noop,          // binary NOOP, meta mn
    Version,
    Verbosity,
    Stats,         // Group: null = general, "settings", "items", "slabs", ...; the node supplies the values
    Quit,          // binary QUIT(Q), text quit: close after writing (QUITQ writes nothing)
    FlushDelayed,  // flush_all / FLUSH with a delay: Number = delay in seconds; the node schedules it
}

/// <summary>
/// A decoded memcached request (binary, text or meta): how to answer it, and where its shard
/// commands are in the batch. Codecs fill it; the server's session acts on Kind/Local and hands it
/// back to the same codec to write the response.
/// </summary>
public struct McRequest
{
    public McRequestKind Kind;
    public McLocal Local;
    public byte Opcode;                 // binary opcode (echoed in the response header)
    public uint Opaque;                 // binary opaque (echoed)
    public bool Quiet;                  // binary quiet variant / text noreply / meta q: suppress success
    public bool CloseAfter;             // close the connection after writing this response
    public int First;                   // first shard command in the batch
    public int Count;                   // number of shard commands
    public ReadOnlyMemory<byte> Key;    // key to echo (GETK/GATK, meta k)
    public ushort Status;               // binary status for Kind = Error
    public string? ErrorText;           // error body / text line for Kind = Error
    public long Number;                 // FlushDelayed: delay in seconds; Verbosity: level
    public string? Group;               // Stats group
    public object? Extra;               // codec-specific (e.g. parsed meta flags)
}
