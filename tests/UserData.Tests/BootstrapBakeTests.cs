using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;
using HaproxyCluster.UserData.Tests.Support;

namespace HaproxyCluster.UserData.Tests;

/// <summary>
/// The bake in the real bootstrap, in the sandboxed node (<see cref="NodeSandbox"/>): once the agent
/// runs, the node serves real requests (sent by the test, as the NLB would) through HAProxy, whose
/// access log the node's rsyslog writes and the agent's bake reads; the signal follows the verdict.
/// </summary>
public sealed class BootstrapBakeTests : IDisposable
{
    private static readonly NodeBake FourSeconds = new(TimeSpan.FromSeconds(4)) { MinimumRequests = 20, MaxOwnFailurePercent = 10 };
    private readonly Backend _web = new("web");
    private readonly int[] _ports = FreePort.Distinct(6);
    private readonly HaproxySpec _spec;

    public BootstrapBakeTests()
    {
        _spec = new HaproxySpec
        {
            Pools =
            [
                new Pool { Name = "web", Servers = [_web.Server], HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(300) } },
                // Nothing listens there: a pool this node cannot reach.
                new Pool { Name = "reports", Servers = [new Server("127.0.0.1", _ports[5])], HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(300) } },
            ],
            DefaultPool = "web",
            Routes = [Route.To("reports", Match.PathPrefix("/reports"))],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = _ports[0], TlsOriginPort = _ports[1], HealthPort = _ports[2], AdminPort = _ports[3] },
            Global = new GlobalSettings { MaxConnections = 2000, LogTarget = $"tcp@127.0.0.1:{_ports[4]}" },
        };
    }

    [Fact]
    public async Task A_node_that_serves_well_through_its_bake_signals_success()
    {
        using var node = new NodeSandbox(ConfigRenderer.Render(_spec).Archive());

        var (exitCode, output, sent) = await RunWithTrafficAsync(node, everyFifthTo: "/");

        Assert.True(exitCode == 0, output);
        Assert.Equal([$"cfn-signal -e 0 --stack {BootstrapExecutionTests.Stack} --resource {BootstrapExecutionTests.Resource} --region eu-west-1"], node.Calls("cfn-signal"));
        var passed = Assert.Single(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.BakePassed);
        Assert.Equal("0", passed.Field("OwnFailures"));
        Assert.InRange(int.Parse(passed.Field("Requests")!, System.Globalization.CultureInfo.InvariantCulture), 20, sent);
        Assert.Contains(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.BakeProgress);
        Assert.NotNull(node.HaproxyPid);
    }

    [Fact]
    public async Task A_node_that_fails_one_request_in_five_fails_its_bake_signals_the_reason_and_stops()
    {
        using var node = new NodeSandbox(ConfigRenderer.Render(_spec).Archive());

        var (exitCode, output, _) = await RunWithTrafficAsync(node, everyFifthTo: "/reports/daily");

        // THEN the signal is a failure that gives the bake's reason, and HAProxy no longer serves
        Assert.NotEqual(0, exitCode);
        var failed = Assert.Single(AgentEventLog.Parse(output.Split('\n')), e => e.Name == NodeEvents.BakeFailed);
        Assert.StartsWith("503 SC × ", failed.Field("Kinds"), StringComparison.Ordinal);
        var signal = Assert.Single(node.Calls("cfn-signal"));
        Assert.StartsWith($"cfn-signal -e 1 --stack {BootstrapExecutionTests.Stack} --resource {BootstrapExecutionTests.Resource} --region eu-west-1 --reason bake failed: ", signal, StringComparison.Ordinal);
        Assert.Contains("failed through this node, over the 10 % allowed: 503 SC × ", signal, StringComparison.Ordinal);
        Assert.Null(node.HaproxyPid);
        Assert.Null(node.AgentPid);
    }

    /// <summary>
    /// Runs the bootstrap with a 4-second bake while requests go to the node every 20 ms once it
    /// answers, every fifth to <paramref name="everyFifthTo"/> and the rest to <c>/</c>; the
    /// script's exit code and output, and the requests sent.
    /// </summary>
    private async Task<(int ExitCode, string Output, int Sent)> RunWithTrafficAsync(NodeSandbox node, string everyFifthTo)
    {
        var script = BootstrapScript.Build(BootstrapExecutionTests.Settings(node, _spec) with { SyslogPort = _ports[4], Bake = FourSeconds });
        var run = Task.Run(() => node.Run(script));
        var sent = 0;
        while (!run.IsCompleted && sent < 5_000)
        {
            try
            {
                await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, sent % 5 == 4 ? everyFifthTo : "/");
                sent++;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or InvalidDataException)
            {
                // Not serving yet, or no longer (stopped mid-answer).
            }

            await Task.Delay(20);
        }

        var (exitCode, output) = await run;
        return (exitCode, output, sent);
    }

    public void Dispose() => _web.Dispose();
}
