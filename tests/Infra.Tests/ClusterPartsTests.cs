using Amazon.CDK;
using Amazon.CDK.Assertions;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.EC2;
using HaproxyCluster.Config;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// Each part of the cluster construct on a stack of its own, with a spec whose HTTP port, health
/// port and health path are not the defaults: every part takes them from the spec.
/// </summary>
public class ClusterPartsTests
{
    private static readonly HaproxyClusterProps Props = Environments.Dev.Cluster with
    {
        EnvironmentName = "parts",
        CertificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        NodeTls = null,
        Haproxy = Environments.Dev.Haproxy with
        {
            Listeners = Environments.Dev.Haproxy.Listeners with { HttpPort = 8080, HealthPort = 9090, HealthPath = "/ready" },
        },
    };

    private static Dictionary<string, object> Fields(params (string Key, object Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private static (Stack Stack, Vpc Vpc) NewStack()
    {
        var stack = new Stack(new App(), "Parts", new StackProps { Env = new Amazon.CDK.Environment { Account = "123456789012", Region = "eu-west-1" } });
        return (stack, new Vpc(stack, "Vpc", new VpcProps { AvailabilityZones = ["eu-west-1a", "eu-west-1b"], NatGateways = 1 }));
    }

    /// <summary>The load balancer with a plain group of nodes as its targets.</summary>
    private static (ClusterLoadBalancer LoadBalancer, AutoScalingGroup Nodes) LoadBalancerWithTargets(Stack stack, Vpc vpc, HaproxyClusterProps? props = null)
    {
        props ??= Props;
        var loadBalancer = new ClusterLoadBalancer(stack, vpc, new ClusterSecurityGroups(stack, vpc, props).Nlb, props);
        var nodes = new AutoScalingGroup(stack, "Nodes", new AutoScalingGroupProps
        {
            Vpc = vpc,
            InstanceType = new Amazon.CDK.AWS.EC2.InstanceType("t3.small"),
            MachineImage = MachineImage.GenericLinux(new Dictionary<string, string> { ["eu-west-1"] = "ami-00000000000000000" }),
        });
        loadBalancer.AddTargets(nodes);
        return (loadBalancer, nodes);
    }

    [Fact]
    public void Security_groups_open_the_listener_ports_to_clients_and_the_spec_ports_to_the_nlb()
    {
        // GIVEN a stack  WHEN the security groups are added
        var (stack, vpc) = NewStack();
        _ = new ClusterSecurityGroups(stack, vpc, Props);
        var template = Template.FromStack(stack);

        // THEN clients reach 80 and 443 on the NLB, and the NLB reaches the nodes' HTTP, TLS-origin and health ports
        template.HasResourceProperties("AWS::EC2::SecurityGroup", Fields(("SecurityGroupIngress", CdkMatch.ArrayWith([
            CdkMatch.ObjectLike(Fields(("CidrIp", "0.0.0.0/0"), ("FromPort", 80))),
            CdkMatch.ObjectLike(Fields(("CidrIp", "0.0.0.0/0"), ("FromPort", 443))),
        ]))));
        foreach (var port in new[] { 8080, 8443, 9090 })
        {
            template.HasResourceProperties("AWS::EC2::SecurityGroupIngress", Fields(("FromPort", port), ("ToPort", port), ("IpProtocol", "tcp")));
            template.HasResourceProperties("AWS::EC2::SecurityGroupEgress", Fields(("FromPort", port), ("ToPort", port), ("IpProtocol", "tcp")));
        }

        template.ResourceCountIs("AWS::EC2::SecurityGroupIngress", 3);
    }

    [Fact]
    public void Load_balancer_checks_the_spec_health_endpoint_as_the_node_health_check_says()
    {
        // GIVEN a load balancer and some nodes  WHEN they become its targets
        var (stack, vpc) = NewStack();
        var (loadBalancer, _) = LoadBalancerWithTargets(stack, vpc);
        var template = Template.FromStack(stack);

        // THEN each target group sends traffic to the spec's port and checks /ready on 9090
        foreach (var port in new[] { 8080, 8443 })
        {
            template.HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Fields(
                ("Port", port),
                ("HealthCheckPort", "9090"),
                ("HealthCheckPath", "/ready"),
                ("HealthCheckIntervalSeconds", NodeHealthCheck.IntervalSeconds),
                ("HealthyThresholdCount", NodeHealthCheck.HealthyThreshold),
                ("UnhealthyThresholdCount", NodeHealthCheck.UnhealthyThreshold)));
        }

        template.ResourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 2);
        Assert.NotNull(loadBalancer.TlsTargetGroup);
    }

    [Fact]
    public void Tcp_listener_keeps_silent_flows_as_long_as_told_and_the_tls_listener_keeps_its_fixed_timeout()
    {
        // GIVEN a cluster whose TCP flows may idle for 15 minutes
        var (stack, vpc) = NewStack();
        _ = LoadBalancerWithTargets(stack, vpc, Props with { TcpIdleTimeout = TimeSpan.FromMinutes(15) });
        var template = Template.FromStack(stack);

        // THEN the TCP listener carries the attribute, and the TLS listener (fixed at 350 s) none
        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Fields(("Protocol", "TCP"),
            ("ListenerAttributes", new object[] { Fields(("Key", "tcp.idle_timeout.seconds"), ("Value", "900")) })));
        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Fields(("Protocol", "TLS"), ("ListenerAttributes", CdkMatch.Absent())));
    }

    [Fact]
    public void Fleet_boots_nodes_that_probe_the_spec_health_endpoint_and_log_to_the_group()
    {
        // GIVEN the observability the fleet reports to  WHEN the fleet is added
        var (stack, vpc) = NewStack();
        var observability = new ClusterObservability(stack, Props);
        var groups = new ClusterSecurityGroups(stack, vpc, Props);
        var fleet = new NodeFleet(stack, vpc, groups.Nodes, observability, Props);

        // THEN its node agent probes the spec's endpoint, and its user data reads the rules from this environment's AppConfig profile
        Assert.Contains("  \"healthPort\": 9090,\n  \"healthPath\": \"/ready\",\n", fleet.UserDataScript, StringComparison.Ordinal);
        Assert.Contains("\"log_group_name\":\"/haproxy-cluster/parts\"", fleet.UserDataScript, StringComparison.Ordinal);
        Assert.Contains($"  \"configDirectory\": \"{ConfigRenderer.DefaultConfigDirectory}\",\n", fleet.UserDataScript, StringComparison.Ordinal);
        Assert.Contains("readonly RULES_URL='http://localhost:2772/applications/haproxy-cluster-parts/environments/parts/configurations/rules'\n", fleet.UserDataScript, StringComparison.Ordinal);
        Template.FromStack(stack).HasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Fields(("MinSize", "2"), ("MaxSize", "3")));
    }

    [Fact]
    public void Observability_alarms_on_unhealthy_and_too_few_nodes_and_on_5xx_and_notifies_its_topic()
    {
        // GIVEN a load balancer with targets
        var (stack, vpc) = NewStack();
        var observability = new ClusterObservability(stack, Props);
        var (loadBalancer, nodes) = LoadBalancerWithTargets(stack, vpc);

        // WHEN observability watches them
        observability.Watch(loadBalancer.HttpTargetGroup!, loadBalancer.LoadBalancer, nodes);
        var template = Template.FromStack(stack);

        // THEN four alarms notify the topic, three of them roll rules back, and the dashboard exists
        foreach (var name in new[] { "haproxy-cluster-parts-unhealthy-nodes", "haproxy-cluster-parts-too-few-healthy-nodes", "haproxy-cluster-parts-5xx", "haproxy-cluster-parts-failed-rule-applies" })
        {
            template.HasResourceProperties("AWS::CloudWatch::Alarm", Fields(("AlarmName", name), ("AlarmActions", CdkMatch.AnyValue()), ("OKActions", CdkMatch.AnyValue())));
        }

        template.HasResourceProperties("AWS::CloudWatch::Alarm", Fields(("AlarmName", "haproxy-cluster-parts-too-few-healthy-nodes"), ("Threshold", 2)));
        template.HasResourceProperties("AWS::CloudWatch::Alarm", Fields(("AlarmName", "haproxy-cluster-parts-failed-rule-applies"),
            ("MetricName", "FailedRuleApplies"), ("Namespace", "HaproxyCluster/parts"), ("Statistic", "Sum"), ("Threshold", 0), ("EvaluationPeriods", 1)));
        Assert.Equal(["haproxy-cluster-parts-unhealthy-nodes", "haproxy-cluster-parts-5xx", "haproxy-cluster-parts-failed-rule-applies"],
            observability.RolloutMonitors.Select(a => (string)stack.Resolve(((Amazon.CDK.AWS.CloudWatch.CfnAlarm)a.Node.DefaultChild!).AlarmName!)));
        template.HasResourceProperties("AWS::Logs::LogGroup", Fields(("LogGroupName", "/haproxy-cluster/parts")));
        template.ResourceCountIs("AWS::CloudWatch::Dashboard", 1);
        Assert.NotNull(observability.Dashboard);
    }

    [Fact]
    public void Fleet_role_may_describe_instances_only_when_a_pool_is_discovered_from_ec2()
    {
        // GIVEN one fleet whose spec discovers a pool from EC2, and one whose spec does not
        Template FleetTemplate(HaproxyClusterProps props)
        {
            var (stack, vpc) = NewStack();
            _ = new NodeFleet(stack, vpc, new ClusterSecurityGroups(stack, vpc, props).Nodes, new ClusterObservability(stack, props), props);
            return Template.FromStack(stack);
        }

        var discovering = Props with
        {
            Haproxy = Props.Haproxy with { Pools = [.. Props.Haproxy.Pools, new Pool { Name = "app", Discovery = Ec2Discovery.ForGroup("app-asg", 8080) }] },
        };
        var notDiscovering = Props with
        {
            Haproxy = Props.Haproxy with { Pools = [.. Props.Haproxy.Pools.Select(p => p.Discovery is Ec2Discovery ? p with { Discovery = new DnsDiscovery("api.dev.internal", 8080) } : p)] },
        };

        // THEN only the first may call ec2:DescribeInstances, in a statement of its own, with a reasoned nag suppression
        var statement = Fields(("Sid", "DiscoverPoolInstances"), ("Action", "ec2:DescribeInstances"), ("Effect", "Allow"), ("Resource", "*"));
        var policy = Fields(("PolicyDocument", Fields(("Statement", CdkMatch.ArrayWith([statement])))));
        var withDiscovery = FleetTemplate(discovering);
        withDiscovery.HasResourceProperties("AWS::IAM::Policy", policy);
        withDiscovery.HasResource("AWS::IAM::Policy", Fields(("Metadata", Fields(("cdk_nag", Fields(("rules_to_suppress", CdkMatch.ArrayWith([CdkMatch.ObjectLike(Fields(("id", "AwsSolutions-IAM5"), ("applies_to", new[] { "Resource::*" })))]))))))));
        Assert.DoesNotContain("ec2:DescribeInstances", System.Text.Json.JsonSerializer.Serialize(FleetTemplate(notDiscovering).ToJSON()), StringComparison.Ordinal);
    }
}
