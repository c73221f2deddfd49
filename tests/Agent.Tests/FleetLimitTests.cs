using System.Net;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// A fleet-wide rate limit: the agent counts the running nodes of the HAProxy group through EC2
/// (the stand-in) and sets this node's share through the Runtime API (set map, no reload).
/// </summary>
public sealed class FleetLimitTests : IDisposable
{
    private const int Limit = 12;
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-").FullName;
    private readonly Backend _web = new("web");
    private readonly Ec2Sandbox _ec2;
    private readonly HaproxySpec _spec;
    private readonly MasterWorkerHaproxy _haproxy;
    private readonly DiscoveryManifest _manifest;
    private readonly List<string> _log = [];

    public FleetLimitTests()
    {
        _ec2 = new Ec2Sandbox(_folder, pageSize: 100);
        var ports = FreePort.Distinct(4);
        _spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
            DefaultPool = "web",
            RequestRules = [Rule.RateLimit("burst", Limit, TimeSpan.FromSeconds(60), scope: RateLimitScope.Fleet)],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        var bundle = ConfigRenderer.Render(_spec, _folder);
        bundle.WriteTo(_folder);
        _manifest = DiscoveryManifest.FromJson(bundle[DiscoveryManifest.FileName]);
        _haproxy = new MasterWorkerHaproxy(_folder, _manifest.RuntimeSocket);
    }

    private void Nodes(int count) => _ec2.Write(Enumerable.Range(1, count).Select(n => Ec2Sandbox.Instance(n, $"10.0.2.{n}", "haproxy-asg")));

    /// <summary>How many of <paramref name="count"/> requests from one new client get through.</summary>
    private async Task<int> Admitted(IPAddress client, int count)
    {
        var admitted = 0;
        for (var i = 0; i < count; i++)
        {
            admitted += (await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/", client: client)).Status == 200 ? 1 : 0;
        }

        return admitted;
    }

    [Theory]
    [InlineData(100, 3, 33)]
    [InlineData(100, 2, 50)]
    [InlineData(5, 10, 1)]
    [InlineData(100, 0, 100)]
    public void A_node_s_share_is_the_limit_over_the_nodes_rounded_and_at_least_one(int limit, int nodes, int share)
    {
        Assert.Equal(share, FleetShare.Of(limit, nodes));
    }

    [Fact]
    public void The_bundle_holds_the_whole_limit_and_the_manifest_names_it()
    {
        Assert.Equal([new FleetLimit("burst", Limit)], _manifest.FleetLimits);
        Assert.Equal($"burst {Limit}\n", File.ReadAllText(_manifest.FleetLimitsMap!));
        Assert.Empty(_manifest.Pools);
    }

    [Fact]
    public async Task Each_node_enforces_its_share_of_the_fleet_limit_and_follows_the_fleet_size_without_a_reload()
    {
        var haproxy = new RuntimeApi(_manifest.RuntimeSocket);
        var worker = await haproxy.WorkerPidAsync(CancellationToken.None);

        // Alone, before the agent says otherwise, a node enforces the whole limit.
        Assert.Equal(Limit, await Admitted(IPAddress.Parse("192.0.2.1"), Limit + 3));

        // Three nodes in service: a third each.
        Nodes(3);
        var loop = new DiscoveryLoop(_manifest, new Ec2Members(_ec2.Client), haproxy, TimeProvider.System, _log.Add, fleetGroup: "haproxy-asg");
        Assert.True(await loop.PassAsync(CancellationToken.None));
        Assert.Equal(Limit / 3, await Admitted(IPAddress.Parse("192.0.2.2"), Limit));

        // The fleet shrinks to two: half each.
        Nodes(2);
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(Limit / 2, await Admitted(IPAddress.Parse("192.0.2.3"), Limit));
        Assert.Contains("fleet: burst: 12 for 2 nodes, 6 on this one", _log);

        // EC2 fails: the share stays.
        _ec2.Outage();
        Assert.False(await loop.PassAsync(CancellationToken.None));
        Assert.Equal(Limit / 2, await Admitted(IPAddress.Parse("192.0.2.4"), Limit));
        Assert.Equal(worker, await haproxy.WorkerPidAsync(CancellationToken.None));
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _ec2.Dispose();
        _web.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
