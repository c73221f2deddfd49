namespace HaproxyCluster.Node;

/// <summary>
/// How a fleet's agents keep their DescribeInstances calls within a budget. The agent paces its
/// passes by it, and the stack sizes the scale-in hook's wait by it: one formula for both.
/// </summary>
public static class DiscoveryPacing
{
    /// <summary>The share by which each wait is jittered either way, so that the nodes do not call in step.</summary>
    public const double Jitter = 0.2;

    /// <summary>The tag EC2 Auto Scaling puts on every instance of a group.</summary>
    public const string GroupTag = "aws:autoscaling:groupName";

    /// <summary>
    /// The wait between two passes that read: <paramref name="interval"/>, or, when longer, the
    /// fleet's calls a pass (<paramref name="nodes"/> × <paramref name="callsPerPass"/>) over
    /// <paramref name="fleetCallsPerSecond"/>, so the whole fleet calls at most that often.
    /// </summary>
    public static TimeSpan Paced(TimeSpan interval, double fleetCallsPerSecond, int nodes, int callsPerPass) =>
        TimeSpan.FromSeconds(Math.Max(interval.TotalSeconds, Math.Max(1, nodes) * Math.Max(1, callsPerPass) / fleetCallsPerSecond));

    /// <summary>
    /// The tag keys a listing's filter names, in order: listings with the same keys share one call
    /// (their values combined), so this counts the calls a pass makes.
    /// </summary>
    public static string FilterKeys(string? group, IEnumerable<string> tagKeys) =>
        string.Join('\n', (group is null ? tagKeys : tagKeys.Prepend(GroupTag)).Order(StringComparer.Ordinal));
}
