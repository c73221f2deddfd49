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
