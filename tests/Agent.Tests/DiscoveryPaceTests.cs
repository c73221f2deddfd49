namespace HaproxyCluster.Agent.Tests;

/// <summary>How long a node waits between two discovery passes: the fleet's calls within the budget, slower while EC2 throttles.</summary>
public class DiscoveryPaceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>A random source whose every draw is <paramref name="value"/>: 0.5 is no jitter.</summary>
    private sealed class Fixed(double value) : Random
    {
        protected override double Sample() => value;
    }

    private static DiscoveryPass Read(int nodes, int calls = 1) => new(true, false, calls, nodes);

    private static DiscoveryPass Throttled(int nodes) => new(false, true, 1, nodes);

    [Theory]
    [InlineData(3, 1, 5)] // a small fleet: the interval
    [InlineData(10, 1, 5)]
    [InlineData(30, 1, 15)] // 30 nodes × 1 call ÷ 2 a second
    [InlineData(100, 1, 50)]
    [InlineData(30, 2, 30)] // pools the filters cannot share: two calls a pass
    public void A_node_waits_the_interval_or_its_fleet_s_share_of_the_budget(int nodes, int calls, double seconds)
    {
        var wait = new DiscoveryPace(Interval, fleetCallsPerSecond: 2, new Fixed(0.5)).Next(Read(nodes, calls));

        Assert.Equal(TimeSpan.FromSeconds(seconds), wait);
        Assert.True(nodes * calls / wait.TotalSeconds <= 2 || wait == Interval, "the fleet calls at most its budget once past the interval");
    }

    [Fact]
    public void Each_wait_is_jittered_by_a_fifth_either_way()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), new DiscoveryPace(Interval, 2, new Fixed(0)).Next(Read(1)));
        Assert.Equal(TimeSpan.FromSeconds(5.998), new DiscoveryPace(Interval, 2, new Fixed(0.999)).Next(Read(1)));
    }

    [Fact]
    public void Throttling_doubles_the_wait_up_to_sixteen_times_and_reads_halve_it_back()
    {
        var pace = new DiscoveryPace(Interval, 2, new Fixed(0.5));

        // 30 nodes: 15 s between passes; each throttled pass waits twice the last, up to 16 × 15 s
        var throttled = Enumerable.Range(0, 6).Select(_ => pace.Next(Throttled(30)).TotalSeconds).ToList();
        Assert.Equal([15, 30, 60, 120, 240, 240], throttled);

        // EC2 answers again: each pass that reads halves the slowdown, back to 15 s
        var recovering = Enumerable.Range(0, 5).Select(_ => pace.Next(Read(30)).TotalSeconds).ToList();
        Assert.Equal([120, 60, 30, 15, 15], recovering);
        Assert.Equal(1, pace.Slowdown);
    }
}
