using HaproxyCluster.Config;

namespace HaproxyCluster.Infra;

/// <summary>
/// One deployment of the cluster: where its stack goes, and the construct's props, so every
/// setting of <see cref="HaproxyCluster"/> can be set per environment and has one default (the
/// props'). Written in C#, so a typo is a compile error, not a failed deploy.
/// </summary>
public sealed record ClusterEnvironment
{
    /// <summary>AWS account id the stack deploys to (12 digits).</summary>
    public required string Account { get; init; }

    /// <summary>AWS region the stack deploys to, for example <c>eu-west-1</c>.</summary>
    public required string Region { get; init; }

    /// <summary>
    /// The cluster. Its <see cref="HaproxyClusterProps.AvailabilityZones"/> must also be listed in
    /// <c>cdk.context.json</c>, so that synthesis needs no AWS call.
    /// </summary>
    public required HaproxyClusterProps Cluster { get; init; }

    /// <summary>Short name used in stack names and on the command line (<c>-c env=NAME</c>): the cluster's <see cref="HaproxyClusterProps.EnvironmentName"/>.</summary>
    public string Name => Cluster.EnvironmentName;

    /// <summary>What every HAProxy node does: the cluster's spec.</summary>
    public HaproxySpec Haproxy => Cluster.Haproxy;

    /// <summary>The stack's name: <c>HaproxyCluster-&lt;Name&gt;</c>.</summary>
    public string StackName => $"HaproxyCluster-{Name}";
}
