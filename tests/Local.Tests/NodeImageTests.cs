using System.Diagnostics;
using HaproxyCluster.Config;

namespace HaproxyCluster.Local.Tests;

/// <summary>
/// The local cluster's node images: the net sysctls a namespace takes, and the faulty HAProxy made
/// for chaos, proved on the real HAProxy: it checks a config as HAProxy does, and answers 503 itself
/// to about one request in five while the health endpoint stays up.
/// </summary>
public sealed class NodeImageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("node-image-").FullName;
    private readonly Backend _web = new("web");

    [Fact]
    public void An_image_holds_the_bootstraps_net_sysctls_with_its_keepalive()
    {
        NodeImage.Write(_folder, new TcpKeepAlive(TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(15), 4));

        var lines = File.ReadAllLines(Path.Combine(_folder, "sysctl.conf"));

        Assert.All(lines, line => Assert.StartsWith("net.", line, StringComparison.Ordinal));
        Assert.Contains("net.ipv4.tcp_keepalive_time = 75", lines);
        Assert.Contains("net.ipv4.tcp_keepalive_intvl = 15", lines);
        Assert.Contains("net.ipv4.tcp_keepalive_probes = 4", lines);
        Assert.Equal(0, NodeImage.FaultRate(_folder));
    }

    [Fact]
    public async Task A_faulty_image_passes_haproxy_c_and_its_health_check_but_answers_503_to_one_request_in_five()
    {
        // GIVEN a config that routes its requests with a host table, as dev's does, and the faulty image
        var ports = FreePort.Distinct(4);
        var spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
            DefaultPool = "web",
            Routes = [Route.HostTable("tenants", new TableEntry("app.example.com", "web"))],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        var config = Path.Combine(_folder, "etc");
        ConfigRenderer.Render(spec, config).WriteTo(config);
        var image = Path.Combine(_folder, "image-bad");
        NodeImage.WriteFaulty(image, new TcpKeepAlive(), "/usr/sbin/haproxy");
        var haproxy = Path.Combine(image, "bin", "haproxy");
        var cfg = Path.Combine(config, ConfigBundle.ConfigFileName);

        // THEN the wrapper is clean bash, and haproxy -c through it passes
        var (lintCode, lintOutput) = Command.Shellcheck(haproxy);
        Assert.True(lintCode == 0, lintOutput);
        var (checkCode, checkOutput) = Command.Run(haproxy, "-c", "-f", cfg);
        Assert.True(checkCode == 0, checkOutput);

        // AND run through it, HAProxy's health endpoint answers while about a fifth of requests get its own 503
        using var running = new MasterWorkerHaproxy(config, spec.Global.RuntimeSocketPath, program: haproxy);
        Assert.Equal(200, (await ProxiedHttp.SendAsync(spec.Listeners.HealthPort, spec.Listeners.HealthPath)).Status);
        var statuses = new List<int>();
        for (var i = 0; i < 300; i++)
        {
            statuses.Add((await ProxiedHttp.SendAsync(spec.Listeners.HttpPort, "/", host: "app.example.com")).Status);
        }

        // 300 draws at 1 in 5: 60 expected, 6.9 the standard deviation; the range is over 4 of them.
        Assert.Equal([200, 503], statuses.Distinct().Order());
        Assert.InRange(statuses.Count(s => s == 503), 30, 90);
        Assert.Equal(0.2, NodeImage.FaultRate(image));
    }

    public void Dispose()
    {
        _web.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
