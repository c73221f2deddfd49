using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using HaproxyCluster.Config;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// The rules as an AppConfig configuration: its application, environment and monitors, the
/// hosted version that is the bundle, each environment's strategy, and what a node may read.
/// </summary>
public class RulesRolloutInfraTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private Template Dev => app.Templates["dev"];

    private static string LogicalId(Template template, string type) => Assert.Single(template.FindResources(type)).Key;

    [Fact]
    public void The_synthesized_version_is_the_clusters_bundle_as_a_hosted_json_payload_that_appconfig_validates()
    {
        var version = Assert.Single(Dev.FindResources("AWS::AppConfig::HostedConfigurationVersion")).Value;
        var properties = JsonSerializer.SerializeToElement(version).GetProperty("Properties");

        var (archive, sha256) = RulesPayload.Decode(properties.GetProperty("Content").GetString()!);

        Assert.Equal(app.Stacks["dev"].Cluster.Bundle.Archive().Bytes, archive);
        Assert.Equal("application/json", properties.GetProperty("ContentType").GetString());
        Assert.Equal($"bundle {sha256}", properties.GetProperty("Description").GetString());
        Dev.HasResourceProperties("AWS::AppConfig::ConfigurationProfile", Props(
            ("Name", "rules"),
            ("LocationUri", "hosted"),
            ("Type", "AWS.Freeform"),
            ("Validators", new[] { Props(("Type", "JSON_SCHEMA"), ("Content", RulesPayload.JsonSchema)) })));
        Dev.HasResourceProperties("AWS::AppConfig::Application", Props(("Name", "haproxy-cluster-dev")));
    }

    [Fact]
    public void The_environment_rolls_back_on_unhealthy_nodes_5xx_and_failed_applies_read_with_a_role_scoped_to_those_alarms()
    {
        var alarms = new[] { "UnhealthyNodes", "Http5xxRate", "FailedRuleApplies" }
            .Select(id => Dev.FindResources("AWS::CloudWatch::Alarm").Keys.Single(k => k.StartsWith("Cluster" + id, StringComparison.Ordinal)))
            .ToList();
        var role = Dev.FindResources("AWS::IAM::Role").Keys.Single(k => k.StartsWith("ClusterRulesMonitorRole", StringComparison.Ordinal));

        Dev.HasResourceProperties("AWS::AppConfig::Environment", Props(
            ("Name", "dev"),
            ("Monitors", alarms.Select(a => Props(("AlarmArn", Props(("Fn::GetAtt", new[] { a, "Arn" }))), ("AlarmRoleArn", Props(("Fn::GetAtt", new[] { role, "Arn" }))))).ToArray())));
        var statement = Props(("Action", "cloudwatch:DescribeAlarms"), ("Effect", "Allow"), ("Resource", alarms.Order(StringComparer.Ordinal).Select(a => Props(("Fn::GetAtt", new[] { a, "Arn" }))).ToArray()));
        Dev.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", new[] { statement })))));
        Dev.HasResourceProperties("AWS::CloudWatch::Alarm", Props(("AlarmName", "haproxy-cluster-dev-failed-rule-applies"), ("MetricName", NodeAgentMetrics.FailedApplies)));
    }

    [Theory]
    [InlineData("dev", "LINEAR", 100.0, 0, 2)]
    [InlineData("staging", "EXPONENTIAL", 33.33, 6, 10)]
    [InlineData("prod", "EXPONENTIAL", 33.33, 6, 10)]
    public void Each_environment_deploys_with_its_strategy(string env, string growth, double factor, int minutes, int bake)
    {
        app.Templates[env].HasResourceProperties("AWS::AppConfig::DeploymentStrategy", Props(
            ("Name", $"haproxy-cluster-{env}-rules"),
            ("GrowthType", growth),
            ("GrowthFactor", factor),
            ("DeploymentDurationInMinutes", minutes),
            ("FinalBakeTimeInMinutes", bake),
            ("ReplicateTo", "NONE")));
        var deployment = JsonSerializer.SerializeToElement(Assert.Single(app.Templates[env].FindResources("AWS::AppConfig::Deployment")).Value).GetProperty("Properties");
        Assert.Equal(LogicalId(app.Templates[env], "AWS::AppConfig::HostedConfigurationVersion"), deployment.GetProperty("ConfigurationVersion").GetProperty("Ref").GetString());
        Assert.Equal(LogicalId(app.Templates[env], "AWS::AppConfig::DeploymentStrategy"), deployment.GetProperty("DeploymentStrategyId").GetProperty("Ref").GetString());
    }

    [Fact]
    public void Nodes_may_read_only_this_environments_rules_profile_and_boot_once_it_is_deployed()
    {
        var application = LogicalId(Dev, "AWS::AppConfig::Application");
        var environment = LogicalId(Dev, "AWS::AppConfig::Environment");
        var profile = LogicalId(Dev, "AWS::AppConfig::ConfigurationProfile");

        Dev.HasResourceProperties("AWS::IAM::Policy", Props(("PolicyDocument", Props(("Statement", CdkMatch.ArrayWith([CdkMatch.ObjectLike(Props(
            ("Sid", "ReadRules"),
            ("Action", new[] { "appconfig:GetLatestConfiguration", "appconfig:StartConfigurationSession" }),
            ("Resource", Props(("Fn::Join", new object[]
            {
                "",
                new object[]
                {
                    "arn:aws:appconfig:eu-west-1:123456789012:application/", Props(("Ref", application)),
                    "/environment/", Props(("Ref", environment)), "/configuration/", Props(("Ref", profile)),
                },
            })))))]))))));
        var group = JsonSerializer.SerializeToElement(Assert.Single(Dev.FindResources("AWS::AutoScaling::AutoScalingGroup")).Value);
        Assert.Contains(LogicalId(Dev, "AWS::AppConfig::Deployment"), group.GetProperty("DependsOn").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains("readonly RULES_URL='http://localhost:2772/applications/haproxy-cluster-dev/environments/dev/configurations/rules'\n",
            app.Stacks["dev"].Cluster.UserDataScript, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_change_changes_the_hosted_version_only_not_the_launch_template_or_the_group()
    {
        // GIVEN dev, and dev with one more request rule, each synthesized on its own
        var dev = Environments.Select("dev")[0];
        var changed = dev with
        {
            Cluster = dev.Cluster with { Haproxy = dev.Haproxy with { RequestRules = [.. dev.Haproxy.RequestRules, Rule.Deny(global::HaproxyCluster.Config.Match.PathPrefix("/internal/"))] } },
        };

        var before = JsonSerializer.SerializeToElement(SynthesizedApp.Synthesize(dev).ToJSON()).GetProperty("Resources");
        var after = JsonSerializer.SerializeToElement(SynthesizedApp.Synthesize(changed).ToJSON()).GetProperty("Resources");

        // THEN only the hosted version differs (its content, so CloudFormation replaces it, and the
        // deployment that references it follows): no launch template, group or role changes
        var differing = before.EnumerateObject().Select(r => r.Name).Union(after.EnumerateObject().Select(r => r.Name))
            .Where(id => !before.TryGetProperty(id, out var a) || !after.TryGetProperty(id, out var b) || a.GetRawText() != b.GetRawText())
            .Select(id => (before.TryGetProperty(id, out var r) ? r : after.GetProperty(id)).GetProperty("Type").GetString())
            .Order(StringComparer.Ordinal);
        Assert.Equal(["AWS::AppConfig::HostedConfigurationVersion"], differing);
    }

    [Fact]
    public void A_rollout_appconfig_cannot_run_is_refused_at_synth_with_every_problem()
    {
        var dev = Environments.Select("dev")[0].Cluster;
        var bad = dev with { Rollout = new RulesRollout { Exponential = true, GrowthFactor = 0, DeploymentTime = TimeSpan.FromSeconds(90), BakeTime = TimeSpan.FromHours(25) } };

        var error = Assert.Throws<ConfigValidationException>(() => new HaproxyCluster(new Stack(), "Cluster", bad));

        Assert.Equal(
        [
            "GrowthFactor 0 is out of range; use 1 to 100 (percent of the nodes at the first step)",
            "DeploymentTime 00:01:30 is not whole minutes from 0 to 24 h, which AppConfig requires",
            "BakeTime 1.01:00:00 is not whole minutes from 0 to 24 h, which AppConfig requires",
        ], error.Errors.Where(e => e.Property == "Rollout").Select(e => e.Message));
    }

    [Fact]
    public void Canary_rollouts_give_one_node_first_then_double()
    {
        Assert.Equal([33.33, 66.66, 100], RulesRollout.Canary(3, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(10)).Steps());
        Assert.Equal([16.66, 33.32, 66.64, 100], RulesRollout.Canary(6, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(10)).Steps());
        Assert.Equal([100.0], RulesRollout.AllAtOnce(TimeSpan.FromMinutes(2)).Steps());
        Assert.Equal("33.33 %, 66.66 %, 100 % over 6 min, 10 min bake", RulesRollout.Canary(3, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(10)).ToString());
    }
}
