using HaproxyCluster.Config.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// <see cref="Pool.Tls"/> through the real HAProxy 2.6 and 3.0, to Kestrel servers that speak only
/// TLS with certificates this test issues: requests and health checks go over TLS with the pool's
/// server name in SNI; HTTP/2 is negotiated in ALPN; a server whose certificate another authority
/// signed, or that names another host, gets no request and is marked down by its checks.
/// </summary>
public sealed class PoolTlsBehaviourTests : IAsyncLifetime, IDisposable
{
    private const string Name = "api.internal.test";
    private readonly TestPki _ca = new("pool-tls-test-ca");
    private readonly TestPki _otherCa = new("someone-elses-ca");
    private readonly List<KestrelBackend> _backends = [];
    private RunningHaproxy _haproxy26 = null!;
    private RunningHaproxy _haproxy30 = null!;

    public async Task InitializeAsync()
    {
        var good = await Start("good", _ca.Server(Name));
        var h2 = await Start("h2", _ca.Server(Name), HttpProtocols.Http2);
        var foreign = await Start("foreign", _otherCa.Server(Name));
        var misnamed = await Start("misnamed", _ca.Server("other.internal.test"));
        var spec = new HaproxySpec
        {
            Pools =
            [
                Tls("good", good.Server),
                Tls("h2", h2.Server) with { Protocol = ServerProtocol.Http2 },
                Tls("foreign", foreign.Server),
                Tls("misnamed", misnamed.Server),
            ],
            DefaultPool = "good",
            Routes = [Route.To("h2", when: Match.PathPrefix("/h2/")), Route.To("foreign", when: Match.PathPrefix("/foreign/")),
                Route.To("misnamed", when: Match.PathPrefix("/misnamed/"))],
        };
        _haproxy26 = await RunningHaproxy.StartAsync(spec);
        _haproxy30 = await RunningHaproxy.StartAsync(spec, haproxy30: true);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _haproxy26?.Dispose();
        _haproxy30?.Dispose();
        foreach (var backend in _backends)
        {
            backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _ca.Dispose();
        _otherCa.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Requests_reach_the_server_over_TLS_with_the_pool_server_name_in_SNI(bool haproxy30)
    {
        var reply = await On(haproxy30).GetAsync("/hello");

        Assert.Equal(200, reply.Status);
        Assert.Equal($"good HTTP/1.1 Tls13 sni={Name}\n", reply.Body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_pool_that_speaks_HTTP2_gets_h2_through_ALPN(bool haproxy30)
    {
        var reply = await On(haproxy30).GetAsync("/h2/call");

        Assert.Equal(200, reply.Status);
        Assert.Equal($"h2 HTTP/2 Tls13 sni={Name}\n", reply.Body);
    }

    [Theory]
    [InlineData(false, "foreign")]
    [InlineData(true, "foreign")]
    [InlineData(false, "misnamed")]
    [InlineData(true, "misnamed")]
    public async Task A_server_whose_certificate_fails_verification_gets_no_request(bool haproxy30, string pool)
    {
        var reply = await On(haproxy30).GetAsync($"/{pool}/secret");

        Assert.Equal(503, reply.Status);
        Assert.DoesNotContain(pool, reply.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Health_checks_go_over_TLS_and_verify_too(bool haproxy30)
    {
        var haproxy = On(haproxy30);

        // A check in clear to a TLS-only server, or one that skipped verification, would end otherwise.
        var status = await CheckStatusesAsync(haproxy, s => s["good"] == "L7OK" && s["h2"] == "L7OK" && s["foreign"] == "L6RSP" && s["misnamed"] == "L6RSP");

        var shown = string.Join(", ", status.Select(s => $"{s.Key}={s.Value}"));
        Assert.True(status["good"] == "L7OK", shown);
        Assert.True(status["h2"] == "L7OK", shown);
        Assert.True(status["foreign"] == "L6RSP", shown);
        Assert.True(status["misnamed"] == "L6RSP", shown);
    }

    private RunningHaproxy On(bool haproxy30) => haproxy30 ? _haproxy30 : _haproxy26;

    private Pool Tls(string name, Server server) => new()
    {
        Name = name,
        Servers = [server],
        Tls = new PoolTls { CaBundlePem = _ca.CertificatePem, ServerName = Name },
    };

    private async Task<KestrelBackend> Start(string name, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var backend = await TlsBackend.StartAsync(name, certificate, protocols);
        _backends.Add(backend);
        return backend;
    }

    /// <summary>
    /// Each pool's last check status (<c>show stat</c>'s check_status), once <paramref name="done"/>
    /// holds or 20 s passed. A busy machine can refuse a connection to the admin socket now and then: asked again.
    /// </summary>
    private static async Task<Dictionary<string, string>> CheckStatusesAsync(RunningHaproxy haproxy, Func<Dictionary<string, string>, bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string[] stat;
            try
            {
                stat = (await haproxy.RuntimeAsync("show stat")).Split('\n');
            }
            catch (System.Net.Sockets.SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
                continue;
            }

            var columns = stat[0].TrimStart('#', ' ').Split(',');
            var check = Array.IndexOf(columns, "check_status");
            var status = stat.Skip(1).Select(l => l.Split(',')).Where(f => f.Length > check && f[1] == "s1")
                .ToDictionary(f => f[0], f => f[check], StringComparer.Ordinal);
            if ((status.Count >= 4 && done(status)) || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return status;
            }

            await Task.Delay(100);
        }
    }
}
