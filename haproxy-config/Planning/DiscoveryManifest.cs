using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaproxyCluster.Config;

/// <summary>
/// What the node agent needs to fill the spec's EC2-discovered pools, written into the bundle as
/// <see cref="FileName"/>: where HAProxy's Runtime API and server-state file are, and each pool's
/// slots and filters. The renderer writes it; the agent reads it.
/// </summary>
/// <param name="RuntimeSocket">HAProxy's admin socket.</param>
/// <param name="ServerStateFile">Where the agent saves the servers' state for the next reload.</param>
/// <param name="Pools">The discovered pools, sorted by backend name.</param>
/// <param name="FleetLimits">The fleet-wide rate limits, in rule order.</param>
/// <param name="FleetLimitsMap">The map holding each fleet-wide limit's share on this node, when there is one.</param>
public sealed record DiscoveryManifest(string RuntimeSocket, string ServerStateFile, IReadOnlyList<DiscoveredPool> Pools, IReadOnlyList<FleetLimit> FleetLimits, string? FleetLimitsMap)
{
    /// <summary>The manifest's path in the bundle.</summary>
    public const string FileName = "discovery.json";

    /// <summary>The manifest as the bundle holds it: indented JSON, properties in declaration order.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Default.DiscoveryManifest) + "\n";

    /// <summary>Reads a manifest.</summary>
    /// <exception cref="JsonException">The text is not a manifest.</exception>
    public static DiscoveryManifest FromJson(string json) =>
        JsonSerializer.Deserialize(json, ManifestJson.Default.DiscoveryManifest) ?? throw new JsonException("the manifest is null");
}

/// <summary>One EC2-discovered pool: its HAProxy backend and slots, and which instances fill them.</summary>
/// <param name="Backend">The HAProxy backend (the pool's name).</param>
/// <param name="SlotPrefix">Slot names are this prefix and 1 to <paramref name="Slots"/>.</param>
/// <param name="Slots">How many slots the backend has.</param>
/// <param name="Port">The port the instances serve on.</param>
/// <param name="AutoScalingGroup">The group whose running instances fill the slots, or null.</param>
/// <param name="Tags">Tags each instance carries, when there is no group.</param>
/// <param name="DrainSeconds">How long a leaving instance may finish its connections.</param>
public sealed record DiscoveredPool(string Backend, string SlotPrefix, int Slots, int Port, string? AutoScalingGroup, IReadOnlyList<Ec2Tag> Tags, int DrainSeconds);

/// <summary>A rate limit that holds for the whole cluster.</summary>
/// <param name="Name">The rate limit's name: its key in the map.</param>
/// <param name="Requests">The whole cluster's limit; a node's share is this ÷ nodes in service.</param>
public sealed record FleetLimit(string Name, int Requests);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DiscoveryManifest))]
internal sealed partial class ManifestJson : JsonSerializerContext;
