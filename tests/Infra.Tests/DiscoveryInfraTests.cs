using System.Security.Cryptography;
using System.Text.Json;
using Amazon.CDK.Assertions;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// What an EC2-discovered pool adds to a template: the node agent as an asset the bootstrap checks,
/// the scale-in hook and the function that tags leaving instances, and the unslotted alarm. Dev
/// discovers its API pool from group dev-api and drains it on scale-in; staging and prod discover nothing.
/// </summary>
public class DiscoveryInfraTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private Template Dev => app.Templates["dev"];

    [Fact]
    public void The_user_data_installs_the_agent_built_for_the_nodes_architecture_checked_by_its_sha256()
    {
        // dev runs t3.small, an x86-64 type: the x64 executable, byte for byte
        var built = Path.Combine(RepositoryRoot.Path, ".build", "agent", "linux-x64", "haproxy-cluster-agent");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(built)));

        var script = app.Stacks["dev"].Cluster.UserDataScript;

        Assert.Contains($"readonly AGENT_SHA256='{sha256}'\n", script, StringComparison.Ordinal);
        Assert.Matches("readonly AGENT_URI='s3://cdk-hnb659fds-assets-123456789012-eu-west-1/[0-9a-f]{64}[.][0-9a-f]{64}'\n", script);
        Assert.Contains("  \"metricsNamespace\": \"HaproxyCluster/dev\",\n", script, StringComparison.Ordinal);
        Assert.Contains("readonly SERVER_STATE_FILE='/var/lib/haproxy/server-state'\n", script, StringComparison.Ordinal);
        // every node runs the agent, which applies the rules, whether or not a pool is discovered
        Assert.Contains($"readonly AGENT_SHA256='{sha256}'\n", app.Stacks["staging"].Cluster.UserDataScript, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drained_group_gets_a_terminating_hook_that_waits_the_drain_timeout_and_slack_then_continues()
    {
        // dev: a 30 s drain; two passes of its slowest agent (3 nodes at most, one call a pass,
        // 2 calls a second for the fleet: the 5 s interval, 6 s jittered up); 20 s for the event
        Assert.Equal("30 s drain + 2 × 6 s passes of 3 nodes at 2 calls/s + 20 s", ScaleInDrain.Explain(Environments.Dev.Cluster, "dev-api"));
        Dev.ResourceCountIs("AWS::AutoScaling::LifecycleHook", 1);
        Dev.HasResourceProperties("AWS::AutoScaling::LifecycleHook", Props(
            ("AutoScalingGroupName", "dev-api"),
            ("LifecycleHookName", "haproxy-cluster-dev-drain"),
            ("LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"),
            ("HeartbeatTimeout", 30 + (2 * 6) + 20),
            ("DefaultResult", "CONTINUE")));
        foreach (var env in new[] { "staging", "prod" })
        {
            app.Templates[env].ResourceCountIs("AWS::AutoScaling::LifecycleHook", 0);
            app.Templates[env].ResourceCountIs("AWS::Events::Rule", 0);
        }
    }

    [Fact]
    public void The_hooks_event_reaches_the_tagging_function_whose_role_may_only_tag_the_groups_instances_as_leaving()
    {
        Dev.HasResourceProperties("AWS::Events::Rule", Props(
            ("EventPattern", Props(
                ("source", new[] { "aws.autoscaling" }),
                ("detail-type", new[] { "EC2 Instance-terminate Lifecycle Action" }),
                ("detail", Props(("AutoScalingGroupName", new[] { "dev-api" }), ("LifecycleHookName", new[] { "haproxy-cluster-dev-drain" }))))),
            ("Targets", CdkMatch.ArrayWith([CdkMatch.ObjectLike(Props(("RetryPolicy", Props(("MaximumRetryAttempts", 4), ("MaximumEventAgeInSeconds", 120)))))]))));
        Dev.HasResourceProperties("AWS::Lambda::Function", Props(("Runtime", "python3.12"), ("Handler", "index.handler"), ("Timeout", 10)));
        Dev.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", CdkMatch.ArrayWith([Props(
            ("Sid", "TagLeavingInstances"),
            ("Action", "ec2:CreateTags"),
            ("Effect", "Allow"),
            ("Resource", "arn:aws:ec2:eu-west-1:123456789012:instance/*"),
            ("Condition", Props(
                ("StringEquals", Props(("aws:ResourceTag/aws:autoscaling:groupName", new[] { "dev-api" }))),
                ("ForAllValues:StringEquals", Props(("aws:TagKeys", new[] { Ec2Discovery.LeavingTag }))))))]))))));
    }

    [Fact]
    public void The_tagging_function_tags_the_instance_the_event_names_and_nothing_else()
    {
        // GIVEN the function's code exactly as the template carries it, and a recording EC2 client
        var function = Assert.Single(Dev.FindResources("AWS::Lambda::Function", Props(("Properties", Props(("Runtime", "python3.12")))))).Value;
        var code = JsonSerializer.Serialize(function);
        var source = JsonDocument.Parse(code).RootElement.GetProperty("Properties").GetProperty("Code").GetProperty("ZipFile").GetString()!;
        var folder = Directory.CreateTempSubdirectory("scale-in-function-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "index.py"), source);
            File.WriteAllText(Path.Combine(folder, "run.py"), """
                import json, index
                class Ec2:
                    calls = []
                    def create_tags(self, **kwargs):
                        self.calls.append(kwargs)
                ec2 = Ec2()
                event = {"time": "2026-11-28T04:00:00Z", "detail-type": "EC2 Instance-terminate Lifecycle Action",
                         "detail": {"EC2InstanceId": "i-0abc", "AutoScalingGroupName": "dev-api", "LifecycleHookName": "haproxy-cluster-dev-drain",
                                    "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"}}
                result = index.handler(event, None, ec2=ec2)
                print(json.dumps({"calls": ec2.calls, "result": result}))
                """);

            // WHEN the hook's event arrives
            var (exitCode, output) = Command.Run("python3", [Path.Combine(folder, "run.py")]);

            // THEN it made exactly one call: the leaving tag on that instance
            Assert.True(exitCode == 0, output);
            var run = JsonDocument.Parse(output).RootElement;
            var call = Assert.Single(run.GetProperty("calls").EnumerateArray());
            Assert.Equal(["i-0abc"], call.GetProperty("Resources").EnumerateArray().Select(r => r.GetString()));
            var tag = Assert.Single(call.GetProperty("Tags").EnumerateArray());
            Assert.Equal(Ec2Discovery.LeavingTag, tag.GetProperty("Key").GetString());
            Assert.Equal("2026-11-28T04:00:00Z", tag.GetProperty("Value").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Instances_without_a_slot_raise_an_alarm_per_discovered_pool_on_the_agents_metric()
    {
        Dev.HasResourceProperties("AWS::CloudWatch::Alarm", Props(
            ("AlarmName", "haproxy-cluster-dev-api-unslotted"),
            ("Namespace", NodeAgentMetrics.Namespace("dev")),
            ("MetricName", NodeAgentMetrics.Unslotted),
            ("Dimensions", new[] { Props(("Name", NodeAgentMetrics.PoolDimension), ("Value", "api")) }),
            ("Statistic", "Maximum"),
            ("Threshold", 0),
            ("ComparisonOperator", "GreaterThanThreshold"),
            ("AlarmActions", CdkMatch.AnyValue())));
        Assert.Empty(app.Templates["prod"].FindResources("AWS::CloudWatch::Alarm", Props(("Properties", Props(("MetricName", NodeAgentMetrics.Unslotted))))));
    }
}
