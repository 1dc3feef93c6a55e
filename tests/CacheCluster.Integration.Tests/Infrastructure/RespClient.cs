using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>
/// Minimal raw-TCP RESP2/RESP3 client: sends multibulk commands or raw bytes, reads one complete reply tree at a time.
/// Every read is bounded by a timeout so a test never hangs on a silent server.
/// </summary>
public sealed class RespClient : IAsyncDisposable, IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buf = new byte[64 * 1024];
    private int _start, _end;

    public int Port { get; }
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    private RespClient(Socket socket, int port)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Port = port;
    }

    public static Task<RespClient> ConnectAsync(int port, TimeSpan? timeout = null) => ConnectAsync(IPAddress.Loopback, port, timeout);

    /// <summary>Connects to another loopback address (a cluster node on 127.0.0.N).</summary>
    public static async Task<RespClient> ConnectAsync(IPAddress address, int port, TimeSpan? timeout = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RespClient(socket, port);
    }

    public static byte[] Encode(IReadOnlyList<byte[]> args)
    {
        using var ms = new MemoryStream();
        void W(string s) { var b = Encoding.ASCII.GetBytes(s); ms.Write(b, 0, b.Length); }
        W($"*{args.Count}\r\n");
        foreach (var a in args)
        {
            W($"${a.Length}\r\n");
            ms.Write(a, 0, a.Length);
            W("\r\n");
        }
        return ms.ToArray();
    }

    public static byte[][] Args(params object[] args) => args.Select(ToBytes).ToArray();

    public static byte[] ToBytes(object a) => a switch
    {
        byte[] b => b,
        string s => Encoding.UTF8.GetBytes(s),
        IFormattable f => Encoding.ASCII.GetBytes(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)),
        _ => Encoding.UTF8.GetBytes(a.ToString() ?? ""),
    };

    public Task SendAsync(params object[] args) => SendRawAsync(Encode(Args(args)));

    public Task SendArgsAsync(IReadOnlyList<byte[]> args) => SendRawAsync(Encode(args));

    public async Task SendRawAsync(byte[] data)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await _stream.WriteAsync(data, cts.Token);
    }

    public Task SendRawAsync(string data) => SendRawAsync(Encoding.UTF8.GetBytes(data));

    public async Task<RespValue> CallAsync(params object[] args)
    {
        await SendAsync(args);
        return await ReadAsync();
    }

    public async Task<RespValue> CallArgsAsync(IReadOnlyList<byte[]> args)
    {
        await SendArgsAsync(args);
        return await ReadAsync();
    }

    /// <summary>Reads one complete reply (skipping RESP3 attributes) within <see cref="Timeout"/>.</summary>
    public async Task<RespValue> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            while (true)
            {
                var v = await ReadValueAsync(cts.Token);
                if (v.Kind != RespKind.Attribute) return v;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no complete RESP reply from port {Port} within {(timeout ?? Timeout).TotalSeconds}s (buffered: '{RespValue.Escape(_buf[_start.._end])}')");
        }
    }

    /// <summary>
    /// Waits until the server closes the connection (EOF or reset). Returns true if closed within the timeout,
    /// false if still open. Any bytes the server sends meanwhile are returned in <paramref name="trailing"/>.
    /// </summary>
    public async Task<(bool Closed, byte[] Trailing)> WaitForCloseAsync(TimeSpan timeout)
    {
        var trailing = new MemoryStream();
        trailing.Write(_buf, _start, _end - _start);
        _start = _end = 0;
        using var cts = new CancellationTokenSource(timeout);
        var tmp = new byte[8192];
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(tmp, cts.Token);
                if (n == 0) return (true, trailing.ToArray());
                trailing.Write(tmp, 0, n);
                if (trailing.Length > 10_000_000) return (false, trailing.ToArray());
            }
        }
        catch (OperationCanceledException) { return (false, trailing.ToArray()); }
        catch (IOException) { return (true, trailing.ToArray()); }
        catch (SocketException) { return (true, trailing.ToArray()); }
    }

    private async ValueTask<RespValue> ReadValueAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        if (line.Length == 0) throw new InvalidDataException("empty RESP line");
        var type = (char)line[0];
        var rest = line.AsSpan(1);
        switch (type)
        {
            case '+': return RespValue.Simple(rest.ToArray());
            case '-': return RespValue.Err(rest.ToArray());
            case ':': return RespValue.Int(ParseLong(rest, line));
            case ',': return RespValue.Dbl(rest.ToArray());
            case '(': return RespValue.BigNum(rest.ToArray());
            case '_': return RespValue.Nil('_');
            case '#':
                return rest.Length == 1 && rest[0] == (byte)'t' ? RespValue.Bool(true)
                    : rest.Length == 1 && rest[0] == (byte)'f' ? RespValue.Bool(false)
                    : throw new InvalidDataException($"bad boolean '{Encoding.ASCII.GetString(line)}'");
            case '$':
            case '!':
            case '=':
            {
                var len = ParseLong(rest, line);
                if (len == -1 && type == '$') return RespValue.Nil('$');
                if (len < 0 || len > 1_000_000_000) throw new InvalidDataException($"bad blob length in '{Encoding.ASCII.GetString(line)}'");
                var data = await ReadExactAsync((int)len + 2, ct);
                if (data[^2] != '\r' || data[^1] != '\n') throw new InvalidDataException("blob not terminated by CRLF");
                var payload = data[..^2];
                return type switch
                {
                    '$' => RespValue.Bulk(payload),
                    '!' => RespValue.BlobErr(payload),
                    _ => RespValue.Verbatim(payload),
                };
            }
            case '*':
            case '~':
            case '>':
            case '%':
            case '|':
            {
                var n = ParseLong(rest, line);
                if (n == -1 && type == '*') return RespValue.Nil('*');
                if (n < 0 || n > 50_000_000) throw new InvalidDataException($"bad aggregate length in '{Encoding.ASCII.GetString(line)}'");
                var count = type is '%' or '|' ? n * 2 : n;
                var items = new List<RespValue>((int)Math.Min(count, 1024));
                for (long i = 0; i < count; i++) items.Add(await ReadValueAsync(ct));
                return type switch
                {
                    '*' => RespValue.Arr(items),
                    '~' => RespValue.SetOf(items),
                    '>' => RespValue.PushOf(items),
                    '%' => RespValue.MapOf(items),
                    _ => RespValue.AttributeOf(items),
                };
            }
            default:
                throw new InvalidDataException($"unknown RESP type byte '{RespValue.Escape(line)}'");
        }
    }

    private static long ParseLong(ReadOnlySpan<byte> s, byte[] line)
    {
        if (!Utf8Parser.TryParse(s, out long v, out var consumed) || consumed != s.Length)
            throw new InvalidDataException($"bad integer in RESP line '{RespValue.Escape(line)}'");
        return v;
    }

    private async ValueTask<byte[]> ReadLineAsync(CancellationToken ct)
    {
        var scanFrom = _start;
        while (true)
        {
            var idx = _buf.AsSpan(scanFrom, _end - scanFrom).IndexOf((byte)'\n');
            if (idx >= 0)
            {
                var nl = scanFrom + idx;
                if (nl == _start || _buf[nl - 1] != '\r') throw new InvalidDataException("RESP line not terminated by CRLF");
                var line = _buf[_start..(nl - 1)];
                _start = nl + 1;
                return line;
            }
            scanFrom = _end;
            var before = _start;
            await FillAsync(ct);
            scanFrom -= before - _start; // buffer may have been compacted
        }
    }

    private async ValueTask<byte[]> ReadExactAsync(int n, CancellationToken ct)
    {
        var result = new byte[n];
        var got = 0;
        while (got < n)
        {
            if (_end > _start)
            {
                var take = Math.Min(n - got, _end - _start);
                Buffer.BlockCopy(_buf, _start, result, got, take);
                _start += take;
                got += take;
                continue;
            }
            _start = _end = 0;
            var r = await _stream.ReadAsync(result.AsMemory(got, n - got), ct);
            if (r == 0) throw new EndOfStreamException($"connection to port {Port} closed mid-reply");
            got += r;
        }
        return result;
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
        var n = await _stream.ReadAsync(_buf.AsMemory(_end), ct);
        if (n == 0) throw new EndOfStreamException($"connection to port {Port} closed by server (buffered: '{RespValue.Escape(_buf[.._end])}')");
        _end += n;
    }

    public void Dispose() => _stream.Dispose();

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
