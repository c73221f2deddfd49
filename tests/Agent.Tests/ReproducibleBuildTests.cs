using System.Reflection;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// The agent's bytes are in every node's user data (its SHA-256), so nothing but its sources may
/// change them: no commit id in its assemblies (SourceLink adds one to the informational version
/// in CI), else every commit would roll every node.
/// </summary>
public class ReproducibleBuildTests
{
    [Fact]
    public void No_assembly_the_agent_ships_names_the_commit_it_was_built_from()
    {
        foreach (var assembly in new[] { typeof(DiscoveryLoop).Assembly, typeof(Config.HaproxySpec).Assembly })
        {
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
            Assert.DoesNotContain("+", version, StringComparison.Ordinal);
        }
    }
}
