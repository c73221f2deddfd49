using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent;

/// <summary>
/// The agent's CloudWatch metrics, in CloudWatch's embedded metric format (EMF): one JSON object a
/// pool and pass, sent over UDP to the CloudWatch agent on the node, which turns it into metrics
/// in <paramref name="metricsNamespace"/> (the cluster's, <c>HaproxyCluster/ENV</c>) with the
/// dimension <c>Pool</c>, and keeps the object in <paramref name="logGroup"/>. The agent makes no AWS call for them, and a lost
/// datagram costs one data point, never a pass.
/// </summary>
internal sealed class PoolMetrics(IPEndPoint cloudWatchAgent, string metricsNamespace, string logGroup, TimeProvider clock) : IDisposable
{
    /// <summary>Where the CloudWatch agent listens for EMF by default.</summary>
    public static readonly IPEndPoint DefaultEndpoint = new(IPAddress.Loopback, 25888);

    private readonly UdpClient _udp = new(AddressFamily.InterNetwork);

    /// <summary>Reports <paramref name="pool"/>'s slotted and unslotted instances after a pass.</summary>
    public async Task PublishAsync(string pool, int slotted, int unslotted, CancellationToken cancellation)
    {
        var datagram = Encoding.UTF8.GetBytes(Emf(pool, slotted, unslotted));
        try
        {
            await _udp.SendAsync(datagram, cloudWatchAgent, cancellation);
        }
        catch (SocketException)
        {
            // Nothing listens (the CloudWatch agent restarts): this data point is lost, nothing else.
        }
    }

    /// <summary>The EMF object for one pool and pass.</summary>
    public string Emf(string pool, int slotted, int unslotted)
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
            json.WriteStringValue(NodeAgentMetrics.PoolDimension);
            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var name in new[] { NodeAgentMetrics.Slotted, NodeAgentMetrics.Unslotted })
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
            json.WriteString(NodeAgentMetrics.PoolDimension, pool);
            json.WriteNumber(NodeAgentMetrics.Slotted, slotted);
            json.WriteNumber(NodeAgentMetrics.Unslotted, unslotted);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => _udp.Dispose();
}
