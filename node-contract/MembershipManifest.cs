using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaproxyCluster.Node;

/// <summary>
/// What the node agent needs to follow EC2 membership, written into the bundle as
/// <see cref="FileName"/>: each discovered pool's slots and filters, and the fleet-wide rate limits
/// whose share follows the number of nodes, with where HAProxy's Runtime API and server-state file
/// are. The renderer writes it; the agent reads it.
/// </summary>
/// <param name="RuntimeSocket">HAProxy's admin socket.</param>
/// <param name="ServerStateFile">Where the agent saves the servers' state for the next reload.</param>
/// <param name="Pools">The discovered pools, sorted by backend name.</param>
/// <param name="FleetLimits">The fleet-wide rate limits, in rule order.</param>
/// <param name="FleetLimitsMap">The map holding each fleet-wide limit's share on this node, when there is one.</param>
public sealed record MembershipManifest(string RuntimeSocket, string ServerStateFile, IReadOnlyList<DiscoveredPool> Pools, IReadOnlyList<FleetLimit> FleetLimits, string? FleetLimitsMap)
{
    /// <summary>
    /// The manifest's path in the bundle. It keeps the name it had before fleet limits joined it:
    /// during a rolling update, nodes still on the previous agent receive the new rules version
    /// first, and must find their manifest where they look.
    /// </summary>
    public const string FileName = "discovery.json";

    /// <summary>The tag the cluster's scale-in hook puts on an instance its group terminates: no longer a member.</summary>
    public const string LeavingTag = "haproxy-cluster:leaving";

    /// <summary>The manifest as the bundle holds it: indented JSON, properties in declaration order.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Default.MembershipManifest) + "\n";

    /// <summary>Reads a manifest.</summary>
    /// <exception cref="JsonException">The text is not a manifest.</exception>
    public static MembershipManifest FromJson(string json) =>
        JsonSerializer.Deserialize(json, ManifestJson.Default.MembershipManifest) ?? throw new JsonException("the manifest is null");
}

/// <summary>One EC2-discovered pool: its HAProxy backend and slots, and which instances fill them.</summary>
/// <param name="Backend">The HAProxy backend (the pool's name).</param>
/// <param name="SlotPrefix">Slot names are this prefix and 1 to <paramref name="Slots"/>.</param>
/// <param name="Slots">How many slots the backend has.</param>
/// <param name="Port">The port the instances serve on.</param>
/// <param name="AutoScalingGroup">The group whose running instances fill the slots, or null.</param>
/// <param name="Tags">Tags each instance carries, when there is no group.</param>
/// <param name="DrainSeconds">How long a leaving instance may finish its connections.</param>
public sealed record DiscoveredPool(string Backend, string SlotPrefix, int Slots, int Port, string? AutoScalingGroup, IReadOnlyList<MemberTag> Tags, int DrainSeconds);

/// <summary>A tag every member of a pool carries.</summary>
public sealed record MemberTag(string Key, string Value);

/// <summary>A rate limit that holds for the whole cluster.</summary>
/// <param name="Name">The rate limit's name: its key in the map.</param>
/// <param name="Requests">The whole cluster's limit; a node's share is this ÷ nodes in service.</param>
public sealed record FleetLimit(string Name, int Requests);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MembershipManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
