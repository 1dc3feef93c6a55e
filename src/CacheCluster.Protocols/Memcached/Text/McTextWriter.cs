using System.Buffers;
using System.Text;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    public void Write(IBufferWriter<byte> output, in McRequest request, Command[] commands, Reply[] replies)
    {
        if (request.Kind == McRequestKind.Error)
        {
            if (!request.Quiet && request.ErrorText != null) McLineWriter.Line(output, request.ErrorText);
            return;
        }
        if (request.Kind == McRequestKind.Local)
        {
            WriteLocal(output, request, "");
            return;
        }
        var op = (McTextOp)request.Opcode;
        if (op == McTextOp.FixedError)
        {
            if (request.Quiet) return;
            if (((McMetaBits)request.Status & McMetaBits.ReplyErrorFirst) != 0 && replies[request.First].Kind == ReplyKind.Error)
                McLineWriter.Line(output, ErrorLine(in replies[request.First], McTextErrors.OutOfMemory));
            else McLineWriter.Line(output, request.ErrorText!);
            return;
        }
        if (op >= McTextOp.Mg)
        {
            WriteMeta(output, in request, commands, replies);
            return;
        }
        if (op is McTextOp.Get or McTextOp.Gets or McTextOp.Gat or McTextOp.Gats)
        {
            WriteValues(output, in request, commands, replies, withCas: op is McTextOp.Gets or McTextOp.Gats);
            return;
        }
        if (request.Quiet) return; // noreply silences every answer of these, errors included

        if (op == McTextOp.FlushAll)
        {
            for (int i = request.First; i < request.First + request.Count; i++)
                if (replies[i].Kind == ReplyKind.Error) { McLineWriter.Line(output, ErrorLine(in replies[i], McTextErrors.Internal)); return; }
            McLineWriter.Line(output, "OK\r\n"u8);
            return;
        }

        ref readonly var r = ref replies[request.First];
        switch (op)
        {
            case McTextOp.Store:
                if (r.Kind == ReplyKind.Status)
                {
                    McLineWriter.Line(output, (McStatus)r.Integer switch
                    {
                        McStatus.Stored => "STORED\r\n"u8,
                        McStatus.NotStored => "NOT_STORED\r\n"u8,
                        McStatus.Exists => "EXISTS\r\n"u8,
                        McStatus.NotFound => "NOT_FOUND\r\n"u8,
                        _ => "SERVER_ERROR Unhandled storage type.\r\n"u8,
                    });
                }
                // an append that would outgrow the item size limit fails to allocate: NOT_STORED
                else if (r.Kind == ReplyKind.Error && r.Error == ErrorCode.StringTooLong) McLineWriter.Line(output, "NOT_STORED\r\n"u8);
                else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemoryStoring));
                break;
            case McTextOp.Delete:
                WriteStatus(output, in r, McStatus.Deleted, "DELETED\r\n"u8);
                break;
            case McTextOp.Touch:
                WriteStatus(output, in r, McStatus.Touched, "TOUCHED\r\n"u8);
                break;
            case McTextOp.Incr:
                if (r.Kind == ReplyKind.Integer)
                {
                    var w = new McLineWriter(output);
                    w.Append(unchecked((ulong)r.Integer));
                    w.Commit();
                }
                else if (r.Kind == ReplyKind.Status && (McStatus)r.Integer == McStatus.NotFound) McLineWriter.Line(output, "NOT_FOUND\r\n"u8);
                else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemory));
                break;
        }
    }

    static void WriteStatus(IBufferWriter<byte> output, in Reply r, McStatus success, ReadOnlySpan<byte> successLine)
    {
        if (r.Kind == ReplyKind.Status && (McStatus)r.Integer == success) McLineWriter.Line(output, successLine);
        else if (r.Kind == ReplyKind.Status && (McStatus)r.Integer == McStatus.NotFound) McLineWriter.Line(output, "NOT_FOUND\r\n"u8);
        else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemory));
    }

    /// <summary>memcached's line for a failed command; <paramref name="outOfMemory"/> is the command's own wording.</summary>
    static string ErrorLine(in Reply r, string outOfMemory)
    {
        if (r.Kind != ReplyKind.Error) return McTextErrors.Internal;
        return r.Error switch
        {
            ErrorCode.OutOfMemory => outOfMemory,
            ErrorCode.NonNumeric => McTextErrors.NonNumeric,
            ErrorCode.Loading => McTextErrors.Loading,
            ErrorCode.PersistenceFailed => McTextErrors.PersistenceFailed,
            ErrorCode.TryAgain => McTextErrors.TryAgain,
            ErrorCode.ClusterDown => McTextErrors.ClusterDown,
            _ => McTextErrors.Internal,
        };
    }

    /// <summary><c>VALUE &lt;key&gt; &lt;flags&gt; &lt;bytes&gt; [&lt;cas&gt;]</c> + data per hit, then END.</summary>
    static void WriteValues(IBufferWriter<byte> output, in McRequest request, Command[] commands, Reply[] replies, bool withCas)
    {
        int end = request.First + request.Count;
        // a lookup that failed spoils the whole answer, as when memcached cannot build a get response
        for (int i = request.First; i < end; i++)
        {
            if (replies[i].Kind != ReplyKind.Error) continue;
            McLineWriter.Line(output, ErrorLine(in replies[i], "SERVER_ERROR out of memory writing get response"));
            return;
        }
        for (int i = request.First; i < end; i++)
        {
            ref readonly var r = ref replies[i];
            if (r.Kind != ReplyKind.Bulk) continue;
            var value = r.Bulk.Span;
            var w = new McLineWriter(output, McLineWriter.ExtraFor(true, value.Length));
            w.Append("VALUE "u8);
            w.Append(commands[i].Key.Span);
            w.Append((byte)' ');
            w.Append((ulong)r.Flags);
            w.Append((byte)' ');
            w.Append((ulong)value.Length);
            if (withCas)
            {
                w.Append((byte)' ');
                w.Append(r.Cas);
            }
            w.Commit(withValue: true, value);
        }
        McLineWriter.Line(output, "END\r\n"u8);
    }

    public void WriteStats(IBufferWriter<byte> output, in McRequest request, IReadOnlyList<KeyValuePair<string, string>> stats)
    {
        if (request.Group == "reset")
        {
            McLineWriter.Line(output, "RESET\r\n"u8);
            return;
        }
        for (int i = 0; i < stats.Count; i++)
        {
            var (name, value) = stats[i];
            int max = Encoding.UTF8.GetMaxByteCount(name.Length + value.Length) + 8;
            var span = output.GetSpan(max);
            int n = 0;
            "STAT "u8.CopyTo(span);
            n += 5;
            n += Encoding.UTF8.GetBytes(name, span[n..]);
            if (value.Length > 0)
            {
                span[n++] = (byte)' ';
                n += Encoding.UTF8.GetBytes(value, span[n..]);
            }
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
            output.Advance(n);
        }
        McLineWriter.Line(output, "END\r\n"u8);
    }

    public void WriteLocal(IBufferWriter<byte> output, in McRequest request, string version)
    {
        switch (request.Local)
        {
            case McLocal.Noop:
                McLineWriter.Line(output, "MN\r\n"u8);
                break;
            case McLocal.Version:
                McLineWriter.Line(output, "VERSION " + version);
                break;
            case McLocal.Verbosity:
            case McLocal.FlushDelayed:
                if (!request.Quiet) McLineWriter.Line(output, "OK\r\n"u8);
                break;
            case McLocal.Quit:
                break; // memcached closes without a word
        }
    }
}
