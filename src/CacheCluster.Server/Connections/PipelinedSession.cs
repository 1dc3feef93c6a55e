using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using CacheCluster.Server.Metrics;

namespace CacheCluster.Server.Connections;

/// <summary>
/// The loop every protocol connection runs: read, parse every complete request in what arrived
/// (a whole pipeline), execute them as one batch, write the replies in order, flush once. A batch
/// cut short by its size limit leaves the rest unexamined so the next read returns at once.
/// </summary>
public abstract class PipelinedSession
{
    /// <summary>The connection's output, for replies written outside the normal order (CLIENT REPLY ON).</summary>
    protected PipeWriter Output { get; private set; } = null!;

    /// <summary>Parses what is complete in <paramref name="buffer"/>; true when the batch limit, not the data, stopped it.</summary>
    protected abstract bool ParseBatch(in ReadOnlySequence<byte> buffer, out SequencePosition consumed);

    /// <summary>Requests parsed by the last <see cref="ParseBatch"/>.</summary>
    protected abstract int ParsedRequests { get; }

    /// <summary>Executes the parsed requests and writes their replies, in order, without flushing.</summary>
    protected abstract ValueTask ExecuteAsync(PipeWriter output);

    /// <summary>True once a request (QUIT, a protocol error) asked to close after its reply.</summary>
    protected abstract bool CloseRequested { get; }

    /// <summary>Where each batch's time from its read to the flush of its replies goes (/metrics).</summary>
    protected Histogram? BatchDurations { get; init; }

    public async Task RunAsync(IDuplexPipe transport, CancellationToken aborted)
    {
        var input = transport.Input;
        var output = Output = transport.Output;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                var result = await input.ReadAsync(aborted);
                long started = Stopwatch.GetTimestamp();   // one timestamp pair per batch, not per command
                var buffer = result.Buffer;
                bool full = ParseBatch(buffer, out var consumed);
                input.AdvanceTo(consumed, full ? consumed : buffer.End);
                if (ParsedRequests > 0)
                {
                    await ExecuteAsync(output);
                    var flush = await output.FlushAsync(aborted);
                    BatchDurations?.RecordSince(started);
                    if (flush.IsCompleted) break;
                }
                if (CloseRequested || result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (Microsoft.AspNetCore.Connections.ConnectionResetException) { }
        catch (IOException) { }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }
}
