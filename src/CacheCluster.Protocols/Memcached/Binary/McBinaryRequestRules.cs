namespace CacheCluster.Protocols.Memcached.Binary;

/// <summary>How a request's header fits its opcode.</summary>
internal enum McBinaryShape : byte
{
    Valid,        // decode it
    Invalid,      // extras/key/body lengths the opcode does not allow: "Invalid arguments", then close
    Unsupported,  // unknown opcode (or SASL, VERBOSITY): "Unknown command", body skipped, connection kept
}

/// <summary>
/// memcached 1.6's per-opcode length checks (proto_bin.c, dispatch_bin_command), applied to the
/// loud opcode. Only the header is needed, so a bad frame is refused before its body arrives.
/// </summary>
internal static class McBinaryRequestRules
{
    public static McBinaryShape Check(McBinaryOpcode loud, in McBinaryHeader h)
    {
        int ext = h.ExtrasLength, key = h.KeyLength;
        uint body = h.BodyLength;
        bool ok;
        switch (loud)
        {
            case McBinaryOpcode.Version:
            case McBinaryOpcode.Noop:
            case McBinaryOpcode.Quit:
                ok = ext == 0 && key == 0 && body == 0;
                break;
            case McBinaryOpcode.Flush:
                ok = key == 0 && body == ext && (ext == 0 || ext == 4);
                break;
            case McBinaryOpcode.Set:
            case McBinaryOpcode.Add:
            case McBinaryOpcode.Replace:
                ok = ext == 8 && key != 0 && body >= (uint)key + 8;
                break;
            case McBinaryOpcode.Get:
            case McBinaryOpcode.GetK:
                ok = ext == 0 && body == key && key > 0;
                break;
            case McBinaryOpcode.Delete:
                ok = key > 0 && ext == 0 && body == key;
                break;
            case McBinaryOpcode.Increment:
            case McBinaryOpcode.Decrement:
                ok = key > 0 && ext == 20 && body == (uint)key + 20;
                break;
            case McBinaryOpcode.Append:
            case McBinaryOpcode.Prepend:
                ok = key > 0 && ext == 0;
                break;
            case McBinaryOpcode.Stat:
                ok = ext == 0;
                break;
            case McBinaryOpcode.Touch:
            case McBinaryOpcode.Gat:
            case McBinaryOpcode.GatK:
                ok = ext == 4 && key != 0;
                break;
            // memcached built without SASL checks the shape, then answers "Unknown command"
            case McBinaryOpcode.SaslListMechs:
                return ext == 0 && key == 0 && body == 0 ? McBinaryShape.Unsupported : McBinaryShape.Invalid;
            case McBinaryOpcode.SaslAuth:
            case McBinaryOpcode.SaslStep:
                return ext == 0 && key != 0 ? McBinaryShape.Unsupported : McBinaryShape.Invalid;
            default:
                return McBinaryShape.Unsupported;
        }
        return ok ? McBinaryShape.Valid : McBinaryShape.Invalid;
    }

    /// <summary>Opcodes whose body carries a value to store.</summary>
    public static bool IsStore(McBinaryOpcode loud) => loud is McBinaryOpcode.Set or McBinaryOpcode.Add
        or McBinaryOpcode.Replace or McBinaryOpcode.Append or McBinaryOpcode.Prepend;
}
