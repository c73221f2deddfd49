using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Constructs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using EventRule = Amazon.CDK.AWS.Events.Rule;
using LambdaFunctionTarget = Amazon.CDK.AWS.Events.Targets.LambdaFunction;

namespace HaproxyCluster.Infra;

/// <summary>
/// Scale-in without errors for the backend groups named in <see cref="HaproxyClusterProps.DrainOnScaleIn"/>:
/// a terminating lifecycle hook holds a leaving instance, an EventBridge rule hands the hook's
/// event to a small function that tags the instance <c>haproxy-cluster:leaving</c>, and every
/// node's agent, seeing the tag, drains the instance's slot and empties it once idle. The hook's
/// heartbeat timeout ends the wait (result CONTINUE): no single node knows when every node has
/// drained, and the timeout is the pool's drain timeout plus the agent's polling slack, so the
/// instance is released only after the slowest node had its full drain time.
/// </summary>
internal static class ScaleInDrain
{
    /// <summary>What the hook adds for the scale-in event's delivery to the function and its tagging call.</summary>
    public const int EventSeconds = 20;

    /// <summary>The longest heartbeat timeout EC2 Auto Scaling allows a lifecycle hook.</summary>
    public const int MaxHeartbeatSeconds = 7200;

    /// <summary>The function's code: tag the instance the hook holds, nothing else.</summary>
    public const string FunctionCode = """
        # Tags an instance its auto-scaling group is terminating, so HAProxy nodes drain it.
        TAG = "haproxy-cluster:leaving"


        def handler(event, context, ec2=None):
            if ec2 is None:
                import boto3
                ec2 = boto3.client("ec2")
            detail = event["detail"]
            ec2.create_tags(Resources=[detail["EC2InstanceId"]], Tags=[{"Key": TAG, "Value": event.get("time", "")}])
            return {"tagged": detail["EC2InstanceId"], "group": detail["AutoScalingGroupName"]}

        """;

    /// <summary>Adds the hooks, the rule and the function for <paramref name="props"/>' drained groups, if any.</summary>
    public static void Add(Construct scope, HaproxyClusterProps props)
    {
        if (props.DrainOnScaleIn.Count == 0)
        {
            return;
        }

        var groups = props.DrainOnScaleIn.Order(StringComparer.Ordinal).ToList();
        var hookName = HookName(props.EnvironmentName);
        for (var i = 0; i < groups.Count; i++)
        {
            _ = new CfnLifecycleHook(scope, string.Create(CultureInfo.InvariantCulture, $"ScaleInDrainHook{i + 1}"), new CfnLifecycleHookProps
            {
                AutoScalingGroupName = groups[i],
                LifecycleHookName = hookName,
                LifecycleTransition = "autoscaling:EC2_INSTANCE_TERMINATING",
                HeartbeatTimeout = HeartbeatSeconds(props, groups[i]),
                DefaultResult = "CONTINUE",
            });
        }

        var logs = new LogGroup(scope, "ScaleInDrainLogs", new LogGroupProps { Retention = props.LogRetention, RemovalPolicy = RemovalPolicy.DESTROY });
        var role = new Role(scope, "ScaleInDrainRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = "Tags instances of the drained backend groups as leaving, and writes its own log",
        });
        logs.GrantWrite(role);
        var stack = Stack.Of(scope);
        var instances = $"arn:{stack.Partition}:ec2:{stack.Region}:{stack.Account}:instance/*";
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "TagLeavingInstances",
            Actions = ["ec2:CreateTags"],
            Resources = [instances],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:ResourceTag/aws:autoscaling:groupName"] = groups.ToArray() },
                ["ForAllValues:StringEquals"] = new Dictionary<string, object> { ["aws:TagKeys"] = new[] { Ec2Discovery.LeavingTag } },
            },
        }));
        NagSuppressions.Add(role.Node.FindChild("DefaultPolicy"), ($"AwsSolutions-IAM5[Resource::{instances}]",
            "ec2:CreateTags is on instance/* because the leaving instance is not known until it leaves; the condition allows only instances of the drained groups, and only the haproxy-cluster:leaving tag."));

        var function = new Function(scope, "ScaleInDrainFunction", new FunctionProps
        {
            Runtime = new Runtime(LambdaRuntimes.Python, RuntimeFamily.PYTHON, new LambdaRuntimeProps { SupportsInlineCode = true }),
            Handler = "index.handler",
            Code = Code.FromInline(FunctionCode),
            Role = role,
            LogGroup = logs,
            Timeout = Duration.Seconds(10),
            MemorySize = 128,
            Description = "Tags a terminating backend instance so HAProxy nodes drain it",
        });
        NagSuppressions.Add(function, ("AwsSolutions-L1",
            $"{LambdaRuntimes.Python} is supported by Lambda until 2028-10-31 (a template test fails on a runtime deprecated sooner); the handler is a few lines of the standard library and boto3, and a newer runtime is one constant in LambdaRuntimes."));

        _ = new EventRule(scope, "ScaleInDrainRule", new RuleProps
        {
            Description = "A drained backend group terminates an instance: tag it as leaving",
            EventPattern = new EventPattern
            {
                Source = ["aws.autoscaling"],
                DetailType = ["EC2 Instance-terminate Lifecycle Action"],
                Detail = new Dictionary<string, object>
                {
                    ["AutoScalingGroupName"] = groups.ToArray(),
                    ["LifecycleHookName"] = new[] { hookName },
                },
            },
            Targets = [new LambdaFunctionTarget(function, new Amazon.CDK.AWS.Events.Targets.LambdaFunctionProps { RetryAttempts = 4, MaxEventAge = Duration.Minutes(2) })],
        });
    }

    /// <summary>The hook's name on every drained group: one per cluster, so two clusters can drain one group.</summary>
    public static string HookName(string environmentName) => $"haproxy-cluster-{environmentName}-drain";

    /// <summary>
    /// The hook's heartbeat timeout for <paramref name="group"/>: the longest drain timeout of the
    /// pools that discover it, two of the slowest agent's passes (one to see the leaving tag, one
    /// to spare; at <see cref="HaproxyClusterProps.MaxCapacity"/> nodes within the fleet's call
    /// budget, jitter included), and <see cref="EventSeconds"/>, so the instance is released only
    /// after every node had its full drain time.
    /// </summary>
    public static int HeartbeatSeconds(HaproxyClusterProps props, string group) =>
        DrainSeconds(props.Haproxy, group) + (int)Math.Ceiling(2 * SlowestPass(props).TotalSeconds) + EventSeconds;

    /// <summary>The heartbeat's parts, for a message: <c>30 s drain + 2 × 6 s passes + 20 s</c>.</summary>
    public static string Explain(HaproxyClusterProps props, string group) => string.Create(CultureInfo.InvariantCulture,
        $"{DrainSeconds(props.Haproxy, group)} s drain + 2 × {SlowestPass(props).TotalSeconds:0.#} s passes of {props.MaxCapacity} nodes at {props.DiscoveryCallsPerSecond} calls/s + {EventSeconds} s");

    /// <summary>The longest an agent waits between two passes at the fleet's largest: the paced interval, jittered up.</summary>
    private static TimeSpan SlowestPass(HaproxyClusterProps props) =>
        DiscoveryPacing.Paced(TimeSpan.FromSeconds(NodeSettings.DefaultDiscoveryIntervalSeconds), props.DiscoveryCallsPerSecond, props.MaxCapacity, CallsPerPass(props.Haproxy)) * (1 + DiscoveryPacing.Jitter);

    /// <summary>The calls a pass makes: one per set of tag keys the discovered pools and the nodes' own group filter by.</summary>
    private static int CallsPerPass(HaproxySpec spec) =>
        spec.Pools.Select(p => p.Discovery).OfType<Ec2Discovery>().Select(d => DiscoveryPacing.FilterKeys(d.AutoScalingGroup, d.Tags.Select(t => t.Key)))
            .Append(DiscoveryPacing.FilterKeys("the nodes' group", [])).Distinct(StringComparer.Ordinal).Count();

    private static int DrainSeconds(HaproxySpec spec, string group) =>
        spec.Pools.Select(p => p.Discovery).OfType<Ec2Discovery>().Where(d => d.AutoScalingGroup == group).Max(d => (int)d.DrainTimeout.TotalSeconds);
}
