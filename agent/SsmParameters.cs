using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent;

/// <summary>
/// SecureString parameters read from SSM Parameter Store, decrypted by SSM with the parameter's
/// KMS key (the node's role may decrypt with exactly that key). The client is made on first use,
/// as the SDK resolves credentials when it is made.
/// </summary>
internal sealed class SsmParameters(NodeTlsSettings tls, string region) : IDisposable
{
    /// <summary>How long one call may take; a refresh that fails tries again at the next one.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly Lazy<AmazonSimpleSystemsManagementClient> _client = new(() => Client(tls.SsmEndpoint is { } uri ? new Uri(uri) : null, region));

    /// <summary>The parameter's value, decrypted, and its version. Throws what the SDK throws.</summary>
    public async Task<(string Value, long Version)> GetAsync(string name, CancellationToken cancellation)
    {
        var response = await _client.Value.GetParameterAsync(new GetParameterRequest { Name = name, WithDecryption = true }, cancellation);
        return (response.Parameter?.Value ?? "", response.Parameter?.Version ?? 0);
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private static AmazonSimpleSystemsManagementClient Client(Uri? endpoint, string region)
    {
        var config = new AmazonSimpleSystemsManagementConfig { MaxErrorRetry = 2, Timeout = CallTimeout };
        if (endpoint is null)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
            return new AmazonSimpleSystemsManagementClient(config);
        }

        // The service URL last, with its signing region: a region endpoint set after it would win.
        config.ServiceURL = endpoint.ToString();
        config.AuthenticationRegion = region;
        return new AmazonSimpleSystemsManagementClient(new BasicAWSCredentials("stand-in", "stand-in"), config);
    }
}
