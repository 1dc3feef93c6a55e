using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;

namespace CacheCluster.Integration.Tests.Persistence;

public enum WriterKind { RespSet, McText, McBinary, RespIncr, RespDel, RespMset }

/// <summary>
/// One connection writing as fast as it can, with a small pipeline. Write number s goes to key
/// Prefix + (s % KeySpace) with a value that names its key and s, so after a restart every value
/// can be traced to the write that produced it. Replies arrive in order, so the acknowledged writes
/// are exactly the first <see cref="Acked"/>; <see cref="Sent"/> bounds what the server may have seen.
/// </summary>
public sealed class Writer
{
    public const int Depth = 8;

    public Writer(WriterKind kind, string prefix, long keySpace)
    {
        Kind = kind;
        Prefix = prefix;
        KeySpace = keySpace;
    }

    /// <summary>RespDel: how many keys are stored before the run; write number s then deletes key s.</summary>
    public int Prefill { get; init; }

    /// <summary>RespDel: stores the keys it will delete (before the clock starts).</summary>
    public async Task PrepareAsync(int respPort)
    {
        if (Kind != WriterKind.RespDel) return;
        await using var c = await RespClient.ConnectAsync(respPort);
        await Persist.SetManyAsync(c, Enumerable.Range(0, Prefill).Select(i => (Key(i), ValueText(i))).ToList());
    }

    public WriterKind Kind { get; }
    public string Prefix { get; }
    public long KeySpace { get; }
    private long _sent, _acked, _lastCounter = long.MinValue;
    public long Sent => Interlocked.Read(ref _sent);
    public long Acked => Interlocked.Read(ref _acked);
    /// <summary>RespIncr: the last INCR result acknowledged.</summary>
    public long LastCounter => Interlocked.Read(ref _lastCounter);
    /// <summary>A failure seen while the node was still supposed to be up.</summary>
    public string? Error { get; private set; }
    /// <summary>Error replies from the server (always a failure in these tests).</summary>
    public string? ErrorReply { get; private set; }

    public string CounterKey => Prefix + "ctr";
    /// <summary>RespMset: each MSET stores this many keys (spread over the shards by their hash slots).</summary>
    public const int MsetWidth = 4;
    public string MsetKey(long s, int j) => $"{Prefix}{s}:{j}";
    public string Key(long s) => Prefix + (s % KeySpace).ToString(CultureInfo.InvariantCulture);
    public string ValueText(long s) => $"{Key(s)}={s}:" + new string((char)('a' + s % 26), (int)(s % 40));
    public uint Flags(long s) => Kind == WriterKind.RespSet ? 0u : (uint)((s * 2654435761L) & 0xffffffffL);

    /// <summary>Number of distinct keys this writer may have touched.</summary>
    public long KeysTouched => Kind switch
    {
        WriterKind.RespIncr => 1,
        WriterKind.RespDel => Prefill,
        _ => Math.Min(Sent, KeySpace),
    };

    public async Task RunAsync(int respPort, int mcPort, Func<bool> killed, CancellationToken stop)
    {
        try
        {
            switch (Kind)
            {
                case WriterKind.RespSet:
                case WriterKind.RespIncr:
                case WriterKind.RespDel:
                case WriterKind.RespMset:
                {
                    await using var c = await RespClient.ConnectAsync(respPort);
                    while (!stop.IsCancellationRequested && (Kind != WriterKind.RespDel || Sent + Depth <= Prefill))
                    {
                        var start = Sent;
                        var ms = new MemoryStream();
                        for (var s = start; s < start + Depth; s++)
                            ms.Write(Kind switch
                            {
                                WriterKind.RespSet => RespClient.Encode(RespClient.Args("SET", Key(s), ValueText(s))),
                                WriterKind.RespDel => RespClient.Encode(RespClient.Args("DEL", Key(s))),
                                WriterKind.RespMset => RespClient.Encode(RespClient.Args(new object[] { "MSET" }.Concat(Enumerable.Range(0, MsetWidth).SelectMany(j => new object[] { MsetKey(s, j), ValueText(s) })).ToArray())),
                                _ => RespClient.Encode(RespClient.Args("INCR", CounterKey)),
                            });
                        Interlocked.Exchange(ref _sent, start + Depth);
                        await c.SendRawAsync(ms.ToArray());
                        for (var s = start; s < start + Depth; s++)
                        {
                            var r = await c.ReadAsync();
                            if (Kind is WriterKind.RespSet or WriterKind.RespMset && r.Kind == RespKind.SimpleString && r.Text == "OK") Interlocked.Exchange(ref _acked, s + 1);
                            else if (Kind == WriterKind.RespDel && r.Kind == RespKind.Integer && r.Integer == 1) Interlocked.Exchange(ref _acked, s + 1);
                            else if (Kind == WriterKind.RespIncr && r.Kind == RespKind.Integer)
                            {
                                Interlocked.Exchange(ref _lastCounter, r.Integer);
                                Interlocked.Exchange(ref _acked, s + 1);
                            }
                            else { ErrorReply = $"{Kind} write #{s} answered {r}"; return; }
                        }
                    }
                    break;
                }
                case WriterKind.McText:
                {
                    await using var c = await McConnection.ConnectAsync(mcPort);
                    c.Timeout = TimeSpan.FromSeconds(10);
                    while (!stop.IsCancellationRequested)
                    {
                        var start = Sent;
                        var sb = new StringBuilder();
                        for (var s = start; s < start + Depth; s++)
                        {
                            var v = ValueText(s);
                            sb.Append("set ").Append(Key(s)).Append(' ').Append(Flags(s)).Append(" 0 ").Append(Encoding.UTF8.GetByteCount(v)).Append("\r\n").Append(v).Append("\r\n");
                        }
                        Interlocked.Exchange(ref _sent, start + Depth);
                        await c.SendAsync(sb.ToString());
                        for (var s = start; s < start + Depth; s++)
                        {
                            var line = await c.ReadLineTextAsync();
                            if (line == "STORED") Interlocked.Exchange(ref _acked, s + 1);
                            else { ErrorReply = $"memcached text set #{s} answered '{line}'"; return; }
                        }
                    }
                    break;
                }
                case WriterKind.McBinary:
                {
                    await using var c = await McConnection.ConnectAsync(mcPort);
                    c.Timeout = TimeSpan.FromSeconds(10);
                    while (!stop.IsCancellationRequested)
                    {
                        var start = Sent;
                        var ms = new MemoryStream();
                        for (var s = start; s < start + Depth; s++)
                            ms.Write(McBin.Frame(Op.Set, McBin.Key(Key(s)), McBin.StoreExtras(Flags(s), 0), Encoding.UTF8.GetBytes(ValueText(s)), opaque: (uint)s));
                        Interlocked.Exchange(ref _sent, start + Depth);
                        await c.SendAsync(ms.ToArray());
                        for (var s = start; s < start + Depth; s++)
                        {
                            var f = await c.ReadFrameAsync();
                            if (f.Status == St.Ok && f.Opaque == (uint)s) Interlocked.Exchange(ref _acked, s + 1);
                            else { ErrorReply = $"memcached binary set #{s} answered {f}"; return; }
                        }
                    }
                    break;
                }
            }
        }
        catch (Exception e) when (killed())
        {
            _ = e; // the node was killed under us: expected
        }
        catch (Exception e)
        {
            Error = $"{Kind} {Prefix}: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>The newest acknowledged write to key index k, or -1 when none was acknowledged.</summary>
    public long LastAckedFor(long k)
    {
        var acked = Acked;
        if (acked <= k) return -1;
        return k + (acked - 1 - k) / KeySpace * KeySpace;
    }
}

/// <summary>The outcome of checking writers against what a restarted node serves.</summary>
public sealed class VerifyResult
{
    /// <summary>Acknowledged writes not visible after the restart (key missing or an older value).</summary>
    public long Lost;
    public long Checked;
    /// <summary>Values that no write produced (wrong key, never sent, wrong flags, garbage): always a bug.</summary>
    public List<string> Phantoms { get; } = new();
    public List<string> LostSamples { get; } = new();

    public void AddLost(string what)
    {
        Lost++;
        if (LostSamples.Count < 20) LostSamples.Add(what);
    }

    public void AddPhantom(string what)
    {
        if (Phantoms.Count < 20) Phantoms.Add(what);
        else if (Phantoms.Count == 20) Phantoms.Add("…");
    }

    public string Describe() =>
        $"checked {Checked} keys; lost acknowledged writes: {Lost}" +
        (LostSamples.Count > 0 ? "\n  lost, e.g.: " + string.Join("\n    ", LostSamples) : "") +
        (Phantoms.Count > 0 ? "\n  values no write produced: " + string.Join("\n    ", Phantoms) : "");
}

public static class KillWorkload
{
    /// <summary>Starts the writers, SIGKILLs (or SIGTERMs) the node after <paramref name="runFor"/>, and waits for them to notice.</summary>
    public static async Task<(TimeSpan WriteTime, long AckedTotal)> RunAndKillAsync(NodeProcess node, IReadOnlyList<Writer> writers, TimeSpan runFor, bool sigterm = false)
    {
        await Task.WhenAll(writers.Select(w => w.PrepareAsync(node.RespPort)));
        var killed = 0;
        using var stop = new CancellationTokenSource();
        var sw = Stopwatch.StartNew();
        var tasks = writers.Select(w => Task.Run(() => w.RunAsync(node.RespPort, node.MemcachedPort, () => Volatile.Read(ref killed) == 1, stop.Token))).ToList();
        await Task.Delay(runFor);
        // Every writer must still be writing when the node dies: that is the point of the test.
        var idle = writers.Where(w => w.Error != null || w.ErrorReply != null).ToList();
        Volatile.Write(ref killed, 1);
        if (sigterm)
        {
            var code = await node.StopAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, $"SIGTERM under write load: exit code {code?.ToString() ?? "(did not exit within 30 s)"}\n{node.Describe()}");
        }
        else await node.KillAsync();
        var writeTime = sw.Elapsed;
        Assert.True(node.HasExited, "SIGKILL did not stop the node\n" + node.Describe());
        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(20))) != all)
            Assert.Fail("writers still blocked 20 s after the node was killed");
        var failures = writers.Where(w => w.Error != null || w.ErrorReply != null).Select(w => w.Error ?? w.ErrorReply).ToList();
        Assert.True(idle.Count == 0 && failures.Count == 0, "writers failed before the kill:\n" + string.Join("\n", failures) + "\n" + node.Describe());
        return (writeTime, writers.Sum(w => w.Acked));
    }

    /// <summary>Reads back every key the writers may have touched (RESP writers over RESP, memcached writers over memcached text) and classifies it.</summary>
    public static async Task<VerifyResult> VerifyAsync(NodeProcess node, IEnumerable<Writer> writers)
    {
        var result = new VerifyResult();
        await using var resp = await node.ConnectAsync();
        await using var mc = await McConnection.ConnectAsync(node.MemcachedPort);
        mc.Timeout = TimeSpan.FromSeconds(10);
        foreach (var w in writers)
        {
            if (w.Kind == WriterKind.RespIncr)
            {
                result.Checked++;
                var r = await resp.CallAsync("GET", w.CounterKey);
                var last = w.LastCounter;
                if (r.IsNull)
                {
                    if (last != long.MinValue) result.AddLost($"{w.CounterKey}: missing, last acknowledged INCR returned {last}");
                    continue;
                }
                if (r.Kind != RespKind.Bulk || !long.TryParse(r.Text, out var v)) { result.AddPhantom($"{w.CounterKey}: {r}"); continue; }
                if (v > w.Sent) result.AddPhantom($"{w.CounterKey}: {v} but only {w.Sent} INCRs were sent");
                else if (last != long.MinValue && v < last)
                {
                    for (var i = v; i < last; i++) result.AddLost($"{w.CounterKey}: {v}, but an INCR was acknowledged with {last}");
                }
                continue;
            }

            if (w.Kind == WriterKind.RespMset)
            {
                // an acknowledged MSET must be there entirely; one never sent must not be there at all
                var mkeys = new List<string>();
                for (long i = 0; i < w.Sent; i++) for (var j = 0; j < Writer.MsetWidth; j++) mkeys.Add(w.MsetKey(i, j));
                var mvalues = await Persist.GetManyAsync(resp, mkeys);
                result.Checked += mkeys.Count;
                for (var s = 0; s < w.Sent; s++)
                {
                    string? missing = null;
                    for (var j = 0; j < Writer.MsetWidth; j++)
                    {
                        var i = s * Writer.MsetWidth + j;
                        var v = mvalues[i];
                        if (v.IsNull) missing ??= mkeys[i];
                        else if (v.Kind != RespKind.Bulk || v.Text != w.ValueText(s)) result.AddPhantom($"{mkeys[i]}: {v}, expected '{w.ValueText(s)}'");
                    }
                    // counted once per MSET, like the acknowledgement
                    if (missing != null && s < w.Acked) result.AddLost($"{missing}: missing, but MSET #{s} was acknowledged (acked {w.Acked})");
                }
                continue;
            }

            if (w.Kind == WriterKind.RespDel)
            {
                var dkeys = Enumerable.Range(0, w.Prefill).Select(i => w.Key(i)).ToList();
                var dvalues = await Persist.GetManyAsync(resp, dkeys);
                result.Checked += dkeys.Count;
                for (var i = 0; i < dkeys.Count; i++)
                {
                    var v = dvalues[i];
                    if (v.IsNull) { if (i >= w.Sent) result.AddLost($"{dkeys[i]}: its acknowledged SET is gone, and no DEL for it was ever sent (sent {w.Sent})"); }
                    else if (v.Kind != RespKind.Bulk || v.Text != w.ValueText(i)) result.AddPhantom($"{dkeys[i]}: {v}, expected the prefilled '{w.ValueText(i)}'");
                    else if (i < w.Acked) result.AddLost($"{dkeys[i]}: back after the restart although its DEL was acknowledged (acked {w.Acked} DELs)");
                }
                continue;
            }

            var n = w.KeysTouched;
            var keys = new List<string>((int)n);
            for (long k = 0; k < n; k++) keys.Add(w.Prefix + k.ToString(CultureInfo.InvariantCulture));
            result.Checked += n;
            if (w.Kind == WriterKind.RespSet)
            {
                var values = await Persist.GetManyAsync(resp, keys);
                for (var k = 0; k < n; k++)
                {
                    var v = values[k];
                    if (v.IsNull) Classify(w, k, null, null, result);
                    else if (v.Kind != RespKind.Bulk) result.AddPhantom($"{keys[k]}: GET answered {v}");
                    else Classify(w, k, v.Text, null, result);
                }
            }
            else
            {
                var items = await Persist.McGetManyAsync(mc, keys);
                for (var k = 0; k < n; k++)
                    Classify(w, k, items.TryGetValue(keys[k], out var it) ? it.Text : null, it?.Flags, result);
            }
        }
        return result;
    }

    private static void Classify(Writer w, long k, string? value, uint? flags, VerifyResult result)
    {
        var key = w.Prefix + k.ToString(CultureInfo.InvariantCulture);
        var lastAcked = w.LastAckedFor(k);
        if (value == null)
        {
            if (lastAcked >= 0) result.AddLost($"{key}: missing; write #{lastAcked} was acknowledged ({w.Kind}, acked {w.Acked}, sent {w.Sent})");
            return;
        }
        // value = "<key>=<s>:<padding>"
        var eq = value.IndexOf('=');
        var colon = value.IndexOf(':', eq + 1);
        if (eq < 0 || colon < 0 || value[..eq] != key || !long.TryParse(value.AsSpan(eq + 1, colon - eq - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            || w.ValueText(s) != value)
        {
            result.AddPhantom($"{key}: value '{(value.Length > 80 ? value[..80] + "…" : value)}' was never written to this key");
            return;
        }
        if (s % w.KeySpace != k || s >= w.Sent) { result.AddPhantom($"{key}: write #{s} was never sent to this key (sent {w.Sent})"); return; }
        if (flags is { } f && f != w.Flags(s)) { result.AddPhantom($"{key}: value of write #{s} with flags {f}, but it was written with flags {w.Flags(s)}"); return; }
        if (s < lastAcked) result.AddLost($"{key}: holds write #{s}, but the later write #{lastAcked} was acknowledged ({w.Kind})");
    }

    /// <summary>One round's writers: 8 RESP SET connections, one memcached text, one memcached binary, one RESP INCR, one RESP DEL (deleting keys stored just before the round) and one RESP MSET connection (4 keys per MSET).</summary>
    public static List<Writer> MakeWriters(string roundPrefix, long keySpace, int deletePrefill)
    {
        var list = new List<Writer>
        {
            new(WriterKind.RespDel, $"{roundPrefix}:del:", long.MaxValue) { Prefill = deletePrefill },
            new(WriterKind.RespMset, $"{roundPrefix}:ms:", long.MaxValue),
        };
        for (var i = 0; i < 8; i++) list.Add(new Writer(WriterKind.RespSet, $"{roundPrefix}:rs{i}:", keySpace));
        list.Add(new Writer(WriterKind.McText, $"{roundPrefix}:mt:", keySpace));
        list.Add(new Writer(WriterKind.McBinary, $"{roundPrefix}:mb:", keySpace));
        list.Add(new Writer(WriterKind.RespIncr, $"{roundPrefix}:in:", 1));
        return list;
    }

    public static string Summary(IEnumerable<Writer> writers) =>
        string.Join(", ", writers.Select(w => $"{w.Prefix} acked {w.Acked}/sent {w.Sent}"));
}
