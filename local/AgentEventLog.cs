using System.Globalization;
using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Local;

/// <summary>
/// The node agent's events as the local harness reads them (<see cref="NodeEventLine"/>), and
/// what they say about a rules version's rollout.
/// </summary>
public static class AgentEventLog
{
    /// <summary>The events in <paramref name="file"/> from line <paramref name="fromLine"/> (1-based) on.</summary>
    public static IReadOnlyList<NodeEventLine> Read(string file, int fromLine = 1) =>
        File.Exists(file) ? Parse(File.ReadLines(file).Skip(fromLine - 1)) : [];

    /// <summary>The events among <paramref name="lines"/>.</summary>
    public static IReadOnlyList<NodeEventLine> Parse(IEnumerable<string> lines) => NodeEventLine.Parse(lines);

    /// <summary>What became of rules version <paramref name="sha256"/> on a node, from its events.</summary>
    public static NodeRollout RolloutOf(IReadOnlyList<NodeEventLine> events, string sha256)
    {
        var mine = events.Where(e => e.Field("Sha256") == sha256).ToList();
        if (!mine.Any(e => e.Name == NodeEvents.RulesVersionReceived))
        {
            return new NodeRollout(NodeRollout.Status.Unreached);
        }

        if (mine.FirstOrDefault(e => e.Name == NodeEvents.RulesApplied) is { } applied)
        {
            var outcome = applied.Field("Outcome");
            return new NodeRollout(outcome == "Unchanged" ? NodeRollout.Status.Unchanged : NodeRollout.Status.Applied, applied.Time, outcome);
        }

        if (mine.FirstOrDefault(e => e.Name == NodeEvents.RulesFailed) is { } failed)
        {
            var reverted = mine.FirstOrDefault(e => e.Name == NodeEvents.BundleReverted);
            var back = reverted?.Field("SecondsBack") is { } seconds ? double.Parse(seconds, CultureInfo.InvariantCulture) : 0;
            var refused = mine.FirstOrDefault(e => e.Name == NodeEvents.ConfigRefused);
            var reason = refused is not null
                ? "haproxy -c refused it"
                : reverted is not null ? $"it failed its health check; back on the previous config {back.ToString(CultureInfo.InvariantCulture)} s later"
                : mine.FirstOrDefault(e => e.Name == NodeEvents.BundleHashMismatch) is not null ? "its bundle's SHA-256 did not match" : "refused";
            return new NodeRollout(NodeRollout.Status.Refused, failed.Time, SecondsBack: back, Reason: reason)
            {
                Details = refused?.Field("Alerts") is { } alerts ? [.. alerts.Split(" | ")] : [],
            };
        }

        return new NodeRollout(NodeRollout.Status.Inflight);
    }

    /// <summary>Whether the agent said it is ready (what it tells systemd with READY=1): its discovery read every pool, or there is none.</summary>
    public static bool Ready(IReadOnlyList<NodeEventLine> events) => events.Any(e => e.Name is NodeEvents.DiscoveryReady or NodeEvents.NoDiscoveredPool);
}

/// <summary>What became of a rules version on one node: when it applied or refused it, how, and how long it took to be back on the previous rules.</summary>
public sealed record NodeRollout(NodeRollout.Status State, DateTimeOffset? At = null, string? Outcome = null, double SecondsBack = 0, string? Reason = null)
{
    /// <summary>Where the version is on the node.</summary>
    public enum Status
    {
        /// <summary>The node has not received it.</summary>
        Unreached,

        /// <summary>Received, being applied.</summary>
        Inflight,

        /// <summary>Applied: it runs.</summary>
        Applied,

        /// <summary>Received, and it changed nothing that runs.</summary>
        Unchanged,

        /// <summary>Refused or reverted: the previous rules run.</summary>
        Refused,
    }

    /// <summary>What the reason rests on, a line each: HAProxy's ALERT lines for a refused config.</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    /// <summary>Whether the node is done with the version.</summary>
    public bool Settled => State is Status.Applied or Status.Unchanged or Status.Refused;
}
