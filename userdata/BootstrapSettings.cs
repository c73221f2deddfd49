using HaproxyCluster.Config;

namespace HaproxyCluster.UserData;

/// <summary>What the bootstrap script needs to know about the node's stack, bundle and health endpoint.</summary>
public sealed record BootstrapSettings
{
    /// <summary>The CloudFormation stack to signal.</summary>
    public required string StackName { get; init; }

    /// <summary>Logical id of the resource whose creation or update policy waits for the signal (the ASG).</summary>
    public required string SignalResource { get; init; }

    /// <summary>The stack's region.</summary>
    public required string Region { get; init; }

    /// <summary>Where the bundle archive lives: <c>s3://bucket/key</c>.</summary>
    public required string BundleUri { get; init; }

    /// <summary>The archive's SHA-256 (<see cref="BundleArchive.Sha256"/>); the script refuses any other file.</summary>
    public required string BundleSha256 { get; init; }

    /// <summary>CloudWatch Logs group for the access and bootstrap logs.</summary>
    public required string LogGroupName { get; init; }

    /// <summary>Where the bundle is unpacked, and where haproxy.cfg reads its maps and pages. Default: <see cref="ConfigRenderer.DefaultConfigDirectory"/>.</summary>
    public string ConfigDirectory { get; init; } = ConfigRenderer.DefaultConfigDirectory;

    /// <summary>Port of HAProxy's health endpoint.</summary>
    public required int HealthPort { get; init; }

    /// <summary>Path of HAProxy's health endpoint.</summary>
    public required string HealthPath { get; init; }

    /// <summary>
    /// The loopback TCP port where the node's rsyslog takes HAProxy's logs and writes them to the
    /// file the CloudWatch agent ships. Default: <see cref="GlobalSettings.NodeSyslogPort"/>, where
    /// HAProxy sends them by default.
    /// </summary>
    public int SyslogPort { get; init; } = GlobalSettings.NodeSyslogPort;

    /// <summary>
    /// The node agent to install, when the spec needs one (<see cref="HaproxySpec.NeedsNodeAgent"/>).
    /// Default: none, and no agent runs.
    /// </summary>
    public NodeAgentSettings? Agent { get; init; }

    /// <summary>Health probes before the script gives up. Default: 60.</summary>
    public int HealthAttempts { get; init; } = 60;

    /// <summary>Seconds between health probes. Default: 2, so up to two minutes in all.</summary>
    public int HealthIntervalSeconds { get; init; } = 2;
}

/// <summary>Where the node agent comes from and what it reports to.</summary>
public sealed record NodeAgentSettings
{
    /// <summary>Where the agent's executable lives: <c>s3://bucket/key</c>.</summary>
    public required string Uri { get; init; }

    /// <summary>The executable's SHA-256; the script refuses any other file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The CloudWatch namespace of the agent's metrics (<c>HaproxyCluster/ENV</c>).</summary>
    public required string MetricsNamespace { get; init; }

    /// <summary>HAProxy's server-state file (<see cref="GlobalSettings.ServerStateFile"/>): the script lays down an empty one before HAProxy first reads it.</summary>
    public required string ServerStateFile { get; init; }

    /// <summary>Seconds the script waits for the agent's first pass over every pool. Default: 60.</summary>
    public int ReadySeconds { get; init; } = 60;
}
