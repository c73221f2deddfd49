using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// The agent against a real HAProxy (master-worker, as on a node) and the EC2 stand-in, with real
/// backends on loopback addresses standing in for instances: membership changes go through the
/// Runtime API only, leaving instances drain, an API outage changes nothing, and a reload keeps
/// the mapping.
/// </summary>
public sealed class DiscoveryLoopTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agent-").FullName;
    private readonly int _port = FreePort.Next();
    private readonly List<Backend> _instances;
    private readonly Ec2Sandbox _ec2;
    private readonly HaproxySpec _spec;
    private readonly MasterWorkerHaproxy _haproxy;
    private readonly List<string> _log = [];

    public DiscoveryLoopTests()
    {
        _instances = [.. Enumerable.Range(1, 3).Select(n => new Backend($"instance-{n}", address: Address(n), port: _port))];
        _ec2 = new Ec2Sandbox(_folder, pageSize: 2);
        var ports = FreePort.Distinct(4);
        _spec = new HaproxySpec
        {
            Pools =
            [
                new Pool
                {
                    Name = "app",
                    Discovery = Ec2Discovery.ForGroup("app-asg", _port, slots: 4) with { DrainTimeout = TimeSpan.FromSeconds(5) },
                    HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(200), Rise = 1, Fall = 1 },
                    SlowStart = TimeSpan.Zero,
                },
            ],
            DefaultPool = "app",
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings
            {
                LogTarget = "stdout",
                RuntimeSocketPath = Path.Combine(_folder, "admin.sock"),
                ServerStateFile = Path.Combine(_folder, "server-state"),
                User = null,
                MaxConnections = 2000,
            },
        };
        var bundle = ConfigRenderer.Render(_spec, _folder);
        bundle.WriteTo(_folder);
        File.WriteAllText(_spec.Global.ServerStateFile, "1\n"); // as the bootstrap lays it down: an empty state, version 1
        Manifest = DiscoveryManifest.FromJson(bundle[DiscoveryManifest.FileName]);
        _haproxy = new MasterWorkerHaproxy(_folder, Manifest.RuntimeSocket);
        Haproxy = new RuntimeApi(Manifest.RuntimeSocket);
    }

    private DiscoveryManifest Manifest { get; }

    private RuntimeApi Haproxy { get; }

    private static IPAddress Address(int n) => IPAddress.Parse($"127.0.0.{10 + n}");

    private DiscoveryLoop Loop() => new(Manifest, new Ec2Members(_ec2.Client), Haproxy, TimeProvider.System, _log.Add);

    private void Members(params int[] instances) => _ec2.Write(instances.Select(n => Ec2Sandbox.Instance(n, Address(n).ToString(), "app-asg")));

    private IReadOnlyList<Slot> Slots() => Haproxy.SlotsAsync("app", "app-", CancellationToken.None).GetAwaiter().GetResult();

    private string Serving() => string.Join(' ', Slots().Where(s => s.Mode == SlotMode.Ready).Select(s => $"{s.Name}={s.Address}"));

    /// <summary>Which instances answered 30 requests through HAProxy.</summary>
    private SortedSet<string> Answering()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            var reply = ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/").GetAwaiter().GetResult();
            names.Add(reply.Status == 200 ? reply.Backend : reply.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return names;
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited 10 s for {what}");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public async Task Membership_changes_reach_haproxy_through_the_runtime_api_without_a_reload()
    {
        var loop = Loop();
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);

        // GIVEN two instances  WHEN the agent runs a pass  THEN both serve, in slots 1 and 2
        Members(1, 2);
        Assert.True(await loop.PassAsync(CancellationToken.None));
        Assert.Equal("app-1=127.0.0.11 app-2=127.0.0.12", Serving());
        WaitUntil(() => Answering().SetEquals(["instance-1", "instance-2"]), "both instances to answer");

        // WHEN the group grows  THEN the newcomer takes the next slot and the others keep theirs
        Members(1, 2, 3);
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal("app-1=127.0.0.11 app-2=127.0.0.12 app-3=127.0.0.13", Serving());
        WaitUntil(() => Answering().SetEquals(["instance-1", "instance-2", "instance-3"]), "three instances to answer");

        // WHEN one leaves  THEN its slot drains (no new requests), then empties once idle
        Members(1, 3);
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(SlotMode.Drain, Slots().Single(s => s.Name == "app-2").Mode);
        Assert.True(Answering().SetEquals(["instance-1", "instance-3"]));
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(SlotMode.Maint, Slots().Single(s => s.Name == "app-2").Mode);

        // WHEN EC2 fails  THEN nothing that serves changes
        _ec2.Outage();
        Members();
        Assert.False(await loop.PassAsync(CancellationToken.None));
        Assert.Equal("app-1=127.0.0.11 app-3=127.0.0.13", Serving());
        Assert.Contains(_log, line => line.Contains("EC2 could not be read", StringComparison.Ordinal));

        // AND none of it reloaded HAProxy
        Assert.Equal(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
    }

    [Fact]
    public async Task More_instances_than_slots_serves_the_oldest_and_says_how_many_have_no_slot()
    {
        using var cloudWatchAgent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var metrics = new AgentMetrics((IPEndPoint)cloudWatchAgent.Client.LocalEndPoint!, "HaproxyCluster/dev", "/haproxy-cluster/dev", TimeProvider.System);
        Members(6, 5, 4, 3, 2, 1);

        await new DiscoveryLoop(Manifest, new Ec2Members(_ec2.Client), Haproxy, TimeProvider.System, _log.Add, metrics: metrics).PassAsync(CancellationToken.None);

        Assert.Equal("app-1=127.0.0.11 app-2=127.0.0.12 app-3=127.0.0.13 app-4=127.0.0.14", Serving());
        Assert.Contains("discovery: app: 2 instance(s) have no slot (4 slots); raise Ec2Discovery.Slots", _log);

        // AND the CloudWatch agent gets the count as an EMF metric, which the construct alarms on
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var emf = JsonDocument.Parse((await cloudWatchAgent.ReceiveAsync(cancel.Token)).Buffer).RootElement;
        Assert.Equal(2, emf.GetProperty(NodeAgentMetrics.Unslotted).GetInt32());
        Assert.Equal(4, emf.GetProperty(NodeAgentMetrics.Slotted).GetInt32());
        Assert.Equal("app", emf.GetProperty("Pool").GetString());
        var directive = emf.GetProperty("_aws");
        Assert.Equal("/haproxy-cluster/dev", directive.GetProperty("LogGroupName").GetString());
        var declared = directive.GetProperty("CloudWatchMetrics")[0];
        Assert.Equal("HaproxyCluster/dev", declared.GetProperty("Namespace").GetString());
        Assert.Equal(["Pool"], declared.GetProperty("Dimensions")[0].EnumerateArray().Select(d => d.GetString()));
        Assert.Contains(declared.GetProperty("Metrics").EnumerateArray(), m => m.GetProperty("Name").GetString() == NodeAgentMetrics.Unslotted);
    }

    [Fact]
    public async Task An_unanswering_runtime_api_is_retried_not_fatal()
    {
        // GIVEN a manifest whose socket nothing listens on (HAProxy restarting)
        Members(1);
        var manifest = Manifest with { RuntimeSocket = Path.Combine(_folder, "nobody.sock") };
        var loop = new DiscoveryLoop(manifest, new Ec2Members(_ec2.Client), new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, _log.Add);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        // WHEN the agent runs  THEN it keeps trying, saying why, and stops only when told
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.RunAsync(TimeSpan.FromMilliseconds(100), () => Assert.Fail("ready without HAProxy"), stop.Token));
        Assert.True(_log.Count(l => l.StartsWith("discovery: HAProxy's Runtime API did not answer", StringComparison.Ordinal)) >= 2, string.Join('\n', _log));
    }

    [Fact]
    public async Task A_reload_keeps_every_slot_where_the_agent_put_it()
    {
        Members(2, 3);
        await Loop().PassAsync(CancellationToken.None);
        var before = Serving();
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);

        // WHEN HAProxy reloads (as systemctl reload does), with no agent pass after it
        using (var kill = Process.Start("kill", ["-USR2", _haproxy.MasterPid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        var clock = Stopwatch.StartNew();
        while (await Haproxy.WorkerPidOrNullAsync(CancellationToken.None) is not { } pid || pid == worker)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "waited 10 s for a new worker");
            await Task.Delay(50);
        }

        // THEN the new worker loaded the state the agent saved: same slots, same instances
        Assert.Equal("app-1=127.0.0.12 app-2=127.0.0.13", before);
        Assert.Equal(before, Serving());
        WaitUntil(() => Answering().SetEquals(["instance-2", "instance-3"]), "both instances to answer after the reload");
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _ec2.Dispose();
        _instances.ForEach(i => i.Dispose());
        Directory.Delete(_folder, recursive: true);
    }
}
