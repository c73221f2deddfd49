using System.Net;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

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
    private readonly MembershipManifest _manifest;
    private readonly Events _events = new();

    public FleetLimitTests()
    {
        _ec2 = new Ec2Sandbox(_folder, pageSize: 100);
        (_spec, _manifest, _haproxy) = Node(_folder, _web, Limit);
    }

    /// <summary>A node whose one rule is a fleet-wide limit of <paramref name="limit"/> a minute, rendered into and run from <paramref name="folder"/>.</summary>
    internal static (HaproxySpec Spec, MembershipManifest Manifest, MasterWorkerHaproxy Haproxy) Node(string folder, Backend web, int limit)
    {
        var ports = FreePort.Distinct(4);
        var spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [web.Server] }],
            DefaultPool = "web",
            RequestRules = [Rule.RateLimit("burst", limit, TimeSpan.FromSeconds(60), scope: RateLimitScope.Fleet)],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        var bundle = ConfigRenderer.Render(spec, folder);
        bundle.WriteTo(folder);
        var manifest = MembershipManifest.FromJson(bundle[MembershipManifest.FileName]);
        return (spec, manifest, new MasterWorkerHaproxy(folder, manifest.RuntimeSocket));
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
        var loop = new DiscoveryLoop(_manifest, new Ec2Members(_ec2.Client), haproxy, TimeProvider.System, _events.Logger, fleetGroup: "haproxy-asg");
        Assert.Equal(new DiscoveryPass(Read: true, Throttled: false, Calls: 1, Nodes: 3), await loop.PassAsync(CancellationToken.None));
        Assert.Equal(Limit / 3, await Admitted(IPAddress.Parse("192.0.2.2"), Limit));

        // The fleet shrinks to two: half each.
        Nodes(2);
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(Limit / 2, await Admitted(IPAddress.Parse("192.0.2.3"), Limit));
        var share = _events.Named(NodeEvents.FleetShareSet)[^1];
        Assert.Equal<string?[]>(["burst", "12", "2", "6"], [.. new[] { "Limit", "Requests", "Nodes", "Share" }.Select(share.GetStructuredStateValue)]);

        // EC2 fails: the share stays.
        _ec2.Outage();
        Assert.False((await loop.PassAsync(CancellationToken.None)).Read);
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

/// <summary>
/// The fleet-wide budget end to end: three nodes, each with its own HAProxy and agent, a client's
/// requests spread over them as the NLB spreads flows, and a limit of L for the whole fleet.
/// </summary>
public sealed class FleetOfNodesTests : IDisposable
{
    private const int Limit = 100;
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-of-nodes-").FullName;
    private readonly Backend _web = new("web");
    private readonly Ec2Sandbox _ec2;
    private readonly List<(HaproxySpec Spec, MasterWorkerHaproxy Haproxy, DiscoveryLoop Agent)> _nodes = [];

    public FleetOfNodesTests()
    {
        _ec2 = new Ec2Sandbox(_folder, pageSize: 2);
        for (var n = 1; n <= 3; n++)
        {
            var (spec, manifest, haproxy) = FleetLimitTests.Node(Directory.CreateDirectory(Path.Combine(_folder, $"node{n}")).FullName, _web, Limit);
            var agent = new DiscoveryLoop(manifest, new Ec2Members(_ec2.Client), new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, fleetGroup: "haproxy-asg");
            _nodes.Add((spec, haproxy, agent));
        }
    }

    /// <summary>EC2 lists the first <paramref name="count"/> nodes as the fleet, and each of them runs an agent pass.</summary>
    private async Task InService(int count)
    {
        _ec2.Write(Enumerable.Range(1, count).Select(n => Ec2Sandbox.Instance(n, $"10.0.3.{n}", "haproxy-asg")));
        foreach (var node in _nodes.Take(count))
        {
            Assert.True((await node.Agent.PassAsync(CancellationToken.None)).Read);
        }
    }

    /// <summary>Of <paramref name="count"/> requests from one new client, spread evenly over the first <paramref name="nodes"/> nodes, how many got through.</summary>
    private async Task<int> Admitted(IPAddress client, int count, int nodes)
    {
        var admitted = 0;
        for (var i = 0; i < count; i++)
        {
            admitted += (await ProxiedHttp.SendAsync(_nodes[i % nodes].Spec.Listeners.HttpPort, "/", client: client)).Status == 200 ? 1 : 0;
        }

        return admitted;
    }

    [Fact]
    public async Task A_fleet_limit_holds_within_ten_percent_for_the_whole_fleet_also_right_after_it_shrinks_or_grows()
    {
        // Three nodes in service: L ± 10 % of 2 L requests get through.
        await InService(3);
        Assert.InRange(await Admitted(IPAddress.Parse("192.0.2.21"), 2 * Limit, nodes: 3), Limit * 0.9, Limit * 1.1);

        // Node 3 leaves: right after the next pass, the two left enforce L between them.
        await InService(2);
        Assert.InRange(await Admitted(IPAddress.Parse("192.0.2.22"), 2 * Limit, nodes: 2), Limit * 0.9, Limit * 1.1);

        // It comes back: three again.
        await InService(3);
        Assert.InRange(await Admitted(IPAddress.Parse("192.0.2.23"), 2 * Limit, nodes: 3), Limit * 0.9, Limit * 1.1);
    }

    public void Dispose()
    {
        _nodes.ForEach(n => n.Haproxy.Dispose());
        _ec2.Dispose();
        _web.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
