using System.Text.Json;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Infra.Tests;

public class EnvironmentsTests
{
    [Fact]
    public void No_env_context_selects_every_environment()
    {
        var selected = Environments.Select(null);

        Assert.Equal(["dev", "staging", "prod"], selected.Select(e => e.Name));
    }

    [Fact]
    public void Env_context_selects_one_environment()
    {
        var selected = Environments.Select("prod");

        Assert.Equal("HaproxyCluster-prod", Assert.Single(selected).StackName);
    }

    [Fact]
    public void Unknown_env_context_names_the_value_and_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => Environments.Select("prd"));

        Assert.Contains("'prd'", error.Message, StringComparison.Ordinal);
        Assert.Contains("dev, staging, prod", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_environment_has_its_zones_committed_so_synth_needs_no_aws_call()
    {
        using var context = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "cdk.context.json")));

        foreach (var environment in Environments.All)
        {
            var key = $"availability-zones:account={environment.Account}:region={environment.Region}";
            Assert.True(context.RootElement.TryGetProperty(key, out var zones), $"cdk.context.json lacks '{key}'");
            var committed = zones.EnumerateArray().Select(z => z.GetString()).ToList();
            Assert.All(environment.Cluster.AvailabilityZones!, zone => Assert.Contains(zone, committed));
        }
    }
}
