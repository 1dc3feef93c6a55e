using CacheCluster.Core;

namespace CacheCluster.Protocols.Resp.Commands;

/// <summary>
/// Turns one parsed RESP request into protocol-neutral shard commands, checking syntax the way
/// Redis does before anything executes (arity, options, numbers, expiry times). Pure: it touches
/// no socket, shard or connection state.
/// </summary>
public sealed partial class RespDecoder(ShardMap map, IClock clock)
{
    public ShardMap Map { get; } = map;

    public RespRequest Decode(ArgumentList args, ICommandSink sink)
    {
        var req = new RespRequest { Args = args, First = sink.Count };
        if (!RespCommandTable.TryFind(args[0], out var def))
            return Fail(ref req, RespErrors.UnknownCommand(args));
        req.Def = def;
        if (!def.ArityOk(args.Count))
            return Fail(ref req, RespErrors.WrongArity(def.Name));

        switch (def.Id)
        {
            case RespCommandId.Ping: case RespCommandId.Echo: case RespCommandId.Quit: case RespCommandId.Hello:
            case RespCommandId.Select: case RespCommandId.Client: case RespCommandId.Command: case RespCommandId.Info:
            case RespCommandId.Config: case RespCommandId.Time: case RespCommandId.Cluster: case RespCommandId.Auth:
            case RespCommandId.Reset:
                req.Kind = RequestKind.Local;
                return req;
            default:
                DecodeData(ref req, def, args, sink);
                req.Count = sink.Count - req.First;
                return req;
        }
    }

    void DecodeData(ref RespRequest req, RespCommandDef def, ArgumentList a, ICommandSink sink)
    {
        switch (def.Id)
        {
            case RespCommandId.Get: Single(ref req, sink, Op.Get, a, 1); break;
            case RespCommandId.Set: DecodeSet(ref req, a, sink); break;
            case RespCommandId.SetNx: Single(ref req, sink, Op.SetNxCount, a, 1).Value = a.ToArray(2); break;
            case RespCommandId.SetEx: DecodeSetEx(ref req, a, sink, seconds: true); break;
            case RespCommandId.PSetEx: DecodeSetEx(ref req, a, sink, seconds: false); break;
            case RespCommandId.GetSet:
                ref var gs = ref Single(ref req, sink, Op.Set, a, 1);
                gs.Value = a.ToArray(2);
                gs.Options = CommandOptions.ReturnOld;
                break;
            case RespCommandId.GetDel: Single(ref req, sink, Op.GetDel, a, 1); break;
            case RespCommandId.GetEx: DecodeGetEx(ref req, a, sink); break;
            case RespCommandId.MGet:
                req.Kind = RequestKind.Array;
                for (int i = 1; i < a.Count; i++) Keyed(sink, Op.Get, a, i).Options = CommandOptions.NilOnWrongType;
                break;
            case RespCommandId.MSet: DecodeMSet(ref req, a, sink, def); break;
            case RespCommandId.MSetNx:
                if (a.Count % 2 == 0) { Fail(ref req, RespErrors.WrongArity(def.Name)); break; }
                req.Kind = RequestKind.Coordinated;
                break;
            case RespCommandId.Incr: Single(ref req, sink, Op.IncrBy, a, 1).Int1 = 1; break;
            case RespCommandId.Decr: Single(ref req, sink, Op.IncrBy, a, 1).Int1 = -1; break;
            case RespCommandId.IncrBy:
                if (!RedisNumbers.TryParseInt64(a[2], out long inc)) { Fail(ref req, RespErrors.NotInteger); break; }
                Single(ref req, sink, Op.IncrBy, a, 1).Int1 = inc;
                break;
            case RespCommandId.DecrBy:
                if (!RedisNumbers.TryParseInt64(a[2], out long dec)) { Fail(ref req, RespErrors.NotInteger); break; }
                if (dec == long.MinValue) { Fail(ref req, RespErrors.DecrementOverflow); break; }
                Single(ref req, sink, Op.IncrBy, a, 1).Int1 = -dec;
                break;
            case RespCommandId.IncrByFloat: Single(ref req, sink, Op.IncrByFloat, a, 1).Value = a.ToArray(2); break;
            case RespCommandId.Append: Single(ref req, sink, Op.Append, a, 1).Value = a.ToArray(2); break;
            case RespCommandId.StrLen: Single(ref req, sink, Op.StrLen, a, 1); break;
            case RespCommandId.GetRange: case RespCommandId.Substr:
                if (!RedisNumbers.TryParseInt64(a[2], out long start) || !RedisNumbers.TryParseInt64(a[3], out long end))
                { Fail(ref req, RespErrors.NotInteger); break; }
                ref var gr = ref Single(ref req, sink, Op.GetRange, a, 1);
                gr.Int1 = start;
                gr.Int2 = end;
                break;
            case RespCommandId.SetRange:
                if (!RedisNumbers.TryParseInt64(a[2], out long offset)) { Fail(ref req, RespErrors.NotInteger); break; }
                if (offset < 0) { Fail(ref req, RespErrors.OffsetOutOfRange); break; }
                ref var sr = ref Single(ref req, sink, Op.SetRange, a, 1);
                sr.Int1 = offset;
                sr.Value = a.ToArray(3);
                break;
            default:
                DecodeKeys(ref req, def, a, sink);
                break;
        }
    }

    static RespRequest Fail(ref RespRequest req, string error)
    {
        req.Kind = RequestKind.Error;
        req.ErrorText = error;
        return req;
    }

    /// <summary>A request answered by one command on the key at argument <paramref name="keyArg"/>.</summary>
    ref Command Single(ref RespRequest req, ICommandSink sink, Op op, ArgumentList a, int keyArg)
    {
        req.Kind = RequestKind.Single;
        return ref Keyed(sink, op, a, keyArg);
    }

    ref Command Keyed(ICommandSink sink, Op op, ArgumentList a, int keyArg)
    {
        var key = a.Memory(keyArg);
        ref var c = ref sink.Add(Map.ShardOf(key.Span));
        c.Op = op;
        c.Key = key;
        return ref c;
    }

    /// <summary>One command per shard, for whole-keyspace requests.</summary>
    public void Broadcast(ICommandSink sink, Op op)
    {
        for (int s = 0; s < Map.ShardCount; s++) sink.Add(s).Op = op;
    }
}
