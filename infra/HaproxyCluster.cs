using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.S3.Assets;
using Amazon.CDK.AWS.SNS;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.UserData;
using AsgHealthCheck = Amazon.CDK.AWS.AutoScaling.HealthCheck;
using BlockDevice = Amazon.CDK.AWS.EC2.BlockDevice;
using BlockDeviceVolume = Amazon.CDK.AWS.EC2.BlockDeviceVolume;
using EbsDeviceVolumeType = Amazon.CDK.AWS.EC2.EbsDeviceVolumeType;
using InstanceType = Amazon.CDK.AWS.EC2.InstanceType;
using LbHealthCheck = Amazon.CDK.AWS.ElasticLoadBalancingV2.HealthCheck;
using Protocol = Amazon.CDK.AWS.ElasticLoadBalancingV2.Protocol;

namespace HaproxyCluster.Infra;

/// <summary>
/// A highly available HAProxy layer: a cross-zone Network Load Balancer in TCP mode in front of an
/// auto-scaling group of identical HAProxy nodes in private subnets. Each node boots from a
/// generated, fail-closed user data script that installs the validated config bundle; a changed
/// bundle rolls the group, one node at a time, and a node that cannot serve rolls the change back.
/// </summary>
/// <remarks>
/// Construct ids are part of the contract: renaming one replaces its resource, and a replaced NLB
/// gets a new DNS name. Tests pin the logical ids of the NLB, listeners, target groups and VPC.
/// </remarks>
public sealed class HaproxyCluster : Construct
{
    private readonly HaproxyClusterProps _props;
    private readonly Listeners _listeners;

    /// <summary>Creates the cluster; throws with every problem in <paramref name="props"/> at once.</summary>
    public HaproxyCluster(Construct scope, string id, HaproxyClusterProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        _props = props;
        _listeners = props.Haproxy.Listeners;
        Validate(props);
        Bundle = ConfigRenderer.Render(props.Haproxy);
        var archive = BundleArchive.Create(Bundle);
        NodeFilesDirectory = Path.Combine(Stage.Of(this)!.Outdir, "node-files", props.EnvironmentName);

        Vpc = props.Vpc ?? NewVpc(props);
        Alarms = new Topic(this, "Alarms", new TopicProps { EnforceSSL = true, MasterKey = Amazon.CDK.AWS.KMS.Alias.FromAliasName(this, "SnsKey", "alias/aws/sns") });
        LogGroup = new LogGroup(this, "Logs", new LogGroupProps
        {
            LogGroupName = LogGroupNameOf(props),
            Retention = props.LogRetention,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

        var (nlbSecurityGroup, nodeSecurityGroup) = SecurityGroups();
        LoadBalancer = NewLoadBalancer(nlbSecurityGroup);
        AutoScalingGroup = NewAutoScalingGroup(nodeSecurityGroup, archive, out var launchTemplate, out var asset);
        HttpTargetGroup = Listen("Http", 80, _listeners.HttpPort, null);
        if (props.CertificateArn is { } certificate)
        {
            TlsTargetGroup = Listen("Tls", 443, _listeners.TlsOriginPort!.Value, certificate);
        }

        // The script names the ASG it signals, so it is written once the ASG exists.
        var stack = Stack.Of(this);
        UserDataScript = BootstrapScript.Build(new BootstrapSettings
        {
            StackName = stack.StackName,
            SignalResource = (string)stack.Resolve(stack.GetLogicalId((CfnElement)AutoScalingGroup.Node.DefaultChild!)),
            Region = stack.Region,
            BundleUri = (string)stack.Resolve(asset.S3ObjectUrl),
            BundleSha256 = archive.Sha256,
            LogGroupName = LogGroupNameOf(props),
            HealthPort = _listeners.HealthPort,
            HealthPath = _listeners.HealthPath,
            SyslogPort = props.Haproxy.Global.LoopbackTcpLogPort ?? GlobalSettings.NodeSyslogPort,
        });
        ((CfnLaunchTemplate)launchTemplate.Node.DefaultChild!).AddPropertyOverride("LaunchTemplateData.UserData", Fn.Base64(UserDataScript));

        Observability();
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
    public Dashboard? Dashboard { get; private set; }

    private static string LogGroupNameOf(HaproxyClusterProps props) => $"/haproxy-cluster/{props.EnvironmentName}";

    private static void Validate(HaproxyClusterProps props)
    {
        var errors = new List<ValidationError>();
        void Check(bool ok, string property, string message)
        {
            if (!ok)
            {
                errors.Add(new ValidationError(property, message));
            }
        }

        Check(System.Text.RegularExpressions.Regex.IsMatch(props.EnvironmentName ?? "", "^[a-z][a-z0-9-]{0,30}\\z"), nameof(props.EnvironmentName),
            $"'{props.EnvironmentName}' is not an environment name; use a lower-case letter, then up to 30 lower-case letters, digits or '-'");
        Check(props.MinCapacity >= 1, nameof(props.MinCapacity), $"minCapacity ({props.MinCapacity}) should be at least 1");
        Check(props.MaxCapacity > props.MinCapacity, nameof(props.MaxCapacity),
            $"maxCapacity ({props.MaxCapacity}) should be > minCapacity ({props.MinCapacity}), so a rolling update can add one node before it removes one");
        Check(props.AvailabilityZones is null || props.AvailabilityZones.Count >= 2, nameof(props.AvailabilityZones),
            $"{props.AvailabilityZones?.Count} availability zone(s) given; use at least 2, so losing a zone leaves nodes serving");
        Check(props.TargetCpuPercent is >= 10 and <= 90, nameof(props.TargetCpuPercent), $"{props.TargetCpuPercent} % is out of range; use 10 to 90");
        Check(props.AccessLogDays is >= 1 and <= 3650, nameof(props.AccessLogDays), $"{props.AccessLogDays} days is out of range; use 1 to 3650");
        Check(props.Http5xxPerMinuteAlarm >= 1, nameof(props.Http5xxPerMinuteAlarm), $"{props.Http5xxPerMinuteAlarm} should be at least 1");
        Check(props.CertificateArn is null || System.Text.RegularExpressions.Regex.IsMatch(props.CertificateArn, "^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+\\z"),
            nameof(props.CertificateArn), $"'{props.CertificateArn}' is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)");
        Check(props.CertificateArn is null || props.Haproxy?.Listeners.TlsOriginPort is not null, nameof(props.CertificateArn),
            "a TLS listener needs Haproxy.Listeners.TlsOriginPort, the port its decrypted requests reach");
        Check(props.Haproxy?.Listeners.BindAddress is "" or null, "Haproxy.Listeners.BindAddress",
            $"'{props.Haproxy?.Listeners.BindAddress}' would hide the node from the NLB; leave it empty (every address)");
        Check(props.Haproxy?.Listeners.AcceptProxy ?? true, "Haproxy.Listeners.AcceptProxy", "is false, but the target groups send PROXY protocol v2; set it to true");
        try
        {
            props.Haproxy?.Validate();
        }
        catch (ConfigValidationException e)
        {
            errors.AddRange(e.Errors.Select(error => error with { Property = "Haproxy." + error.Property }));
        }

        if (errors.Count > 0)
        {
            throw new ConfigValidationException(errors);
        }
    }

    private Vpc NewVpc(HaproxyClusterProps props)
    {
        var vpc = new Vpc(this, "Vpc", VpcProps(props));

        // The VPC's default security group is emptied by a custom resource CDK adds to the stack.
        if (Stack.Of(this).Node.TryFindChild("Custom::VpcRestrictDefaultSGCustomResourceProvider")?.Node.TryFindChild("Role") is CfnResource providerRole)
        {
            NagSuppressions.Add(providerRole, ("AwsSolutions-IAM4", "CDK's own provider for restricting the default security group; AWSLambdaBasicExecutionRole only lets it write its logs."));
        }

        return vpc;
    }

    private static VpcProps VpcProps(HaproxyClusterProps props) => new()
    {
        IpAddresses = IpAddresses.Cidr(props.VpcCidr),
        AvailabilityZones = props.AvailabilityZones?.ToArray(),
        MaxAzs = props.AvailabilityZones is null ? 3 : null,
        // One NAT gateway per zone: losing a zone must not cut the others' way out.
        NatGateways = props.AvailabilityZones?.Count ?? 3,
        SubnetConfiguration =
        [
            new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
            new SubnetConfiguration { Name = "nodes", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 22 },
        ],
        GatewayEndpoints = new Dictionary<string, IGatewayVpcEndpointOptions>
        {
            // Bundle and package downloads stay on AWS's network.
            ["S3"] = new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.S3 },
        },
        FlowLogs = new Dictionary<string, IFlowLogOptions>
        {
            ["Rejected"] = new FlowLogOptions { TrafficType = FlowLogTrafficType.REJECT },
        },
    };

    private (SecurityGroup Nlb, SecurityGroup Nodes) SecurityGroups()
    {
        var nlb = new SecurityGroup(this, "NlbSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            Description = "HAProxy cluster NLB: listener ports from clients",
            AllowAllOutbound = false,
        });
        var clients = _props.InternetFacing ? Peer.AnyIpv4() : Peer.Ipv4(Vpc.VpcCidrBlock);
        nlb.AddIngressRule(clients, Port.Tcp(80), "HTTP from clients");
        if (_props.CertificateArn is not null)
        {
            nlb.AddIngressRule(clients, Port.Tcp(443), "HTTPS from clients");
        }

        if (_props.InternetFacing)
        {
            NagSuppressions.Add(nlb, ("AwsSolutions-EC23", "An internet-facing load balancer: its listener ports (80, 443), and only those, are open to everyone."));
        }

        var nodes = new SecurityGroup(this, "NodeSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            Description = "HAProxy nodes: traffic and health checks from the NLB, admin from the VPC",
            AllowAllOutbound = false,
        });
        foreach (var (port, what) in NlbFacingPorts())
        {
            nodes.AddIngressRule(nlb, Port.Tcp(port), $"{what} from the NLB");
            nlb.AddEgressRule(nodes, Port.Tcp(port), $"{what} to the nodes");
        }

        nodes.AddIngressRule(Peer.Ipv4(Vpc.VpcCidrBlock), Port.Tcp(_listeners.AdminPort), "stats and Prometheus metrics from inside the VPC");
        nodes.AddEgressRule(Peer.AnyIpv4(), Port.Tcp(443), "AWS APIs, the config bundle and packages over HTTPS");
        foreach (var port in BackendPorts())
        {
            nodes.AddEgressRule(Peer.Ipv4(Vpc.VpcCidrBlock), Port.Tcp(port), "application backends in the VPC");
        }

        return (nlb, nodes);
    }

    private IEnumerable<(int Port, string What)> NlbFacingPorts()
    {
        yield return (_listeners.HttpPort, "HTTP");
        if (_props.CertificateArn is not null)
        {
            yield return (_listeners.TlsOriginPort!.Value, "decrypted HTTPS");
        }

        yield return (_listeners.HealthPort, "health checks");
    }

    private SortedSet<int> BackendPorts() =>
        [.. _props.Haproxy.Pools.SelectMany(p => p.Servers.Select(s => s.Port).Concat(p.Discovery is { } d ? [d.Port] : []))];

    private NetworkLoadBalancer NewLoadBalancer(SecurityGroup securityGroup)
    {
        var logs = new Bucket(this, "AccessLogs", new BucketProps
        {
            // NLB access logs can only be written to SSE-S3 buckets.
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules = [new LifecycleRule { Expiration = Duration.Days(_props.AccessLogDays), AbortIncompleteMultipartUploadAfter = Duration.Days(1) }],
        });
        NagSuppressions.Add(logs, ("AwsSolutions-S1", "This bucket holds the NLB's access logs; logging access to it would log the logger."));

        var nlb = new NetworkLoadBalancer(this, "Nlb", new NetworkLoadBalancerProps
        {
            Vpc = Vpc,
            InternetFacing = _props.InternetFacing,
            CrossZoneEnabled = true,
            SecurityGroups = [securityGroup],
            VpcSubnets = new SubnetSelection { SubnetType = _props.InternetFacing ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS },
        });
        nlb.LogAccessLogs(logs, "nlb");
        return nlb;
    }

    private NetworkTargetGroup Listen(string name, int listenerPort, int targetPort, string? certificateArn)
    {
        var targets = new NetworkTargetGroup(this, $"{name}Targets", new NetworkTargetGroupProps
        {
            Vpc = Vpc,
            Port = targetPort,
            Protocol = Protocol.TCP,
            TargetType = TargetType.INSTANCE,
            ProxyProtocolV2 = true,
            // Long enough to finish most requests; the ASG waits this long before terminating a node.
            DeregistrationDelay = Duration.Seconds(30),
            HealthCheck = new LbHealthCheck
            {
                Protocol = Protocol.HTTP,
                Port = _listeners.HealthPort.ToString(CultureInfo.InvariantCulture),
                Path = _listeners.HealthPath,
                // AWS's defaults (30 s, 5/2) notice a dead node after about a minute; this takes 20 s.
                Interval = Duration.Seconds(10),
                HealthyThresholdCount = 2,
                UnhealthyThresholdCount = 2,
            },
            Targets = [AutoScalingGroup],
        });
        targets.SetAttribute("deregistration_delay.connection_termination.enabled", "true");

        LoadBalancer.AddListener($"{name}Listener", new BaseNetworkListenerProps
        {
            Port = listenerPort,
            Protocol = certificateArn is null ? Protocol.TCP : Protocol.TLS,
            Certificates = certificateArn is null ? null : [ListenerCertificate.FromArn(certificateArn)],
            SslPolicy = certificateArn is null ? null : SslPolicy.RECOMMENDED_TLS,
            DefaultTargetGroups = [targets],
        });
        return targets;
    }

    private AutoScalingGroup NewAutoScalingGroup(SecurityGroup securityGroup, BundleArchive archive, out LaunchTemplate template, out Asset asset)
    {
        Directory.CreateDirectory(NodeFilesDirectory);
        var archivePath = Path.Combine(Stage.Of(this)!.Outdir, "bundles", $"{_props.EnvironmentName}.tar");
        Directory.CreateDirectory(Path.GetDirectoryName(archivePath)!);
        File.WriteAllBytes(archivePath, archive.Bytes);
        asset = new Asset(this, "Bundle", new AssetProps { Path = archivePath });

        var role = new Role(this, "NodeRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("ec2.amazonaws.com"),
            Description = "HAProxy node: SSM sessions, its config bundle, its logs, its stack signal",
            ManagedPolicies = [ManagedPolicy.FromAwsManagedPolicyName("AmazonSSMManagedInstanceCore")],
        });
        NagSuppressions.Add(role, ("AwsSolutions-IAM4", "AmazonSSMManagedInstanceCore is AWS's least-privilege policy for Session Manager, which replaces SSH."));
        // Exactly this bundle object; asset.GrantRead would allow the whole asset bucket.
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetObject"],
            Resources = [asset.Bucket.ArnForObjects(asset.S3ObjectKey)],
        }));
        LogGroup.GrantWrite(role);
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["logs:DescribeLogStreams", "logs:DescribeLogGroups"],
            Resources = [LogGroup.LogGroupArn],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["cloudformation:SignalResource"],
            Resources = [Aws.STACK_ID],
        }));

        var instanceType = new InstanceType(_props.InstanceType);
        template = new LaunchTemplate(this, "LaunchTemplate", new LaunchTemplateProps
        {
            InstanceType = instanceType,
            MachineImage = MachineImage.LatestAmazonLinux2023(new AmazonLinux2023ImageSsmParameterProps
            {
                CpuType = instanceType.Architecture == InstanceArchitecture.ARM_64 ? AmazonLinuxCpuType.ARM_64 : AmazonLinuxCpuType.X86_64,
            }),
            Role = role,
            SecurityGroup = securityGroup,
            RequireImdsv2 = true,
            HttpPutResponseHopLimit = 1,
            DetailedMonitoring = true,
            BlockDevices =
            [
                new BlockDevice
                {
                    DeviceName = "/dev/xvda",
                    Volume = BlockDeviceVolume.Ebs(20, new Amazon.CDK.AWS.EC2.EbsDeviceOptions { VolumeType = EbsDeviceVolumeType.GP3, Encrypted = true }),
                },
            ],
        });

        var group = new AutoScalingGroup(this, "Nodes", new AutoScalingGroupProps
        {
            Vpc = Vpc,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PRIVATE_WITH_EGRESS },
            LaunchTemplate = template,
            MinCapacity = _props.MinCapacity,
            MaxCapacity = _props.MaxCapacity,
            // The NLB's view decides whether a node is healthy; give a new node time to boot first.
            HealthCheck = AsgHealthCheck.Elb(new ElbHealthCheckOptions { Grace = Duration.Minutes(5) }),
            Signals = Signals.WaitForMinCapacity(new SignalsOptions { Timeout = Duration.Minutes(15) }),
            UpdatePolicy = UpdatePolicy.RollingUpdate(new RollingUpdateOptions
            {
                MaxBatchSize = 1,
                MinInstancesInService = _props.MinCapacity,
                WaitOnResourceSignals = true,
                PauseTime = Duration.Minutes(15),
            }),
            Notifications = [new NotificationConfiguration { Topic = Alarms }],
            DefaultInstanceWarmup = Duration.Minutes(3),
        });
        group.ScaleOnCpuUtilization("Cpu", new CpuUtilizationScalingProps { TargetUtilizationPercent = _props.TargetCpuPercent });
        return group;
    }

    private void Observability()
    {
        var env = _props.EnvironmentName;
        var action = new SnsAction(Alarms);
        var metrics = HttpTargetGroup.Metrics;

        var unhealthy = new Alarm(this, "UnhealthyNodes", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-unhealthy-nodes",
            AlarmDescription = "A node fails the NLB's health check: its HAProxy is down or reaches no server of the default pool.",
            Metric = metrics.UnHealthyHostCount(new MetricOptions { Period = Duration.Minutes(1), Statistic = "Maximum" }),
            Threshold = 0,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 2,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        var fewHealthy = new Alarm(this, "TooFewHealthyNodes", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-too-few-healthy-nodes",
            AlarmDescription = $"Fewer healthy nodes than the group's minimum ({_props.MinCapacity}).",
            Metric = metrics.HealthyHostCount(new MetricOptions { Period = Duration.Minutes(1), Statistic = "Minimum" }),
            Threshold = _props.MinCapacity,
            ComparisonOperator = ComparisonOperator.LESS_THAN_THRESHOLD,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.BREACHING,
        });

        // HAProxy logs one JSON object per request; count those with a 5xx status.
        var filter = new MetricFilter(this, "Http5xxFilter", new MetricFilterProps
        {
            LogGroup = LogGroup,
            FilterPattern = FilterPattern.NumberValue("$.status", ">=", 500),
            MetricNamespace = $"HaproxyCluster/{env}",
            MetricName = "Http5xx",
            MetricValue = "1",
            DefaultValue = 0,
        });
        var http5xx = filter.Metric(new MetricOptions { Statistic = "Sum", Period = Duration.Minutes(1) });
        var errors = new Alarm(this, "Http5xxRate", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-5xx",
            AlarmDescription = $"More than {_props.Http5xxPerMinuteAlarm} HAProxy responses a minute were 5xx.",
            Metric = http5xx,
            Threshold = _props.Http5xxPerMinuteAlarm,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        foreach (var alarm in new[] { unhealthy, fewHealthy, errors })
        {
            alarm.AddAlarmAction(action);
            alarm.AddOkAction(action);
        }

        Dashboard = new Dashboard(this, "Dashboard", new DashboardProps { DashboardName = $"haproxy-cluster-{env}" });
        Dashboard.AddWidgets(
            new AlarmStatusWidget(new AlarmStatusWidgetProps { Title = "Alarms", Alarms = [unhealthy, fewHealthy, errors], Width = 24 }));
        Dashboard.AddWidgets(
            new GraphWidget(new GraphWidgetProps { Title = "Nodes (NLB view)", Left = [metrics.HealthyHostCount(), metrics.UnHealthyHostCount()], Width = 8 }),
            new GraphWidget(new GraphWidgetProps { Title = "HAProxy 5xx per minute", Left = [http5xx], Width = 8 }),
            new GraphWidget(new GraphWidgetProps
            {
                Title = "NLB flows and bytes",
                Left = [LoadBalancer.Metrics.ActiveFlowCount(), LoadBalancer.Metrics.NewFlowCount()],
                Right = [LoadBalancer.Metrics.ProcessedBytes()],
                Width = 8,
            }));
        Dashboard.AddWidgets(new GraphWidget(new GraphWidgetProps
        {
            Title = "Node CPU",
            Left = [new Metric(new MetricProps
            {
                Namespace = "AWS/EC2",
                MetricName = "CPUUtilization",
                DimensionsMap = new Dictionary<string, string> { ["AutoScalingGroupName"] = AutoScalingGroup.AutoScalingGroupName },
                Statistic = "Average",
            })],
            Width = 24,
        }));

        var stack = Stack.Of(this);
        _ = new CfnOutput(this, "DashboardUrl", new CfnOutputProps
        {
            Value = $"https://{stack.Region}.console.aws.amazon.com/cloudwatch/home?region={stack.Region}#dashboards:name=haproxy-cluster-{env}",
            Description = "CloudWatch dashboard of the cluster.",
        });
    }

    private void WriteNodeFiles()
    {
        Bundle.WriteTo(Path.Combine(NodeFilesDirectory, "etc", "haproxy"));
        File.WriteAllText(Path.Combine(NodeFilesDirectory, "user-data.sh"), UserDataScript);
    }
}
