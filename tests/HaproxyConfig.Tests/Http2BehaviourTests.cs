using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// HTTP/2 from clients, as it reaches a node behind the NLB's TLS listener (h2 in ALPN, the
/// decrypted stream passed on with PROXY protocol): HAProxy takes HTTP/2 with prior knowledge and
/// HTTP/1.1 on the same clear bind, with curl as the client.
/// </summary>
public class Http2BehaviourTests(PolicyCluster cluster) : IClassFixture<PolicyCluster>
{
    [Theory]
    [InlineData("--http2-prior-knowledge", "2")]
    [InlineData("--http1.1", "1.1")]
    public void The_tls_origin_bind_serves_http2_and_http1_to_the_default_pool(string protocol, string version)
    {
        var (exitCode, output) = Command.Run("curl", "-sS", protocol, "--haproxy-protocol", "-H", "Host: app.example.com",
            "-w", "\nversion=%{http_version} status=%{http_code}\n", $"http://127.0.0.1:{cluster.Haproxy.TlsOriginPort}/");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"version={version} status=200", output, StringComparison.Ordinal);
        Assert.StartsWith("web\n", output, StringComparison.Ordinal); // the test backend names itself first
    }
}
