namespace HaproxyCluster.Config;

/// <summary>
/// TLS from the node to a pool's servers: every connection and every health check encrypted,
/// TLS 1.2 or newer, the server's certificate verified against <see cref="CaBundlePem"/> and its
/// name against <see cref="ServerName"/>. There is no unverified mode.
/// </summary>
public sealed record PoolTls
{
    /// <summary>
    /// The certificates (PEM, <c>-----BEGIN CERTIFICATE-----</c>, one or more) of the authorities
    /// that sign the servers' certificates, read from a file in the repository; it ships in the
    /// bundle as <c>ca/POOL.pem</c>. A server whose chain does not end at one of them is refused.
    /// </summary>
    public required string CaBundlePem { get; init; }

    /// <summary>
    /// The name sent in SNI, and which each server's certificate must carry. Default: null, each
    /// server's own DNS name (a <see cref="Server"/>'s address, a <see cref="DnsDiscovery"/>'s
    /// hostname); a pool with servers at IP addresses or found in EC2 must give it.
    /// </summary>
    public string? ServerName { get; init; }

    /// <summary>Checks the TLS settings of <paramref name="pool"/>.</summary>
    internal void Check(Problems at, Pool pool)
    {
        at["CaBundlePem"].Add(Pem.Certificates(CaBundlePem, "the certificates of the authorities that sign the servers' certificates"));
        if (ServerName is not null)
        {
            at["ServerName"].Add(Syntax.Hostname(ServerName));
            return;
        }

        var byAddress = pool.Servers.Where(s => s is { IsDnsName: false }).Select(s => s.Address).Order(StringComparer.Ordinal).ToList();
        at["ServerName"].Require(byAddress.Count == 0 && pool.Discovery is not Ec2Discovery,
            $"is null, but pool '{pool.Name}' has {(byAddress.Count > 0 ? $"servers at IP addresses ({string.Join(", ", byAddress)})" : "servers found in EC2")}, which have no name to check their certificates against; give the name their certificates carry, such as api.internal.example.com");
    }
}
