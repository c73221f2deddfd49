using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// HTTP/2 from clients, as it reaches a node behind the NLB's TLS listener (h2 in ALPN, the
/// decrypted stream passed on with PROXY protocol): HAProxy takes HTTP/2 with prior knowledge and
/// HTTP/1.1 on the same clear bind, on 2.6 and on 3.0, with curl as the client; the plain HTTP bind
/// takes h2c with prior knowledge the same way, at no cost.
/// </summary>
public class Http2BehaviourTests(BothVersions nodes) : IClassFixture<BothVersions>
{
    [Theory]
    [InlineData("2.6", "tls-origin", "--http2-prior-knowledge", "2")]
    [InlineData("2.6", "tls-origin", "--http1.1", "1.1")]
    [InlineData("3.0", "tls-origin", "--http2-prior-knowledge", "2")]
    [InlineData("3.0", "tls-origin", "--http1.1", "1.1")]
    [InlineData("2.6", "http", "--http2-prior-knowledge", "2")]
    [InlineData("3.0", "http", "--http1.1", "1.1")]
    public async Task A_clear_proxied_bind_serves_http2_and_http1_to_the_default_pool(string version, string bind, string protocol, string expected)
    {
        var haproxy = version == "3.0" ? nodes.Haproxy30 : nodes.Haproxy26;
        var port = bind == "http" ? haproxy.HttpPort : haproxy.TlsOriginPort;

        var (exitCode, output) = Command.Run("curl", "-sS", protocol, "--haproxy-protocol", "-H", "Host: app.example.com",
            "-w", "\nversion=%{http_version} status=%{http_code}\n", $"http://127.0.0.1:{port}/h2-{bind}{protocol}");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"version={expected} status=200", output, StringComparison.Ordinal);
        Assert.StartsWith("web\n", output, StringComparison.Ordinal); // the test backend names itself first
        // AND the access log line (written a moment after the answer) names the protocol
        var logged = $"\"protocol\":\"HTTP/{(expected == "2" ? "2.0" : "1.1")}\",\"uri\":\"";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!haproxy.Output.Split('\n').Any(l => l.Contains(logged, StringComparison.Ordinal) && l.Contains($"/h2-{bind}{protocol}\"", StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"no access log line with {logged} for /h2-{bind}{protocol}:\n{haproxy.Output}");
            await Task.Delay(50);
        }
    }
}
