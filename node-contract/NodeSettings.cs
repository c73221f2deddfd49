using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaproxyCluster.Node;

/// <summary>
/// Everything the node agent needs to know about its node, as one JSON file
/// (<see cref="DefaultPath"/>): the bootstrap builder writes it from the environment's spec and
/// stack, <c>local/</c> writes it for the local cluster's nodes, and the agent reads it
/// (<c>--settings FILE</c>) and refuses to start on a file that does not pass <see cref="Problems"/>.
/// A new node setting is a property here, set in those two writers.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Where a node keeps the file.</summary>
    public const string DefaultPath = "/etc/haproxy-cluster/agent.json";

    /// <summary>The region the agent signs EC2 calls for.</summary>
    public required string Region { get; init; }

    /// <summary>An EC2 API endpoint other than the region's (the local stand-in); null on AWS.</summary>
    public string? Ec2Endpoint { get; init; }

    /// <summary>The rules configuration at the AWS AppConfig Agent; null: no rollout.</summary>
    public string? RulesUrl { get; init; }

    /// <summary>Seconds between two reads of the rules configuration from the AppConfig Agent's cache.</summary>
    public int RulesPollSeconds { get; init; } = 2;

    /// <summary>Seconds between two discovery passes while EC2 answers, at the least: a big fleet waits longer (<see cref="Ec2CallsPerSecond"/>).</summary>
    public int DiscoveryIntervalSeconds { get; init; } = DefaultDiscoveryIntervalSeconds;

    /// <summary>The default of <see cref="DiscoveryIntervalSeconds"/>: what a node's agent waits on a small fleet.</summary>
    public const int DefaultDiscoveryIntervalSeconds = 5;

    /// <summary>
    /// The DescribeInstances calls a second the whole fleet may make: each node waits, between two
    /// passes, its fleet's node count times its calls a pass divided by this, when that is longer
    /// than <see cref="DiscoveryIntervalSeconds"/>.
    /// </summary>
    public double Ec2CallsPerSecond { get; init; } = 2;

    /// <summary>
    /// The auto-scaling group of the HAProxy nodes, read in the same call as the pools: its size
    /// paces discovery and splits fleet-wide limits. Null: this node alone (and, with fleet-wide
    /// limits, the group EC2 names for this instance).
    /// </summary>
    public string? FleetGroup { get; init; }

    /// <summary>The folder HAProxy's config lives in; the membership manifest is in it.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>HAProxy's admin socket (Runtime API).</summary>
    public required string RuntimeSocket { get; init; }

    /// <summary>The node's health port (PROXY protocol), probed after a reload.</summary>
    public required int HealthPort { get; init; }

    /// <summary>The node's health path.</summary>
    public required string HealthPath { get; init; }

    /// <summary>The command that reloads HAProxy seamlessly, as program and arguments (no shell).</summary>
    public IReadOnlyList<string> ReloadCommand { get; init; } = ["systemctl", "reload", "haproxy"];

    /// <summary>The command that starts HAProxy (or reloads it, when it runs) for the node's first bundle.</summary>
    public IReadOnlyList<string> StartCommand { get; init; } = ["systemctl", "reload-or-restart", "haproxy"];

    /// <summary>The command that stops HAProxy, when the node's first bundle did not start healthy.</summary>
    public IReadOnlyList<string> StopCommand { get; init; } = ["systemctl", "stop", "haproxy"];

    /// <summary>The CloudWatch namespace of the agent's metrics, sent as EMF to the CloudWatch agent; null: no metrics.</summary>
    public string? MetricsNamespace { get; init; }

    /// <summary>Where the CloudWatch agent takes EMF over UDP.</summary>
    public string MetricsAddress { get; init; } = "127.0.0.1:25888";

    /// <summary>The log group CloudWatch keeps the metrics' EMF objects in; null: the namespace.</summary>
    public string? LogGroup { get; init; }

    /// <summary>The bake the node passes before it signals, after its first install (<c>bake</c>). Default: none.</summary>
    public NodeBake Bake { get; init; } = NodeBake.None;

    /// <summary>HAProxy's access log as the node writes it (JSON lines with <c>status</c> and <c>termination</c>), which the bake reads; null: no bake.</summary>
    public string? AccessLog { get; init; }

    /// <summary>The agent's own event log, where the bake finds the agent's reloads and failed applies; null: not read.</summary>
    public string? AgentLog { get; init; }

    /// <summary>The certificates the node terminates TLS with, and where they come from; null: TLS ends at the NLB.</summary>
    public NodeTlsSettings? Tls { get; init; }

    /// <summary>The membership manifest's path.</summary>
    [JsonIgnore]
    public string ManifestPath => Path.Combine(ConfigDirectory, MembershipManifest.FileName);

    /// <summary>The file's text: indented JSON, properties in declaration order.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, NodeSettingsJson.Default.NodeSettings) + "\n";

    /// <summary>Reads the file's text; null when it is not JSON of this shape.</summary>
    public static NodeSettings? FromJson(string json, out string? error)
    {
        try
        {
            error = null;
            return JsonSerializer.Deserialize(json, NodeSettingsJson.Default.NodeSettings);
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Every problem with these settings, each naming its property, the value and what to use.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string property, string problem)
        {
            if (!ok)
            {
                problems.Add($"{property}: {problem}");
            }
        }

        static bool Absolute(string? path) => path is { Length: > 1 } && path.StartsWith('/') && !path.Any(char.IsControl);
        static string Show(object? value) => value is null ? "null" : Convert.ToString(value, CultureInfo.InvariantCulture) is var text && text!.Length > 60 ? $"'{text[..60]}…'" : $"'{value}'";

        Require(Region is { Length: > 0 } && Region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'), "region", $"{Show(Region)} is not a region; use one such as eu-west-1");
        Require(Ec2Endpoint is null || Uri.TryCreate(Ec2Endpoint, UriKind.Absolute, out var ec2) && ec2.Scheme is "http" or "https", "ec2Endpoint", $"{Show(Ec2Endpoint)} is not an http(s) URL; leave it out on AWS");
        Require(RulesUrl is null || Uri.TryCreate(RulesUrl, UriKind.Absolute, out var rules) && rules.Scheme is "http" or "https", "rulesUrl", $"{Show(RulesUrl)} is not an http(s) URL; use the AppConfig Agent's http://localhost:2772/applications/A/environments/E/configurations/P");
        Require(RulesPollSeconds is >= 1 and <= 3600, "rulesPollSeconds", $"{RulesPollSeconds} is out of range; use 1 to 3600");
        Require(DiscoveryIntervalSeconds is >= 1 and <= 3600, "discoveryIntervalSeconds", $"{DiscoveryIntervalSeconds} is out of range; use 1 to 3600");
        Require(Ec2CallsPerSecond is >= 0.1 and <= 100, "ec2CallsPerSecond", $"{Show(Ec2CallsPerSecond)} is out of range; use 0.1 to 100");
        Require(FleetGroup is null || FleetGroup is { Length: >= 1 and <= 255 } && FleetGroup.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'), "fleetGroup", $"{Show(FleetGroup)} is not an auto-scaling group name; use 1 to 255 letters, digits, '.', '_' or '-'");
        Require(Absolute(ConfigDirectory), "configDirectory", $"{Show(ConfigDirectory)} is not an absolute path; use one such as /etc/haproxy");
        Require(Absolute(RuntimeSocket), "runtimeSocket", $"{Show(RuntimeSocket)} is not an absolute path; use HAProxy's admin socket, such as /run/haproxy/admin.sock");
        Require(HealthPort is >= 1 and <= 65535, "healthPort", $"{HealthPort} is not a port; use 1 to 65535");
        Require(HealthPath is { Length: > 0 } && HealthPath.StartsWith('/') && !HealthPath.Any(c => char.IsControl(c) || c == ' '), "healthPath", $"{Show(HealthPath)} is not a path; use one such as /haproxy-health");
        foreach (var (property, command) in new[] { ("reloadCommand", ReloadCommand), ("startCommand", StartCommand), ("stopCommand", StopCommand) })
        {
            Require(command is { Count: > 0 } && command.All(a => a is { Length: > 0 }), property, "is empty; use the program and its arguments, such as [\"systemctl\", \"reload\", \"haproxy\"]");
        }

        foreach (var problem in Bake?.Problems() ?? ["is null; leave it out for no bake"])
        {
            problems.Add($"bake.{problem}");
        }

        Require(AccessLog is null || Absolute(AccessLog), "accessLog", $"{Show(AccessLog)} is not an absolute path; use the file HAProxy's access log is written to, such as /var/log/haproxy/access.log");
        Require(Bake?.Enabled != true || AccessLog is not null, "accessLog", "is missing, but the bake reads it; name HAProxy's access log");
        Require(AgentLog is null || Absolute(AgentLog), "agentLog", $"{Show(AgentLog)} is not an absolute path; use the agent's log, such as /var/log/haproxy-cluster-agent.log");
        problems.AddRange(Tls?.Problems().Select(problem => $"tls.{problem}") ?? []);
        Require(IPEndPoint.TryParse(MetricsAddress ?? "", out _), "metricsAddress", $"{Show(MetricsAddress)} is not an address and port; use one such as 127.0.0.1:25888");
        return problems;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(NodeSettings))]
internal sealed partial class NodeSettingsJson : JsonSerializerContext;
