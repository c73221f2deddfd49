using Amazon.CDK.Assertions;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>Fine-grained assertions on the synthesized templates, one property each.</summary>
public class HaproxyClusterTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    [Theory]
    [InlineData("dev")]
    [InlineData("staging")]
    [InlineData("prod")]
    public void Nlb_is_internet_facing_cross_zone_with_its_own_security_group_and_access_logs(string env)
    {
        // GIVEN the environment  WHEN it is synthesized
        var template = app.Templates[env];

        // THEN one network load balancer spans every public subnet
        template.ResourceCountIs("AWS::ElasticLoadBalancingV2::LoadBalancer", 1);
        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", Props(
            ("Type", "network"),
            ("Scheme", "internet-facing"),
            ("SecurityGroups", CdkMatch.AnyValue()),
            ("Subnets", CdkMatch.Exact(new object[] { CdkMatch.AnyValue(), CdkMatch.AnyValue(), CdkMatch.AnyValue() })),
            ("LoadBalancerAttributes", CdkMatch.ArrayWith([
                Props(("Key", "load_balancing.cross_zone.enabled"), ("Value", "true")),
                Props(("Key", "access_logs.s3.enabled"), ("Value", "true")),
            ]))));
    }

    [Fact]
    public void Prod_s_nlb_refuses_deletion_and_the_other_environments_can_be_destroyed()
    {
        var protectedNlb = Props(("LoadBalancerAttributes", CdkMatch.ArrayWith([Props(("Key", "deletion_protection.enabled"), ("Value", "true"))])));

        app.Templates["prod"].HasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", protectedNlb);
        Assert.Empty(app.Templates["dev"].FindResources("AWS::ElasticLoadBalancingV2::LoadBalancer", Props(("Properties", protectedNlb))));
    }

    [Theory]
    [InlineData("dev", "Delete")]
    [InlineData("staging", "Retain")]
    [InlineData("prod", "Retain")]
    public void Each_environment_chooses_whether_its_logs_outlive_the_stack(string env, string policy)
    {
        var template = app.Templates[env];

        template.HasResource("AWS::Logs::LogGroup", Props(("Properties", Props(("LogGroupName", $"/haproxy-cluster/{env}"))), ("DeletionPolicy", policy), ("UpdateReplacePolicy", policy)));
        template.HasResource("AWS::S3::Bucket", Props(("Properties", Props(("LifecycleConfiguration", CdkMatch.AnyValue()))), ("DeletionPolicy", policy), ("UpdateReplacePolicy", policy)));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Logs_describe_log_groups_is_granted_on_star_in_a_statement_of_its_own(string env)
    {
        // It takes no resource-level permission: on the log group's ARN, where it was, it granted nothing.
        app.Templates[env].HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", CdkMatch.ArrayWith([
            Props(("Effect", "Allow"), ("Action", new[] { "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents" }), ("Resource", Props(("Fn::GetAtt", CdkMatch.AnyValue())))),
            Props(("Sid", "CloudWatchAgentFindsItsLogGroup"), ("Effect", "Allow"), ("Action", "logs:DescribeLogGroups"), ("Resource", "*")),
        ]))))));
    }

    [Fact]
    public void Access_log_bucket_is_encrypted_private_and_expires_logs()
    {
        app.Templates["dev"].HasResourceProperties("AWS::S3::Bucket", Props(
            ("BucketEncryption", Props(("ServerSideEncryptionConfiguration", new object[] { Props(("ServerSideEncryptionByDefault", Props(("SSEAlgorithm", "AES256")))) }))),
            ("PublicAccessBlockConfiguration", Props(("BlockPublicAcls", true), ("BlockPublicPolicy", true), ("IgnorePublicAcls", true), ("RestrictPublicBuckets", true))),
            ("LifecycleConfiguration", Props(("Rules", CdkMatch.ArrayWith([CdkMatch.ObjectLike(Props(("ExpirationInDays", 90), ("Status", "Enabled")))]))))));
    }

    [Fact]
    public void Tcp_listener_on_80_and_on_443_a_tls_listener_with_a_modern_policy_where_a_certificate_is_set_else_tcp_to_the_nodes_tls()
    {
        var prod = app.Templates["prod"];
        var dev = app.Templates["dev"];

        prod.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Props(("Port", 80), ("Protocol", "TCP")));
        prod.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Props(
            ("Port", 443),
            ("Protocol", "TLS"),
            ("SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
            ("AlpnPolicy", new[] { "HTTP2Preferred" }),
            ("Certificates", new object[] { Props(("CertificateArn", Environments.Prod.Cluster.CertificateArn!)) })));
        dev.ResourceCountIs("AWS::ElasticLoadBalancingV2::Listener", 2);
        dev.HasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Props(("Port", 443), ("Protocol", "TCP"), ("Certificates", CdkMatch.Absent()), ("SslPolicy", CdkMatch.Absent())));
    }

    [Fact]
    public void Target_group_sends_proxy_v2_and_health_checks_haproxy_every_10_seconds_with_2_2_thresholds()
    {
        app.Templates["prod"].HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Props(
            ("Protocol", "TCP"),
            ("Port", 80),
            ("TargetType", "instance"),
            ("HealthCheckProtocol", "HTTP"),
            ("HealthCheckPort", "8081"),
            ("HealthCheckPath", "/haproxy-health"),
            ("HealthCheckIntervalSeconds", 10),
            ("HealthyThresholdCount", 2),
            ("UnhealthyThresholdCount", 2),
            ("TargetGroupAttributes", CdkMatch.ArrayWith([
                Props(("Key", "deregistration_delay.timeout_seconds"), ("Value", "30")),
                Props(("Key", "proxy_protocol_v2.enabled"), ("Value", "true")),
                Props(("Key", "deregistration_delay.connection_termination.enabled"), ("Value", "true")),
            ]))));
        app.Templates["prod"].HasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", Props(("Port", 8443), ("Protocol", "TCP")));
    }

    [Fact]
    public void Launch_template_requires_imdsv2_encrypts_gp3_and_has_no_ssh_key()
    {
        var template = app.Templates["prod"];

        template.HasResourceProperties("AWS::EC2::LaunchTemplate", Props(("LaunchTemplateData", CdkMatch.ObjectLike(Props(
            ("MetadataOptions", CdkMatch.ObjectLike(Props(("HttpTokens", "required"), ("InstanceMetadataTags", "enabled")))),
            ("BlockDeviceMappings", new object[] { Props(("DeviceName", "/dev/xvda"), ("Ebs", Props(("Encrypted", true), ("VolumeSize", 20), ("VolumeType", "gp3")))) }),
            ("IamInstanceProfile", CdkMatch.AnyValue()),
            ("KeyName", CdkMatch.Absent()))))));
    }

    [Fact]
    public void Node_role_reads_its_agent_writes_its_logs_and_signals_its_stack()
    {
        var template = app.Templates["dev"];

        var role = template.FindResources("AWS::IAM::Role", Props(("Properties", Props(("Description", CdkMatch.StringLikeRegexp("^HAProxy node"))))));
        Assert.Contains(":iam::aws:policy/AmazonSSMManagedInstanceCore", System.Text.Json.JsonSerializer.Serialize(Assert.Single(role).Value), StringComparison.Ordinal);
        template.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", CdkMatch.ArrayWith([
            // The node agent, and no other object of the asset bucket (the rules come from AppConfig)
            Props(("Action", "s3:GetObject"), ("Effect", "Allow"), ("Resource",
                CdkMatch.StringLikeRegexp("^arn:aws:s3:::cdk-hnb659fds-assets-123456789012-eu-west-1/[0-9a-f]{64}[.][0-9a-f]{64}$"))),
            Props(("Action", "cloudformation:SignalResource"), ("Effect", "Allow"), ("Resource", Props(("Ref", "AWS::StackId")))),
        ]))))));
    }

    [Theory]
    [InlineData("dev", "ami-00000000000000001")]
    [InlineData("prod", "ami-00000000000000002")]
    public void Nodes_boot_the_image_pinned_in_the_committed_context_not_the_newest_at_deploy_time(string env, string pinned)
    {
        var template = app.Templates[env];

        // The launch template names the image itself; no SSM parameter resolves a newer one at deploy.
        template.HasResourceProperties("AWS::EC2::LaunchTemplate", Props(("LaunchTemplateData", CdkMatch.ObjectLike(Props(("ImageId", pinned))))));
        Assert.DoesNotContain("AWS::EC2::Image::Id", System.Text.Json.JsonSerializer.Serialize(template.ToJSON()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prod", "3", "12", 3)]
    [InlineData("staging", "3", "6", 3)]
    [InlineData("dev", "2", "3", 3)]
    public void Group_takes_its_capacity_from_the_environment_and_spreads_over_every_zone(string env, string min, string max, int zones)
    {
        var template = app.Templates[env];

        template.HasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Props(
            ("MinSize", min),
            ("MaxSize", max),
            ("HealthCheckType", "ELB"),
            ("HealthCheckGracePeriod", 300),
            ("VPCZoneIdentifier", CdkMatch.Exact(Enumerable.Repeat(CdkMatch.AnyValue(), zones).ToArray()))));
    }

    [Fact]
    public void Creation_and_rolling_update_wait_for_signals_so_a_broken_config_rolls_back()
    {
        app.Templates["prod"].HasResource("AWS::AutoScaling::AutoScalingGroup", Props(
            ("CreationPolicy", Props(("ResourceSignal", Props(("Count", 3), ("Timeout", "PT15M"))))),
            ("UpdatePolicy", Props(("AutoScalingRollingUpdate", Props(
                ("MaxBatchSize", 1),
                ("MinInstancesInService", 3),
                ("PauseTime", "PT15M"),
                ("WaitOnResourceSignals", true)))))));
    }

    [Theory]
    [InlineData("prod", 10_000)]
    [InlineData("staging", 5_000)]
    [InlineData("dev", 1_000)]
    public void Group_scales_on_cpu_and_on_sessions_per_node_with_the_environments_target(string env, int sessions)
    {
        var template = app.Templates[env];

        template.ResourceCountIs("AWS::AutoScaling::ScalingPolicy", 2);
        template.HasResourceProperties("AWS::AutoScaling::ScalingPolicy", Props(
            ("PolicyType", "TargetTrackingScaling"),
            ("TargetTrackingConfiguration", CdkMatch.ObjectLike(Props(
                ("PredefinedMetricSpecification", Props(("PredefinedMetricType", "ASGAverageCPUUtilization"))),
                ("TargetValue", 50))))));
        // The metric each node's CloudWatch agent publishes, averaged over the group: sessions per node.
        template.HasResourceProperties("AWS::AutoScaling::ScalingPolicy", Props(
            ("PolicyType", "TargetTrackingScaling"),
            ("TargetTrackingConfiguration", Props(
                ("CustomizedMetricSpecification", Props(
                    ("Namespace", $"HaproxyCluster/{env}"),
                    ("MetricName", "haproxy_frontend_current_sessions"),
                    ("Dimensions", new object[] { Props(("Name", "AutoScalingGroupName"), ("Value", Props(("Ref", CdkMatch.StringLikeRegexp("^ClusterNodesASG"))))) }),
                    ("Statistic", "Average"))),
                ("TargetValue", sessions)))));
    }

    [Fact]
    public void Nlb_group_admits_only_listener_ports_and_nodes_admit_only_the_nlb_and_the_vpc()
    {
        var template = app.Templates["prod"];

        template.HasResourceProperties("AWS::EC2::SecurityGroup", Props(
            ("GroupDescription", "HAProxy cluster NLB: listener ports from clients"),
            ("SecurityGroupIngress", CdkMatch.Exact(new object[]
            {
                CdkMatch.ObjectLike(Props(("CidrIp", "0.0.0.0/0"), ("FromPort", 80), ("ToPort", 80))),
                CdkMatch.ObjectLike(Props(("CidrIp", "0.0.0.0/0"), ("FromPort", 443), ("ToPort", 443))),
            }))));
        foreach (var port in new[] { 80, 8443, 8081 })
        {
            template.HasResourceProperties("AWS::EC2::SecurityGroupIngress", Props(
                ("FromPort", port), ("ToPort", port), ("IpProtocol", "tcp"), ("SourceSecurityGroupId", CdkMatch.AnyValue())));
        }

        template.HasResourceProperties("AWS::EC2::SecurityGroup", Props(
            ("GroupDescription", CdkMatch.StringLikeRegexp("^HAProxy nodes")),
            ("SecurityGroupIngress", CdkMatch.Exact(new object[] { CdkMatch.ObjectLike(Props(("FromPort", 8404), ("CidrIp", Props(("Fn::GetAtt", new object[] { "ClusterVpcFAA3CEDF", "CidrBlock" }))))) }))));
    }

    [Fact]
    public void Node_egress_is_limited_to_https_and_the_backends_ports_in_the_vpc()
    {
        var groups = app.Templates["prod"].FindResources("AWS::EC2::SecurityGroup", Props(("Properties", Props(("GroupDescription", CdkMatch.StringLikeRegexp("^HAProxy nodes"))))));
        var egress = System.Text.Json.JsonSerializer.Serialize(Assert.Single(groups).Value);

        Assert.DoesNotContain("\"IpProtocol\":\"-1\"", egress, StringComparison.Ordinal);
        Assert.Contains("\"CidrIp\":\"0.0.0.0/0\",\"Description\":\"AWS APIs, the config bundle and packages over HTTPS\",\"FromPort\":443", egress, StringComparison.Ordinal);
        Assert.Contains("\"FromPort\":8080", egress, StringComparison.Ordinal);
    }

    /// <summary>
    /// Lambda runtimes and the day Lambda deprecates each, from AWS's runtime schedule: only ones
    /// still supported a year from now may appear, so the stacks deploy next year too.
    /// </summary>
    private static readonly Dictionary<string, DateOnly> RuntimeDeprecations = new(StringComparer.Ordinal)
    {
        ["nodejs18.x"] = new(2025, 9, 1),
        ["nodejs20.x"] = new(2026, 4, 30),
        ["nodejs22.x"] = new(2027, 4, 30),
        ["nodejs24.x"] = new(2028, 4, 30),
        ["python3.9"] = new(2025, 12, 15),
        ["python3.12"] = new(2028, 10, 31),
        ["python3.13"] = new(2029, 6, 30),
    };

    [Theory]
    [InlineData("dev")]
    [InlineData("staging")]
    [InlineData("prod")]
    public void Every_lambda_runs_on_a_runtime_lambda_supports_through_next_year(string env)
    {
        var runtimes = app.Templates[env].FindResources("AWS::Lambda::Function").Values
            .Select(f => System.Text.Json.JsonSerializer.SerializeToElement(f).GetProperty("Properties").GetProperty("Runtime").GetString()!)
            .ToList();

        Assert.NotEmpty(runtimes); // CDK's provider that empties the default security group, at least
        Assert.All(runtimes, runtime => Assert.True(
            RuntimeDeprecations.TryGetValue(runtime, out var deprecated) && deprecated > new DateOnly(2027, 12, 31),
            $"{runtime} is deprecated, or soon, or not in the schedule this test knows"));
    }

    [Fact]
    public void Logs_are_kept_a_month_and_every_alarm_notifies_the_topic()
    {
        var template = app.Templates["prod"];

        template.HasResourceProperties("AWS::Logs::LogGroup", Props(("LogGroupName", "/haproxy-cluster/prod"), ("RetentionInDays", 30)));
        template.HasResourceProperties("AWS::Logs::MetricFilter", Props(("FilterPattern", "{ $.status >= 500 }")));
        template.ResourceCountIs("AWS::CloudWatch::Alarm", 4);
        foreach (var (metric, comparison, threshold) in new[] { ("UnHealthyHostCount", "GreaterThanThreshold", 0), ("HealthyHostCount", "LessThanThreshold", 3), ("Http5xx", "GreaterThanThreshold", 10), ("FailedRuleApplies", "GreaterThanThreshold", 0) })
        {
            template.HasResourceProperties("AWS::CloudWatch::Alarm", Props(
                ("MetricName", metric),
                ("ComparisonOperator", comparison),
                ("Threshold", threshold),
                ("AlarmActions", new object[] { Props(("Ref", "ClusterAlarms39EBAE5D")) })));
        }

        template.ResourceCountIs("AWS::CloudWatch::Dashboard", 1);
    }

    [Fact]
    public void Outputs_name_the_nlb_the_log_group_and_the_dashboard()
    {
        var outputs = app.Templates["prod"].FindOutputs("*");

        Assert.Equal(["ClusterDashboardUrl652FEDC2", "ClusterLoadBalancerDnsNameB145E037", "ClusterLogGroupName8018497F"], outputs.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>A replaced NLB gets a new DNS name; a refactor must never do that silently.</summary>
    [Theory]
    [InlineData("AWS::ElasticLoadBalancingV2::LoadBalancer", "ClusterNlbC24C5CB7")]
    [InlineData("AWS::ElasticLoadBalancingV2::Listener", "ClusterNlbHttpListenerC340B45D", "ClusterNlbTlsListenerD2B923E5")]
    [InlineData("AWS::ElasticLoadBalancingV2::TargetGroup", "ClusterHttpTargets20BAFCB8", "ClusterTlsTargetsED8A3FE7")]
    [InlineData("AWS::EC2::VPC", "ClusterVpcFAA3CEDF")]
    public void Logical_ids_of_the_nlb_listeners_target_groups_and_vpc_are_pinned(string type, params string[] logicalIds)
    {
        var resources = app.Templates["prod"].FindResources(type);

        Assert.Equal(logicalIds, resources.Keys.Order(StringComparer.Ordinal));
    }
}
