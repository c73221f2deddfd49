using System.Net;
using System.Security.Cryptography;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;
using HaproxyCluster.UserData.Tests.Support;

namespace HaproxyCluster.UserData.Tests;

/// <summary>
/// The bootstrap of a node whose spec discovers a pool from EC2: it installs the node agent that
/// <c>make agent</c> published (the very executable a node downloads), checked by its sha256,
/// starts it under its unit's command line and waits for its first pass before signalling. The
/// agent runs for real in the sandbox against the EC2 stand-in, and fills HAProxy's slots.
/// </summary>
public sealed class BootstrapAgentTests : IDisposable
{
    private const string Stack = BootstrapExecutionTests.Stack;
    private readonly string _folder = Directory.CreateTempSubdirectory("bootstrap-agent-").FullName;
    private readonly int[] _ports = FreePort.Distinct(6);
    private readonly Backend _instance;
    private readonly Ec2StandIn _ec2;
    private readonly HaproxySpec _spec;
    private readonly byte[] _agent = NodeSandbox.PublishedAgent;

    public BootstrapAgentTests()
    {
        _instance = new Backend("instance-1", address: IPAddress.Parse("127.0.0.31"), port: _ports[5]);
        var instances = Path.Combine(_folder, "instances.tsv");
        Ec2StandIn.Write(instances, [new Ec2StandIn.Instance("i-00000000000000031", "127.0.0.31", "running", new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc),
            new Dictionary<string, string> { ["aws:autoscaling:groupName"] = "app-asg" })]);
        _ec2 = new Ec2StandIn(FreePort.Next(), instances, pageSize: 10);
        _spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "app", Discovery = Ec2Discovery.ForGroup("app-asg", _ports[5], slots: 4), HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(300) } }],
            DefaultPool = "app",
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = _ports[0], TlsOriginPort = _ports[1], HealthPort = _ports[2], AdminPort = _ports[3] },
            Global = new GlobalSettings { MaxConnections = 2000, LogTarget = $"tcp@127.0.0.1:{_ports[4]}" },
        };
    }

    private BundleArchive Bundle => ConfigRenderer.Render(_spec).Archive();

    private NodeSandbox Node()
    {
        var node = new NodeSandbox(Bundle);
        node.Agent(_agent);
        return node;
    }

    private string Script(NodeSandbox node, string agentSha256, int readySeconds = 30)
    {
        var settings = BootstrapExecutionTests.Settings(node, _spec);
        return BootstrapScript.Build(settings with
        {
            SyslogPort = _ports[4],
            Agent = settings.Agent with { Sha256 = agentSha256, ReadySeconds = readySeconds, Ec2Endpoint = _ec2.Endpoint.ToString() },
        });
    }

    private string AgentSha256 => Convert.ToHexStringLower(SHA256.HashData(_agent));

    [Fact]
    public async Task The_agent_is_installed_started_and_fills_the_discovered_pool_before_the_node_signals()
    {
        using var node = Node();

        var (exitCode, output) = node.Run(Script(node, AgentSha256));

        // THEN the node signalled success only after the agent's first pass
        Assert.True(exitCode == 0, output);
        Assert.Equal([$"cfn-signal -e 0 --stack {Stack} --resource NodesAsgABCD1234 --region eu-west-1"], node.Calls("cfn-signal"));
        Assert.Contains("haproxy-bootstrap: node agent ready\n", output, StringComparison.Ordinal);
        Assert.Contains(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.RulesApplied && e.Field("Outcome") == "Started");
        Assert.NotNull(node.AgentPid);
        // AND the executable is the published one, the unit runs it on the bundle's manifest
        Assert.Equal(_agent, File.ReadAllBytes(Path.Combine(node.Upper, "usr/local/bin/haproxy-cluster-agent")));
        var unit = node.ReadFile("/etc/systemd/system/haproxy-cluster-agent.service");
        Assert.Contains("ExecStart=/usr/local/bin/haproxy-cluster-agent --settings /etc/haproxy-cluster/agent.json\n", unit, StringComparison.Ordinal);
        // (a notify service: systemctl returned once the agent sent READY=1, within ReadySeconds)
        Assert.Contains("Type=notify\nExecStart=", unit, StringComparison.Ordinal);
        Assert.Contains("TimeoutStartSec=30\n", unit, StringComparison.Ordinal);
        // AND its settings are the ones the builder made from the same settings as the script
        var written = NodeSettings.FromJson(node.ReadFile(NodeSettings.DefaultPath), out _)!;
        Assert.Equal(_ec2.Endpoint.ToString(), written.Ec2Endpoint);
        // (with the nodes' group IMDS names in place of the token: it paces discovery and splits fleet-wide limits)
        Assert.Equal("HaproxyCluster-test-ClusterNodesASG-0123ABCD", written.FleetGroup);
        Assert.Equal(node.ReadFile(NodeSettings.DefaultPath), BootstrapScript.AgentSettings(BootstrapExecutionTests.Settings(node, _spec) with { Agent = BootstrapExecutionTests.Settings(node, _spec).Agent with { Ec2Endpoint = written.Ec2Endpoint } }).ToJson()
            .Replace(NodeFiles.GroupToken, written.FleetGroup, StringComparison.Ordinal));
        Assert.Contains("Restart=always\n", unit, StringComparison.Ordinal);
        Assert.Contains("systemctl enable haproxy-cluster-agent", node.Calls("systemctl"));
        Assert.Contains("systemctl restart haproxy-cluster-agent", node.Calls("systemctl"));
        // AND the CloudWatch agent ships the agent's log and takes its EMF metrics
        var cloudWatch = node.ReadFile("/opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json");
        Assert.Contains("\"metrics_collected\":{\"emf\":{},", cloudWatch, StringComparison.Ordinal);
        Assert.Contains("\"file_path\":\"/var/log/haproxy-cluster-agent.log\"", cloudWatch, StringComparison.Ordinal);
        // (filled by the install, before its health check: the service finds the slot serving)
        var filled = Assert.Single(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.SlotFilled);
        Assert.DoesNotContain(AgentEventLog.Parse(node.ReadFile("/var/log/haproxy-cluster-agent.log").Split('\n')), e => e.Name == NodeEvents.SlotFilled);
        Assert.Equal(("app-1", "i-00000000000000031", "127.0.0.31"), (filled.Field("Slot"), filled.Field("InstanceId"), filled.Field("Address")));
        // AND requests reach the discovered instance through HAProxy
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/")).Status != 200)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the discovered instance never answered through HAProxy");
            await Task.Delay(100);
        }

        Assert.True(_instance.Requests("/") >= 1);
    }

    [Fact]
    public void An_agent_with_the_wrong_sha256_is_refused_and_nothing_runs()
    {
        using var node = Node();

        var (exitCode, output) = node.Run(Script(node, new string('0', 64)));

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"agent sha256 is {AgentSha256}, expected {new string('0', 64)}", output, StringComparison.Ordinal);
        Assert.Equal(["cfn-signal -e 1"], node.Calls("cfn-signal").Select(c => string.Join(' ', c.Split(' ').Take(3))));
        Assert.False(File.Exists(Path.Combine(node.Upper, "usr/local/bin/haproxy-cluster-agent")));
        Assert.Null(node.HaproxyPid);
        Assert.Null(node.AgentPid);
    }

    [Fact]
    public void A_node_whose_agent_cannot_read_ec2_signals_failure_and_stops()
    {
        // GIVEN EC2 answers nothing but 503
        using var node = Node();
        File.WriteAllText(Path.Combine(_folder, "instances.tsv.outage"), "");

        var (exitCode, output) = node.Run(Script(node, AgentSha256, readySeconds: 4));

        // THEN the node never reports ready, and keeps neither HAProxy nor the agent running
        Assert.NotEqual(0, exitCode);
        Assert.Equal("4", Assert.Single(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.PoolsNotRead).Field("Seconds"));
        Assert.Equal(["cfn-signal -e 1"], node.Calls("cfn-signal").Select(c => string.Join(' ', c.Split(' ').Take(3))));
        Assert.Null(node.HaproxyPid);
        Assert.Null(node.AgentPid);
    }

    public void Dispose()
    {
        _ec2.Dispose();
        _instance.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
