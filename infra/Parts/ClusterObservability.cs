using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SNS;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Infra;

/// <summary>
/// What the cluster tells its operators: the SNS topic every alarm and scaling event notifies and
/// the log group for access and bootstrap logs (made first, as the nodes need both), then the
/// alarms (unhealthy nodes, too few healthy nodes, 5xx rate) and the dashboard once the load
/// balancer and the nodes exist.
/// </summary>
internal sealed class ClusterObservability
{
    private readonly Construct _scope;
    private readonly HaproxyClusterProps _props;

    /// <summary>Adds the topic and the log group to <paramref name="scope"/> as <c>Alarms</c> and <c>Logs</c>.</summary>
    public ClusterObservability(Construct scope, HaproxyClusterProps props)
    {
        _scope = scope;
        _props = props;
        Alarms = new Topic(scope, "Alarms", new TopicProps { EnforceSSL = true, MasterKey = Amazon.CDK.AWS.KMS.Alias.FromAliasName(scope, "SnsKey", "alias/aws/sns") });
        LogGroup = new LogGroup(scope, "Logs", new LogGroupProps
        {
            LogGroupName = LogGroupName,
            Retention = props.LogRetention,
            RemovalPolicy = props.LogsRemovalPolicy,
        });
    }

    /// <summary>The SNS topic every alarm notifies.</summary>
    public Topic Alarms { get; }

    /// <summary>The log group for access and bootstrap logs.</summary>
    public LogGroup LogGroup { get; }

    /// <summary>The log group's name: <c>/haproxy-cluster/ENV</c>.</summary>
    public string LogGroupName => $"/haproxy-cluster/{_props.EnvironmentName}";

    /// <summary>The alarms that roll a rules deployment back, once <see cref="Watch"/> has made them.</summary>
    public IReadOnlyList<Alarm> RolloutMonitors { get; private set; } = [];

    /// <summary>The cluster's own outcome in one alarm (a practice run takes one): 5xx past the alarm's rate, or a node failing its checks.</summary>
    public IAlarm? OutcomeAlarm { get; private set; }

    /// <summary>The CloudWatch dashboard, once <see cref="Watch"/> has made it.</summary>
    public Dashboard? Dashboard { get; private set; }

    /// <summary>Adds the alarms, the 5xx metric filter, the dashboard and its URL output.</summary>
    public void Watch(NetworkTargetGroup targets, NetworkLoadBalancer loadBalancer, AutoScalingGroup nodes)
    {
        var env = _props.EnvironmentName;
        var metrics = targets.Metrics;
        var unhealthy = new Alarm(_scope, "UnhealthyNodes", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-unhealthy-nodes",
            AlarmDescription = "A node fails the NLB's health check: its HAProxy is down or reaches no server of the default pool.",
            Metric = metrics.UnHealthyHostCount(new MetricOptions { Period = Duration.Minutes(1), Statistic = "Maximum" }),
            Threshold = 0,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 2,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        var fewHealthy = new Alarm(_scope, "TooFewHealthyNodes", new AlarmProps
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
        var filter = new MetricFilter(_scope, "Http5xxFilter", new MetricFilterProps
        {
            LogGroup = LogGroup,
            FilterPattern = FilterPattern.NumberValue("$.status", ">=", 500),
            MetricNamespace = NodeAgentMetrics.Namespace(env),
            MetricName = "Http5xx",
            MetricValue = "1",
            DefaultValue = 0,
        });
        var http5xx = filter.Metric(new MetricOptions { Statistic = "Sum", Period = Duration.Minutes(1) });
        var errors = new Alarm(_scope, "Http5xxRate", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-5xx",
            AlarmDescription = $"More than {_props.Http5xxPerMinuteAlarm} HAProxy responses a minute were 5xx.",
            Metric = http5xx,
            Threshold = _props.Http5xxPerMinuteAlarm,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 3,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });
        var failedApplies = new Alarm(_scope, "FailedRuleApplies", new AlarmProps
        {
            AlarmName = $"haproxy-cluster-{env}-failed-rule-applies",
            AlarmDescription = "A node refused or reverted a rules version (haproxy -c, or its health check after the reload): AppConfig rolls the deployment back.",
            Metric = AgentMetric(NodeAgentMetrics.FailedApplies, new Dictionary<string, string>()),
            Threshold = 0,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });

        // The rules rollout's monitors: a node that fails, errors that rise, a version a node refused.
        // Not too-few-healthy: it also fires while the group is below its minimum for reasons of its
        // own (first creation, a replacement), which is no reason to take rules back.
        RolloutMonitors = [unhealthy, errors, failedApplies];
        OutcomeAlarm = new CompositeAlarm(_scope, "Outcome", new CompositeAlarmProps
        {
            CompositeAlarmName = $"haproxy-cluster-{env}-outcome",
            AlarmDescription = "The cluster serves badly: 5xx past the alarm's rate, or a node failing the NLB's health check.",
            AlarmRule = AlarmRule.AnyOf(errors, unhealthy),
        });
        var unslotted = _props.Haproxy.Pools.Where(p => p.Discovery is Ec2Discovery).Select(p => UnslottedAlarm(p.Name));
        List<Alarm> expiring = _props.NodeTls is { } tls ? [.. tls.Certificates.Select(c => ExpiryAlarm(c.Name, tls))] : [];
        var action = new SnsAction(Alarms);
        foreach (var alarm in new[] { unhealthy, fewHealthy, errors, failedApplies }.Concat(unslotted).Concat(expiring))
        {
            alarm.AddAlarmAction(action);
            alarm.AddOkAction(action);
        }

        Dashboard = new Dashboard(_scope, "Dashboard", new DashboardProps { DashboardName = $"haproxy-cluster-{env}" });
        Dashboard.AddWidgets(new AlarmStatusWidget(new AlarmStatusWidgetProps { Title = "Alarms", Alarms = [unhealthy, fewHealthy, errors, failedApplies], Width = 24 }));
        Dashboard.AddWidgets(
            new GraphWidget(new GraphWidgetProps { Title = "Nodes (NLB view)", Left = [metrics.HealthyHostCount(), metrics.UnHealthyHostCount()], Width = 8 }),
            new GraphWidget(new GraphWidgetProps { Title = "HAProxy 5xx per minute", Left = [http5xx], Width = 8 }),
            new GraphWidget(new GraphWidgetProps
            {
                Title = "NLB flows and bytes",
                Left = [loadBalancer.Metrics.ActiveFlowCount(), loadBalancer.Metrics.NewFlowCount()],
                Right = [loadBalancer.Metrics.ProcessedBytes()],
                Width = 8,
            }));
        var nodeCpu = new GraphWidget(new GraphWidgetProps
        {
            Title = "Node CPU",
            Left = [new Metric(new MetricProps
            {
                Namespace = "AWS/EC2",
                MetricName = "CPUUtilization",
                DimensionsMap = new Dictionary<string, string> { ["AutoScalingGroupName"] = nodes.AutoScalingGroupName },
                Statistic = "Average",
            })],
            Width = _props.Bake.Enabled ? 16 : 24,
        });
        // A replaced node's bake (HaproxyClusterProps.Bake): what it served so far, and what failed through its own fault.
        Dashboard.AddWidgets(_props.Bake.Enabled
            ? [nodeCpu, new GraphWidget(new GraphWidgetProps
            {
                Title = "New node's bake",
                Left = [AgentMetric(NodeAgentMetrics.BakeRequests, new Dictionary<string, string>(), "Maximum")],
                Right = [AgentMetric(NodeAgentMetrics.BakeOwnFailures, new Dictionary<string, string>(), "Maximum")],
                Width = 8,
            })]
            : [nodeCpu]);
        if (_props.NodeTls is { } served)
        {
            Dashboard.AddWidgets(new GraphWidget(new GraphWidgetProps
            {
                Title = "Certificate days left (fewest on any node)",
                Left = [.. served.Certificates.Select(c => DaysLeft(c.Name, served))],
                LeftAnnotations = [new HorizontalAnnotation { Value = served.AlarmBeforeExpiry.TotalDays, Label = "alarm" }],
                Width = 24,
            }));
        }

        var region = Stack.Of(_scope).Region;
        _ = new CfnOutput(_scope, "DashboardUrl", new CfnOutputProps
        {
            Value = $"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name=haproxy-cluster-{env}",
            Description = "CloudWatch dashboard of the cluster.",
        });
    }

    /// <summary>
    /// Instances of an EC2-discovered pool that found no slot on some node: they get no traffic
    /// until the pool's <c>Slots</c> grows (a config change, so a reload on purpose).
    /// </summary>
    private Alarm UnslottedAlarm(string pool) => new(_scope, $"Unslotted-{pool}", new AlarmProps
    {
        AlarmName = $"haproxy-cluster-{_props.EnvironmentName}-{pool}-unslotted",
        AlarmDescription = $"Pool {pool} has more instances than slots: the newest get no traffic. Raise its Ec2Discovery Slots.",
        Metric = AgentMetric(NodeAgentMetrics.Unslotted, new Dictionary<string, string> { [NodeAgentMetrics.PoolDimension] = pool }, "Maximum"),
        Threshold = 0,
        ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
        EvaluationPeriods = 2,
        TreatMissingData = TreatMissingData.NOT_BREACHING,
    });

    /// <summary>
    /// A certificate the nodes serve expires within <see cref="NodeTls.AlarmBeforeExpiry"/>: nobody
    /// put a renewal in its parameter, or the agents refused it (their CertificateRefused events say
    /// why). The nodes report at every refresh, so the period is the refresh, and a period with no
    /// report keeps the alarm as it was.
    /// </summary>
    private Alarm ExpiryAlarm(string certificate, NodeTls tls) => new(_scope, $"CertificateExpiry-{certificate}", new AlarmProps
    {
        AlarmName = $"haproxy-cluster-{_props.EnvironmentName}-certificate-{certificate}-expiring",
        AlarmDescription = $"Certificate {certificate} has less than {(int)tls.AlarmBeforeExpiry.TotalDays} days left on some node. Put a renewed chain and key in its parameter; the nodes swap it in with no reload.",
        Metric = DaysLeft(certificate, tls),
        Threshold = tls.AlarmBeforeExpiry.TotalDays,
        ComparisonOperator = ComparisonOperator.LESS_THAN_THRESHOLD,
        EvaluationPeriods = 1,
        TreatMissingData = TreatMissingData.IGNORE,
    });

    /// <summary>The fewest days <paramref name="certificate"/> has left on any node, over one refresh (rounded up to a minute).</summary>
    private Metric DaysLeft(string certificate, NodeTls tls) =>
        AgentMetric(NodeAgentMetrics.CertificateDaysLeft, new Dictionary<string, string> { [NodeAgentMetrics.CertificateDimension] = certificate }, "Minimum",
            Duration.Minutes(Math.Ceiling(tls.Refresh.TotalMinutes)));

    /// <summary>A metric the node agent sends (as EMF), per minute unless said.</summary>
    private Metric AgentMetric(string name, IDictionary<string, string> dimensions, string statistic = "Sum", Duration? period = null) => new(new MetricProps
    {
        Namespace = NodeAgentMetrics.Namespace(_props.EnvironmentName),
        MetricName = name,
        DimensionsMap = dimensions,
        Statistic = statistic,
        Period = period ?? Duration.Minutes(1),
    });
}
