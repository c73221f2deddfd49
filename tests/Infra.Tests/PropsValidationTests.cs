using Amazon.CDK;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Infra.Tests;

public class PropsValidationTests
{
    private static readonly HaproxyClusterProps Valid = new()
    {
        EnvironmentName = "test",
        Haproxy = Environments.Dev.Haproxy,
        AvailabilityZones = ["eu-west-1a", "eu-west-1b"],
    };

    private static readonly NodeTls NodeTls = new()
    {
        Certificates = [new NodeCertificate("site", "/haproxy/test/tls/site")],
        KmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    };

    public static TheoryData<string, HaproxyClusterProps, string, string> BadProps => new()
    {
        {
            "node tls and nlb tls", Valid with { NodeTls = NodeTls, CertificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" },
            "NodeTls", "and CertificateArn both want the NLB's port 443; keep one"
        },
        {
            "a tls bind with no certificates", Valid with { Haproxy = Valid.Haproxy with { Listeners = new Listeners { Tls = new TlsListener { Certificates = ["site"] } } } },
            "Haproxy.Listeners.Tls", "is set, but the nodes would have no certificates; set HaproxyClusterProps.NodeTls"
        },
        { "node tls kms key", Valid with { NodeTls = NodeTls with { KmsKeyArn = "alias/haproxy" } }, "NodeTls.KmsKeyArn", "'alias/haproxy' is not a KMS key ARN" },
        { "node tls parameter under /aws", Valid with { NodeTls = NodeTls with { Certificates = [new NodeCertificate("site", "/aws/reference/secretsmanager/x")] } }, "NodeTls.Certificates[0].Parameter", "is not an SSM parameter name" },
        { "node tls parameter that is not a path", Valid with { NodeTls = NodeTls with { Certificates = [new NodeCertificate("site", "site-cert")] } }, "NodeTls.Certificates[0].Parameter", "'site-cert' is not an SSM parameter name" },
        { "node tls name twice", Valid with { NodeTls = NodeTls with { Certificates = [.. NodeTls.Certificates, new NodeCertificate("site", "/haproxy/test/tls/other")] } }, "NodeTls.Certificates[1].Name", "'site' is not a new certificate name" },
        { "node tls on the http port", Valid with { NodeTls = NodeTls with { NodePort = 80 } }, "Haproxy.Listeners.Tls.Port", "80 is also HttpPort" },
        { "node tls refresh", Valid with { NodeTls = NodeTls with { Refresh = TimeSpan.FromSeconds(1) } }, "NodeTls.Refresh", "is not whole seconds from 10 s to 24 h" },
        { "node tls expiry alarm", Valid with { NodeTls = NodeTls with { AlarmBeforeExpiry = TimeSpan.FromHours(36) } }, "NodeTls.AlarmBeforeExpiry", "1.12:00:00 is not whole days from 1 to 90" },
        { "max not above min", Valid with { MinCapacity = 3, MaxCapacity = 3 }, "MaxCapacity", "maxCapacity (3) should be > minCapacity (3)" },
        { "one zone", Valid with { AvailabilityZones = ["eu-west-1a"] }, "AvailabilityZones", "1 availability zone(s) given; use at least 2" },
        { "bad certificate", Valid with { CertificateArn = "arn:aws:iam::123456789012:server-certificate/x" }, "CertificateArn", "is not an ACM certificate ARN" },
        { "bad name", Valid with { EnvironmentName = "Prod Env" }, "EnvironmentName", "'Prod Env' is not an environment name" },
        { "bound to loopback", Valid with { Haproxy = Valid.Haproxy with { Listeners = new Listeners { BindAddress = "127.0.0.1" } } }, "Haproxy.Listeners.BindAddress", "would hide the node from the NLB" },
        { "no proxy protocol", Valid with { Haproxy = Valid.Haproxy with { Listeners = new Listeners { AcceptProxy = false } } }, "Haproxy.Listeners.AcceptProxy", "send PROXY protocol v2" },
        { "bad rule", Valid with { Haproxy = Valid.Haproxy with { DefaultPool = "nope" } }, "Haproxy.DefaultPool", "'nope' is not a pool" },
        { "drained group no pool discovers", Valid with { DrainOnScaleIn = ["web-asg"] }, "DrainOnScaleIn[0]", "'web-asg' is not the group of any Ec2Discovery pool; name a group a pool discovers" },
        { "idle timeout beyond the NLB's range", Valid with { TcpIdleTimeout = TimeSpan.FromSeconds(30) }, "TcpIdleTimeout", "00:00:30 is not an NLB idle timeout; use whole seconds from 60 to 6000" },
        {
            "keepalive after the NLB dropped the flow", Valid with { Haproxy = Valid.Haproxy with { Defaults = new DefaultSettings { TcpKeepAlive = new TcpKeepAlive(TimeSpan.FromSeconds(400), TimeSpan.FromSeconds(20), 3) } } },
            "Haproxy.Defaults.TcpKeepAlive.Idle", "400 s is not under the NLB's idle timeout (350 s), which drops a silent flow before its first probe; use less than 350 s"
        },
        {
            "keepalive after a shortened idle timeout", Valid with { TcpIdleTimeout = TimeSpan.FromSeconds(60) },
            "Haproxy.Defaults.TcpKeepAlive.Idle", "60 s is not under the NLB's idle timeout (60 s)"
        },
        {
            "keepalive after the TLS listener's fixed timeout", Valid with { TcpIdleTimeout = TimeSpan.FromMinutes(30), CertificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000", Haproxy = Valid.Haproxy with { Defaults = new DefaultSettings { TcpKeepAlive = new TcpKeepAlive(TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(20), 3) } } },
            "Haproxy.Defaults.TcpKeepAlive.Idle", "600 s is not under the NLB's idle timeout (350 s)"
        },
        { "sessions past maxconn", Valid with { TargetSessionsPerNode = 50_000 }, "TargetSessionsPerNode", "50000 is out of range; use 1 to 90 % of Haproxy.Global.MaxConnections (50000), so a node scales out before it refuses connections" },
        { "no call budget", Valid with { DiscoveryCallsPerSecond = 0 }, "DiscoveryCallsPerSecond", "0 is out of range; use 0.1 to 100 DescribeInstances calls a second for the whole fleet" },
        {
            "a drain the budget cannot see in time", Valid with { DrainOnScaleIn = ["dev-api"], MaxCapacity = 400, DiscoveryCallsPerSecond = 0.1 },
            "DrainOnScaleIn[0]", "'dev-api' needs a lifecycle hook of 9650 s (30 s drain + 2 × 4800 s passes of 400 nodes at 0.1 calls/s + 20 s), past the 7200 s EC2 Auto Scaling allows; raise DiscoveryCallsPerSecond, lower MaxCapacity or the pool's DrainTimeout"
        },
        { "a bake past half an hour", Valid with { Bake = new NodeBake(TimeSpan.FromMinutes(45)) }, "Bake", "Duration: 00:45:00 is out of range; use whole seconds from 0 (no bake) to 30 minutes" },
        { "a bake's threshold of all requests", Valid with { Bake = new NodeBake(TimeSpan.FromMinutes(2)) { MaxOwnFailurePercent = 100 } }, "Bake", "MaxOwnFailurePercent: 100 is out of range; use 0 (no failure allowed) up to, not including, 100" },
        { "a bake's negative minimum", Valid with { Bake = new NodeBake(TimeSpan.FromMinutes(2)) { MinimumRequests = -1 } }, "Bake", "MinimumRequests: -1 is out of range; use 0 to 10,000,000" },
        {
            "a bake with no status in the access log", Valid with { Bake = new NodeBake(TimeSpan.FromMinutes(2)), Haproxy = Valid.Haproxy with { Defaults = Valid.Haproxy.Defaults with { AccessLogFields = [AccessLogField.Time, AccessLogField.Uri] } } },
            "Bake", "reads the JSON access log's status and termination fields, but Haproxy.Defaults does not log them; set JsonAccessLog and keep Status and Termination in AccessLogFields, or use NodeBake.None"
        },
        {
            "a bake with the access log sent elsewhere", Valid with { Bake = new NodeBake(TimeSpan.FromMinutes(2)), Haproxy = Valid.Haproxy with { Global = Valid.Haproxy.Global with { LogTarget = "10.0.0.5:514" } } },
            "Bake", "reads the access log the node's rsyslog writes, but Haproxy.Global.LogTarget is '10.0.0.5:514'; leave LogTarget at its default (tcp@127.0.0.1:5140), or use NodeBake.None"
        },
        { "autoshift without zonal shift", Valid with { ZonalShift = ZonalShift.Autoshift() with { Enabled = false } }, "ZonalShift", "AutoshiftEnabled: autoshift needs zonal shift; set Enabled, or turn autoshift off" },
        { "practice window", Valid with { ZonalShift = ZonalShift.Autoshift("Friday 16:00") }, "ZonalShift", "BlockedWindows: 'Friday 16:00' is not a weekly UTC window; write it as Day:HH:MM-Day:HH:MM, such as Fri:16:00-Mon:08:00" },
        { "practice date", Valid with { ZonalShift = ZonalShift.Autoshift() with { BlockedDates = ["2026-02-30"] } }, "ZonalShift", "BlockedDates: '2026-02-30' is not a date; write it as yyyy-MM-dd" },
        { "blocked windows without autoshift", Valid with { ZonalShift = ZonalShift.Manual with { BlockedWindows = ["Fri:16:00-Mon:06:00"] } }, "ZonalShift", "they block autoshift's practice runs, and autoshift is off" },
        {
            "peak beyond what a zone's loss leaves", Valid with { InstanceType = "c6i.xlarge", MinCapacity = 3, AvailabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"], Peak = new PeakLoad(90_000, 14_000) },
            "Peak", "90,000 requests/s at peak, but MinCapacity 3 over 3 zones (1 + 1 + 1) leaves 2 node(s) when a zone of 1 is lost, carrying 56,000 at TargetCpuPercent 50 (2 × 4 vCPU of c6i.xlarge × 14,000 requests/s per vCPU × 50 %); set MinCapacity to at least 6 (and MaxCapacity above it), or a larger InstanceType"
        },
        {
            "peak that needs more than MaxCapacity", Valid with { InstanceType = "t3.small", MinCapacity = 2, MaxCapacity = 4, Peak = new PeakLoad(20_000, 10_000) },
            "Peak", "MinCapacity 2 over 2 zones (1 + 1) leaves 1 node(s) when a zone of 1 is lost, carrying 10,000 at TargetCpuPercent 50 (1 × 2 vCPU of t3.small × 10,000 requests/s per vCPU × 50 %); set MinCapacity to at least 4 (and MaxCapacity above it), or a larger InstanceType"
        },
        { "peak on an instance type of unknown size", Valid with { InstanceType = "m7i.metal-24xl", Peak = new PeakLoad(1_000, 10_000) }, "Peak", "the vCPUs of InstanceType 'm7i.metal-24xl' are not known, so the peak cannot be checked" },
        { "peak without a capacity", Valid with { Peak = new PeakLoad(1_000, 0) }, "Peak", "should have a peak and a per-vCPU capacity of at least 1 request a second; take RequestsPerVcpu from the capacity line of 'ENV=test make bench'" },
        { "agent not built", Valid with { AgentDirectory = "/nonexistent/agent" }, "AgentDirectory", "/nonexistent/agent/linux-x64/haproxy-cluster-agent does not exist; run 'make agent'" },
    };

    [Theory]
    [MemberData(nameof(BadProps))]
    public void Wrong_props_fail_at_synth_with_the_property_value_and_fix(string mistake, HaproxyClusterProps props, string property, string message)
    {
        var stack = new Stack(new App(), "Test", new StackProps { Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" } });

        var error = Assert.Throws<ConfigValidationException>(() => new HaproxyCluster(stack, "Cluster", props));

        var found = Assert.Single(error.Errors, e => e.Property == property);
        Assert.True(found.Message.Contains(message, StringComparison.Ordinal), $"{mistake}: '{found.Message}' lacks '{message}'");
    }

    [Fact]
    public void Every_wrong_prop_is_reported_at_once()
    {
        var stack = new Stack(new App(), "Test", new StackProps { Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" } });
        var props = Valid with { MaxCapacity = 1, AvailabilityZones = ["eu-west-1a"], Haproxy = Valid.Haproxy with { DefaultPool = "nope" } };

        var error = Assert.Throws<ConfigValidationException>(() => new HaproxyCluster(stack, "Cluster", props));

        Assert.Equal(["MaxCapacity", "AvailabilityZones", "Haproxy.DefaultPool"], error.Errors.Select(e => e.Property));
    }
}

public class ZoneLossCapacityTests
{
    [Theory]
    [InlineData("t3.small", 2)]
    [InlineData("t4g.medium", 2)]
    [InlineData("c7g.medium", 1)]
    [InlineData("c6i.large", 2)]
    [InlineData("c6i.xlarge", 4)]
    [InlineData("c6in.12xlarge", 48)]
    [InlineData("m7i.metal-24xl", null)]
    [InlineData("c6i", null)]
    public void A_nodes_vcpus_come_from_its_size(string instanceType, int? vcpus) => Assert.Equal(vcpus, ZoneLossCapacity.VcpusOf(instanceType));

    [Theory]
    [InlineData(3, 3, "1 + 1 + 1", 2)]
    [InlineData(4, 3, "2 + 1 + 1", 2)]
    [InlineData(5, 3, "2 + 2 + 1", 3)]
    [InlineData(2, 3, "1 + 1 + 0", 1)]
    [InlineData(6, 2, "3 + 3", 3)]
    public void The_largest_zone_is_what_a_zones_loss_takes(int nodes, int zones, string spread, int left)
    {
        var capacity = new ZoneLossCapacity(zones, nodes, Vcpus: 2, PerNode: 1_000);

        Assert.Equal(spread, capacity.Spread);
        Assert.Equal(left, capacity.NodesLeft);
        Assert.Equal(left * 1_000, capacity.ZoneLost);
        Assert.Equal(nodes * 1_000, capacity.AllZones);
    }

    [Theory]
    [InlineData("dev", "1 + 1 + 0", 32_000, 16_000, 1_000)]
    [InlineData("staging", "1 + 1 + 1", 39_000, 26_000, 10_000)]
    [InlineData("prod", "1 + 1 + 1", 84_000, 56_000, 50_000)]
    public void Each_environment_carries_its_peak_with_a_zone_lost(string environment, string spread, long allZones, long zoneLost, int peak)
    {
        var props = Environments.Select(environment)[0].Cluster;

        var capacity = ZoneLossCapacity.Of(props, props.MinCapacity)!;

        Assert.Equal((spread, allZones, zoneLost, peak), (capacity.Spread, capacity.AllZones, capacity.ZoneLost, props.Peak!.RequestsPerSecond));
        Assert.True(zoneLost >= peak);
        Assert.Null(ZoneLossCapacity.Problem(props));
    }
}

public class ExistingVpcTests
{
    [Fact]
    public void Cluster_uses_a_vpc_passed_in_instead_of_making_one()
    {
        // GIVEN a stack that already has a VPC
        var stack = new Stack(new App(), "Shared", new StackProps { Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" } });
        var vpc = new Amazon.CDK.AWS.EC2.Vpc(stack, "Existing", new Amazon.CDK.AWS.EC2.VpcProps { AvailabilityZones = ["eu-west-1a", "eu-west-1b"], NatGateways = 1 });

        // WHEN the cluster is given it
        _ = new HaproxyCluster(stack, "Cluster", new HaproxyClusterProps { EnvironmentName = "shared", Haproxy = Environments.Dev.Haproxy, Vpc = vpc });

        // THEN no second VPC appears, and the target groups live in the given VPC
        var template = Amazon.CDK.Assertions.Template.FromStack(stack);
        template.ResourceCountIs("AWS::EC2::VPC", 1);
        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", new Dictionary<string, object>
        {
            ["VpcId"] = new Dictionary<string, object> { ["Ref"] = stack.Resolve(stack.GetLogicalId((Amazon.CDK.CfnElement)vpc.Node.DefaultChild!)) },
        });
    }
}

public class NodeSyslogTests
{
    [Fact]
    public void Node_syslog_listens_where_haproxy_sends_its_logs()
    {
        // GIVEN a spec that sends logs to another loopback port
        var stack = new Stack(new App(), "Logs", new StackProps { Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" } });
        var haproxy = Environments.Dev.Haproxy with { Global = Environments.Dev.Haproxy.Global with { LogTarget = "tcp@127.0.0.1:6514" } };

        // WHEN the cluster is built THEN the node's rsyslog is told that port
        var cluster = new HaproxyCluster(stack, "Cluster", new HaproxyClusterProps { EnvironmentName = "logs", Haproxy = haproxy });

        Assert.Contains("input(type=\"imptcp\" address=\"127.0.0.1\" port=\"6514\" ruleset=\"haproxy-access\")\n", cluster.UserDataScript, StringComparison.Ordinal);
    }
}
