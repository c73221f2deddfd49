using System.Diagnostics;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.UserData;

namespace HaproxyCluster.Agent.Tests;

/// <summary>The agent as systemd runs it: a process, whose exit tells systemd to start it again.</summary>
public sealed class AgentProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("agent-process-").FullName;

    [Fact]
    public async Task A_rollout_that_fails_unexpectedly_ends_the_agent_so_systemd_restarts_it()
    {
        // GIVEN a deployed version, and a config folder the agent cannot write into (a file stands where its parent should be)
        using var appConfig = new AppConfigStandIn(FreePort.Next());
        var spec = new HaproxySpec { Pools = [new Pool { Name = "web", Servers = [new Server("127.0.0.1", 8080)] }], DefaultPool = "web" };
        appConfig.Deploy(RulesPayload.Encode(BundleArchive.Create(ConfigRenderer.Render(spec))), [], TimeSpan.Zero, TimeSpan.Zero);
        var blocked = Path.Combine(_folder, "not-a-folder");
        await File.WriteAllTextAsync(blocked, "");

        // WHEN the agent rolls rules out into it
        var agent = Path.Combine(Path.GetDirectoryName(typeof(AgentProcessTests).Assembly.Location)!, "haproxy-cluster-agent.dll");
        var (exitCode, output) = Command.Run("timeout", "30", "dotnet", agent,
            "--rules-url", new Uri(appConfig.Endpoint, "applications/a/environments/e/configurations/rules").ToString(),
            "--rules-poll-seconds", "1", "--config-dir", Path.Combine(blocked, "haproxy"), "--manifest", Path.Combine(_folder, "none.json"));

        // THEN it says why and exits 1, rather than discovering on with no rollout
        Assert.True(exitCode == 1, output);
        var stopped = Assert.Single(Events.InOutput(output.Split('\n')), e => e.GetProperty("Event").GetString() == "RolloutStopped");
        Assert.Equal("Critical", stopped.GetProperty("Level").GetString());
        Assert.NotEmpty(stopped.GetProperty("Detail").GetString()!);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
