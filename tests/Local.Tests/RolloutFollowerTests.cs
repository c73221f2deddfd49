using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Local.Tests;

/// <summary>What make rollout and chaos print for each node, from the agent's events.</summary>
public sealed class RolloutFollowerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    private static NodeEventLine Event(string name, double seconds, params (string Name, string Value)[] fields) =>
        new(name, Start.AddSeconds(seconds), JsonDocument.Parse(JsonSerializer.Serialize(fields.ToDictionary(f => f.Name, f => f.Value))).RootElement);

    [Fact]
    public void A_refused_version_shows_every_alert_whole_and_where_the_node_events_are()
    {
        // GIVEN a node whose haproxy -c refused the version with two long ALERT lines
        var alert = "[ALERT]    (8824) : config : parsing [/mnt/haproxy/haproxy.cfg:100] : unknown keyword 'not-a-haproxy-keyword' in 'backend' section; did you mean 'http-request' maybe ?";
        var events = new[]
        {
            Event(NodeEvents.RulesVersionReceived, 0.2, ("Sha256", "abc")),
            Event(NodeEvents.ConfigRefused, 0.7, ("Sha256", "abc"), ("Alerts", alert + " | [ALERT]    (8824) : config : Fatal errors found in configuration.")),
            Event(NodeEvents.RulesFailed, 0.8, ("Sha256", "abc")),
        };

        // WHEN it is described
        var lines = RolloutFollower.Describe(1, AgentEventLog.RolloutOf(events, "abc"), Start, "RolledBack", "/tmp/local/node1/agent.log").ToList();

        // THEN each alert has a line of its own, whole, and the node's event log is named
        Assert.Equal(
        [
            "rollout: node1: refused 0.8 s, back after 0 s: haproxy -c refused it",
            "rollout: node1:   " + alert,
            "rollout: node1:   [ALERT]    (8824) : config : Fatal errors found in configuration.",
            "rollout: node1:   its events: /tmp/local/node1/agent.log",
        ], lines);
    }

    [Fact]
    public void A_node_the_version_never_reached_says_what_became_of_the_deployment()
    {
        var lines = RolloutFollower.Describe(2, AgentEventLog.RolloutOf([], "abc"), Start, "RolledBack", "/tmp/local/node2/agent.log");

        Assert.Equal(["rollout: node2: never got it (deployment RolledBack)"], lines);
    }
}
