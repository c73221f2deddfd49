using System.Diagnostics;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// gRPC and HTTP/2 servers behind a node, on HAProxy 2.6 and 3.0: <see cref="Match.Grpc"/> picks
/// gRPC calls out, a pool with <see cref="ServerProtocol.Http2"/> sends them to an h2c-only server
/// (Kestrel) in HTTP/2 whatever the client spoke, and its checks speak HTTP/2 too, or only connect.
/// </summary>
public class GrpcBehaviourTests(GrpcBehaviourTests.Cluster cluster) : IClassFixture<GrpcBehaviourTests.Cluster>
{
    [Theory]
    [InlineData("2.6", "--http2-prior-knowledge", "application/grpc", "grpc")]
    [InlineData("2.6", "--http1.1", "application/grpc+proto", "grpc")]
    [InlineData("3.0", "--http2-prior-knowledge", "application/grpc", "grpc")]
    [InlineData("3.0", "--http1.1", "application/grpc;charset=utf-8", "grpc")]
    [InlineData("2.6", "--http2-prior-knowledge", "application/grpc-web", "web")]
    [InlineData("3.0", "--http1.1", "application/json", "web")]
    public void Grpc_calls_reach_the_http2_pool_in_http2_and_the_rest_the_default_pool(string version, string protocol, string contentType, string pool)
    {
        var haproxy = cluster.Haproxy(version);

        var (exitCode, output) = Command.Run("curl", "-sS", protocol, "--haproxy-protocol", "-X", "POST", "--data-binary", "call",
            "-H", "Host: app.example.com", "-H", $"Content-Type: {contentType}", $"http://127.0.0.1:{haproxy.TlsOriginPort}/svc.Echo/Call");

        Assert.True(exitCode == 0, output);
        Assert.True(output.StartsWith(pool == "grpc" ? $"grpc HTTP/2 {contentType}\n" : "web\n", StringComparison.Ordinal), output + "\n" + haproxy.Output);
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("3.0")]
    public async Task Checks_of_an_http2_pool_speak_http2_or_only_connect(string version)
    {
        var haproxy = cluster.Haproxy(version);

        // An HTTP/2 check passes at layer 7 and a TCP check at layer 4; an HTTP/1.1 check of the
        // same h2c-only server fails, which is why the pool's protocol carries to its checks.
        // A busy machine can time a first check out (L7TOUT), so the passing ones are waited for.
        Assert.StartsWith("L7OK", await CheckStatusAsync(haproxy, "grpc", until: "L7OK"), StringComparison.Ordinal);
        Assert.StartsWith("L4OK", await CheckStatusAsync(haproxy, "grpc-connect", until: "L4OK"), StringComparison.Ordinal);
        Assert.DoesNotContain("OK", await CheckStatusAsync(haproxy, "grpc-as-http1"), StringComparison.Ordinal);
    }

    /// <summary>
    /// The pool's one server's check outcome, from the stats CSV (column check_status): the first
    /// finished one, or with <paramref name="until"/>, the first that starts with it (the last seen after 30 s).
    /// </summary>
    private static async Task<string> CheckStatusAsync(RunningHaproxy haproxy, string pool, string? until = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (_, csv) = Command.Run("curl", "-fsS", $"http://127.0.0.1:{haproxy.Spec.Listeners.AdminPort}/stats;csv");
            var lines = csv.Split('\n');
            var column = Array.IndexOf(lines[0].TrimStart('#', ' ').Split(','), "check_status");
            var status = lines.Select(l => l.Split(',')).FirstOrDefault(f => f.Length > column && f[0] == pool && f[1] == "s1")?[column];
            var finished = !string.IsNullOrEmpty(status) && !status.StartsWith("INI", StringComparison.Ordinal);
            if (finished && (until is null || status!.StartsWith(until, StringComparison.Ordinal) || clock.Elapsed > TimeSpan.FromSeconds(30)))
            {
                return status!;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"no check of {pool}/s1 finished in 30 s:\n{csv}");
            await Task.Delay(100);
        }
    }

    /// <summary>An HTTP/1 backend, three pools on h2c-only servers, and the node config on 2.6 and 3.0.</summary>
    public sealed class Cluster : IAsyncLifetime, IDisposable
    {
        private readonly Backend _web = new("web");
        private readonly List<KestrelBackend> _h2c = [];
        private readonly Dictionary<string, RunningHaproxy> _haproxy = [];

        internal RunningHaproxy Haproxy(string version) => _haproxy[version];

        public async Task InitializeAsync()
        {
            foreach (var name in new[] { "grpc", "grpc-connect", "grpc-as-http1" })
            {
                _h2c.Add(await H2cBackend.StartAsync(name));
            }

            var spec = new HaproxySpec
            {
                Pools =
                [
                    new Pool { Name = "web", Servers = [_web.Server] },
                    new Pool { Name = "grpc", Servers = [_h2c[0].Server], Protocol = ServerProtocol.Http2 },
                    new Pool { Name = "grpc-connect", Servers = [_h2c[1].Server], Protocol = ServerProtocol.Http2, HealthCheck = new HealthCheck { Kind = HealthCheckKind.Tcp } },
                    new Pool { Name = "grpc-as-http1", Servers = [_h2c[2].Server] },
                ],
                DefaultPool = "web",
                Routes = [Route.To("grpc", Match.Grpc())],
            };
            _haproxy["2.6"] = await RunningHaproxy.StartAsync(spec);
            _haproxy["3.0"] = await RunningHaproxy.StartAsync(spec, haproxy30: true);
        }

        public async Task DisposeAsync()
        {
            Dispose();
            foreach (var backend in _h2c)
            {
                await backend.DisposeAsync();
            }

            _h2c.Clear();
        }

        public void Dispose()
        {
            foreach (var haproxy in _haproxy.Values)
            {
                haproxy.Dispose();
            }

            _haproxy.Clear();
            _web.Dispose();
        }
    }
}
