using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using CacheCluster.Cluster.Wire;
using Microsoft.Extensions.Logging;

namespace CacheCluster.Cluster.Links;

/// <summary>
/// One authenticated TCP connection to a peer node, carrying frames both ways.
/// <para>Each started link owns two dedicated background threads, so heartbeats are never delayed by
/// thread-pool starvation: a reader (blocking receives into a <see cref="Pipe"/>, frames parsed
/// synchronously and handed to <see cref="ILinkHandler.OnFrame"/>) and a writer (<see cref="Send(FrameType, ReadOnlySpan{byte})"/>
/// appends to a lock-protected pending buffer; the writer swaps buffers and sends everything pending in
/// one blocking call).</para>
/// <para><see cref="Close"/> stops delivery at once and makes Send a no-op; the writer flushes what was
/// queued before it and half-closes the connection; the socket is released when the peer's EOF arrives or
/// after <see cref="DrainTimeout"/>, whichever comes first. <see cref="ILinkHandler.OnClosed"/> then fires on
/// the reader thread, exactly once, after the last <see cref="ILinkHandler.OnFrame"/>.</para>
/// </summary>
public sealed class NodeLink : IDisposable
{
    /// <summary>How long a closing link may take to flush what was queued before the close.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A link whose send queue grows beyond this is closed (the peer is not reading).</summary>
    public const long MaxQueuedBytes = 1L << 30;

    const int ReceiveChunk = 64 * 1024;
    const int InitialSendBuffer = 16 * 1024;
    const int KeepSendBuffer = 1024 * 1024;

    readonly Socket _socket;
    readonly ILinkHandler _handler;
    readonly ILogger _log;
    readonly object _gate = new();     // guards the pending buffer, _started and _closed transitions

    byte[] _pending = new byte[InitialSendBuffer];
    int _pendingLength;
    int _pendingFrames;
    byte[]? _spare = new byte[InitialSendBuffer];

    long _queuedBytes;
    long _framesSent;
    long _framesReceived;

    bool _started;
    volatile bool _closed;
    string _closeReason = "";
    int _aborted;
    int _closedNotified;
    Thread? _writer;
    Timer? _abortTimer;

    internal NodeLink(Socket socket, LinkIdentity peer, bool dialed, ILinkHandler handler, ILogger log)
    {
        _socket = socket;
        Peer = peer;
        Dialed = dialed;
        _handler = handler;
        _log = log;
        try
        {
            RemoteEndPoint = socket.RemoteEndPoint;
        }
        catch (SocketException)
        {
            RemoteEndPoint = null;
        }
    }

    /// <summary>The peer's identity, from its Hello.</summary>
    public LinkIdentity Peer { get; }

    /// <summary>True on the side that connected.</summary>
    public bool Dialed { get; }

    public bool IsOpen => !_closed;

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Bytes of frames queued and not yet written to the socket.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Frames written to the socket.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames handed to the handler.</summary>
    public long FramesReceived => Interlocked.Read(ref _framesReceived);

    /// <summary>Why the link closed (empty while open).</summary>
    public string CloseReason => _closeReason;

    public override string ToString() => $"link {(Dialed ? "to" : "from")} {Peer.NodeId}#{Peer.Incarnation} ({RemoteEndPoint})";

    /// <summary>
    /// Connects (binding the local end to <paramref name="localBind"/>, port 0, when given) and does the
    /// handshake as dialer. Throws <see cref="LinkRefusedException"/> (wrong secret, not a cluster node),
    /// <see cref="SocketException"/> or <see cref="TimeoutException"/> (connect + handshake longer than
    /// <paramref name="timeout"/>). Frames are not read before <see cref="Start"/>.
    /// </summary>
    public static async Task<NodeLink> DialAsync(string host, int port, string? localBind, LinkIdentity self, byte[] secret,
        ILinkHandler handler, ILogger log, TimeSpan timeout, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(log);
        IPAddress? bind = string.IsNullOrEmpty(localBind) ? null : IPAddress.Parse(localBind);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        Socket? socket = null;
        try
        {
            IPAddress[] addresses = IPAddress.TryParse(host, out var ip)
                ? [ip]
                : await Dns.GetHostAddressesAsync(host, cts.Token).ConfigureAwait(false);
            if (bind is not null)
            {
                var sameFamily = addresses.Where(a => a.AddressFamily == bind.AddressFamily).ToArray();
                if (sameFamily.Length > 0)
                    addresses = sameFamily;
            }
            if (addresses.Length == 0)
                throw new SocketException((int)SocketError.HostNotFound);

            SocketException? last = null;
            foreach (var address in addresses)
            {
                var candidate = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (bind is not null)
                        candidate.Bind(new IPEndPoint(bind, 0));
                    await candidate.ConnectAsync(new IPEndPoint(address, port), cts.Token).ConfigureAwait(false);
                    socket = candidate;
                    break;
                }
                catch (SocketException e)
                {
                    candidate.Dispose();
                    last = e;
                }
                catch
                {
                    candidate.Dispose();
                    throw;
                }
            }
            if (socket is null)
                throw last!;

            var peer = await Handshake.DialAsync(socket, self, secret, cts.Token).ConfigureAwait(false);
            return new NodeLink(socket, peer, dialed: true, handler, log);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            socket?.Dispose();
            throw new TimeoutException($"cluster link to {host}:{port} not established within {timeout.TotalSeconds:0.#} s");
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    /// <summary>Starts the reader and writer threads. Idempotent. A link closed before it starts still reports OnClosed.</summary>
    public void Start()
    {
        bool closed;
        lock (_gate)
        {
            if (_started)
                return;
            _started = true;
            closed = _closed;
            if (!closed)
            {
                _writer = new Thread(WriterLoop) { IsBackground = true, Name = $"cluster-link-w {Peer.NodeId}" };
                _writer.Start();
            }
        }
        new Thread(ReaderLoop) { IsBackground = true, Name = $"cluster-link-r {Peer.NodeId}" }.Start();
    }

    /// <summary>Queues a frame. Thread-safe, never blocks on the network; frames sent by one thread keep their order. No-op once closed.</summary>
    public void Send(FrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Frames.MaxPayload)
            throw new ArgumentOutOfRangeException(nameof(payload), $"frame payload of {payload.Length} bytes exceeds {Frames.MaxPayload}");
        int frameLength = Frames.HeaderLength + payload.Length;
        bool overflow = false;
        lock (_gate)
        {
            if (_closed)
                return;
            if (Interlocked.Read(ref _queuedBytes) + frameLength > MaxQueuedBytes)
            {
                overflow = true;
            }
            else
            {
                int needed = _pendingLength + frameLength;
                if (needed > _pending.Length)
                {
                    var bigger = new byte[(int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _pending.Length))];
                    _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
                    _pending = bigger;
                }
                var frame = _pending.AsSpan(_pendingLength, frameLength);
                BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(payload.Length + 1));
                frame[4] = (byte)type;
                payload.CopyTo(frame[Frames.HeaderLength..]);
                _pendingLength = needed;
                _pendingFrames++;
                Interlocked.Add(ref _queuedBytes, frameLength);
                Monitor.Pulse(_gate);
            }
        }
        if (overflow)
            Close("send queue overflow (peer not reading)");
    }

    public void Send(FrameType type, WireWriter payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Send(type, payload.Written);
    }

    /// <summary>Closes the link (idempotent): no frame is delivered after this; what was queued before is flushed (bounded).</summary>
    public void Close(string reason)
    {
        bool started;
        lock (_gate)
        {
            if (_closed)
                return;
            _closeReason = reason;
            _closed = true;
            started = _started;
            Monitor.PulseAll(_gate);
        }
        if (started)
        {
            // The writer flushes and half-closes; the reader ends at the peer's EOF. If the peer does not
            // take the bytes or does not close in time, abort.
            var timer = new Timer(static s => ((NodeLink)s!).Abort(), this, DrainTimeout, Timeout.InfiniteTimeSpan);
            Volatile.Write(ref _abortTimer, timer);
            if (Volatile.Read(ref _aborted) != 0)
                timer.Dispose();
        }
        else
        {
            FlushUnstarted();
            _ = LingerThenAbortAsync();
        }
    }

    public void Dispose() => Close("disposed");

    // ---- writer -----------------------------------------------------------------------------

    void WriterLoop()
    {
        try
        {
            while (true)
            {
                byte[] batch;
                int length, frames;
                lock (_gate)
                {
                    while (_pendingLength == 0 && !_closed)
                        Monitor.Wait(_gate);
                    if (_pendingLength == 0)
                        break;                       // closed and drained
                    batch = _pending;
                    length = _pendingLength;
                    frames = _pendingFrames;
                    _pending = _spare ?? new byte[InitialSendBuffer];
                    _spare = null;
                    _pendingLength = 0;
                    _pendingFrames = 0;
                }
                SendAll(batch, length);
                Interlocked.Add(ref _queuedBytes, -length);
                Interlocked.Add(ref _framesSent, frames);
                if (batch.Length > KeepSendBuffer)
                    batch = new byte[InitialSendBuffer];
                lock (_gate)
                    _spare = batch;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close(e is SocketException se ? $"send failed: {se.SocketErrorCode}" : "socket closed");
        }
        catch (Exception e)
        {
            _log.LogError(e, "cluster {Link}: writer failed", this);
            Close($"writer failed: {e.Message}");
        }
        finally
        {
            // Everything queued before Close is out: half-close. The peer sees EOF after our last frame and
            // closes its side, which ends our reader (or the abort timer does).
            ShutdownSend();
        }
    }

    void SendAll(byte[] buffer, int length)
    {
        int sent = 0;
        while (sent < length)
            sent += _socket.Send(buffer, sent, length - sent, SocketFlags.None);
    }

    void FlushUnstarted()
    {
        byte[] batch;
        int length, frames;
        lock (_gate)
        {
            batch = _pending;
            length = _pendingLength;
            frames = _pendingFrames;
            _pendingLength = 0;
            _pendingFrames = 0;
        }
        if (length == 0)
            return;
        try
        {
            _socket.SendTimeout = (int)DrainTimeout.TotalMilliseconds;
            SendAll(batch, length);
            Interlocked.Add(ref _framesSent, frames);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // best effort
        }
        Interlocked.Add(ref _queuedBytes, -length);
    }

    // ---- reader -----------------------------------------------------------------------------

    void ReaderLoop()
    {
        string? reason = null;
        var pipe = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,          // never pause: the reader below is synchronous
            resumeWriterThreshold: 0,
            minimumSegmentSize: ReceiveChunk,
            useSynchronizationContext: false));
        try
        {
            while (true)
            {
                Memory<byte> memory = pipe.Writer.GetMemory(ReceiveChunk);
                int n = _socket.Receive(memory.Span, SocketFlags.None);
                if (n == 0)
                {
                    reason = "connection closed by peer";
                    break;
                }
                if (_closed)
                    continue;      // closing: drop what comes until the peer's EOF (or the abort timer)
                pipe.Writer.Advance(n);
                var flush = pipe.Writer.FlushAsync();
                if (!flush.IsCompleted)
                    flush.AsTask().GetAwaiter().GetResult();
                if (!pipe.Reader.TryRead(out var result))
                    continue;
                var buffer = result.Buffer;
                reason = ParseFrames(ref buffer);
                pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (reason is not null)
                    break;
            }
        }
        catch (SocketException e)
        {
            reason = $"receive failed: {e.SocketErrorCode}";
        }
        catch (ObjectDisposedException)
        {
            reason = "socket closed";
        }
        catch (Exception e)
        {
            _log.LogError(e, "cluster {Link}: reader failed", this);
            reason = $"reader failed: {e.Message}";
        }
        finally
        {
            pipe.Reader.Complete();
            pipe.Writer.Complete();
            Close(reason ?? "closed");
            // Let the writer flush what was queued before the close, then release the socket.
            var writer = _writer;
            if (writer is not null && writer != Thread.CurrentThread)
                writer.Join(DrainTimeout);
            Abort();
            NotifyClosed();
        }
    }

    /// <summary>Delivers the complete frames at the start of <paramref name="buffer"/> (left at the first incomplete one); returns a close reason on a bad frame.</summary>
    string? ParseFrames(ref ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[Frames.HeaderLength];
        while (buffer.Length >= Frames.HeaderLength)
        {
            buffer.Slice(0, Frames.HeaderLength).CopyTo(header);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length == 0)
                return "bad frame (empty)";
            if (length > Frames.MaxLength)
                return "frame too large";
            if (buffer.Length - 4 < length)
                return null;
            var payload = new byte[length - 1];
            buffer.Slice(Frames.HeaderLength, payload.Length).CopyTo(payload);
            buffer = buffer.Slice(4 + length);
            if (_closed)
                continue;                           // closing: deliver nothing more
            Interlocked.Increment(ref _framesReceived);
            try
            {
                _handler.OnFrame(this, (FrameType)header[4], payload);
            }
            catch (Exception e)
            {
                _log.LogError(e, "cluster {Link}: handler failed on a {Type} frame", this, (FrameType)header[4]);
                return $"handler failed on a {(FrameType)header[4]} frame: {e.Message}";
            }
        }
        return null;
    }

    // ---- teardown ---------------------------------------------------------------------------

    void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A link closed before it started: half-close, wait (bounded) for the peer's EOF, then release the socket.</summary>
    async Task LingerThenAbortAsync()
    {
        try
        {
            ShutdownSend();
            using var timeout = new CancellationTokenSource(DrainTimeout);
            var scratch = new byte[4096];
            while (await _socket.ReceiveAsync(scratch, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            Abort();
        }
    }

    void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
            return;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        Volatile.Read(ref _abortTimer)?.Dispose();
    }

    void NotifyClosed()
    {
        if (Interlocked.Exchange(ref _closedNotified, 1) != 0)
            return;
        try
        {
            _handler.OnClosed(this, _closeReason);
        }
        catch (Exception e)
        {
            _log.LogError(e, "cluster {Link}: OnClosed handler failed", this);
        }
    }
}
