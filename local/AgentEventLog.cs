using System.Globalization;
using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Local;

/// <summary>
/// The node agent's events as the local harness reads them: one JSON object a line, by its
/// <c>Event</c> name and fields (the agent's <c>AgentEvents</c>), never by its message, so a
/// reworded message breaks no script. Lines that are not events (a crash's text) are skipped.
/// </summary>
public static class AgentEventLog
{
    /// <summary>One event: its name, when it happened, and its fields.</summary>
    public sealed record AgentEvent(string Name, DateTimeOffset Time, JsonElement Fields)
    {
        /// <summary>Field <paramref name="name"/> as text, or null.</summary>
        public string? Field(string name) => Fields.TryGetProperty(name, out var value) ? value.ToString() : null;
    }

    /// <summary>The events in <paramref name="file"/> from line <paramref name="fromLine"/> (1-based) on.</summary>
    public static IReadOnlyList<AgentEvent> Read(string file, int fromLine = 1) =>
        File.Exists(file) ? Parse(File.ReadLines(file).Skip(fromLine - 1)) : [];

    /// <summary>The events among <paramref name="lines"/>.</summary>
    public static IReadOnlyList<AgentEvent> Parse(IEnumerable<string> lines) => [.. lines.Select(ParseLine).OfType<AgentEvent>()];

    /// <summary>
    /// What became of rules version <paramref name="sha256"/> on a node, from its events: one of
    /// <c>unreached</c>, <c>inflight</c>, <c>applied MS OUTCOME</c>, <c>unchanged MS</c> or
    /// <c>refused MS SECONDS-BACK REASON</c>, MS being when it happened (Unix milliseconds).
    /// </summary>
    public static string RolloutOutcome(IReadOnlyList<AgentEvent> events, string sha256)
    {
        var mine = events.Where(e => e.Field("Sha256") == sha256).ToList();
        if (!mine.Any(e => e.Name == NodeEvents.RulesVersionReceived))
        {
            return "unreached";
        }

        if (mine.FirstOrDefault(e => e.Name == NodeEvents.RulesApplied) is { } applied)
        {
            var outcome = applied.Field("Outcome");
            return outcome == "Unchanged" ? $"unchanged {Ms(applied)}" : $"applied {Ms(applied)} {outcome}";
        }

        if (mine.FirstOrDefault(e => e.Name == NodeEvents.RulesFailed) is { } failed)
        {
            var reverted = mine.FirstOrDefault(e => e.Name == NodeEvents.BundleReverted);
            var reason = mine.FirstOrDefault(e => e.Name == NodeEvents.ConfigRefused) is { } refused
                ? "haproxy -c refused it: " + refused.Field("Alerts")
                : reverted is not null ? $"it failed its health check; back on the previous config {reverted.Field("SecondsBack")} s later"
                : mine.FirstOrDefault(e => e.Name == NodeEvents.BundleHashMismatch) is not null ? "its bundle's SHA-256 did not match" : "refused";
            return $"refused {Ms(failed)} {reverted?.Field("SecondsBack") ?? "0"} {reason}";
        }

        return "inflight";
    }

    /// <summary>Whether the agent said it is ready (what it tells systemd with READY=1): its discovery read every pool, or there is none.</summary>
    public static bool Ready(IReadOnlyList<AgentEvent> events) => events.Any(e => e.Name is NodeEvents.DiscoveryReady or NodeEvents.NoDiscoveredPool);

    private static string Ms(AgentEvent e) => e.Time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static AgentEvent? ParseLine(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            var root = JsonDocument.Parse(line).RootElement;
            return root.TryGetProperty("Event", out var name) && root.TryGetProperty("Time", out var time)
                ? new AgentEvent(name.GetString()!, DateTimeOffset.Parse(time.GetString()!, CultureInfo.InvariantCulture), root)
                : null;
        }
        catch (JsonException)
        {
            return null; // a line cut short by a crash
        }
    }
}
