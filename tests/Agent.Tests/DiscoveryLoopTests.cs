using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;

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
    private readonly Events _events = new();

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
        Manifest = MembershipManifest.FromJson(bundle[MembershipManifest.FileName]);
        _haproxy = new MasterWorkerHaproxy(_folder, Manifest.RuntimeSocket);
        Haproxy = new RuntimeApi(Manifest.RuntimeSocket);
    }

    private MembershipManifest Manifest { get; }

    private RuntimeApi Haproxy { get; }

    private static IPAddress Address(int n) => IPAddress.Parse($"127.0.0.{10 + n}");

    private DiscoveryLoop Loop() => new(Manifest, new Ec2Members(_ec2.Client), Haproxy, TimeProvider.System, _events.Logger);

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
        Assert.True((await loop.PassAsync(CancellationToken.None)).Read);
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
        Assert.False((await loop.PassAsync(CancellationToken.None)).Read);
        Assert.Equal("app-1=127.0.0.11 app-3=127.0.0.13", Serving());
        Assert.NotEmpty(_events.Named(NodeEvents.Ec2ReadFailed));

        // AND none of it reloaded HAProxy
        Assert.Equal(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
    }

    [Fact]
    public async Task More_instances_than_slots_serves_the_oldest_and_says_how_many_have_no_slot()
    {
        using var cloudWatchAgent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var metrics = new AgentMetrics((IPEndPoint)cloudWatchAgent.Client.LocalEndPoint!, "HaproxyCluster/dev", "/haproxy-cluster/dev", TimeProvider.System);
        Members(6, 5, 4, 3, 2, 1);

        await new DiscoveryLoop(Manifest, new Ec2Members(_ec2.Client), Haproxy, TimeProvider.System, _events.Logger, metrics: metrics).PassAsync(CancellationToken.None);

        Assert.Equal("app-1=127.0.0.11 app-2=127.0.0.12 app-3=127.0.0.13 app-4=127.0.0.14", Serving());
        var unslotted = Assert.Single(_events.Named(NodeEvents.MembersUnslotted));
        Assert.Equal<string?[]>(["app", "2", "4"], [.. new[] { "Pool", "Unslotted", "Slots" }.Select(unslotted.GetStructuredStateValue)]);

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
        var loop = new DiscoveryLoop(manifest, new Ec2Members(_ec2.Client), new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, _events.Logger);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        // WHEN the agent runs  THEN it keeps trying, saying why, and stops only when told
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.RunAsync(new DiscoveryPace(TimeSpan.FromMilliseconds(100), fleetCallsPerSecond: 100, new Random(1)), () => Assert.Fail("ready without HAProxy"), stop.Token));
        Assert.True(_events.Named(NodeEvents.RuntimeApiUnanswered).Count >= 2, _events.ToString());
    }

    [Fact]
    public async Task A_reload_keeps_every_slot_where_the_agent_put_it()
    {
        Members(2, 3);
        await Loop().PassAsync(CancellationToken.None);
        var before = Serving();
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);

        // WHEN HAProxy reloads (a USR2 to the master, as systemctl reload sends), confirmed as the agent confirms its own, with no agent pass after it
        var reload = new ConfirmedReload(Haproxy, async cancellation =>
        {
            using var kill = Process.Start("kill", ["-USR2", _haproxy.MasterPid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync(cancellation);
            Assert.Equal(0, kill.ExitCode);
        }, _events.Logger);
        Assert.NotNull(await reload.ReloadAsync(worker, CancellationToken.None));

        // THEN the new worker loaded the state the agent saved: same slots, same instances
        Assert.Equal("app-1=127.0.0.12 app-2=127.0.0.13", before);
        Assert.Equal(before, Serving());
        WaitUntil(() => Answering().SetEquals(["instance-2", "instance-3"]), "both instances to answer after the reload");
    }

    /// <summary>Answers EC2 might give that are no list of instances, each with the event the agent must report.</summary>
    public static TheoryData<string, int, string, int?, string> HostileReplies => new()
    {
        { "unparseable XML", 200, "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><reservationSet><item><instancesSet>", null, NodeEvents.Ec2ReadFailed },
        { "an HTML error page", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", null, NodeEvents.Ec2ReadFailed },
        { "an empty 200", 200, "", null, NodeEvents.Ec2ReadFailed },
        { "a 200 with no request id (a proxy's, not EC2's)", 200, "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"></DescribeInstancesResponse>", null, NodeEvents.Ec2ReadFailed },
        { "a body cut mid-answer", 200, new string(' ', 4000), 100, NodeEvents.Ec2ReadFailed },
        { "an authentication failure", 401, Ec2StandIn.Error("AuthFailure", "AWS was not able to validate the provided access credentials"), null, NodeEvents.Ec2ReadFailed },
        { "throttling", 503, Ec2StandIn.Error("RequestLimitExceeded", "Request limit exceeded."), null, NodeEvents.Ec2Throttled },
    };

    [Theory]
    [MemberData(nameof(HostileReplies))]
    public async Task A_reply_that_lists_no_instances_fails_the_pass_and_changes_nothing_that_serves(string what, int status, string body, int? cut, string said)
    {
        // GIVEN two instances serving
        var loop = Loop();
        Members(1, 2);
        Assert.True((await loop.PassAsync(CancellationToken.None)).Read);
        var serving = Serving();

        // WHEN EC2 answers with something that is no list of instances
        _ec2.Reply(status, body, cut);

        // THEN the pass fails, says why (throttled only when EC2 throttled), and every slot stays as it was
        var failed = await loop.PassAsync(CancellationToken.None);
        Assert.False(failed.Read, what);
        Assert.Equal(said == NodeEvents.Ec2Throttled, failed.Throttled);
        Assert.Equal(serving, Serving());
        Assert.Equal("app", Assert.Single(_events.Named(said)).GetStructuredStateValue("What"));

        // AND once EC2 answers again, the next pass follows it
        _ec2.Heal();
        Members(1, 3);
        Assert.True((await loop.PassAsync(CancellationToken.None)).Read);
        Assert.Equal("app-1=127.0.0.11 app-3=127.0.0.13", Serving());
    }

    [Fact]
    public async Task An_ec2_call_that_hangs_fails_its_pass_within_the_call_timeout_and_changes_nothing()
    {
        // GIVEN two instances serving, through a client whose calls may take 1 s
        using var slow = new Ec2Sandbox(Directory.CreateDirectory(Path.Combine(_folder, "slow")).FullName, pageSize: 10, callTimeout: TimeSpan.FromSeconds(1));
        slow.Write([.. new[] { 1, 2 }.Select(n => Ec2Sandbox.Instance(n, Address(n).ToString(), "app-asg"))]);
        var loop = new DiscoveryLoop(Manifest, new Ec2Members(slow.Client), Haproxy, TimeProvider.System, _events.Logger);
        Assert.True((await loop.PassAsync(CancellationToken.None)).Read);
        var serving = Serving();

        // WHEN EC2 answers 8 s late
        slow.Slow(8);
        var clock = Stopwatch.StartNew();

        // THEN the pass fails after the timeout, not after the reply, and nothing that serves changes
        Assert.False((await loop.PassAsync(CancellationToken.None)).Read);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(6));
        Assert.Equal(serving, Serving());
        Assert.Single(_events.Named(NodeEvents.Ec2ReadFailed));
    }

    [Fact]
    public async Task Five_thousand_members_over_five_pages_fill_every_slot_with_the_oldest()
    {
        // GIVEN 5,000 running instances of the group, listed 1,000 a page (EC2's largest page)
        using var large = new Ec2Sandbox(Directory.CreateDirectory(Path.Combine(_folder, "large")).FullName, pageSize: 1000);
        large.Write(Enumerable.Range(1, 5000).Select(n => Ec2Sandbox.Instance(n, $"127.1.{n / 250}.{1 + (n % 250)}", "app-asg")));
        var loop = new DiscoveryLoop(Manifest, new Ec2Members(large.Client), Haproxy, TimeProvider.System, _events.Logger);

        // WHEN the agent runs a pass  THEN it read every page once, the four oldest serve, and the rest are counted
        Assert.True((await loop.PassAsync(CancellationToken.None)).Read);
        Assert.Equal(5, large.StandIn.Requests);
        Assert.Equal("app-1=127.1.0.2 app-2=127.1.0.3 app-3=127.1.0.4 app-4=127.1.0.5", Serving());
        Assert.Equal("4996", Assert.Single(_events.Named(NodeEvents.MembersUnslotted)).GetStructuredStateValue("Unslotted"));
    }

    [Fact]
    public async Task A_runtime_api_that_closes_mid_answer_fails_the_pass_and_the_loop_goes_on()
    {
        // GIVEN a Runtime API that reads each command and closes without a word (an empty answer)
        Members(1);
        var socketPath = Path.Combine(_folder, "mute.sock");
        using var mute = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        mute.Bind(new UnixDomainSocketEndPoint(socketPath));
        mute.Listen();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var closer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var connection = await mute.AcceptAsync(stop.Token);
                await connection.ReceiveAsync(new byte[256], stop.Token);
                connection.Shutdown(SocketShutdown.Both);
            }
        });
        var loop = new DiscoveryLoop(Manifest with { RuntimeSocket = socketPath }, new Ec2Members(_ec2.Client), new RuntimeApi(socketPath), TimeProvider.System, _events.Logger);

        // WHEN the agent runs  THEN each pass fails and is tried again, until it is stopped
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.RunAsync(new DiscoveryPace(TimeSpan.FromMilliseconds(100), fleetCallsPerSecond: 100, new Random(1)), () => Assert.Fail("ready without a Runtime API"), stop.Token));
        Assert.True(_events.Named(NodeEvents.PassFailed).Count >= 2, _events.ToString());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => closer);
    }

    [Fact]
    public async Task The_agent_process_lives_through_an_unparseable_ec2_reply_and_tells_systemd_it_is_ready_once_the_slots_are_filled()
    {
        // GIVEN EC2 answering XML the SDK cannot parse (the reply that once ended the agent)
        Members(1, 2);
        _ec2.Reply(200, "<DescribeInstancesResponse><reservationSet><item>");
        var settings = AgentExecutable.WriteSettings(_folder, AgentExecutable.Settings(_folder, Manifest.RuntimeSocket) with
        {
            Ec2Endpoint = _ec2.StandIn.Endpoint.ToString(),
            DiscoveryIntervalSeconds = 1,
        });
        using var agent = new AgentProcess(_folder, settings);

        // WHEN it has been refused twice  THEN it still runs, and has not told systemd it is ready
        WaitUntil(() => _ec2.StandIn.Requests >= 2 || agent.HasExited, "two discovery passes");
        Assert.False(agent.HasExited, string.Join('\n', agent.Output));
        Assert.Contains(Events.InOutput(agent.Output), e => e.GetProperty("Event").GetString() == NodeEvents.Ec2ReadFailed && e.GetProperty("What").GetString() == "app");
        Assert.Null(agent.NextNotification(TimeSpan.Zero));

        // WHEN EC2 answers again  THEN a pass fills the slots, and only then does it say READY=1
        _ec2.Heal();
        Assert.Equal("READY=1", agent.NextNotification(TimeSpan.FromSeconds(30)));
        Assert.Equal("app-1=127.0.0.11 app-2=127.0.0.12", Serving());

        // WHEN systemd stops it (SIGTERM)  THEN it says STOPPING=1 and ends cleanly
        await agent.StopAsync();
        Assert.Equal("STOPPING=1", agent.NextNotification(TimeSpan.FromSeconds(5)));
        Assert.True(agent.ExitCode == 0, string.Join('\n', agent.Output));
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _ec2.Dispose();
        _instances.ForEach(i => i.Dispose());
        Directory.Delete(_folder, recursive: true);
    }
}
