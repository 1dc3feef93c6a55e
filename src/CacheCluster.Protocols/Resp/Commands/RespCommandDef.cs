namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>
/// What COMMAND INFO/DOCS report for a command and what the dispatcher needs: Redis's arity
/// (positive = exact argc, negative = at least), flags and key positions.
/// </summary>
public sealed class RespCommandDef(
    RespCommandId id, string name, int arity, string[] flags, int firstKey, int lastKey, int step,
    string group, string since, string summary, string complexity)
{
    public RespCommandId Id { get; } = id;
    public string Name { get; } = name;         // lower case, as Redis reports it
    public byte[] NameBytes { get; } = System.Text.Encoding.ASCII.GetBytes(name);
    public int Arity { get; } = arity;
    public string[] Flags { get; } = flags;
    public int FirstKey { get; } = firstKey;
    public int LastKey { get; } = lastKey;
    public int Step { get; } = step;
    public string Group { get; } = group;
    public string Since { get; } = since;
    public string Summary { get; } = summary;
    public string Complexity { get; } = complexity;
    public string[] Subcommands { get; init; } = [];

    public bool ArityOk(int argc) => Arity >= 0 ? argc == Arity : argc >= -Arity;
}
