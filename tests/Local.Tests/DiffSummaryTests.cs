namespace HaproxyCluster.Local.Tests;

/// <summary>make diff's summary line, read from cdk diff's text as it prints resources.</summary>
public sealed class DiffSummaryTests
{
    [Fact]
    public void A_rules_change_rolls_out_in_place_and_the_rules_version_is_not_called_a_replacement()
    {
        const string Diff = """
            Resources
            [~] AWS::AppConfig::HostedConfigurationVersion Cluster/Rules ClusterRules1234ABCD replace
            [~] AWS::AppConfig::Deployment Cluster/Deploy ClusterDeploy5678 replace
            """;

        Assert.Equal(["summary: dev: changed; no resource replaced; rules roll out in place, no instance replaced"], DiffSummary.Lines("dev", Diff, nodeFilesChanged: true));
        Assert.Equal(["summary: prod: unchanged; no resource replaced"], DiffSummary.Lines("prod", "There were no differences\n", nodeFilesChanged: false));
    }

    [Fact]
    public void A_replaced_target_group_is_named_and_flagged_loudly_and_a_fleet_change_says_the_nodes_are_replaced()
    {
        const string Diff = """
            [~] AWS::ElasticLoadBalancingV2::TargetGroup Cluster/Http/Targets ClusterHttpTargets20BAFCB8 replace
            [-] AWS::EC2::SecurityGroup Cluster/Old ClusterOld99 destroy
            [~] AWS::EC2::LaunchTemplate Cluster/Nodes/Template ClusterNodesTemplate12
            """;

        var lines = DiffSummary.Lines("dev", Diff, nodeFilesChanged: false);

        Assert.Equal(
            "summary: dev: changed; replaces or destroys 2 resource(s): AWS::ElasticLoadBalancingV2::TargetGroup ClusterHttpTargets20BAFCB8 (replace); AWS::EC2::SecurityGroup ClusterOld99 (destroy); the launch template or group changes: the group replaces every node, one at a time",
            lines[0]);
        Assert.StartsWith("!!! dev: this change REPLACES the load balancer or a target group", lines[1], StringComparison.Ordinal);
    }
}
