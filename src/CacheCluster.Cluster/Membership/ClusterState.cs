using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CacheCluster.Cluster.Membership;

/// <summary>
/// The gossiped cluster state: members (with Down/Removed tombstones), reachability records and the shard
/// table. It is a join semilattice: <see cref="Merge"/> is commutative, associative and idempotent, so two
/// nodes that have seen the same records hold byte-identical <see cref="Encode"/>d states and equal
/// <see cref="Digest"/>s. Mutable; used by one thread at a time (the caller serializes access).
/// </summary>
/// <remarks>
/// Reachability records are keyed internally by (observer, observer incarnation, subject, subject incarnation):
/// the subject incarnation is part of the key so that a record can never become valid again once it is invalid
/// (incarnations only grow, statuses only move forward). Without it, a record about a downed subject would be
/// pruned or revived depending on the order of merges (when the subject rejoins as a new incarnation), and
/// merge would not be associative. A record written about the subject's old incarnation does not apply to
/// its new one: the observer writes a new record if the new incarnation is unreachable too.
/// </remarks>
public sealed class ClusterState
{
    /// <summary>Leading format byte of <see cref="Encode"/>.</summary>
    private const byte FormatVersion = 1;

    public const int MaxShardCount = 16384;
    public const int MaxMembers = 10_000;
    public const int MaxStringBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly ShardOwner?[] _owners;
    private readonly Dictionary<ReachKey, ReachValue> _reach = new();

    private Member[]? _sortedMembers;   // cache, invalidated when a member changes
    private ulong _digest;
    private bool _digestValid;

    public ClusterState(int shardCount)
    {
        if (shardCount < 1 || shardCount > MaxShardCount)
            throw new ArgumentOutOfRangeException(nameof(shardCount), shardCount, $"shard count must be 1..{MaxShardCount}");
        ShardCount = shardCount;
        _owners = new ShardOwner?[shardCount];
    }

    public int ShardCount { get; }

    /// <summary>Every member record, tombstones (Down/Removed) included, sorted by NodeId (ordinal). A snapshot.</summary>
    public IReadOnlyCollection<Member> Members => Array.AsReadOnly(SortedMembers());

    public Member? Get(string nodeId) => _members.GetValueOrDefault(nodeId);

    /// <summary>The shard table entry of <paramref name="shard"/>; null = no entry.</summary>
    public ShardOwner? Owner(int shard)
    {
        CheckShard(shard);
        return _owners[shard];
    }

    /// <summary>Merges one member record (higher incarnation wins; same incarnation → higher status; then higher
    /// Address ordinal, for determinism). Unknown NodeId → added. True if the state changed.</summary>
    public bool Upsert(Member member)
    {
        ValidateMember(member);
        if (!MergeMember(member)) return false;
        Prune();
        Changed();
        return true;
    }

    /// <summary>Moves <paramref name="nodeId"/>'s current incarnation forward to <paramref name="status"/>.
    /// False (no-op) if the node is unknown or the status is not forward.</summary>
    public bool SetStatus(string nodeId, MemberStatus status)
    {
        if (!Enum.IsDefined(status)) throw new ArgumentOutOfRangeException(nameof(status), status, "undefined status");
        if (!_members.TryGetValue(nodeId, out var m) || status <= m.Status) return false;
        _members[nodeId] = m with { Status = status };
        _sortedMembers = null;
        Prune();
        Changed();
        return true;
    }

    /// <summary>Merges one shard table entry (higher epoch wins; equal epoch → lower NodeId ordinal; equal epoch and
    /// owner → not Fresh). True if the entry changed.</summary>
    public bool SetOwner(int shard, ShardOwner owner)
    {
        CheckShard(shard);
        ValidateString(owner.NodeId, nameof(owner));
        if (!MergeOwner(shard, owner)) return false;
        Changed();
        return true;
    }

    /// <summary>
    /// Writes the observer's record about the subject (at both current incarnations); the version goes up by one
    /// when the value changes. False if the value is unchanged (no record counts as reachable), the observer or the
    /// subject is unknown or not alive, or observer == subject.
    /// </summary>
    public bool SetReachability(string observerId, string subjectId, bool unreachable)
    {
        if (string.Equals(observerId, subjectId, StringComparison.Ordinal)) return false;
        if (!_members.TryGetValue(observerId, out var observer) || !observer.IsAlive) return false;
        if (!_members.TryGetValue(subjectId, out var subject) || !subject.IsAlive) return false;
        var key = new ReachKey(observer.NodeId, observer.Incarnation, subject.NodeId, subject.Incarnation);
        if (_reach.TryGetValue(key, out var old))
        {
            if (old.Unreachable == unreachable) return false;
            _reach[key] = new ReachValue(unreachable, old.Version + 1);
        }
        else
        {
            if (!unreachable) return false;
            _reach[key] = new ReachValue(true, 1);
        }
        Changed();
        return true;
    }

    /// <summary>NodeIds of live members that some valid record marks unreachable.</summary>
    public IReadOnlySet<string> Unreachable()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in _reach)
            if (value.Unreachable && IsValid(key)) set.Add(key.SubjectId);
        return set;
    }

    /// <summary>Joins <paramref name="other"/> into this state. True if this state changed.</summary>
    public bool Merge(ClusterState other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.ShardCount != ShardCount)
            throw new ArgumentException($"shard count mismatch: {other.ShardCount} vs {ShardCount}", nameof(other));
        if (ReferenceEquals(other, this)) return false;

        bool changed = false;
        foreach (var m in other._members.Values)
            changed |= MergeMember(m);
        if (changed) changed |= Prune();   // members changed: some records of ours may have become invalid

        for (int s = 0; s < _owners.Length; s++)
            if (other._owners[s] is { } o) changed |= MergeOwner(s, o);

        foreach (var (key, value) in other._reach)
        {
            if (!IsValid(key)) continue;   // invalid under the merged members: would be pruned at once
            if (_reach.TryGetValue(key, out var mine))
            {
                if (!Wins(value, mine)) continue;
            }
            _reach[key] = value;
            changed = true;
        }

        if (changed) Changed();
        return changed;
    }

    /// <summary>Stable 64-bit hash of <see cref="Encode"/> (first 8 bytes, little endian, of its SHA-256). Cached.</summary>
    public ulong Digest
    {
        get
        {
            if (!_digestValid)
            {
                Span<byte> hash = stackalloc byte[32];
                SHA256.HashData(Encode(), hash);
                _digest = BinaryPrimitives.ReadUInt64LittleEndian(hash);
                _digestValid = true;
            }
            return _digest;
        }
    }

    public ClusterState Clone()
    {
        var c = new ClusterState(ShardCount);
        foreach (var (id, m) in _members) c._members.Add(id, m);
        Array.Copy(_owners, c._owners, _owners.Length);
        foreach (var (k, v) in _reach) c._reach.Add(k, v);
        c._sortedMembers = _sortedMembers;   // immutable array
        c._digest = _digest;
        c._digestValid = _digestValid;
        return c;
    }

    /// <summary>Members with <see cref="Member.IsAlive"/>, sorted by NodeId (ordinal).</summary>
    public IEnumerable<Member> AliveMembers()
    {
        foreach (var m in SortedMembers())
            if (m.IsAlive) yield return m;
    }

    /// <summary>NodeIds of the members with status Up, sorted ordinal.</summary>
    public IReadOnlyList<string> UpNodeIds()
    {
        var list = new List<string>();
        foreach (var m in SortedMembers())
            if (m.Status == MemberStatus.Up) list.Add(m.NodeId);
        return list;
    }

    // ---------------------------------------------------------------- encoding

    /// <summary>
    /// Canonical binary form, little endian:
    /// <code>
    /// u8 format (1) | u16 shardCount
    /// u32 memberCount | memberCount × (str NodeId, str Address, i64 Incarnation, u8 Status)      sorted by NodeId
    /// shardCount × (u8 present | if 1: i64 Epoch, str NodeId, u8 Fresh)
    /// u32 recordCount | recordCount × (str Observer, i64 ObserverInc, str Subject, i64 SubjectInc,
    ///                                  u8 Unreachable, i64 Version)                                 sorted by key
    /// </code>
    /// where str = u8 byte length + UTF-8 bytes. Only valid reachability records exist (invalid ones are pruned).
    /// </summary>
    public byte[] Encode()
    {
        var w = new ArrayBufferWriter<byte>(256 + _members.Count * 48 + ShardCount * 24 + _reach.Count * 64);
        WriteU8(w, FormatVersion);
        WriteU16(w, (ushort)ShardCount);

        var members = SortedMembers();
        WriteU32(w, (uint)members.Length);
        foreach (var m in members)
        {
            WriteStr(w, m.NodeId);
            WriteStr(w, m.Address);
            WriteI64(w, m.Incarnation);
            WriteU8(w, (byte)m.Status);
        }

        foreach (var o in _owners)
        {
            if (o is not { } owner)
            {
                WriteU8(w, 0);
                continue;
            }
            WriteU8(w, 1);
            WriteI64(w, owner.Epoch);
            WriteStr(w, owner.NodeId);
            WriteU8(w, owner.Fresh ? (byte)1 : (byte)0);
        }

        var keys = new List<ReachKey>(_reach.Count);
        foreach (var k in _reach.Keys)
            if (IsValid(k)) keys.Add(k);
        keys.Sort(ReachKey.Compare);
        WriteU32(w, (uint)keys.Count);
        foreach (var k in keys)
        {
            var v = _reach[k];
            WriteStr(w, k.ObserverId);
            WriteI64(w, k.ObserverIncarnation);
            WriteStr(w, k.SubjectId);
            WriteI64(w, k.SubjectIncarnation);
            WriteU8(w, v.Unreachable ? (byte)1 : (byte)0);
            WriteI64(w, v.Version);
        }
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Decodes <see cref="Encode"/>'s output. Throws <see cref="ClusterStateFormatException"/> on anything
    /// malformed (and nothing else). Members must be strictly sorted by NodeId, records strictly sorted by key;
    /// records that are not valid under the decoded members are dropped.</summary>
    public static ClusterState Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        byte format = r.U8();
        if (format != FormatVersion) throw Bad($"unknown format {format}");
        int shardCount = r.U16();
        if (shardCount < 1 || shardCount > MaxShardCount) throw Bad($"shard count {shardCount} out of range");
        var state = new ClusterState(shardCount);

        uint memberCount = r.U32();
        const int minMemberBytes = 1 + 1 + 8 + 1;
        if (memberCount > MaxMembers) throw Bad($"member count {memberCount} exceeds {MaxMembers}");
        if ((long)memberCount * minMemberBytes > r.Remaining) throw Bad("member count exceeds the input");
        string? previous = null;
        for (int i = 0; i < memberCount; i++)
        {
            string id = r.Str();
            string address = r.Str();
            long incarnation = r.I64();
            var status = Status(r.U8());
            if (previous is not null && string.CompareOrdinal(previous, id) >= 0)
                throw Bad("members not strictly sorted by NodeId");
            previous = id;
            state._members.Add(id, new Member(id, address, incarnation, status));
        }

        for (int s = 0; s < shardCount; s++)
        {
            byte present = r.U8();
            if (present == 0) continue;
            if (present != 1) throw Bad($"bad presence flag {present} for shard {s}");
            long epoch = r.I64();
            string node = r.Str();
            bool fresh = r.Bool();
            state._owners[s] = new ShardOwner(epoch, node, fresh);
        }

        uint recordCount = r.U32();
        const int minRecordBytes = 1 + 8 + 1 + 8 + 1 + 8;
        if ((long)recordCount * minRecordBytes > r.Remaining) throw Bad("record count exceeds the input");
        ReachKey? previousKey = null;
        for (int i = 0; i < recordCount; i++)
        {
            string observer = r.Str();
            long observerInc = r.I64();
            string subject = r.Str();
            long subjectInc = r.I64();
            bool unreachable = r.Bool();
            long version = r.I64();
            var key = new ReachKey(observer, observerInc, subject, subjectInc);
            if (previousKey is { } pk && ReachKey.Compare(pk, key) >= 0)
                throw Bad("reachability records not strictly sorted");
            previousKey = key;
            state._reach.Add(key, new ReachValue(unreachable, version));
        }

        if (r.Remaining != 0) throw Bad($"{r.Remaining} trailing bytes");
        state.Prune();
        return state;
    }

    // ---------------------------------------------------------------- internals

    private Member[] SortedMembers()
    {
        if (_sortedMembers is null)
        {
            var arr = new Member[_members.Count];
            _members.Values.CopyTo(arr, 0);
            Array.Sort(arr, static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
            _sortedMembers = arr;
        }
        return _sortedMembers;
    }

    private void Changed() => _digestValid = false;

    private bool MergeMember(Member incoming)
    {
        if (_members.TryGetValue(incoming.NodeId, out var existing) && !Wins(incoming, existing)) return false;
        _members[incoming.NodeId] = incoming;
        _sortedMembers = null;
        return true;
    }

    /// <summary>True if <paramref name="a"/> strictly beats <paramref name="b"/> (same NodeId).</summary>
    private static bool Wins(Member a, Member b)
    {
        if (a.Incarnation != b.Incarnation) return a.Incarnation > b.Incarnation;
        if (a.Status != b.Status) return a.Status > b.Status;
        return string.CompareOrdinal(a.Address, b.Address) > 0;
    }

    private bool MergeOwner(int shard, ShardOwner incoming)
    {
        if (_owners[shard] is { } existing && !Wins(incoming, existing)) return false;
        _owners[shard] = incoming;
        return true;
    }

    private static bool Wins(ShardOwner a, ShardOwner b)
    {
        if (a.Epoch != b.Epoch) return a.Epoch > b.Epoch;
        // Equal epochs only meet after a cold start of the whole cluster (a fresh assignment by a
        // new leader against a restarted node's claim): the claim holds data, so it wins.
        if (a.Fresh != b.Fresh) return !a.Fresh;
        return string.CompareOrdinal(a.NodeId, b.NodeId) < 0;
    }

    private static bool Wins(ReachValue a, ReachValue b)
    {
        if (a.Version != b.Version) return a.Version > b.Version;
        return a.Unreachable && !b.Unreachable;   // never expected (one writer per key); deterministic anyway
    }

    /// <summary>Valid = observer and subject are two distinct live members at exactly the record's incarnations.
    /// Monotone: once invalid, a record never becomes valid again (incarnations grow, statuses move forward).</summary>
    private bool IsValid(ReachKey key) =>
        !string.Equals(key.ObserverId, key.SubjectId, StringComparison.Ordinal) &&
        _members.TryGetValue(key.ObserverId, out var o) && o.IsAlive && o.Incarnation == key.ObserverIncarnation &&
        _members.TryGetValue(key.SubjectId, out var s) && s.IsAlive && s.Incarnation == key.SubjectIncarnation;

    /// <summary>Drops invalid reachability records. True if any was dropped.</summary>
    private bool Prune()
    {
        List<ReachKey>? dead = null;
        foreach (var key in _reach.Keys)
            if (!IsValid(key)) (dead ??= []).Add(key);
        if (dead is null) return false;
        foreach (var key in dead) _reach.Remove(key);
        return true;
    }

    private void CheckShard(int shard)
    {
        if ((uint)shard >= (uint)ShardCount)
            throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard must be 0..{ShardCount - 1}");
    }

    private static void ValidateMember(Member member)
    {
        ArgumentNullException.ThrowIfNull(member);
        ValidateString(member.NodeId, nameof(member));
        ValidateString(member.Address, nameof(member));
        if (!Enum.IsDefined(member.Status))
            throw new ArgumentOutOfRangeException(nameof(member), member.Status, "undefined status");
    }

    private static void ValidateString(string? value, string paramName)
    {
        if (value is null) throw new ArgumentNullException(paramName);
        if (StrictUtf8.GetByteCount(value) > MaxStringBytes)
            throw new ArgumentException($"'{value}' is longer than {MaxStringBytes} UTF-8 bytes", paramName);
    }

    private static MemberStatus Status(byte b) =>
        b <= (byte)MemberStatus.Removed ? (MemberStatus)b : throw Bad($"bad member status {b}");

    private static ClusterStateFormatException Bad(string message) => new($"malformed cluster state: {message}");

    private static void WriteU8(ArrayBufferWriter<byte> w, byte v)
    {
        w.GetSpan(1)[0] = v;
        w.Advance(1);
    }

    private static void WriteU16(ArrayBufferWriter<byte> w, ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(w.GetSpan(2), v);
        w.Advance(2);
    }

    private static void WriteU32(ArrayBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void WriteI64(ArrayBufferWriter<byte> w, long v)
    {
        BinaryPrimitives.WriteInt64LittleEndian(w.GetSpan(8), v);
        w.Advance(8);
    }

    private static void WriteStr(ArrayBufferWriter<byte> w, string s)
    {
        var span = w.GetSpan(1 + MaxStringBytes);
        int n = StrictUtf8.GetBytes(s, span[1..]);   // validated ≤ 255 bytes on the way in
        span[0] = checked((byte)n);
        w.Advance(1 + n);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly int Remaining => _data.Length - _pos;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n > Remaining) throw Bad($"truncated at offset {_pos} (need {n} bytes, have {Remaining})");
            var slice = _data.Slice(_pos, n);
            _pos += n;
            return slice;
        }

        public byte U8() => Take(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

        public bool Bool()
        {
            byte b = U8();
            return b switch
            {
                0 => false,
                1 => true,
                _ => throw Bad($"bad boolean {b} at offset {_pos - 1}"),
            };
        }

        public string Str()
        {
            int n = U8();
            var bytes = Take(n);
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Bad($"invalid UTF-8 at offset {_pos - n}");
            }
        }
    }

    private readonly record struct ReachKey(string ObserverId, long ObserverIncarnation, string SubjectId, long SubjectIncarnation)
    {
        public static int Compare(ReachKey a, ReachKey b)
        {
            int c = string.CompareOrdinal(a.ObserverId, b.ObserverId);
            if (c != 0) return c;
            c = a.ObserverIncarnation.CompareTo(b.ObserverIncarnation);
            if (c != 0) return c;
            c = string.CompareOrdinal(a.SubjectId, b.SubjectId);
            if (c != 0) return c;
            return a.SubjectIncarnation.CompareTo(b.SubjectIncarnation);
        }
    }

    private readonly record struct ReachValue(bool Unreachable, long Version);
}
