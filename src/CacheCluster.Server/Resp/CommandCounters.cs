using CacheCluster.Protocols.Resp.Commands;

namespace CacheCluster.Server.Resp;

/// <summary>
/// Per-connection command counts (no shared counters on the hot path); INFO sums them over
/// connections. Slot 0 counts unknown commands.
/// </summary>
public sealed class CommandCounters
{
    public static readonly int Slots = Enum.GetValues<RespCommandId>().Length;
    readonly long[] _calls = new long[Slots];
    readonly long[] _failed = new long[Slots];

    public void Call(RespCommandId id) => _calls[(int)id]++;
    public void Fail(RespCommandId id) => _failed[(int)id]++;

    public void AddTo(long[] calls, long[] failed)
    {
        for (int i = 0; i < Slots; i++)
        {
            calls[i] += Volatile.Read(ref _calls[i]);
            failed[i] += Volatile.Read(ref _failed[i]);
        }
    }

    public void Reset()
    {
        Array.Clear(_calls);
        Array.Clear(_failed);
    }
}
