using Amazon.EC2;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent;

/// <summary>
/// The node's EC2 client, made on first use: the SDK resolves credentials when the client is
/// made, and a node without discovered pools or fleet-wide limits never calls EC2.
/// </summary>
internal sealed class Ec2ClientOnDemand(NodeSettings settings) : IDisposable
{
    private readonly Lazy<AmazonEC2Client> _client = new(() => Ec2Members.Client(settings.Ec2Endpoint is { } uri ? new Uri(uri) : null, settings.Region));

    /// <summary>The client, made now if it was not.</summary>
    public AmazonEC2Client Client => _client.Value;

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
