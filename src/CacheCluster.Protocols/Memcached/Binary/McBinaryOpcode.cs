namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>Request opcodes of memcached's binary protocol (protocol_binary.h).</summary>
public enum McBinaryOpcode : byte
{
    Get = 0x00,
    Set = 0x01,
    Add = 0x02,
    Replace = 0x03,
    Delete = 0x04,
    Increment = 0x05,
    Decrement = 0x06,
    Quit = 0x07,
    Flush = 0x08,
    GetQ = 0x09,
    Noop = 0x0a,
    Version = 0x0b,
    GetK = 0x0c,
    GetKQ = 0x0d,
    Append = 0x0e,
    Prepend = 0x0f,
    Stat = 0x10,
    SetQ = 0x11,
    AddQ = 0x12,
    ReplaceQ = 0x13,
    DeleteQ = 0x14,
    IncrementQ = 0x15,
    DecrementQ = 0x16,
    QuitQ = 0x17,
    FlushQ = 0x18,
    AppendQ = 0x19,
    PrependQ = 0x1a,
    Verbosity = 0x1b,   // defined by the spec, not implemented by memcached 1.6: Unknown command
    Touch = 0x1c,
    Gat = 0x1d,
    GatQ = 0x1e,
    SaslListMechs = 0x20,
    SaslAuth = 0x21,
    SaslStep = 0x22,
    GatK = 0x23,
    GatKQ = 0x24,
}

/// <summary>The quiet variants and their loud counterparts, as memcached's dispatch_bin_command folds them.</summary>
public static class McBinaryOpcodes
{
    /// <summary>True for the quiet variants (GETQ, SETQ, ..., GATKQ): successes (and get misses) are not answered.</summary>
    public static bool IsQuiet(McBinaryOpcode opcode) => Loud(opcode) != opcode;

    /// <summary>The non-quiet opcode a quiet one behaves like (GETQ → GET); other opcodes unchanged.</summary>
    public static McBinaryOpcode Loud(McBinaryOpcode opcode) => opcode switch
    {
        McBinaryOpcode.GetQ => McBinaryOpcode.Get,
        McBinaryOpcode.GetKQ => McBinaryOpcode.GetK,
        McBinaryOpcode.SetQ => McBinaryOpcode.Set,
        McBinaryOpcode.AddQ => McBinaryOpcode.Add,
        McBinaryOpcode.ReplaceQ => McBinaryOpcode.Replace,
        McBinaryOpcode.DeleteQ => McBinaryOpcode.Delete,
        McBinaryOpcode.IncrementQ => McBinaryOpcode.Increment,
        McBinaryOpcode.DecrementQ => McBinaryOpcode.Decrement,
        McBinaryOpcode.QuitQ => McBinaryOpcode.Quit,
        McBinaryOpcode.FlushQ => McBinaryOpcode.Flush,
        McBinaryOpcode.AppendQ => McBinaryOpcode.Append,
        McBinaryOpcode.PrependQ => McBinaryOpcode.Prepend,
        McBinaryOpcode.GatQ => McBinaryOpcode.Gat,
        McBinaryOpcode.GatKQ => McBinaryOpcode.GatK,
        _ => opcode,
    };
}
