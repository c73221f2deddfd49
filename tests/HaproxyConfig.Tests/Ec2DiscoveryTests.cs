using HaproxyCluster.Config.Tests.Support;
using HaproxyCluster.Node;

namespace HaproxyCluster.Config.Tests;

/// <summary>An EC2-discovered pool: empty slots HAProxy accepts, and the manifest the node agent reads.</summary>
public class Ec2DiscoveryTests
{
    private static HaproxySpec Spec(ServerDiscovery discovery, string stateFile = "/var/lib/haproxy/server-state") => new()
    {
        Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)] }, new Pool { Name = "app", Discovery = discovery }],
        DefaultPool = "web",
        Global = new GlobalSettings { ServerStateFile = stateFile },
    };

    [Fact]
    public void Slots_state_file_and_manifest_are_rendered_and_both_versions_accept_them()
    {
        var folder = Directory.CreateTempSubdirectory("haproxy-ec2-").FullName;
        try
        {
            var stateFile = Path.Combine(folder, "server-state");
            File.WriteAllText(stateFile, "1\n"); // as the bootstrap lays it down
            var bundle = ConfigRenderer.Render(Spec(Ec2Discovery.ForGroup("app-asg", 8080, slots: 16) with { DrainTimeout = TimeSpan.FromSeconds(45) }, stateFile), folder);
            bundle.WriteTo(folder);

            Assert.Contains("    server-template app- 16 localhost:8080 disabled init-addr last,libc,none\n", bundle.Config, StringComparison.Ordinal);
            Assert.Contains($"    server-state-file {stateFile}\n", bundle.Config, StringComparison.Ordinal);
            Assert.Contains("    load-server-state-from-file global\n", bundle.Config, StringComparison.Ordinal);
            Assert.DoesNotContain("resolvers", bundle.Config, StringComparison.Ordinal);
            var manifest = MembershipManifest.FromJson(bundle[MembershipManifest.FileName]);
            var pool = Assert.Single(manifest.Pools);
            Assert.Equal(("app", "app-", 16, 8080, "app-asg", 45), (pool.Backend, pool.SlotPrefix, pool.Slots, pool.Port, pool.AutoScalingGroup, pool.DrainSeconds));
            Assert.Empty(HaproxyCheck.Failures([Path.Combine(folder, ConfigBundle.ConfigFileName)]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_spec_without_ec2_discovery_has_no_manifest_and_no_state_file()
    {
        var bundle = ConfigRenderer.Render(Spec(new DnsDiscovery("app.internal", 8080)));

        Assert.DoesNotContain(bundle.Files, f => f.Path == MembershipManifest.FileName);
        Assert.DoesNotContain("server-state", bundle.Config, StringComparison.Ordinal);
    }

    [Fact]
    public void The_manifest_reads_back_as_written_tags_included()
    {
        var bundle = ConfigRenderer.Render(Spec(Ec2Discovery.ForTags(8080, 8, new Ec2Tag("app", "web"), new Ec2Tag("tier", "front"))));

        var pool = MembershipManifest.FromJson(bundle[MembershipManifest.FileName]).Pools.Single();

        Assert.Null(pool.AutoScalingGroup);
        Assert.Equal([new MemberTag("app", "web"), new MemberTag("tier", "front")], pool.Tags);
        Assert.Equal(bundle[MembershipManifest.FileName], ConfigRenderer.Render(Spec(Ec2Discovery.ForTags(8080, 8, new Ec2Tag("app", "web"), new Ec2Tag("tier", "front"))))[MembershipManifest.FileName]);
    }

    public static TheoryData<string, ServerDiscovery, string, string> Mistakes => new()
    {
        { "neither group nor tags", new Ec2Discovery(8080), "Pools[1].Discovery.AutoScalingGroup", "give exactly one" },
        { "both group and tags", Ec2Discovery.ForGroup("asg", 8080) with { Tags = [new Ec2Tag("a", "b")] }, "Pools[1].Discovery.Tags", "give exactly one" },
        { "group name with a line break", Ec2Discovery.ForGroup("asg\nx", 8080), "Pools[1].Discovery.AutoScalingGroup", "is not a usable auto-scaling group name" },
        { "tag key with a quote", Ec2Discovery.ForTags(8080, 8, new Ec2Tag("a\"b", "c")), "Pools[1].Discovery.Tags[0].Key", "is not a usable tag key" },
        { "too many slots", Ec2Discovery.ForGroup("asg", 8080, slots: 5000), "Pools[1].Discovery.Slots", "5000 is out of range" },
        { "port", Ec2Discovery.ForGroup("asg", 0), "Pools[1].Discovery.Port", "0 is not a port" },
        { "drain timeout", Ec2Discovery.ForGroup("asg", 8080) with { DrainTimeout = TimeSpan.FromMilliseconds(1500) }, "Pools[1].Discovery.DrainTimeout", "whole number of seconds" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Each_mistake_is_reported_on_its_property(string mistake, ServerDiscovery discovery, string property, string message)
    {
        var error = Assert.Throws<ConfigValidationException>(Spec(discovery).Validate);

        var found = Assert.Single(error.Errors, e => e.Property == property);
        Assert.True(found.Message.Contains(message, StringComparison.Ordinal), $"{mistake}: '{found.Message}' lacks '{message}'");
    }

    [Fact]
    public void A_routing_table_cannot_overwrite_the_fleet_limits_map()
    {
        var spec = Spec(new DnsDiscovery("app.internal", 8080)) with
        {
            RequestRules = [Rule.RateLimit("burst", 10, TimeSpan.FromSeconds(10), scope: RateLimitScope.Fleet)],
            Routes = [Route.HostTable("fleet", new TableEntry("a.example.com", "web"), new TableEntry("*.limits.example.com", "web"))],
        };

        var bundle = ConfigRenderer.Render(spec);

        Assert.Equal("burst 10\n", bundle["maps/fleet.limits.map"]);
        Assert.Equal(["maps/fleet.limits.map", "maps/fleet.map", "maps/fleet.suffix.map"], bundle.Files.Select(f => f.Path).Where(p => p.StartsWith("maps/", StringComparison.Ordinal)));
    }
}
