using System.Diagnostics;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;

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
        appConfig.Deploy(RulesPayload.Encode(ConfigRenderer.Render(spec).Archive()), [], TimeSpan.Zero, TimeSpan.Zero);
        var blocked = Path.Combine(_folder, "not-a-folder");
        await File.WriteAllTextAsync(blocked, "");

        // WHEN the agent rolls rules out into it
        var settings = AgentExecutable.WriteSettings(_folder, AgentExecutable.Settings(Path.Combine(blocked, "haproxy")) with
        {
            RulesUrl = new Uri(appConfig.Endpoint, "applications/a/environments/e/configurations/rules").ToString(),
            RulesPollSeconds = 1,
        });
        var (exitCode, output) = Command.Run("timeout", "30", "dotnet", AgentExecutable.Dll, "--settings", settings);

        // THEN it says why and exits 1, rather than discovering on with no rollout
        Assert.True(exitCode == 1, output);
        var stopped = Assert.Single(Events.InOutput(output.Split('\n')), e => e.GetProperty("Event").GetString() == NodeEvents.RolloutStopped);
        Assert.Equal("Critical", stopped.GetProperty("Level").GetString());
        Assert.NotEmpty(stopped.GetProperty("Detail").GetString()!);
    }

    [Fact]
    public void Settings_that_do_not_hold_end_the_agent_at_start_naming_every_field_at_fault()
    {
        // GIVEN settings with two faults, and a file that is not settings at all
        var settings = AgentExecutable.WriteSettings(_folder, AgentExecutable.Settings("/etc/haproxy") with { HealthPort = 0, RulesUrl = "ftp://localhost/rules" });
        var typo = Path.Combine(_folder, "typo.json");
        File.WriteAllText(typo, File.ReadAllText(settings).Replace("\"healthPort\"", "\"helthPort\"", StringComparison.Ordinal));

        foreach (var (file, expected) in new[] { (settings, new[] { "healthPort: 0 is not a port", "rulesUrl: 'ftp://localhost/rules' is not an http(s) URL" }), (typo, ["helthPort"]) })
        {
            // WHEN the agent starts on it
            var (exitCode, output) = Command.Run("timeout", "30", "dotnet", AgentExecutable.Dll, "--settings", file);

            // THEN it exits 2 at once, its one event naming the file and every field at fault
            Assert.True(exitCode == 2, output);
            var invalid = Assert.Single(Events.InOutput(output.Split('\n')));
            Assert.Equal(NodeEvents.SettingsInvalid, invalid.GetProperty("Event").GetString());
            Assert.Equal(file, invalid.GetProperty("File").GetString());
            Assert.All(expected, e => Assert.Contains(e, invalid.GetProperty("Problems").GetString(), StringComparison.Ordinal));
        }
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
