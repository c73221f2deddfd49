using HaproxyCluster.Node;
namespace HaproxyCluster.Config;

/// <summary>
/// What each node's CloudWatch agent takes from HAProxy's Prometheus endpoint (<c>/metrics</c> on
/// the admin port) for scaling on load: the NLB-facing frontend's open sessions and its requests.
/// They land in the cluster's namespace (<see cref="NodeAgentMetrics.Namespace"/>) with the node's
/// auto-scaling group as their one dimension, so the group's average is sessions per node.
/// </summary>
public static class NodeLoadMetrics
{
    /// <summary>Sessions open on the frontend now (a gauge).</summary>
    public const string Sessions = "haproxy_frontend_current_sessions";

    /// <summary>HTTP requests the frontend took (a counter; the CloudWatch agent publishes its increase per scrape).</summary>
    public const string Requests = "haproxy_frontend_http_requests_total";

    /// <summary>The frontend whose figures count: the one both NLB listeners reach.</summary>
    public const string Frontend = ConfigRenderer.HttpFrontend;

    /// <summary>The one dimension: the node's auto-scaling group, as EC2 tags the instance.</summary>
    public const string GroupDimension = "AutoScalingGroupName";

    /// <summary>Where HAProxy serves them on the node.</summary>
    public const string Path = "/metrics";

    /// <summary>How often the CloudWatch agent scrapes: once a minute, a target-tracking policy's period.</summary>
    public const int ScrapeSeconds = 60;
}
