using CacheCluster.Cluster.Membership;

namespace CacheCluster.Cluster.Tests.Membership;

public class PhiAccrualFailureDetectorTests
{
    private const long T0 = 1_700_000_000_000;

    /// <summary>Heartbeats every <paramref name="intervalMs"/> from T0; returns the time of the last one.</summary>
    private static long Regular(PhiAccrualFailureDetector fd, int count, long intervalMs)
    {
        long t = T0;
        for (int i = 0; i < count; i++)
        {
            fd.Heartbeat(t);
            if (i < count - 1) t += intervalMs;
        }
        return t;
    }

    [Fact]
    public void Before_the_first_heartbeat_phi_is_zero_and_available()
    {
        var fd = new PhiAccrualFailureDetector();
        Assert.False(fd.IsMonitoring);
        Assert.Equal(0.0, fd.Phi(T0));
        Assert.Equal(0.0, fd.Phi(long.MaxValue));
        Assert.True(fd.IsAvailable(T0 + 1_000_000));
        fd.Heartbeat(T0);
        Assert.True(fd.IsMonitoring);
    }

    [Fact]
    public void Phi_formula_known_values()
    {
        // At the mean, the logistic CDF is 1/2: phi = -log10(1/2).
        Assert.Equal(Math.Log10(2), PhiAccrualFailureDetector.Phi(1000, 1000, 100), 12);
        // One standard deviation above: e = exp(-(1.5976 + 0.070566)), phi = -log10(e / (1 + e)).
        double e = Math.Exp(-(1.5976 + 0.070566));
        Assert.Equal(-Math.Log10(e / (1 + e)), PhiAccrualFailureDetector.Phi(1100, 1000, 100), 12);
        // Far below the mean: ~0; far above: large.
        Assert.True(PhiAccrualFailureDetector.Phi(0, 1000, 100) < 1e-6);
        Assert.True(PhiAccrualFailureDetector.Phi(3000, 1000, 100) > 30);
    }

    [Fact]
    public void First_heartbeat_uses_the_estimate()
    {
        // After one heartbeat, history = {375, 625} (estimate 500 ± 500/4): mean 500, std 125.
        var fd = new PhiAccrualFailureDetector(acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 1);
        fd.Heartbeat(T0);
        Assert.Equal(PhiAccrualFailureDetector.Phi(500, 500, 125), fd.Phi(T0 + 500), 12);
        Assert.Equal(PhiAccrualFailureDetector.Phi(900, 500, 125), fd.Phi(T0 + 900), 12);
    }

    [Fact]
    public void Regular_heartbeats_keep_phi_low()
    {
        var fd = new PhiAccrualFailureDetector();
        long t = T0;
        for (int i = 0; i < 100; i++)
        {
            if (i > 0)
            {
                Assert.True(fd.Phi(t) < 0.5, $"phi {fd.Phi(t)} at beat {i}");
                Assert.True(fd.IsAvailable(t));
            }
            fd.Heartbeat(t);
            t += 1000;
        }
    }

    [Fact]
    public void Phi_crosses_the_threshold_only_after_the_acceptable_pause()
    {
        var fd = new PhiAccrualFailureDetector(threshold: 8, acceptableHeartbeatPauseMs: 2000);
        long last = Regular(fd, 60, 1000);

        // Within interval + acceptable pause the node is never suspected, and phi never decreases.
        double previous = 0;
        for (long dt = 0; dt <= 1000 + 2000; dt += 10)
        {
            double phi = fd.Phi(last + dt);
            Assert.True(fd.IsAvailable(last + dt), $"suspected after only {dt} ms (phi {phi})");
            Assert.True(phi >= previous);
            previous = phi;
        }
        // Well past it, it is.
        Assert.False(fd.IsAvailable(last + 1000 + 2000 + 1000));
        Assert.True(fd.Phi(last + 10_000) > 8);

        // The crossing point lies between: find it and check phi keeps rising past it.
        long crossing = last;
        while (fd.IsAvailable(crossing)) crossing += 10;
        Assert.InRange(crossing - last, 3000, 4000);
        Assert.True(fd.Phi(crossing + 500) > fd.Phi(crossing));
    }

    [Fact]
    public void A_larger_acceptable_pause_delays_suspicion()
    {
        var strict = new PhiAccrualFailureDetector(acceptableHeartbeatPauseMs: 0);
        var lenient = new PhiAccrualFailureDetector(acceptableHeartbeatPauseMs: 5000);
        long last = Regular(strict, 30, 1000);
        Regular(lenient, 30, 1000);
        Assert.False(strict.IsAvailable(last + 3000));
        Assert.True(lenient.IsAvailable(last + 3000));
        Assert.True(lenient.IsAvailable(last + 6000));
        Assert.False(lenient.IsAvailable(last + 9000));
    }

    [Fact]
    public void Jittery_heartbeats_are_tolerated_and_a_real_pause_still_detected()
    {
        var fd = new PhiAccrualFailureDetector();
        var rng = new Random(99);
        long t = T0, lastBeat = T0;
        double maxPhi = 0;
        for (int i = 0; i < 200; i++)
        {
            if (i > 0)
            {
                maxPhi = Math.Max(maxPhi, fd.Phi(t));
                Assert.True(fd.IsAvailable(t));
            }
            fd.Heartbeat(t);
            lastBeat = t;
            t += 1000 + rng.Next(-400, 401);   // 600..1400 ms
        }
        Assert.True(maxPhi < 1.0, $"max phi {maxPhi}");
        // Interval + acceptable pause (~3 s) is still fine; twice that is not.
        Assert.True(fd.IsAvailable(lastBeat + 3000));
        Assert.False(fd.IsAvailable(lastBeat + 6000));
    }

    [Fact]
    public void Heartbeat_after_suspicion_does_not_pollute_the_history()
    {
        var fd = new PhiAccrualFailureDetector();
        long last = Regular(fd, 50, 1000);
        double before = fd.Phi(last + 1000);

        long back = last + 30_000;   // long outage
        Assert.False(fd.IsAvailable(back));
        fd.Heartbeat(back);
        Assert.True(fd.IsAvailable(back));
        // The 30 s interval was not learned: one normal interval later phi is what it was before the outage.
        Assert.Equal(before, fd.Phi(back + 1000), 9);
        Assert.False(fd.IsAvailable(back + 10_000));
    }

    [Fact]
    public void History_is_bounded_and_adapts_to_a_new_rate()
    {
        var fd = new PhiAccrualFailureDetector(maxSampleSize: 20, acceptableHeartbeatPauseMs: 0);
        long t = Regular(fd, 40, 200);
        Assert.False(fd.IsAvailable(t + 1500));   // learned a 200 ms rate
        // Slowly move to 1000 ms: each step is still available, so it is learned; after > 20 samples only 1000s remain.
        for (int interval = 300; interval <= 1000; interval += 100)
        {
            t += interval;
            Assert.True(fd.IsAvailable(t), $"interval {interval}");
            fd.Heartbeat(t);
        }
        for (int i = 0; i < 25; i++)
        {
            t += 1000;
            fd.Heartbeat(t);
        }
        // mean 1000, std 0 → min std 100: phi at exactly the mean is -log10(1/2).
        Assert.Equal(Math.Log10(2), fd.Phi(t + 1000), 9);
    }

    [Fact]
    public void Constructor_validates_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhiAccrualFailureDetector(threshold: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhiAccrualFailureDetector(maxSampleSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhiAccrualFailureDetector(minStdDeviationMs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhiAccrualFailureDetector(acceptableHeartbeatPauseMs: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhiAccrualFailureDetector(firstHeartbeatEstimateMs: 0));
    }
}
