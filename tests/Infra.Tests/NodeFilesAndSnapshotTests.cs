using System.Text.Json;

namespace HaproxyCluster.Infra.Tests;

/// <summary>
/// What reviewers read and what nodes run: each environment's node files and full template.
/// Snapshots live in tests/Infra.Tests/Snapshots; to accept a change on purpose:
/// <c>UPDATE_GOLDEN=1 dotnet test tests/Infra.Tests --filter NodeFilesAndSnapshotTests</c>
/// </summary>
public class NodeFilesAndSnapshotTests(SynthesizedApp app) : IClassFixture<SynthesizedApp>
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static TheoryData<string> Names => new(Environments.All.Select(e => e.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Full_template_matches_its_snapshot(string env)
    {
        var template = JsonSerializer.Serialize(app.Templates[env].ToJSON(), Indented) + "\n";

        GoldenFile.AssertMatches(Path.Combine(RepositoryRoot.Path, "tests", "Infra.Tests", "Snapshots", $"HaproxyCluster-{env}.template.json"), template);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Node_bundle_passes_haproxy_check_on_both_versions_at_its_real_paths(string env)
    {
        var etcHaproxy = Path.Combine(app.Outdir, "node-files", env, "etc", "haproxy");

        var failures = HaproxyCheck.InstalledBundleFailures(etcHaproxy);

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(app.Stacks[env].Cluster.Bundle.Config, File.ReadAllText(Path.Combine(etcHaproxy, "haproxy.cfg")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void User_data_file_is_what_the_launch_template_carries_and_passes_shellcheck(string env)
    {
        var file = File.ReadAllText(Path.Combine(app.Outdir, "node-files", env, "user-data.sh"));
        var launchTemplate = app.Templates[env].FindResources("AWS::EC2::LaunchTemplate").Single().Value;
        var carried = JsonSerializer.SerializeToElement(launchTemplate)
            .GetProperty("Properties").GetProperty("LaunchTemplateData").GetProperty("UserData").GetProperty("Fn::Base64").GetString();

        Assert.Equal(carried, file);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(file), 1, UserData.BootstrapScript.MaxBytes);
        // The rules reach the nodes through AppConfig: their hash is nowhere in the user data.
        Assert.DoesNotContain(app.Stacks[env].Cluster.Bundle.Archive().Sha256, file, StringComparison.Ordinal);
        var (exitCode, output) = Command.Shellcheck(Path.Combine(app.Outdir, "node-files", env, "user-data.sh"));
        Assert.True(exitCode == 0, output);
    }

    [Theory]
    [InlineData("dev", 0, 100, 1.0, 10)]
    [InlineData("staging", 120, 100, 1.0, 12)]
    [InlineData("prod", 300, 1_000, 0.5, 15)]
    public void Each_environment_bakes_a_new_node_and_the_rolling_update_waits_for_boot_and_bake(string env, int bakeSeconds, int minimumRequests, double maxPercent, int pauseMinutes)
    {
        // GIVEN the agent's settings the user data writes on the node
        var agentJson = File.ReadAllText(Path.Combine(app.Outdir, "node-files", env, "user-data.sh"))
            .Split("cat > '/etc/haproxy-cluster/agent.json' <<'NODE_FILE'\n")[1].Split("NODE_FILE\n")[0]
            .Replace(UserData.NodeFiles.GroupToken, "HaproxyCluster-asg", StringComparison.Ordinal); // the bootstrap puts in the group IMDS names
        var settings = Node.NodeSettings.FromJson(agentJson, out var error) ?? throw new InvalidOperationException(error);

        // THEN they carry the environment's bake, and the paths of the logs it reads
        Assert.Equal((TimeSpan.FromSeconds(bakeSeconds), minimumRequests, maxPercent), (settings.Bake.Duration, settings.Bake.MinimumRequests, settings.Bake.MaxOwnFailurePercent));
        Assert.Equal(("/var/log/haproxy/access.log", "/var/log/haproxy-cluster-agent.log"), (settings.AccessLog, settings.AgentLog));
        Assert.Empty(settings.Problems());
        // AND CloudFormation waits for each node's signal through its boot (10 min) and its bake
        var group = JsonSerializer.SerializeToElement(app.Templates[env].FindResources("AWS::AutoScaling::AutoScalingGroup").Single().Value);
        Assert.Equal($"PT{pauseMinutes}M", group.GetProperty("UpdatePolicy").GetProperty("AutoScalingRollingUpdate").GetProperty("PauseTime").GetString());
        Assert.Equal($"PT{pauseMinutes}M", group.GetProperty("CreationPolicy").GetProperty("ResourceSignal").GetProperty("Timeout").GetString());
        Assert.True(group.GetProperty("UpdatePolicy").GetProperty("AutoScalingRollingUpdate").GetProperty("WaitOnResourceSignals").GetBoolean());
        // AND the dashboard graphs the bake's requests and own failures where there is a bake
        var dashboard = JsonSerializer.Serialize(app.Templates[env].FindResources("AWS::CloudWatch::Dashboard").Single().Value);
        Assert.Equal(bakeSeconds > 0, dashboard.Contains(Node.NodeAgentMetrics.BakeOwnFailures, StringComparison.Ordinal));
    }

    [Fact]
    public void Each_environment_exercises_the_main_rule_kinds()
    {
        var specs = Environments.All.Select(e => e.Haproxy).ToList();
        var rules = specs.SelectMany(s => s.RequestRules).Select(r => r.GetType().Name).ToHashSet();
        var routes = specs.SelectMany(s => s.Routes).Select(r => r.GetType().Name).ToHashSet();

        Assert.Superset(new HashSet<string> { "DenySourcesRule", "DenyRule", "AllowOnlySourcesRule", "RateLimitRule", "RedirectRule", "RespondRule", "RequestHeaderRule" }, rules);
        Assert.Superset(new HashSet<string> { "PoolRoute", "SplitRoute", "HostTableRoute", "PathPrefixTableRoute" }, routes);
        Assert.Contains(specs.SelectMany(s => s.Pools), p => p.Discovery is not null);
    }
}
