namespace HaproxyCluster.Node;

/// <summary>
/// The CloudWatch metrics the node agent publishes (as EMF, through the CloudWatch agent) and the
/// construct alarms on: one home for their names, read by both.
/// </summary>
public static class NodeAgentMetrics
{
    /// <summary>Instances that should serve but found no slot: the pool needs more the pool's slots.</summary>
    public const string Unslotted = "UnslottedInstances";

    /// <summary>Instances in the pool's slots, serving.</summary>
    public const string Slotted = "SlottedInstances";

    /// <summary>Rules versions a node refused (haproxy -c, or a payload that did not decode) or reverted (failed its health check).</summary>
    public const string FailedApplies = "FailedRuleApplies";

    /// <summary>DescribeInstances calls EC2 throttled (the account's API rate limit, shared with every tool in it).</summary>
    public const string ThrottledEc2Calls = "ThrottledEc2Calls";

    /// <summary>Requests a new node served in its bake so far (BakeProgress; the dashboard's bake graph).</summary>
    public const string BakeRequests = "BakeRequests";

    /// <summary>Of <see cref="BakeRequests"/>, those that failed through the node's own fault.</summary>
    public const string BakeOwnFailures = "BakeOwnFailures";

    /// <summary>
    /// Whole days until the certificate a node serves expires (negative once it has): the node's
    /// file, so a new version the agent refused leaves the old one counting down.
    /// </summary>
    public const string CertificateDaysLeft = "CertificateDaysLeft";

    /// <summary>The dimension that names the certificate (<c>NodeCertificate.Name</c>).</summary>
    public const string CertificateDimension = "Certificate";

    /// <summary>The dimension that names the pool.</summary>
    public const string PoolDimension = "Pool";

    /// <summary>The CloudWatch namespace of a cluster's metrics: <c>HaproxyCluster/ENV</c>.</summary>
    public static string Namespace(string environmentName) => $"HaproxyCluster/{environmentName}";
}
