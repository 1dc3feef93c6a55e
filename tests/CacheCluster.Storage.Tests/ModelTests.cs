using static CacheCluster.Storage.Tests.TestKeys;

namespace CacheCluster.Storage.Tests;

/// <summary>
/// Randomized differential test: the store against a naive model (dictionary + recency list) over
/// 100k seeded operations, including exact AllKeysLru eviction order, lazy expiry and counters.
/// </summary>
public class ModelTests
{
    private sealed class ModelEntry
    {
        public required byte[] Value;
        public uint Flags;
        public long ExpiresAt;
        public ulong Cas;
        public required LinkedListNode<string> Node;
    }

    private sealed class Model
    {
        public readonly Dictionary<string, ModelEntry> Map = new();
        public readonly LinkedList<string> Lru = new();          // First = most recent
        public long Expired, Evicted, Bytes;

        public static long SizeOf(string k, ModelEntry e) => Size(k, e.Value.Length);

        public bool IsExpired(ModelEntry e, long now) => e.ExpiresAt != 0 && e.ExpiresAt <= now;

        public void Remove(string k)
        {
            var e = Map[k];
            Bytes -= SizeOf(k, e);
            Lru.Remove(e.Node);
            Map.Remove(k);
        }

        public ModelEntry? Find(string k, long now, bool touch)
        {
            if (!Map.TryGetValue(k, out var e)) return null;
            if (IsExpired(e, now)) { Remove(k); Expired++; return null; }
            if (touch) { Lru.Remove(e.Node); Lru.AddFirst(e.Node); }
            return e;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Store_matches_reference_model(int seed)
    {
        var rng = new Random(seed);
        var (store, clock) = NewStore(seed: seed);
        var model = new Model();
        const int keySpace = 600;
        ulong lastCas = 0;

        for (int op = 0; op < 100_000; op++)
        {
            string k = "key" + rng.Next(keySpace);
            long now = clock.NowMs;
            int dice = rng.Next(100);

            if (dice < 30)
            {
                // SET: replace wholesale, becomes most recent.
                var value = new byte[rng.Next(48)];
                rng.NextBytes(value);
                uint flags = (uint)rng.Next();
                long exp = rng.Next(10) < 3 ? now + 1 + rng.Next(2000) : 0;
                int h = store.Set(B(k), value, flags, exp);
                if (model.Map.TryGetValue(k, out var old))
                {
                    if (model.IsExpired(old, now)) model.Expired++;
                    model.Remove(k);
                }
                var node = model.Lru.AddFirst(k);
                var e = new ModelEntry { Value = value, Flags = flags, ExpiresAt = exp, Node = node, Cas = store.CasOf(h) };
                model.Map[k] = e;
                model.Bytes += Model.SizeOf(k, e);
                Assert.True(e.Cas > lastCas);
                lastCas = e.Cas;
            }
            else if (dice < 60)
            {
                bool touch = dice < 52;
                int h = store.Find(B(k), touch);
                var e = model.Find(k, now, touch);
                Assert.Equal(e is null, h == CacheStore.NotFound);
                if (e is not null)
                {
                    Assert.Equal(e.Value, store.StringOf(h));
                    Assert.Equal(e.Flags, store.FlagsOf(h));
                    Assert.Equal(e.ExpiresAt, store.ExpiresAtOf(h));
                    Assert.Equal(e.Cas, store.CasOf(h));
                    Assert.Equal(k, S(store.KeyOf(h)));
                }
            }
            else if (dice < 68)
            {
                bool removed = store.Delete(B(k));
                var e = model.Find(k, now, touch: false);
                if (e is not null) model.Remove(k);
                Assert.Equal(e is not null, removed);
            }
            else if (dice < 74)
            {
                // EXPIRE / PERSIST on a live key (lookups are introspective, like the TTL family).
                int h = store.Find(B(k), touch: false);
                var e = model.Find(k, now, touch: false);
                Assert.Equal(e is null, h == CacheStore.NotFound);
                if (e is not null)
                {
                    long exp = rng.Next(3) == 0 ? 0 : now + 1 + rng.Next(2000);
                    store.SetExpiry(h, exp);
                    e.ExpiresAt = exp;
                }
            }
            else if (dice < 80)
            {
                // APPEND-like value replacement.
                int h = store.Find(B(k));
                var e = model.Find(k, now, touch: true);
                if (e is not null)
                {
                    var value = new byte[rng.Next(64)];
                    rng.NextBytes(value);
                    store.ReplaceValue(h, value);
                    model.Bytes += value.Length - e.Value.Length;
                    e.Value = value;
                    e.Cas = store.CasOf(h);
                    Assert.True(e.Cas > lastCas);
                    lastCas = e.Cas;
                }
            }
            else if (dice < 92)
            {
                clock.Advance(rng.Next(60));
            }
            else if (dice < 97)
            {
                // Exact LRU eviction under a shrinking/growing budget.
                long budget = Math.Max(1, model.Bytes - rng.Next(3000) + 500);
                store.MaxMemoryBytes = budget;
                Assert.True(store.EnsureMemory());
                while (model.Bytes > budget)
                {
                    model.Remove(model.Lru.Last!.Value);
                    model.Evicted++;
                }
                store.MaxMemoryBytes = 0;
            }
            else if (dice < 99)
            {
                // Active expiry is random, so only check it is consistent: then reclaim the rest via SCAN.
                int removed = store.ActiveExpireCycle();
                Assert.True(removed <= model.Map.Values.Count(e => model.IsExpired(e, now)));
                var handles = new List<int>();
                long cursor = 0;
                do { cursor = store.Scan(cursor, 17, handles); } while (cursor != 0);
                foreach (var (mk, me) in model.Map.ToList())
                    if (model.IsExpired(me, now)) { model.Remove(mk); model.Expired++; }
                var scanned = handles.Select(h => S(store.KeyOf(h))).ToList();
                Assert.Equal(model.Map.Count, scanned.Count);
                Assert.True(model.Map.Keys.ToHashSet().SetEquals(scanned));
            }
            else
            {
                int h = store.RandomEntry();
                if (h != CacheStore.NotFound)
                {
                    string rk = S(store.KeyOf(h));
                    Assert.True(model.Map.TryGetValue(rk, out var re));
                    Assert.False(model.IsExpired(re!, now));
                }
                // RandomEntry may reclaim expired entries it probes; resynchronise through Count below.
                foreach (var (mk, me) in model.Map.ToList())
                    if (model.IsExpired(me, now) && store.Find(B(mk), touch: false) == CacheStore.NotFound)
                    {
                        // Find either reclaimed it now (counted) or RandomEntry already did (counted): both +1.
                        model.Remove(mk);
                        model.Expired++;
                    }
            }

            Assert.Equal(model.Map.Count, store.Count);
            Assert.Equal(model.Bytes, store.UsedBytes);
            Assert.Equal(model.Expired, store.ExpiredKeys);
            Assert.Equal(model.Evicted, store.EvictedKeys);
            Assert.Equal(model.Map.Values.Count(e => e.ExpiresAt != 0), store.VolatileCount);
            if (op % 5000 == 0) store.CheckInvariants();
        }
        store.CheckInvariants();
    }
}
