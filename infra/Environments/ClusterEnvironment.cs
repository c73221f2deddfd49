using HaproxyCluster.Config;

namespace HaproxyCluster.Infra;

/// <summary>
/// Everything that differs between two deployments of the cluster. One record per environment,
/// written in C# so that a typo is a compile error, not a failed deploy.
/// </summary>
public sealed record ClusterEnvironment
{
    /// <summary>Short name used in stack names and on the command line (<c>-c env=NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>AWS account id the stack deploys to (12 digits).</summary>
    public required string Account { get; init; }

    /// <summary>AWS region the stack deploys to, for example <c>eu-west-1</c>.</summary>
    public required string Region { get; init; }

    /// <summary>
    /// Availability zones to spread the NLB and the nodes over. They must also be listed in
    /// <c>cdk.context.json</c>, so that synthesis needs no AWS call. At least two.
    /// </summary>
    public required IReadOnlyList<string> AvailabilityZones { get; init; }

    /// <summary>Address range of the VPC the stack creates.</summary>
    public string VpcCidr { get; init; } = "10.0.0.0/16";

    /// <summary>EC2 instance type of every HAProxy node. Default: <c>t3.small</c>.</summary>
    public string InstanceType { get; init; } = "t3.small";

    /// <summary>Fewest nodes the auto-scaling group keeps running.</summary>
    public required int MinCapacity { get; init; }

    /// <summary>Most nodes the auto-scaling group may run.</summary>
    public required int MaxCapacity { get; init; }

    /// <summary>Listener settings of the NLB.</summary>
    public ListenerSettings Listeners { get; init; } = new();

    /// <summary>
    /// What every HAProxy node does: its pools (backends) and the L7 rules, validated at synth.
    /// </summary>
    public required HaproxySpec Haproxy { get; init; }

    /// <summary>The stack's name: <c>HaproxyCluster-&lt;Name&gt;</c>.</summary>
    public string StackName => $"HaproxyCluster-{Name}";
}

/// <summary>What the NLB listens on.</summary>
public sealed record ListenerSettings
{
    /// <summary>
    /// ARN of the ACM certificate for the TLS listener on port 443. Default: none, so no TLS listener.
    /// </summary>
    public string? CertificateArn { get; init; }

    /// <summary>Whether the NLB is reachable from the internet. Default: true.</summary>
    public bool InternetFacing { get; init; } = true;
}
