using System.Buffers.Binary;

namespace CacheCluster.Cluster.Tests.Membership;

/// <summary>
/// An independent reader of the documented ClusterState encoding (format 1), written from the spec, giving the
/// offsets of the fields tests patch. It trusts its input (only used on the encoder's output).
/// </summary>
internal sealed class EncodingLayout
{
    public int ShardCountOffset = 1;
    public int MemberCountOffset = 3;
    public int MemberCount;
    public readonly List<int> MemberIdOffsets = [];
    public readonly List<int> MemberStatusOffsets = [];
    public readonly List<int> PresenceOffsets = [];
    public readonly List<int> FreshOffsets = [];
    public int RecordCountOffset;
    public int RecordCount;
    public readonly List<int> RecordUnreachableOffsets = [];

    public static EncodingLayout Parse(byte[] b)
    {
        var l = new EncodingLayout();
        Assert.Equal(1, b[0]);
        int shards = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(1));
        l.MemberCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(3));
        int p = 7;
        for (int i = 0; i < l.MemberCount; i++)
        {
            l.MemberIdOffsets.Add(p);
            p += 1 + b[p];          // NodeId
            p += 1 + b[p];          // Address
            p += 8;                 // Incarnation
            l.MemberStatusOffsets.Add(p);
            p += 1;
        }
        for (int s = 0; s < shards; s++)
        {
            l.PresenceOffsets.Add(p);
            if (b[p++] == 0) continue;
            p += 8;                 // Epoch
            p += 1 + b[p];          // NodeId
            l.FreshOffsets.Add(p);
            p += 1;
        }
        l.RecordCountOffset = p;
        l.RecordCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(p));
        p += 4;
        for (int i = 0; i < l.RecordCount; i++)
        {
            p += 1 + b[p];          // observer
            p += 8;
            p += 1 + b[p];          // subject
            p += 8;
            l.RecordUnreachableOffsets.Add(p);
            p += 1 + 8;             // unreachable, version
        }
        Assert.Equal(b.Length, p);
        return l;
    }
}
