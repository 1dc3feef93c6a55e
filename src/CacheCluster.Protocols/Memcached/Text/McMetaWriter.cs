using System.Buffers;
using CacheCluster.Core;

namespace CacheCluster.Protocols.Memcached.Text;

public sealed partial class McTextCodec
{
    /// <summary>Meta responses: a 2-letter code, the requested flags in request order, then Z/X/W (mg), CRLF, and the value for VA.</summary>
    static void WriteMeta(IBufferWriter<byte> output, in McRequest request, Command[] commands, Reply[] replies)
    {
        ref readonly var r = ref replies[request.First];
        ref readonly var cmd = ref commands[request.First];
        var bits = (McMetaBits)request.Status;
        switch ((McTextOp)request.Opcode)
        {
            case McTextOp.Mg:
                if (r.Kind == ReplyKind.Bulk) WriteMgHit(output, in request, in r, bits, cmd.Key.Span);
                // a miss, or a vivify that found no memory (memcached: item_alloc failed → EN)
                else if (r.Kind == ReplyKind.Nil || r.Kind == ReplyKind.Error && r.Error == ErrorCode.OutOfMemory)
                {
                    if (!request.Quiet) WriteCode(output, in request, "EN"u8);
                }
                else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.Internal));
                break;

            case McTextOp.Ms:
                WriteMs(output, in request, in r, bits);
                break;

            case McTextOp.Md:
            case McTextOp.MdRemoveValue:
                if (r.Kind != ReplyKind.Status)
                {
                    McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemory));
                    break;
                }
                var status = (McStatus)r.Integer;
                if (status is McStatus.Deleted or McStatus.Stored)
                {
                    if (!request.Quiet) WriteCode(output, in request, "HD"u8);
                }
                else WriteCode(output, in request, status == McStatus.Exists ? "EX"u8 : "NF"u8);
                break;

            case McTextOp.Ma:
                if (r.Kind == ReplyKind.Integer)
                {
                    // memcached 1.6.18's q silences HD after arithmetic, not after creating the item (N)
                    if (!request.Quiet || (r.Meta & McMeta.Win) != 0) WriteMaHit(output, in request, in r, bits);
                }
                else if (r.Kind == ReplyKind.Status)
                    WriteCode(output, in request, (McStatus)r.Integer == McStatus.Exists ? "EX"u8 : "NF"u8);
                else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemory));
                break;

            case McTextOp.Me:
                if (r.Kind == ReplyKind.Bulk) WriteMe(output, in request, in r, in cmd);
                else if (r.Kind == ReplyKind.Nil) McLineWriter.Line(output, "EN\r\n"u8);
                else McLineWriter.Line(output, ErrorLine(in r, McTextErrors.Internal));
                break;
        }
    }

    static void WriteMgHit(IBufferWriter<byte> output, in McRequest request, in Reply r, McMetaBits bits, ReadOnlySpan<byte> rawKey)
    {
        bool withValue = (bits & McMetaBits.Value) != 0;
        var value = r.Bulk.Span;
        var w = new McLineWriter(output, McLineWriter.ExtraFor(withValue, value.Length));
        if (withValue)
        {
            w.Append("VA "u8);
            w.Append((ulong)value.Length);
        }
        else w.Append("HD"u8);
        for (ulong order = (uint)request.Number; order != 0; order >>= 4)
        {
            switch ((McReturnFlag)(order & 0xF))
            {
                case McReturnFlag.Size: w.Flag('s'); w.Append((ulong)value.Length); break;
                case McReturnFlag.Ttl:
                    // an item this request vivified has no TTL yet where t stands before N
                    bool created = (r.Meta & (McMeta.Win | McMeta.Stale)) == McMeta.Win;
                    w.Flag('t');
                    long ttl = r.Integer;
                    if (created && (bits & McMetaBits.TtlFromT) != 0) { long t = (int)(request.Number >> 32); ttl = t == 0 ? -1 : t; }
                    else if (created && (bits & McMetaBits.TtlBeforeVivify) != 0) ttl = -1;
                    w.Append(ttl);
                    break;
                case McReturnFlag.Cas: w.Flag('c'); w.Append(r.Cas); break;
                case McReturnFlag.Flags: w.Flag('f'); w.Append((ulong)r.Flags); break;
                case McReturnFlag.LastAccess: w.Flag('l'); w.Append(r.Aux); break;
                case McReturnFlag.Hit: w.Flag('h'); w.Append((r.Meta & McMeta.HitBefore) != 0 ? (byte)'1' : (byte)'0'); break;
                case McReturnFlag.Opaque: AppendOpaque(ref w, in request); break;
                case McReturnFlag.Key: AppendItemKey(ref w, in request, bits, (r.Meta & McMeta.Base64Key) != 0, rawKey); break;
            }
        }
        // memcached's order: Z (a win token is out), X (stale), W (this client won)
        if ((r.Meta & McMeta.AlreadyWon) != 0) w.Flag('Z');
        if ((r.Meta & McMeta.Stale) != 0) w.Flag('X');
        if ((r.Meta & McMeta.Win) != 0) w.Flag('W');
        w.Commit(withValue, value);
    }

    static void WriteMs(IBufferWriter<byte> output, in McRequest request, in Reply r, McMetaBits bits)
    {
        ReadOnlySpan<byte> code;
        if (r.Kind == ReplyKind.Status)
        {
            switch ((McStatus)r.Integer)
            {
                case McStatus.Stored:
                    if (request.Quiet) return;
                    code = "HD"u8;
                    break;
                case McStatus.Exists: code = "EX"u8; break;
                case McStatus.NotFound: code = "NF"u8; break;
                default: code = "NS"u8; break;
            }
        }
        else if (r.Kind == ReplyKind.Error && r.Error == ErrorCode.StringTooLong) code = "NS"u8;
        else
        {
            McLineWriter.Line(output, ErrorLine(in r, McTextErrors.OutOfMemoryStoring));
            return;
        }
        var w = new McLineWriter(output);
        w.Append(code);
        for (ulong order = (uint)request.Number; order != 0; order >>= 4)
        {
            switch ((McReturnFlag)(order & 0xF))
            {
                case McReturnFlag.Opaque: AppendOpaque(ref w, in request); break;
                case McReturnFlag.Key: AppendKey(ref w, in request, bits); break;
                case McReturnFlag.Cas: w.Flag('c'); w.Append(r.Cas); break;
                // memcached 1.6.18's ms returns O, k and c only
            }
        }
        w.Commit();
    }

    static void WriteMaHit(IBufferWriter<byte> output, in McRequest request, in Reply r, McMetaBits bits)
    {
        bool withValue = (bits & McMetaBits.Value) != 0;
        Span<byte> number = stackalloc byte[20];
        int digits = McNumbers.Write(number, unchecked((ulong)r.Integer));
        var w = new McLineWriter(output, McLineWriter.ExtraFor(withValue, digits));
        if (withValue)
        {
            w.Append("VA "u8);
            w.Append((ulong)digits);
        }
        else w.Append("HD"u8);
        for (ulong order = (uint)request.Number; order != 0; order >>= 4)
        {
            switch ((McReturnFlag)(order & 0xF))
            {
                case McReturnFlag.Cas: w.Flag('c'); w.Append(r.Cas); break;
                case McReturnFlag.Ttl:
                    w.Flag('t');
                    w.Append(MaTtl(in request, in r, bits));
                    break;
                case McReturnFlag.Opaque: AppendOpaque(ref w, in request); break;
                case McReturnFlag.Key: AppendKey(ref w, in request, bits); break;
            }
        }
        w.Commit(withValue, number[..digits]);
    }

    /// <summary>
    /// ma's t: memcached prints the item's TTL where t stands among the flags, so after a T it is T's, and
    /// on an item created by this request (N) before N is applied it is -1; otherwise the store's
    /// figure after the operation (Reply.Aux, seconds, -1 = none; 0 means not reported).
    /// </summary>
    static long MaTtl(in McRequest request, in Reply r, McMetaBits bits)
    {
        if ((bits & McMetaBits.TtlFromT) != 0) return (int)(request.Number >> 32);
        if ((bits & McMetaBits.TtlBeforeVivify) != 0 && (r.Meta & McMeta.Win) != 0) return -1;
        return r.Aux == 0 ? -1 : r.Aux;
    }

    /// <summary>A status code followed by only the O and k flags (misses and failures).</summary>
    static void WriteCode(IBufferWriter<byte> output, in McRequest request, ReadOnlySpan<byte> code)
    {
        var w = new McLineWriter(output);
        w.Append(code);
        var bits = (McMetaBits)request.Status;
        for (ulong order = (uint)request.Number; order != 0; order >>= 4)
        {
            var f = (McReturnFlag)(order & 0xF);
            if (f == McReturnFlag.Opaque) AppendOpaque(ref w, in request);
            else if (f == McReturnFlag.Key) AppendKey(ref w, in request, bits);
        }
        w.Commit();
    }

    /// <summary>memcached's META_KEY: " k" + key, base64 followed by " b" for a binary key.</summary>
    static void AppendKey(ref McLineWriter w, in McRequest request, McMetaBits bits)
    {
        w.Flag('k');
        w.Append(request.Key.Span[..(int)request.Opaque]);
        if ((bits & McMetaBits.Binary) != 0) w.Flag('b');
    }

    /// <summary>
    /// On a hit memcached echoes the key the way the item was stored: base64 + " b" when it was set
    /// with ms b, the raw key otherwise, whatever form this request used.
    /// </summary>
    static void AppendItemKey(ref McLineWriter w, in McRequest request, McMetaBits bits, bool storedBase64, ReadOnlySpan<byte> rawKey)
    {
        bool requestBase64 = (bits & McMetaBits.Binary) != 0;
        if (storedBase64 == requestBase64)
        {
            AppendKey(ref w, in request, bits);
            return;
        }
        w.Flag('k');
        if (!storedBase64)
        {
            w.Append(rawKey);
            return;
        }
        Span<byte> encoded = stackalloc byte[McBase64.EncodedLength(rawKey.Length)];
        int n = McBase64.EncodeTo(rawKey, encoded);
        w.Append(encoded[..n]);
        w.Flag('b');
    }

    static void AppendOpaque(ref McLineWriter w, in McRequest request)
    {
        w.Append((byte)' ');
        w.Append(request.Key.Span[(int)request.Opaque..]);
    }

    /// <summary>
    /// <c>ME &lt;key&gt; exp=%d la=%llu cas=%llu fetch=%s cls=%u size=%lu</c>, the figures memcached would
    /// report for the item: exp = TTL left (-1 = none), la = seconds since last access, size =
    /// ITEM_ntotal on a 64-bit build, cls = its slab class under the default slab settings.
    /// </summary>
    static void WriteMe(IBufferWriter<byte> output, in McRequest request, in Reply r, in Command cmd)
    {
        long size = ItemTotal(cmd.Key.Length, r.Flags, r.Bulk.Length);
        var w = new McLineWriter(output);
        w.Append("ME "u8);
        w.Append(request.Key.Span);
        w.Append(" exp="u8);
        w.Append(r.Integer < 0 ? -1 : r.Integer);
        w.Append(" la="u8);
        w.Append(r.Aux);
        w.Append(" cas="u8);
        w.Append(r.Cas);
        w.Append(" fetch="u8);
        w.Append((r.Meta & McMeta.HitBefore) != 0 ? "yes"u8 : "no"u8);
        w.Append(" cls="u8);
        w.Append((long)SlabClass(size));
        w.Append(" size="u8);
        w.Append(size);
        w.Commit();
    }

    /// <summary>memcached's ITEM_ntotal: 48-byte header, key + NUL, client flags if non-zero, data + CRLF, CAS.</summary>
    static long ItemTotal(int keyLength, uint flags, int valueLength) => MemcachedItem.Size(keyLength, flags, valueLength);

    static readonly int[] SlabSizes = BuildSlabSizes();

    /// <summary>slabs_init with memcached's defaults: 96-byte first class, factor 1.25, 8-byte alignment, 512 KB largest chunk.</summary>
    static int[] BuildSlabSizes()
    {
        const int chunkMax = 512 * 1024;
        var sizes = new List<int> { 0 };
        uint size = 48 + 48;
        while (sizes.Count < 63)
        {
            if (size >= chunkMax / 1.25) break;
            if (size % 8 != 0) size += 8 - size % 8;
            sizes.Add((int)size);
            size = (uint)(size * 1.25);
        }
        sizes.Add(chunkMax);
        return sizes.ToArray();
    }

    static int SlabClass(long size)
    {
        int cls = 1;
        while (cls < SlabSizes.Length - 1 && size > SlabSizes[cls]) cls++;
        return cls;
    }
}
