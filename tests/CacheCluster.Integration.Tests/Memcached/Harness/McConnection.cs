using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheCluster.Integration.Tests.Memcached.Harness;

/// <summary>The peer closed the connection (EOF or reset) while a reply was expected.</summary>
public sealed class McClosedException(string message) : Exception(message);

/// <summary>
/// Raw loopback TCP connection to a memcached-speaking server: writes bytes, reads CRLF lines, exact byte counts
/// and binary-protocol frames. Every read is bounded by <see cref="Timeout"/> (TimeoutException), so a silent
/// server never hangs a test; EOF/reset surfaces as <see cref="McClosedException"/>.
/// </summary>
public sealed class McConnection : IAsyncDisposable, IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buf = new byte[64 * 1024];
    private int _start, _end;

    public int Port { get; }
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    private McConnection(Socket socket, int port)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Port = port;
    }

    public static Task<McConnection> ConnectAsync(int port, TimeSpan? timeout = null) => ConnectAsync(IPAddress.Loopback, port, timeout);

    /// <summary>Connects to another loopback address (a cluster node on 127.0.0.N).</summary>
    public static async Task<McConnection> ConnectAsync(IPAddress address, int port, TimeSpan? timeout = null)
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
        return new McConnection(socket, port);
    }

    public async Task SendAsync(byte[] data)
    {
        using var cts = new CancellationTokenSource(Timeout + TimeSpan.FromSeconds(data.Length / 1_000_000));
        try
        {
            await _stream.WriteAsync(data, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"could not write {data.Length} bytes to port {Port} within {Timeout.TotalSeconds}s");
        }
        catch (IOException e)
        {
            throw new McClosedException($"write to port {Port} failed: {e.Message}");
        }
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes <paramref name="data"/> in pieces split at <paramref name="splits"/>, pausing between pieces.</summary>
    public async Task SendSplitAsync(byte[] data, IEnumerable<int> splits, TimeSpan pause)
    {
        var prev = 0;
        foreach (var s in splits.Where(s => s > 0 && s < data.Length).Distinct().Order())
        {
            await SendAsync(data[prev..s]);
            await Task.Delay(pause);
            prev = s;
        }
        await SendAsync(data[prev..]);
    }

    /// <summary>Reads one line and returns it without the trailing "\r\n" (a bare "\n" also ends a line; the "\r" then stays).</summary>
    public async Task<byte[]> ReadLineAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var scanned = 0; // bytes after _start already known to hold no '\n' (relative: survives compaction)
        while (true)
        {
            var idx = _buf.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (idx >= 0)
            {
                var nl = _start + scanned + idx;
                var lineEnd = nl > _start && _buf[nl - 1] == '\r' ? nl - 1 : nl;
                var line = _buf[_start..lineEnd];
                _start = nl + 1;
                return line;
            }
            scanned = _end - _start;
            await FillAsync(cts.Token, "a line");
        }
    }

    public async Task<string> ReadLineTextAsync() => Encoding.UTF8.GetString(await ReadLineAsync());

    public async Task<byte[]> ReadExactAsync(int n)
    {
        using var cts = new CancellationTokenSource(Timeout + TimeSpan.FromSeconds(n / 1_000_000));
        while (_end - _start < n) await FillAsync(cts.Token, $"{n} bytes");
        var result = _buf[_start..(_start + n)];
        _start += n;
        return result;
    }

    /// <summary>Reads one binary-protocol frame (24-byte header + body).</summary>
    public async Task<McFrame> ReadFrameAsync()
    {
        var header = await ReadExactAsync(24);
        var bodyLen = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        if (bodyLen < 0 || bodyLen > 64 * 1024 * 1024) throw new InvalidDataException($"absurd body length {bodyLen} in header {Convert.ToHexString(header)}");
        var body = await ReadExactAsync(bodyLen);
        return McFrame.Parse(header, body);
    }

    /// <summary>Bytes received but not consumed yet.</summary>
    public byte[] Buffered => _buf[_start.._end];

    /// <summary>Waits until the peer closes. True if it closed within the timeout; the bytes it sent meanwhile are returned.</summary>
    public async Task<(bool Closed, byte[] Trailing)> WaitForCloseAsync(TimeSpan timeout)
    {
        var trailing = new MemoryStream();
        trailing.Write(_buf, _start, _end - _start);
        _start = _end = 0;
        using var cts = new CancellationTokenSource(timeout);
        var tmp = new byte[65536];
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

    /// <summary>Reads whatever arrives until nothing more comes for <paramref name="quiet"/> (or the peer closes).</summary>
    public async Task<(byte[] Data, bool Closed)> ReadUntilQuietAsync(TimeSpan quiet)
    {
        var ms = new MemoryStream();
        ms.Write(_buf, _start, _end - _start);
        _start = _end = 0;
        var tmp = new byte[65536];
        while (true)
        {
            using var cts = new CancellationTokenSource(quiet);
            try
            {
                var n = await _stream.ReadAsync(tmp, cts.Token);
                if (n == 0) return (ms.ToArray(), true);
                ms.Write(tmp, 0, n);
            }
            catch (OperationCanceledException) { return (ms.ToArray(), false); }
            catch (IOException) { return (ms.ToArray(), true); }
            catch (SocketException) { return (ms.ToArray(), true); }
        }
    }

    private async Task FillAsync(CancellationToken ct, string what)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buf.Length) Array.Resize(ref _buf, _buf.Length * 2);
        int n;
        try
        {
            n = await _stream.ReadAsync(_buf.AsMemory(_end), ct);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"waiting for {what} from port {Port}: nothing within {Timeout.TotalSeconds}s (buffered: '{Esc.Bytes(_buf[.._end])}')");
        }
        catch (IOException e)
        {
            throw new McClosedException($"connection to port {Port} failed while waiting for {what}: {e.Message} (buffered: '{Esc.Bytes(_buf[.._end])}')");
        }
        if (n == 0) throw new McClosedException($"connection to port {Port} closed while waiting for {what} (buffered: '{Esc.Bytes(_buf[.._end])}')");
        _end += n;
    }

    public void Dispose() => _stream.Dispose();

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Printable escaping of arbitrary bytes for failure messages.</summary>
public static class Esc
{
    public static string Bytes(ReadOnlySpan<byte> b, int max = 400)
    {
        var sb = new StringBuilder();
        var n = Math.Min(b.Length, max);
        for (var i = 0; i < n; i++)
        {
            var c = b[i];
            sb.Append(c switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => ((char)c).ToString(),
                _ => $"\\x{c:x2}",
            });
        }
        if (b.Length > max) sb.Append($"…({b.Length} bytes)");
        return sb.ToString();
    }

    public static string Text(string s, int max = 400) => Bytes(Encoding.UTF8.GetBytes(s), max);
}
