using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3.Assets;
using Amazon.CDK.AWS.SNS;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;
using AsgHealthCheck = Amazon.CDK.AWS.AutoScaling.HealthCheck;
using BlockDevice = Amazon.CDK.AWS.EC2.BlockDevice;
using BlockDeviceVolume = Amazon.CDK.AWS.EC2.BlockDeviceVolume;
using EbsDeviceVolumeType = Amazon.CDK.AWS.EC2.EbsDeviceVolumeType;
using InstanceType = Amazon.CDK.AWS.EC2.InstanceType;

namespace HaproxyCluster.Infra;

/// <summary>
/// The HAProxy nodes: the node agent as an S3 asset, a least-privilege role, a launch template
/// whose user data is the fail-closed bootstrap, and the auto-scaling group that rolls one node at
/// a time and waits for each node's signal. The rules are not in the user data: a node reads them
/// from AppConfig (<see cref="RulesDeployment"/>), so a rules change replaces no instance.
/// </summary>
internal sealed class NodeFleet
{
    /// <summary>
    /// Adds <c>Agent</c>, <c>NodeRole</c>, <c>LaunchTemplate</c> and <c>Nodes</c> to <paramref name="scope"/>.
    /// </summary>
    public NodeFleet(Construct scope, IVpc vpc, ISecurityGroup securityGroup, ClusterObservability observability, HaproxyClusterProps props)
    {
        var instanceType = new InstanceType(props.InstanceType);

        // The node agent for the nodes' architecture.
        var agentPath = NodeAgentBuild.PathFor(NodeAgentBuild.Folder(props.AgentDirectory), instanceType.Architecture);
        var agent = new Asset(scope, "Agent", new AssetProps { Path = agentPath });
        NodeRole = Role(scope, agent, observability.LogGroup, props.Haproxy);
        if (props.NodeTls is { } nodeTls)
        {
            ReadCertificates(NodeRole, nodeTls);
        }

        var role = NodeRole;

        var template = new LaunchTemplate(scope, "LaunchTemplate", new LaunchTemplateProps
        {
            InstanceType = instanceType,
            // The image AWS's public parameter names, looked up once and pinned in cdk.context.json: a
            // newer Amazon Linux reaches the nodes only through make refresh-ami and a reviewed diff,
            // never as a side effect of an unrelated deploy.
            MachineImage = MachineImage.LatestAmazonLinux2023(new AmazonLinux2023ImageSsmParameterProps
            {
                CpuType = instanceType.Architecture == InstanceArchitecture.ARM_64 ? AmazonLinuxCpuType.ARM_64 : AmazonLinuxCpuType.X86_64,
                CachedInContext = true,
            }),
            Role = role,
            SecurityGroup = securityGroup,
            RequireImdsv2 = true,
            HttpPutResponseHopLimit = 1,
            // The bootstrap reads the node's group from its tags, the dimension of its load metrics.
            InstanceMetadataTags = true,
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

        AutoScalingGroup = Group(scope, vpc, template, observability.Alarms, props);

        // The script names the ASG it signals, so it is written once the ASG exists.
        var stack = Stack.Of(scope);
        var listeners = props.Haproxy.Listeners;
        UserDataScript = BootstrapScript.Build(new BootstrapSettings
        {
            StackName = stack.StackName,
            SignalResource = (string)stack.Resolve(stack.GetLogicalId((CfnElement)AutoScalingGroup.Node.DefaultChild!)),
            Region = stack.Region,
            Rules = new RulesSource
            {
                Application = RulesDeployment.ApplicationName(props.EnvironmentName),
                Environment = props.EnvironmentName,
                Profile = RulesDeployment.ProfileName,
            },
            RuntimeSocket = props.Haproxy.Global.RuntimeSocketPath,
            LogGroupName = observability.LogGroupName,
            HealthPort = listeners.HealthPort,
            HealthPath = listeners.HealthPath,
            SyslogPort = props.Haproxy.Global.LoopbackTcpLogPort ?? GlobalSettings.NodeSyslogPort,
            TcpKeepAlive = props.Haproxy.Defaults.TcpKeepAlive,
            AdminPort = listeners.AdminPort,
            Bake = props.Bake,
            Tls = props.NodeTls?.Settings(),
            Agent = new NodeAgentSettings
            {
                Uri = (string)stack.Resolve(agent.S3ObjectUrl),
                Sha256 = NodeAgentBuild.Sha256(agentPath),
                MetricsNamespace = NodeAgentMetrics.Namespace(props.EnvironmentName),
                ServerStateFile = props.Haproxy.Global.ServerStateFile,
                Ec2CallsPerSecond = props.DiscoveryCallsPerSecond,
            },
        });
        ((CfnLaunchTemplate)template.Node.DefaultChild!).AddPropertyOverride("LaunchTemplateData.UserData", Fn.Base64(UserDataScript));
    }

    /// <summary>The nodes' group.</summary>
    public AutoScalingGroup AutoScalingGroup { get; }

    /// <summary>The user data, exactly as the launch template carries it.</summary>
    public string UserDataScript { get; }

    /// <summary>The nodes' role.</summary>
    public Role NodeRole { get; }

    /// <summary>
    /// Lets the nodes read the rules configuration at <paramref name="configurationArn"/> (this
    /// environment's profile only), and makes them wait for its first deployment: a node boots on it.
    /// </summary>
    public void ReadRulesFrom(string configurationArn, IConstruct deployment)
    {
        NodeRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ReadRules",
            Actions = ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
            Resources = [configurationArn],
        }));
        AutoScalingGroup.Node.AddDependency(deployment);
    }

    /// <summary>
    /// Lets the nodes read exactly the certificates' parameters, and decrypt with their key only
    /// what SSM decrypts for those parameters (the key's use is tied to each parameter's ARN, which
    /// SSM puts in the encryption context).
    /// </summary>
    private static void ReadCertificates(Role role, NodeTls tls)
    {
        var stack = Stack.Of(role);
        var parameters = tls.Certificates.Select(c => stack.FormatArn(new ArnComponents
        {
            Service = "ssm",
            Resource = "parameter",
            ResourceName = c.Parameter.TrimStart('/'),
            ArnFormat = ArnFormat.SLASH_RESOURCE_NAME,
        })).ToArray();
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ReadCertificates",
            Actions = ["ssm:GetParameter"],
            Resources = parameters,
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "DecryptCertificates",
            Actions = ["kms:Decrypt"],
            Resources = [tls.KmsKeyArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object>
                {
                    ["kms:ViaService"] = $"ssm.{stack.Region}.amazonaws.com",
                    ["kms:EncryptionContext:PARAMETER_ARN"] = parameters,
                },
            },
        }));
    }

    private static Role Role(Construct scope, Asset agent, LogGroup logs, HaproxySpec spec)
    {
        var role = new Role(scope, "NodeRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("ec2.amazonaws.com"),
            Description = "HAProxy node: SSM sessions, its agent, its rules, its logs, its stack signal",
            ManagedPolicies = [ManagedPolicy.FromAwsManagedPolicyName("AmazonSSMManagedInstanceCore")],
        });
        NagSuppressions.Add(role, ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]", "AmazonSSMManagedInstanceCore is AWS's least-privilege policy for Session Manager, which replaces SSH."));

        // Exactly this object (the agent); asset.GrantRead would allow the whole asset bucket.
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["s3:GetObject"],
            Resources = [agent.Bucket.ArnForObjects(agent.S3ObjectKey)],
        }));
        logs.GrantWrite(role);
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["logs:DescribeLogStreams"],
            Resources = [logs.LogGroupArn],
        }));

        // The CloudWatch agent looks its log group up; the action takes no resource-level
        // permission, so on the group's ARN (where it was) it granted nothing.
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchAgentFindsItsLogGroup",
            Actions = ["logs:DescribeLogGroups"],
            Resources = ["*"],
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["cloudformation:SignalResource"],
            Resources = [Aws.STACK_ID],
        }));
        if (spec.NeedsNodeAgent)
        {
            // The node agent lists the discovered pools' instances and its own group's, and nothing more.
            role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "DiscoverPoolInstances",
                Actions = ["ec2:DescribeInstances"],
                Resources = ["*"],
            }));
        }

        NagSuppressions.Add(role.Node.FindChild("DefaultPolicy"), ("AwsSolutions-IAM5[Resource::*]",
            "Only actions that take no resource-level permission (IAM allows only '*') are granted on '*', each a read that changes nothing: logs:DescribeLogGroups, with which the CloudWatch agent finds its log group"
            + (spec.NeedsNodeAgent ? ", and ec2:DescribeInstances, with which the node agent finds the discovered pools' instances." : ".")));
        return role;
    }

    private static AutoScalingGroup Group(Construct scope, IVpc vpc, LaunchTemplate template, ITopic notifications, HaproxyClusterProps props)
    {
        var group = new AutoScalingGroup(scope, "Nodes", new AutoScalingGroupProps
        {
            Vpc = vpc,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PRIVATE_WITH_EGRESS },
            LaunchTemplate = template,
            MinCapacity = props.MinCapacity,
            MaxCapacity = props.MaxCapacity,
            // The NLB's view decides whether a node is healthy; give a new node time to boot first.
            HealthCheck = AsgHealthCheck.Elb(new ElbHealthCheckOptions { Grace = Duration.Minutes(5) }),
            // Each new node signals after its boot and its bake (HaproxyClusterProps.NodePauseTime).
            Signals = Signals.WaitForMinCapacity(new SignalsOptions { Timeout = Duration.Seconds(props.NodePauseTime.TotalSeconds) }),
            UpdatePolicy = UpdatePolicy.RollingUpdate(new RollingUpdateOptions
            {
                MaxBatchSize = 1,
                MinInstancesInService = props.MinCapacity,
                WaitOnResourceSignals = true,
                PauseTime = Duration.Seconds(props.NodePauseTime.TotalSeconds),
            }),
            Notifications = [new NotificationConfiguration { Topic = notifications }],
            DefaultInstanceWarmup = Duration.Minutes(3),
        });
        group.ScaleOnCpuUtilization("Cpu", new CpuUtilizationScalingProps { TargetUtilizationPercent = props.TargetCpuPercent });
        // HAProxy is rarely CPU-bound before it runs out of connections: scale on open sessions too.
        // Target tracking scales out when either policy asks, and in only when both allow it.
        group.ScaleToTrackMetric("Sessions", new MetricTargetTrackingProps
        {
            Metric = new Metric(new MetricProps
            {
                Namespace = NodeAgentMetrics.Namespace(props.EnvironmentName),
                MetricName = NodeLoadMetrics.Sessions,
                DimensionsMap = new Dictionary<string, string> { [NodeLoadMetrics.GroupDimension] = group.AutoScalingGroupName },
                Statistic = Stats.AVERAGE,
                Period = Duration.Seconds(NodeLoadMetrics.ScrapeSeconds),
            }),
            TargetValue = props.TargetSessionsPerNode,
        });
        return group;
    }
}
