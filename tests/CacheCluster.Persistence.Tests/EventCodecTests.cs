using System.Buffers.Binary;
using CacheCluster.Persistence.Events;
using CacheCluster.Storage;

namespace CacheCluster.Persistence.Tests;

/// <summary>Round trips, truncation and corruption of every event type (format version 1).</summary>
public class EventCodecTests
{
    /// <summary>What a test wrote, to compare with what <see cref="StoredEvent.Decode"/> reads back.</summary>
    sealed record Spec(EventType Type, byte[] Key, byte[] Value, uint Flags = 0, ulong Cas = 0, long ExpiresAt = 0,
        long Epoch = 0, ulong NextCas = 0, long Entries = 0)
    {
        public void Write(RecordBuffer buf)
        {
            switch (Type)
            {
                case EventType.Set: EventCodec.WriteSet(buf, Key, ValueKind.String, Value, Flags, Cas, ExpiresAt); break;
                case EventType.Delete: EventCodec.WriteDelete(buf, Key); break;
                case EventType.Expire: EventCodec.WriteExpire(buf, Key, ExpiresAt); break;
                case EventType.Flush: EventCodec.WriteFlush(buf); break;
                case EventType.Epoch: EventCodec.WriteEpoch(buf, Epoch); break;
                case EventType.SnapshotHeader: EventCodec.WriteSnapshotHeader(buf, Epoch, NextCas, Entries); break;
                default: throw new ArgumentOutOfRangeException(nameof(Type));
            }
        }

        /// <summary>The documented size of the record.</summary>
        public int Size => Type switch
        {
            EventType.Set => 30 + Key.Length + Value.Length,
            EventType.Delete => 5 + Key.Length,
            EventType.Expire => 13 + Key.Length,
            EventType.Flush => 1,
            EventType.Epoch => 9,
            _ => 26,
        };

        public void AssertDecodes(ReadOnlySpan<byte> record)
        {
            var e = StoredEvent.Decode(record);
            Assert.Equal(Type, e.Type);
            Assert.True(e.Key.SequenceEqual(Key), "key");
            Assert.True(e.Value.SequenceEqual(Value), "value");
            switch (Type)
            {
                case EventType.Set:
                    Assert.Equal(ValueKind.String, e.Kind);
                    Assert.Equal(Flags, e.Flags);
                    Assert.Equal(Cas, e.Cas);
                    Assert.Equal(ExpiresAt, e.ExpiresAt);
                    break;
                case EventType.Expire:
                    Assert.Equal(ExpiresAt, e.ExpiresAt);
                    break;
                case EventType.Epoch:
                    Assert.Equal(Epoch, e.Epoch);
                    break;
                case EventType.SnapshotHeader:
                    Assert.Equal(Epoch, e.Epoch);
                    Assert.Equal(NextCas, e.NextCas);
                    Assert.Equal(Entries, e.Entries);
                    break;
            }
        }
    }

    static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
    static readonly byte[] Big = RandomBytes(1 << 20, 42);

    static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    static readonly Dictionary<string, Spec> Cases = new()
    {
        ["set-plain"] = new(EventType.Set, T.B("key"), T.B("value"), Flags: 7, Cas: 12, ExpiresAt: 1_700_000_000_000),
        ["set-empty-key-and-value"] = new(EventType.Set, [], [], Cas: 1),
        ["set-empty-value"] = new(EventType.Set, T.B("k"), [], Flags: 1, Cas: 2),
        ["set-binary"] = new(EventType.Set, AllBytes, AllBytes.Reverse().ToArray(), Flags: 0x80000001, Cas: 0x8000000000000001),
        ["set-max-flags-cas-expiry"] = new(EventType.Set, T.B("max"), T.B("v"), Flags: uint.MaxValue, Cas: ulong.MaxValue, ExpiresAt: long.MaxValue),
        ["set-zero-cas"] = new(EventType.Set, T.B("z"), T.B("v"), Cas: 0),
        ["set-negative-expiry"] = new(EventType.Set, T.B("neg"), T.B("v"), Cas: 3, ExpiresAt: -1),
        ["set-min-expiry"] = new(EventType.Set, T.B("min"), T.B("v"), Cas: 3, ExpiresAt: long.MinValue),
        ["set-1mb-value"] = new(EventType.Set, T.B("big"), Big, Flags: 5, Cas: 99, ExpiresAt: T.Year2100),
        ["delete"] = new(EventType.Delete, T.B("gone"), []),
        ["delete-empty-key"] = new(EventType.Delete, [], []),
        ["delete-binary-key"] = new(EventType.Delete, AllBytes, []),
        ["expire"] = new(EventType.Expire, T.B("ttl"), [], ExpiresAt: 1_700_000_123_456),
        ["expire-persist"] = new(EventType.Expire, T.B("ttl"), [], ExpiresAt: 0),
        ["expire-negative"] = new(EventType.Expire, T.B("ttl"), [], ExpiresAt: -5),
        ["expire-empty-key-max"] = new(EventType.Expire, [], [], ExpiresAt: long.MaxValue),
        ["flush"] = new(EventType.Flush, [], []),
        ["epoch"] = new(EventType.Epoch, [], [], Epoch: 1),
        ["epoch-zero"] = new(EventType.Epoch, [], [], Epoch: 0),
        ["epoch-extremes"] = new(EventType.Epoch, [], [], Epoch: long.MinValue),
        ["snapshot-header"] = new(EventType.SnapshotHeader, [], [], Epoch: 3, NextCas: 1001, Entries: 500),
        ["snapshot-header-max"] = new(EventType.SnapshotHeader, [], [], Epoch: long.MaxValue, NextCas: ulong.MaxValue, Entries: long.MaxValue),
        ["snapshot-header-zero"] = new(EventType.SnapshotHeader, [], [], Epoch: 0, NextCas: 0, Entries: 0),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    /// <summary>Cases small enough to try every truncation and many corruptions of.</summary>
    public static TheoryData<string> SmallCaseNames => new(Cases.Keys.Where(k => k != "set-1mb-value"));

    static byte[] Encode(Spec spec)
    {
        var buf = new RecordBuffer(16);
        spec.Write(buf);
        var rest = buf.Written;
        Assert.True(RecordBuffer.TryNext(ref rest, out var record));
        Assert.Equal(0, rest.Length);
        var bytes = record.ToArray();
        buf.Release();
        return bytes;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Every_event_round_trips_through_a_record_buffer(string name)
    {
        var spec = Cases[name];
        var buf = new RecordBuffer(16);       // small: the 1 MB value makes it grow
        spec.Write(buf);
        Assert.Equal(1, buf.Count);
        Assert.Equal(4 + spec.Size, buf.Length);
        Assert.Equal(spec.Size, BinaryPrimitives.ReadInt32LittleEndian(buf.Written));
        Assert.Equal((byte)spec.Type, buf.Written[4]);

        var rest = buf.Written;
        Assert.True(RecordBuffer.TryNext(ref rest, out var record));
        spec.AssertDecodes(record);
        Assert.False(RecordBuffer.TryNext(ref rest, out _));
        buf.Release();
    }

    [Fact]
    public void A_buffer_of_all_events_decodes_in_order_and_is_reusable_after_Reset()
    {
        var buf = new RecordBuffer(64);
        for (int round = 0; round < 3; round++)
        {
            var specs = Cases.Values.ToList();
            if (round == 1) specs.Reverse();
            foreach (var s in specs) s.Write(buf);
            Assert.Equal(specs.Count, buf.Count);
            Assert.Equal(specs.Sum(s => 4 + s.Size), buf.Length);

            var rest = buf.Written;
            int i = 0;
            while (RecordBuffer.TryNext(ref rest, out var record)) specs[i++].AssertDecodes(record);
            Assert.Equal(specs.Count, i);

            buf.Reset();                       // shrinks the array the 1 MB value grew
            Assert.Equal(0, buf.Length);
            Assert.Equal(0, buf.Count);
            Assert.Equal(0, buf.Written.Length);
        }
        buf.Release();
    }

    [Fact]
    public void WriteEntry_encodes_a_store_entry_as_its_whole_state()
    {
        var clock = new CacheCluster.Core.ManualClock();
        var store = new CacheStore(clock);
        int h = store.Set(T.B("k"), T.B("v"), 9, clock.NowMs + 5000);
        var buf = new RecordBuffer();
        EventCodec.WriteEntry(buf, store, h);
        var rest = buf.Written;
        Assert.True(RecordBuffer.TryNext(ref rest, out var record));
        new Spec(EventType.Set, T.B("k"), T.B("v"), Flags: 9, Cas: store.CasOf(h), ExpiresAt: clock.NowMs + 5000).AssertDecodes(record);
    }

    [Theory]
    [MemberData(nameof(SmallCaseNames))]
    public void Every_truncation_of_a_record_is_CorruptData(string name)
    {
        var bytes = Encode(Cases[name]);
        for (int len = 0; len < bytes.Length; len++) AssertCorrupt(bytes.AsSpan(0, len).ToArray(), $"{name} cut to {len} of {bytes.Length} bytes");
    }

    [Fact]
    public void Truncations_of_a_1MB_set_are_CorruptData()
    {
        var bytes = Encode(Cases["set-1mb-value"]);
        var lengths = Enumerable.Range(0, 64).Concat(Enumerable.Range(bytes.Length - 64, 64))
            .Concat(Enumerable.Range(0, 200).Select(i => (int)((long)bytes.Length * i / 200)))
            .Where(n => n < bytes.Length).Distinct();
        foreach (int len in lengths) AssertCorrupt(bytes.AsSpan(0, len).ToArray(), $"1 MB set cut to {len}");
    }

    [Theory]
    [MemberData(nameof(SmallCaseNames))]
    public void A_record_with_bytes_appended_is_CorruptData(string name)
    {
        var bytes = Encode(Cases[name]);
        AssertCorrupt([.. bytes, 0], name + " + 1 byte");
        AssertCorrupt([.. bytes, 1, 2, 3, 4, 5, 6, 7, 8, 9], name + " + 9 bytes");
    }

    [Fact]
    public void Unknown_type_bytes_and_the_empty_record_are_CorruptData()
    {
        var known = Enum.GetValues<EventType>().Select(t => (byte)t).ToHashSet();
        AssertCorrupt([], "empty record");
        for (int b = 0; b < 256; b++)
        {
            if (known.Contains((byte)b)) continue;
            foreach (int len in new[] { 1, 9, 26, 40 })
            {
                var r = new byte[len];
                r[0] = (byte)b;
                var ex = AssertCorrupt(r, $"type {b}");
                if (len == 1) Assert.Contains($"unknown event type {b}", ex.Message);
            }
        }
    }

    [Fact]
    public void An_unknown_value_kind_or_snapshot_version_is_CorruptData()
    {
        var set = Encode(Cases["set-plain"]);
        set[1] = 1;                            // no such ValueKind in format version 1
        AssertCorrupt(set, "value kind 1");
        var header = Encode(Cases["snapshot-header"]);
        header[1] = 2;
        Assert.Contains("snapshot format version 2", AssertCorrupt(header, "snapshot version 2").Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    [InlineData(1000)]
    public void A_damaged_length_field_is_CorruptData(int length)
    {
        var set = Encode(Cases["set-plain"]);
        BinaryPrimitives.WriteInt32LittleEndian(set.AsSpan(22), length);         // key length
        AssertCorrupt(set, "set key length");
        set = Encode(Cases["set-plain"]);
        BinaryPrimitives.WriteInt32LittleEndian(set.AsSpan(26 + 3), length);     // value length ("key" is 3 bytes)
        AssertCorrupt(set, "set value length");
        var del = Encode(Cases["delete"]);
        BinaryPrimitives.WriteInt32LittleEndian(del.AsSpan(1), length);
        AssertCorrupt(del, "delete key length");
        var exp = Encode(Cases["expire"]);
        BinaryPrimitives.WriteInt32LittleEndian(exp.AsSpan(9), length);
        AssertCorrupt(exp, "expire key length");

        // the framing: a record length that does not fit what follows
        var framed = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(framed, length);
        Assert.Throws<CorruptDataException>(() =>
        {
            ReadOnlySpan<byte> rest = framed;
            while (RecordBuffer.TryNext(ref rest, out _)) { }
        });
    }

    /// <summary>
    /// Version 1 records carry no checksum, so a flipped byte inside a key, value or number decodes
    /// as different data; what must hold is that damage never escapes as anything but
    /// <see cref="CorruptDataException"/> and a successful decode never reads outside the record.
    /// </summary>
    [Theory]
    [MemberData(nameof(SmallCaseNames))]
    public void Random_corruption_is_CorruptData_or_a_decode_within_the_record(string name)
    {
        var clean = Encode(Cases[name]);
        var rng = new Random(name.Sum(c => c) * 7919 + 1234);   // stable per case
        for (int trial = 0; trial < 2000; trial++)
        {
            var bytes = (byte[])clean.Clone();
            int flips = 1 + rng.Next(3);
            for (int f = 0; f < flips; f++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) bytes = bytes.AsSpan(0, rng.Next(bytes.Length)).ToArray();
            try
            {
                var e = StoredEvent.Decode(bytes);
                int fixedSize = e.Type switch
                {
                    EventType.Set => 30, EventType.Delete => 5, EventType.Expire => 13, EventType.Flush => 1,
                    EventType.Epoch => 9, EventType.SnapshotHeader => 26, _ => -1,
                };
                Assert.Equal(bytes.Length, fixedSize + e.Key.Length + e.Value.Length);
            }
            catch (CorruptDataException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"{name} trial {trial} ({Convert.ToHexString(bytes)}): {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    /// <summary>A stream of framed records cut anywhere but on a record boundary is CorruptData, never a short read.</summary>
    [Fact]
    public void A_framed_chunk_cut_inside_a_record_is_CorruptData()
    {
        var buf = new RecordBuffer();
        var specs = Cases.Where(c => c.Key != "set-1mb-value").Select(c => c.Value).ToList();
        foreach (var s in specs) s.Write(buf);
        var all = buf.Written.ToArray();
        var boundaries = new HashSet<int> { 0 };
        int at = 0;
        foreach (var s in specs) boundaries.Add(at += 4 + s.Size);

        for (int cut = 0; cut < all.Length; cut++)
        {
            var part = all.AsSpan(0, cut).ToArray();
            int decoded = 0;
            Exception? error = null;
            try
            {
                ReadOnlySpan<byte> rest = part;
                while (RecordBuffer.TryNext(ref rest, out var record))
                {
                    specs[decoded].AssertDecodes(record);
                    decoded++;
                }
            }
            catch (Exception ex) { error = ex; }

            if (boundaries.Contains(cut))
            {
                Assert.Null(error);
            }
            else
            {
                Assert.IsType<CorruptDataException>(error);
            }
        }

        // and the applier reports the same for a snapshot chunk
        var store = new CacheStore(new CacheCluster.Core.ManualClock());
        var applier = new EventApplier(store);
        Assert.Throws<CorruptDataException>(() => applier.ApplyRecords(all.AsSpan(0, all.Length - 1)));
        buf.Release();
    }

    static CorruptDataException AssertCorrupt(byte[] record, string what)
    {
        try
        {
            _ = StoredEvent.Decode(record);
        }
        catch (CorruptDataException ex)
        {
            return ex;
        }
        catch (Exception ex)
        {
            Assert.Fail($"{what}: {ex.GetType().Name} instead of CorruptDataException: {ex.Message}");
        }
        Assert.Fail($"{what}: decoded successfully ({Convert.ToHexString(record.AsSpan(0, Math.Min(record.Length, 64)))})");
        return null!;
    }
}
