using Amazon.CDK.Assertions;
using CdkMatch = Amazon.CDK.Assertions.Match;

namespace HaproxyCluster.Infra.Tests;

/// <summary>Zonal shift per environment: off in dev, on in staging, with autoshift in prod; the target groups and the group as zonal shift requires them.</summary>
public class ZoneFailoverTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static Dictionary<string, object> Props(params (string Key, object Value)[] entries) => entries.ToDictionary(e => e.Key, e => e.Value);

    private static Dictionary<string, object> Attribute(string key, string value) => Props(("Key", key), ("Value", value));

    [Theory]
    [InlineData("staging")]
    [InlineData("prod")]
    public void Where_zonal_shift_is_on_the_nlb_takes_it_and_the_targets_and_group_are_as_it_requires(string env)
    {
        var template = app.Templates[env];

        template.HasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", Props(("LoadBalancerAttributes", CdkMatch.ArrayWith([Attribute("zonal_shift.config.enabled", "true")]))));
        var requiredByZonalShift = CdkMatch.ArrayWith([
            Attribute("target_health_state.unhealthy.connection_termination.enabled", "false"),
            Attribute("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
        ]);
        var all = template.FindResources("AWS::ElasticLoadBalancingV2::TargetGroup");
        var shiftable = template.FindResources("AWS::ElasticLoadBalancingV2::TargetGroup", Props(("Properties", Props(("TargetGroupAttributes", requiredByZonalShift)))));
        Assert.Equal(2, all.Count); // HTTP, and HTTPS (decrypted at the NLB in prod, on the nodes in staging)
        Assert.Equal(all.Keys.Order(), shiftable.Keys.Order());
        template.HasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Props(("AvailabilityZoneImpairmentPolicy", Props(("ZonalShiftEnabled", true), ("ImpairedZoneHealthCheckBehavior", "IgnoreUnhealthy")))));
    }

    [Fact]
    public void Dev_has_no_zonal_shift()
    {
        var dev = app.Templates["dev"];

        var shifting = Props(("Properties", Props(("LoadBalancerAttributes", CdkMatch.ArrayWith([Attribute("zonal_shift.config.enabled", "true")])))));
        var following = Props(("Properties", Props(("AvailabilityZoneImpairmentPolicy", CdkMatch.AnyValue()))));

        Assert.Empty(dev.FindResources("AWS::ElasticLoadBalancingV2::LoadBalancer", shifting));
        Assert.Empty(dev.FindResources("AWS::AutoScaling::AutoScalingGroup", following));
        dev.ResourceCountIs("AWS::ARCZonalShift::ZonalAutoshiftConfiguration", 0);
    }

    [Fact]
    public void Prod_s_autoshift_practises_outside_its_blocked_window_and_stops_on_the_cluster_s_5xx_and_unhealthy_node_alarms()
    {
        // One outcome alarm (CloudFormation takes at most one): either of the cluster's own.
        var outcome = System.Text.Json.JsonSerializer.Serialize(app.Templates["prod"].FindResources("AWS::CloudWatch::CompositeAlarm", Props(("Properties", Props(("AlarmName", "haproxy-cluster-prod-outcome")))))).Replace("\\\"", "\"", StringComparison.Ordinal);
        Assert.Matches("ALARM\\(.*ClusterHttp5xxRate.* OR ALARM\\(.*ClusterUnhealthyNodes", outcome);
        app.Templates["staging"].ResourceCountIs("AWS::ARCZonalShift::ZonalAutoshiftConfiguration", 0);
        var prod = app.Templates["prod"];

        static object AlarmArn(string logicalIdPrefix) =>
            Props(("AlarmIdentifier", Props(("Fn::GetAtt", new object[] { CdkMatch.StringLikeRegexp($"^{logicalIdPrefix}"), "Arn" }))), ("Type", "CLOUDWATCH"));
        var practice = Props(
            ("OutcomeAlarms", new[] { AlarmArn("ClusterOutcome") }),
            ("BlockedWindows", new[] { "Fri:16:00-Mon:06:00" }));
        var properties = Props(
            ("ResourceIdentifier", Props(("Ref", CdkMatch.StringLikeRegexp("^ClusterNlb")))),
            ("ZonalAutoshiftStatus", "ENABLED"),
            ("PracticeRunConfiguration", practice));

        prod.HasResource("AWS::ARCZonalShift::ZonalAutoshiftConfiguration", Props(("DependsOn", CdkMatch.ArrayWith([CdkMatch.StringLikeRegexp("^ClusterNlb")])), ("Properties", properties)));
    }
}
