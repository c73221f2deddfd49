using System.Globalization;
using System.Text.RegularExpressions;
using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SNS;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;
using InstanceType = Amazon.CDK.AWS.EC2.InstanceType;

namespace HaproxyCluster.Infra;

/// <summary>
/// A highly available HAProxy layer: a cross-zone Network Load Balancer in TCP mode in front of an
/// auto-scaling group of identical HAProxy nodes in private subnets. Each node boots from a
/// generated, fail-closed user data script; the validated config bundle reaches the nodes as an
/// AWS AppConfig configuration, so a rules change rolls out in place (canary, bake, rollback on the
/// cluster's alarms) and only a bootstrap, AMI or instance-type change replaces nodes.
/// </summary>
/// <remarks>
/// It is composed of parts, each with its own tests: <see cref="ClusterSecurityGroups"/>,
/// <see cref="ClusterLoadBalancer"/>, <see cref="NodeFleet"/>, <see cref="ClusterObservability"/>
/// and <see cref="RulesDeployment"/>.
/// The parts add their resources to this construct rather than being constructs of their own,
/// because construct ids are part of the contract: a nested construct would change the logical id
/// of every resource under it, and a replaced NLB gets a new DNS name. Tests pin the logical ids.
/// </remarks>
public sealed partial class HaproxyCluster : Construct
{
    /// <summary>Creates the cluster; throws with every problem in <paramref name="props"/> at once.</summary>
    public HaproxyCluster(Construct scope, string id, HaproxyClusterProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        (Bundle, props) = Render(props);
        var outdir = Stage.Of(this)!.Outdir;
        NodeFilesDirectory = Path.Combine(outdir, "node-files", props.EnvironmentName);

        Vpc = props.Vpc ?? ClusterVpc.Create(this, props);
        var observability = new ClusterObservability(this, props);
        var securityGroups = new ClusterSecurityGroups(this, Vpc, props);
        var loadBalancer = new ClusterLoadBalancer(this, Vpc, securityGroups.Nlb, props);
        var fleet = new NodeFleet(this, Vpc, securityGroups.Nodes, observability, props);
        loadBalancer.AddTargets(fleet.AutoScalingGroup);
        ScaleInDrain.Add(this, props);
        observability.Watch(loadBalancer.HttpTargetGroup!, loadBalancer.LoadBalancer, fleet.AutoScalingGroup);
        ZoneFailover.Add(this, props, loadBalancer.LoadBalancer, new[] { loadBalancer.HttpTargetGroup, loadBalancer.TlsTargetGroup }.OfType<NetworkTargetGroup>(), fleet.AutoScalingGroup, observability.OutcomeAlarm!);
        var rules = new RulesDeployment(this, Bundle.Archive(), observability.RolloutMonitors, props);
        fleet.ReadRulesFrom(rules.ConfigurationArn, rules.Deployment);

        LoadBalancer = loadBalancer.LoadBalancer;
        HttpTargetGroup = loadBalancer.HttpTargetGroup!;
        TlsTargetGroup = loadBalancer.TlsTargetGroup;
        AutoScalingGroup = fleet.AutoScalingGroup;
        UserDataScript = fleet.UserDataScript;
        LogGroup = observability.LogGroup;
        Alarms = observability.Alarms;
        Dashboard = observability.Dashboard;

        WriteNodeFiles();
        _ = new CfnOutput(this, "LoadBalancerDnsName", new CfnOutputProps { Value = LoadBalancer.LoadBalancerDnsName, Description = "Point your DNS records here." });
        _ = new CfnOutput(this, "LogGroupName", new CfnOutputProps { Value = LogGroup.LogGroupName, Description = "HAProxy access logs and node bootstrap logs." });
    }

    /// <summary>The VPC the cluster runs in.</summary>
    public IVpc Vpc { get; }

    /// <summary>The Network Load Balancer in front of the nodes.</summary>
    public NetworkLoadBalancer LoadBalancer { get; }

    /// <summary>The target group behind the TCP :80 listener.</summary>
    public NetworkTargetGroup HttpTargetGroup { get; }

    /// <summary>The target group behind the TLS :443 listener, when there is one.</summary>
    public NetworkTargetGroup? TlsTargetGroup { get; }

    /// <summary>The HAProxy nodes.</summary>
    public AutoScalingGroup AutoScalingGroup { get; }

    /// <summary>The log group for access and bootstrap logs.</summary>
    public LogGroup LogGroup { get; }

    /// <summary>The SNS topic every alarm notifies.</summary>
    public Topic Alarms { get; }

    /// <summary>The rendered config bundle every node runs.</summary>
    public ConfigBundle Bundle { get; }

    /// <summary>The user data, exactly as the launch template carries it.</summary>
    public string UserDataScript { get; }

    /// <summary>Where the node files (bundle and user data as a node sees them) were written.</summary>
    public string NodeFilesDirectory { get; }

    /// <summary>The CloudWatch dashboard.</summary>
    public Dashboard? Dashboard { get; }

    /// <summary>
    /// Checks the props and the spec together, and renders the spec: it is validated once. Returns
    /// the props the parts build from, whose spec has the nodes' TLS bind when <see cref="HaproxyClusterProps.NodeTls"/> asks for one.
    /// </summary>
    private static (ConfigBundle Bundle, HaproxyClusterProps Props) Render(HaproxyClusterProps props)
    {
        var problems = Check(props);
        ConfigBundle? bundle = null;
        props = props with { Haproxy = props.NodeSpec! };

        try
        {
            bundle = props.Haproxy is null ? null : ConfigRenderer.Render(props.Haproxy);
        }
        catch (ConfigValidationException e)
        {
            problems[nameof(props.Haproxy)].Include(e.Errors);
        }

        problems.ThrowIfAny(nameof(HaproxyClusterProps));
        return (bundle!, props);
    }

    private static Problems Check(HaproxyClusterProps props)
    {
        var problems = new Problems();
        problems[nameof(props.EnvironmentName)].Require(EnvironmentName().IsMatch(props.EnvironmentName ?? ""),
            $"'{props.EnvironmentName}' is not an environment name; use a lower-case letter, then up to 30 lower-case letters, digits or '-'");
        problems[nameof(props.MinCapacity)].Require(props.MinCapacity >= 1, $"minCapacity ({props.MinCapacity}) should be at least 1");
        problems[nameof(props.MaxCapacity)].Require(props.MaxCapacity > props.MinCapacity,
            $"maxCapacity ({props.MaxCapacity}) should be > minCapacity ({props.MinCapacity}), so a rolling update can add one node before it removes one");
        problems[nameof(props.AvailabilityZones)].Require(props.AvailabilityZones is null || props.AvailabilityZones.Count >= 2,
            $"{props.AvailabilityZones?.Count} availability zone(s) given; use at least 2, so losing a zone leaves nodes serving");
        problems[nameof(props.TargetCpuPercent)].Require(props.TargetCpuPercent is >= 10 and <= 90, $"{props.TargetCpuPercent} % is out of range; use 10 to 90");
        if (props.TargetCpuPercent is >= 10 and <= 90 && props.MinCapacity >= 1 && ZoneLossCapacity.Problem(props) is { } peakProblem)
        {
            problems[nameof(props.Peak)].Add(peakProblem);
        }

        if (props.Haproxy?.Global is { } global)
        {
            problems[nameof(props.TargetSessionsPerNode)].Require(props.TargetSessionsPerNode >= 1 && props.TargetSessionsPerNode <= global.MaxConnections * 0.9,
                string.Create(CultureInfo.InvariantCulture, $"{props.TargetSessionsPerNode} is out of range; use 1 to 90 % of Haproxy.Global.MaxConnections ({global.MaxConnections}), so a node scales out before it refuses connections"));
        }

        problems[nameof(props.AccessLogDays)].Require(props.AccessLogDays is >= 1 and <= 3650, $"{props.AccessLogDays} days is out of range; use 1 to 3650");
        problems[nameof(props.Http5xxPerMinuteAlarm)].Require(props.Http5xxPerMinuteAlarm >= 1, $"{props.Http5xxPerMinuteAlarm} should be at least 1");
        problems[nameof(props.CertificateArn)].Require(props.CertificateArn is null || CertificateArn().IsMatch(props.CertificateArn),
            $"'{props.CertificateArn}' is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)");
        problems[nameof(props.CertificateArn)].Require(props.CertificateArn is null || props.Haproxy?.Listeners.TlsOriginPort is not null,
            "a TLS listener needs Haproxy.Listeners.TlsOriginPort, the port its decrypted requests reach");
        problems[nameof(props.Haproxy)].Require(props.Haproxy is not null, "is null; give the HaproxySpec every node runs");
        props.NodeTls?.Check(problems[nameof(props.NodeTls)]);
        problems[nameof(props.NodeTls)].Require(props.NodeTls is null || props.CertificateArn is null,
            "and CertificateArn both want the NLB's port 443; keep one: NodeTls to decrypt on the nodes, CertificateArn to decrypt at the NLB");
        problems[nameof(props.Haproxy)]["Listeners"]["Tls"].Require(props.Haproxy?.Listeners.Tls is null,
            "is set, but the nodes would have no certificates; set HaproxyClusterProps.NodeTls, which gives the nodes this bind and their certificates");
        var listeners = problems[nameof(props.Haproxy)]["Listeners"];
        listeners["BindAddress"].Require(props.Haproxy?.Listeners.BindAddress is "" or null,
            $"'{props.Haproxy?.Listeners.BindAddress}' would hide the node from the NLB; leave it empty (every address)");
        listeners["AcceptProxy"].Require(props.Haproxy?.Listeners.AcceptProxy ?? true, "is false, but the target groups send PROXY protocol v2; set it to true");

        problems[nameof(props.DiscoveryCallsPerSecond)].Require(props.DiscoveryCallsPerSecond is >= 0.1 and <= 100,
            string.Create(CultureInfo.InvariantCulture, $"{props.DiscoveryCallsPerSecond} is out of range; use 0.1 to 100 DescribeInstances calls a second for the whole fleet (EC2 refills an account's bucket at 20 a second, for every tool in it)"));
        var discovered = props.Haproxy?.Pools.Select(p => (p?.Discovery as Ec2Discovery)?.AutoScalingGroup).OfType<string>().ToHashSet(StringComparer.Ordinal) ?? [];
        for (var i = 0; i < (props.DrainOnScaleIn ?? []).Count; i++)
        {
            var group = props.DrainOnScaleIn![i];
            problems[nameof(props.DrainOnScaleIn)][i].Require(group is not null && discovered.Contains(group),
                $"{Syntax.Show(group)} is not the group of any Ec2Discovery pool; name a group a pool discovers (Ec2Discovery.ForGroup) or remove it");
            if (group is not null && discovered.Contains(group) && props.DiscoveryCallsPerSecond is >= 0.1 and <= 100
                && ScaleInDrain.HeartbeatSeconds(props, group) is var heartbeat and > ScaleInDrain.MaxHeartbeatSeconds)
            {
                problems[nameof(props.DrainOnScaleIn)][i].Add(string.Create(CultureInfo.InvariantCulture,
                    $"'{group}' needs a lifecycle hook of {heartbeat} s ({ScaleInDrain.Explain(props, group)}), past the {ScaleInDrain.MaxHeartbeatSeconds} s EC2 Auto Scaling allows; raise DiscoveryCallsPerSecond, lower MaxCapacity or the pool's DrainTimeout"));
            }
        }

        if (props.InstanceType is not null)
        {
            var agent = NodeAgentBuild.PathFor(NodeAgentBuild.Folder(props.AgentDirectory), new InstanceType(props.InstanceType).Architecture);
            problems[nameof(props.AgentDirectory)].Require(File.Exists(agent),
                $"every node runs the node agent, but {agent} does not exist; run 'make agent' (make synth does), or set AgentDirectory to where it was published");
        }

        problems[nameof(props.TcpIdleTimeout)].Require(props.TcpIdleTimeout is null || (props.TcpIdleTimeout.Value.Ticks % TimeSpan.TicksPerSecond == 0 && props.TcpIdleTimeout.Value.TotalSeconds is >= 60 and <= 6000),
            $"{props.TcpIdleTimeout} is not an NLB idle timeout; use whole seconds from 60 to 6000");
        if (props.Haproxy?.Defaults.TcpKeepAlive?.Idle is { } probeAfter && NlbIdleTimeout(props) is var nlbIdle && probeAfter >= nlbIdle)
        {
            problems[nameof(props.Haproxy)]["Defaults"]["TcpKeepAlive"]["Idle"].Add(
                $"{probeAfter.TotalSeconds} s is not under the NLB's idle timeout ({nlbIdle.TotalSeconds} s), which drops a silent flow before its first probe; use less than {nlbIdle.TotalSeconds} s");
        }

        foreach (var problem in props.Rollout?.Problems() ?? [])
        {
            problems[nameof(props.Rollout)].Add(problem);
        }

        problems[nameof(props.Bake)].Require(props.Bake is not null, "is null; use NodeBake.None for no bake");
        foreach (var problem in props.Bake?.Problems() ?? [])
        {
            problems[nameof(props.Bake)].Add(problem);
        }

        if (props.Bake?.Enabled == true && props.Haproxy is { } baked)
        {
            var d = baked.Defaults;
            problems[nameof(props.Bake)].Require(d.JsonAccessLog && d.AccessLogFields.Contains(AccessLogField.Status) && d.AccessLogFields.Contains(AccessLogField.Termination),
                "reads the JSON access log's status and termination fields, but Haproxy.Defaults does not log them; set JsonAccessLog and keep Status and Termination in AccessLogFields, or use NodeBake.None");
            problems[nameof(props.Bake)].Require(baked.Global.LoopbackTcpLogPort is not null,
                $"reads the access log the node's rsyslog writes, but Haproxy.Global.LogTarget is {Syntax.Show(baked.Global.LogTarget)}; leave LogTarget at its default (tcp@127.0.0.1:{GlobalSettings.NodeSyslogPort}), or use NodeBake.None");
        }

        problems[nameof(props.ZonalShift)].Require(props.ZonalShift is not null, "is null; use ZonalShift.Off, Manual or Autoshift()");
        foreach (var problem in props.ZonalShift?.Problems() ?? [])
        {
            problems[nameof(props.ZonalShift)].Add(problem);
        }

        return problems;
    }

    /// <summary>The shortest time the NLB keeps a silent flow: the TCP listener's, or the TLS listener's fixed 350 s.</summary>
    private static TimeSpan NlbIdleTimeout(HaproxyClusterProps props)
    {
        var awsDefault = TimeSpan.FromSeconds(350);
        var tcp = props.TcpIdleTimeout ?? awsDefault;
        return props.CertificateArn is null || tcp < awsDefault ? tcp : awsDefault;
    }

    private void WriteNodeFiles()
    {
        Bundle.WriteTo(Path.Combine(NodeFilesDirectory, "etc", "haproxy"));
        File.WriteAllText(Path.Combine(NodeFilesDirectory, "user-data.sh"), UserDataScript);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,30}\\z")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+\\z")]
    private static partial Regex CertificateArn();
}
