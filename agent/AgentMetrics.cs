using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent;

/// <summary>
/// The agent's CloudWatch metrics, in CloudWatch's embedded metric format (EMF): one JSON object a
/// data point, sent over UDP to the CloudWatch agent on the node, which turns it into metrics in
/// <paramref name="metricsNamespace"/> (the cluster's, <c>HaproxyCluster/ENV</c>) and keeps the
/// object in <paramref name="logGroup"/>. The agent makes no AWS call for them, and a lost datagram
/// costs one data point, never a pass or an apply.
/// </summary>
internal sealed class AgentMetrics(IPEndPoint cloudWatchAgent, string metricsNamespace, string logGroup, TimeProvider clock) : IDisposable
{
    /// <summary>Where the CloudWatch agent listens for EMF by default.</summary>
    public static readonly IPEndPoint DefaultEndpoint = new(IPAddress.Loopback, 25888);

    private readonly UdpClient _udp = new(AddressFamily.InterNetwork);

    /// <summary>Reports <paramref name="pool"/>'s slotted and unslotted instances after a pass (dimension <c>Pool</c>).</summary>
    public Task PublishPoolAsync(string pool, int slotted, int unslotted, CancellationToken cancellation) =>
        SendAsync(Emf((NodeAgentMetrics.PoolDimension, pool), [(NodeAgentMetrics.Slotted, slotted), (NodeAgentMetrics.Unslotted, unslotted)]), cancellation);

    /// <summary>Reports one rules version this node refused or reverted (no dimension: the alarm watches the fleet).</summary>
    public Task PublishFailedApplyAsync(CancellationToken cancellation) =>
        SendAsync(Emf(null, [(NodeAgentMetrics.FailedApplies, 1)]), cancellation);

    /// <summary>Reports one EC2 call that was throttled (no dimension: the account's limit is shared by the fleet).</summary>
    public Task PublishThrottledAsync(CancellationToken cancellation) =>
        SendAsync(Emf(null, [(NodeAgentMetrics.ThrottledEc2Calls, 1)]), cancellation);

    /// <summary>Reports a bake's requests and own failures so far (no dimension: one node bakes at a time).</summary>
    public Task PublishBakeAsync(int requests, int ownFailures, CancellationToken cancellation) =>
        SendAsync(Emf(null, [(NodeAgentMetrics.BakeRequests, requests), (NodeAgentMetrics.BakeOwnFailures, ownFailures)]), cancellation);

    /// <summary>Reports the whole days left before the certificate <paramref name="name"/> the node serves expires (dimension <c>Certificate</c>).</summary>
    public Task PublishCertificateAsync(string name, int daysLeft, CancellationToken cancellation) =>
        SendAsync(Emf((NodeAgentMetrics.CertificateDimension, name), [(NodeAgentMetrics.CertificateDaysLeft, daysLeft)]), cancellation);

    /// <summary>The EMF object for one data point of <paramref name="values"/>, under one dimension or none.</summary>
    public string Emf((string Name, string Value)? dimension, IReadOnlyList<(string Name, int Value)> values)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", clock.GetUtcNow().ToUnixTimeMilliseconds());
            json.WriteString("LogGroupName", logGroup);
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", metricsNamespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            if (dimension is { } named)
            {
                json.WriteStringValue(named.Name);
            }

            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var (name, _) in values)
            {
                json.WriteStartObject();
                json.WriteString("Name", name);
                json.WriteString("Unit", "Count");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            if (dimension is { } value)
            {
                json.WriteString(value.Name, value.Value);
            }

            foreach (var (name, count) in values)
            {
                json.WriteNumber(name, count);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => _udp.Dispose();

    private async Task SendAsync(string emf, CancellationToken cancellation)
    {
        try
        {
            await _udp.SendAsync(Encoding.UTF8.GetBytes(emf), cloudWatchAgent, cancellation);
        }
        catch (SocketException)
        {
            // Nothing listens (the CloudWatch agent restarts): this data point is lost, nothing else.
        }
    }
}
