using System.Text.Json;
using System.Text.Json.Nodes;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;
using HaproxyCluster.UserData.Tests.Support;

namespace HaproxyCluster.UserData.Tests;

/// <summary>
/// The generated user data, run for real under bash in a sandboxed node (see <see cref="NodeSandbox"/>),
/// with a real HAProxy serving a real backend.
/// </summary>
public sealed class BootstrapExecutionTests : IDisposable
{
    internal const string Stack = "HaproxyCluster-test";
    internal const string Resource = "NodesAsgABCD1234";
    private readonly Backend _backend = new("web");
    private readonly int[] _ports = FreePort.Distinct(5);
    private readonly HaproxySpec _spec;

    public BootstrapExecutionTests()
    {
        _spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_backend.Server], HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(300) } }],
            DefaultPool = "web",
            Listeners = new Listeners
            {
                BindAddress = "127.0.0.1",
                HttpPort = _ports[0],
                TlsOriginPort = _ports[1],
                HealthPort = _ports[2],
                AdminPort = _ports[3],
            },
            // The test machine allows 20,000 open files; the node's rsyslog listens on a free port.
            Global = new GlobalSettings { MaxConnections = 2000, LogTarget = $"tcp@127.0.0.1:{SyslogPort}" },
        };
    }

    private int SyslogPort => _ports[4];

    private BundleArchive GoodBundle => ConfigRenderer.Render(_spec).Archive();

    [Fact]
    public void Good_bundle_starts_haproxy_and_signals_success_once()
    {
        using var node = new NodeSandbox(GoodBundle);

        var (exitCode, output) = node.Run(Script(node));

        Assert.True(exitCode == 0, output);
        Assert.Equal([$"cfn-signal -e 0 --stack {Stack} --resource {Resource} --region eu-west-1"], node.Calls("cfn-signal"));
        Assert.NotNull(node.HaproxyPid);
        Assert.Equal(200, Health().Status);
        Assert.Equal(ConfigRenderer.Render(_spec).Config, node.ReadFile("/etc/haproxy/haproxy.cfg"));
        // IMDSv2 only: a token for each metadata call, which carries it (the stub refuses any other).
        Assert.Equal(2, node.Calls("imds-token").Count);
        Assert.Equal(2, node.Calls("imds").Count);
        Assert.All(node.Calls("imds"), call => Assert.Contains("X-aws-ec2-metadata-token: test-token", call, StringComparison.Ordinal));
        Assert.Contains("aws s3 cp s3://assets-bucket/agent", Assert.Single(node.Calls("aws")), StringComparison.Ordinal);
        Assert.Contains("dnf install -y haproxy aws-cfn-bootstrap amazon-cloudwatch-agent rsyslog https://s3.amazonaws.com/aws-appconfig-downloads/aws-appconfig-agent/linux/x86_64/latest/aws-appconfig-agent.rpm", node.Calls("dnf"));
        // AND the AppConfig Agent prefetches the rules, polling every 15 s, on the port the node agent reads
        var appConfigAgent = node.ReadFile("/etc/systemd/system/aws-appconfig-agent.service.d/haproxy-cluster.conf");
        Assert.Contains("Environment=PREFETCH_LIST=/applications/haproxy-cluster-test/environments/test/configurations/rules\n", appConfigAgent, StringComparison.Ordinal);
        Assert.Contains("Environment=POLL_INTERVAL=15\n", appConfigAgent, StringComparison.Ordinal);
        Assert.Contains($"Environment=HTTP_PORT={node.RulesPort}\n", appConfigAgent, StringComparison.Ordinal);
        Assert.Contains("systemctl restart aws-appconfig-agent", node.Calls("systemctl"));
        var applied = Assert.Single(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.RulesApplied);
        Assert.Equal((GoodBundle.Sha256, "Started"), (applied.Field("Sha256"), applied.Field("Outcome")));
        // AND the CloudWatch agent's config fits its schema and scrapes the node's load for the group IMDS names
        var cloudWatch = node.ReadFile("/opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json");
        Assert.Empty(CloudWatchAgentSchema.Errors(cloudWatch));
        var declaration = JsonNode.Parse(cloudWatch)!["logs"]!["metrics_collected"]!["prometheus"]!["emf_processor"]!;
        Assert.Equal("HaproxyCluster/test", (string?)declaration["metric_namespace"]);
        Assert.Equal("""[{"source_labels":["job","proxy"],"label_matcher":"^haproxy;fe_http$","dimensions":[["AutoScalingGroupName"]],"metric_selectors":["^(haproxy_frontend_current_sessions|haproxy_frontend_http_requests_total)$"]}]""",
            declaration["metric_declaration"]!.ToJsonString());
        var scrape = node.ReadFile("/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yaml");
        Assert.Contains("  - job_name: haproxy\n    metrics_path: /metrics\n    static_configs:\n      - targets: [\"127.0.0.1:8404\"]\n        labels:\n          AutoScalingGroupName: \"HaproxyCluster-test-ClusterNodesASG-0123ABCD\"\n", scrape, StringComparison.Ordinal);
        Assert.Contains("scrape_interval: 60s", scrape, StringComparison.Ordinal);
        // AND the kernel probes idle connections the spec's way, well inside the NLB's 350 s
        var sysctl = node.ReadFile("/etc/sysctl.d/90-haproxy.conf");
        Assert.Contains("net.ipv4.tcp_tw_reuse = 1", sysctl, StringComparison.Ordinal);
        Assert.Contains("net.ipv4.tcp_keepalive_time = 60\nnet.ipv4.tcp_keepalive_intvl = 20\nnet.ipv4.tcp_keepalive_probes = 3\n", sysctl, StringComparison.Ordinal);
        Assert.Contains("LimitNOFILE=200000", node.ReadFile("/etc/systemd/system/haproxy.service.d/override.conf"), StringComparison.Ordinal);
        Assert.Contains("\"log_group_name\":\"/haproxy-cluster/test\"", node.ReadFile("/opt/aws/amazon-cloudwatch-agent/etc/haproxy-cluster.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void Access_log_lines_reach_the_file_the_agent_ships_whole_and_as_json()
    {
        // GIVEN a node bootstrapped with the real rsyslog taking HAProxy's logs over TCP
        using var node = new NodeSandbox(GoodBundle);
        var (exitCode, output) = node.Run(Script(node));
        Assert.True(exitCode == 0, output);

        // WHEN two requests pass, one with a URI of 6,000 bytes
        var longPath = "/search?q=" + new string('x', 5990);
        Get("/first");
        Get(longPath);

        // THEN the file holds one JSON object per request, whole, and nothing else
        var lines = AccessLogLines(node, count: 2);
        var entries = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var uris = entries.Select(e => e.GetProperty("uri").GetString()!).ToList();
        Assert.Equal("/first", uris[0]);
        Assert.Equal(longPath[..uris[1].Length], uris[1]); // HAProxy keeps the first 1,024 bytes of a URI
        Assert.InRange(uris[1].Length, 1000, 1024);
        Assert.All(entries, e => Assert.Equal(200, e.GetProperty("status").GetInt32()));
        Assert.All(entries, e => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4", e.GetProperty("request_id").GetString()!));
    }

    [Fact]
    public void Running_twice_leaves_the_same_state()
    {
        using var node = new NodeSandbox(GoodBundle);
        var script = Script(node);
        Assert.Equal(0, node.Run(script).ExitCode);
        var firstPid = node.HaproxyPid;
        var firstFiles = Snapshot(node);

        var (exitCode, output) = node.Run(script);

        Assert.True(exitCode == 0, output);
        Assert.Equal(firstFiles, Snapshot(node));
        Assert.Equal(firstPid, node.HaproxyPid); // reloaded in place, not restarted
        Assert.Equal(200, Health().Status);
        Assert.All(node.Calls("cfn-signal"), call => Assert.StartsWith("cfn-signal -e 0 ", call, StringComparison.Ordinal));
    }

    [Fact]
    public void Config_that_fails_haproxy_check_is_never_run_and_signals_failure()
    {
        using var node = new NodeSandbox(BrokenBundle());

        var (exitCode, output) = node.Run(Script(node));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("not-a-haproxy-keyword", output, StringComparison.Ordinal);
        AssertSignalledFailureOnly(node);
        Assert.Null(node.HaproxyPid);
    }

    [Fact]
    public void Config_that_fails_haproxy_check_leaves_the_previous_good_config_serving()
    {
        using var node = new NodeSandbox(GoodBundle);
        Assert.Equal(0, node.Run(Script(node)).ExitCode);
        var goodPid = node.HaproxyPid;
        node.Deploy(BrokenBundle());

        var (exitCode, _) = node.Run(Script(node));

        Assert.NotEqual(0, exitCode);
        Assert.EndsWith($"cfn-signal -e 1 --stack {Stack} --resource {Resource} --region eu-west-1 --reason bootstrap failed (exit 1), see /var/log/haproxy-bootstrap.log", node.Calls("cfn-signal")[^1], StringComparison.Ordinal);
        Assert.Equal(goodPid, node.HaproxyPid);
        Assert.Equal(200, Health().Status);
        Assert.Equal(ConfigRenderer.Render(_spec).Config, node.ReadFile("/etc/haproxy/haproxy.cfg"));
    }

    [Fact]
    public void A_rules_version_whose_bundle_does_not_match_its_sha256_is_refused()
    {
        using var node = new NodeSandbox(GoodBundle);
        node.DeployPayload(RulesPayload.Encode(GoodBundle).Replace(GoodBundle.Sha256, new string('0', 64), StringComparison.Ordinal));

        var (exitCode, output) = node.Run(Script(node));

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"has sha256 {GoodBundle.Sha256}, but the payload names {new string('0', 64)}", output, StringComparison.Ordinal);
        AssertSignalledFailureOnly(node);
        Assert.Null(node.HaproxyPid);
    }

    [Fact]
    public void Failing_install_step_signals_failure_before_anything_is_fetched()
    {
        using var node = new NodeSandbox(GoodBundle);
        node.BreakDnf();

        var (exitCode, output) = node.Run(Script(node));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("repository unreachable", output, StringComparison.Ordinal);
        AssertSignalledFailureOnly(node);
        Assert.Empty(node.Calls("aws"));
        Assert.Null(node.HaproxyPid);
    }

    public void Dispose() => _backend.Dispose();

    private static void AssertSignalledFailureOnly(NodeSandbox node)
    {
        var signal = Assert.Single(node.Calls("cfn-signal"));
        Assert.StartsWith($"cfn-signal -e 1 --stack {Stack} --resource {Resource} --region eu-west-1 ", signal, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_the_sandbox_stops_every_daemon_the_script_started_even_those_that_forked_away()
    {
        string marker;
        using (var node = new NodeSandbox(GoodBundle))
        {
            var (exitCode, output) = node.Run(Script(node));
            Assert.True(exitCode == 0, output);
            marker = node.Marker;

            // rsyslogd and the HAProxy master and worker outlive the script that started them.
            Assert.True(MarkedProcesses.Find(marker).Count >= 3, string.Join(", ", MarkedProcesses.Find(marker)));
        }

        Assert.Empty(MarkedProcesses.Find(marker));
    }

    private BundleArchive BrokenBundle()
    {
        var bundle = ConfigRenderer.Render(_spec);
        var files = bundle.Files.Select(f => f.Path == ConfigBundle.ConfigFileName ? f with { Content = f.Content + "    not-a-haproxy-keyword\n" } : f);
        return new ConfigBundle(files.ToValueList()).Archive();
    }

    /// <summary>The user data of a test node: the rules from its AppConfig stand-in, the published agent.</summary>
    internal static BootstrapSettings Settings(NodeSandbox node, HaproxySpec spec) => new()
    {
        StackName = Stack,
        SignalResource = Resource,
        Region = "eu-west-1",
        Rules = new RulesSource { Application = "haproxy-cluster-test", Environment = "test", Profile = "rules", AgentPort = node.RulesPort },
        Agent = new NodeAgentSettings
        {
            Uri = "s3://assets-bucket/agent",
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(NodeSandbox.PublishedAgent)),
            MetricsNamespace = "HaproxyCluster/test",
            ServerStateFile = spec.Global.ServerStateFile,
        },
        RuntimeSocket = spec.Global.RuntimeSocketPath,
        LogGroupName = "/haproxy-cluster/test",
        HealthPort = spec.Listeners.HealthPort,
        HealthPath = spec.Listeners.HealthPath,
    };

    private string Script(NodeSandbox node) => BootstrapScript.Build(Settings(node, _spec) with { SyslogPort = SyslogPort });

    private void Get(string path) => Assert.Equal(200, ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, path).GetAwaiter().GetResult().Status);

    /// <summary>The access log's lines once it holds <paramref name="count"/> (waits up to 20 s: rsyslog on a busy machine).</summary>
    private static string[] AccessLogLines(NodeSandbox node, int count)
    {
        var path = Path.Combine(node.Upper, "var/log/haproxy/access.log");
        var lines = Array.Empty<string>();
        for (var attempt = 0; attempt < 200 && lines.Length < count; attempt++)
        {
            Thread.Sleep(100);
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }

        return lines;
    }

    private Reply Health() => ProxiedHttp.SendAsync(_spec.Listeners.HealthPort, _spec.Listeners.HealthPath).GetAwaiter().GetResult();

    /// <summary>Every file the script wrote, but the logs that grow with each run and the agent's staging folder, with its content.</summary>
    private static SortedDictionary<string, string> Snapshot(NodeSandbox node)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(node.Upper, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(node.Upper, path);
            // The node agent stages each version it reads beside /etc/haproxy and removes it after
            // comparing; the overlay keeps a whiteout of it, so it is not state the script leaves.
            if (!relative.StartsWith("var/log", StringComparison.Ordinal) && !relative.StartsWith("run/", StringComparison.Ordinal) && !relative.StartsWith("tmp/", StringComparison.Ordinal)
                && !relative.StartsWith("etc/haproxy.new", StringComparison.Ordinal))
            {
                files[relative] = ContentHash(path);
            }
        }

        return files;
    }

    private static string ContentHash(string path)
    {
        try
        {
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (IOException)
        {
            return "overlay whiteout"; // a file the script deleted from the root's /etc/haproxy
        }
    }
}
