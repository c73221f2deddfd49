using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AwsArczonalshift;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>
/// What <see cref="HaproxyClusterProps.ZonalShift"/> turns on: the NLB's zonal shift, the target
/// groups as zonal shift requires them, their DNS failover threshold, the group following shifts,
/// and with autoshift its configuration, practice runs judged by <c>outcomeAlarm</c>.
/// </summary>
internal static class ZoneFailover
{
    /// <summary>A zone with fewer healthy nodes than this leaves the NLB's DNS.</summary>
    public const int DnsFailoverMinimumHealthyNodes = 1;

    /// <summary>Adds what <paramref name="props"/>' zonal shift asks for, if it is on.</summary>
    public static void Add(Construct scope, HaproxyClusterProps props, NetworkLoadBalancer loadBalancer, IEnumerable<NetworkTargetGroup> targetGroups, AutoScalingGroup nodes, IAlarm outcomeAlarm)
    {
        var shift = props.ZonalShift;
        if (!shift.Enabled)
        {
            return;
        }

        loadBalancer.SetAttribute("zonal_shift.config.enabled", "true");
        foreach (var targets in targetGroups)
        {
            // Zonal shift requires it: a node that fails its checks keeps its open connections (HAProxy
            // goes on serving them) until they end, or until the group replaces the node and its
            // deregistration closes them after the delay; new connections go to healthy nodes.
            targets.SetAttribute("target_health_state.unhealthy.connection_termination.enabled", "false");
            targets.SetAttribute("target_group_health.dns_failover.minimum_healthy_targets.count", DnsFailoverMinimumHealthyNodes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // CDK 2.160 has no property for it; CloudFormation has. Nodes in a shifted-away zone are not
        // replaced for failing checks the impairment may cause: they serve nothing until it ends.
        ((CfnAutoScalingGroup)nodes.Node.DefaultChild!).AddPropertyOverride("AvailabilityZoneImpairmentPolicy", new Dictionary<string, object>
        {
            ["ZonalShiftEnabled"] = true,
            ["ImpairedZoneHealthCheckBehavior"] = "IgnoreUnhealthy",
        });

        if (shift.AutoshiftEnabled)
        {
            var autoshift = new CfnZonalAutoshiftConfiguration(scope, "ZonalAutoshift", new CfnZonalAutoshiftConfigurationProps
            {
                ResourceIdentifier = loadBalancer.LoadBalancerArn,
                ZonalAutoshiftStatus = "ENABLED",
                PracticeRunConfiguration = new CfnZonalAutoshiftConfiguration.PracticeRunConfigurationProperty
                {
                    OutcomeAlarms = new object[] { new CfnZonalAutoshiftConfiguration.ControlConditionProperty { AlarmIdentifier = outcomeAlarm.AlarmArn, Type = "CLOUDWATCH" } },
                    BlockedWindows = shift.BlockedWindows.Count == 0 ? null : [.. shift.BlockedWindows],
                    BlockedDates = shift.BlockedDates.Count == 0 ? null : [.. shift.BlockedDates],
                },
            });
            autoshift.Node.AddDependency(loadBalancer);
        }
    }
}
