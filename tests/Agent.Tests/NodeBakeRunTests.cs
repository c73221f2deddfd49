using System.Globalization;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// A bake judged on a real master-worker HAProxy (its worker, through the Runtime API) and on the
/// lines its access log and the agent's log gain while it runs: own failures over the threshold,
/// a worker replaced by anything but the agent's reload, and a failed apply each fail it.
/// </summary>
public sealed class NodeBakeRunTests : IDisposable
{
    private const string Served = "{\"status\":200,\"termination\":\"----\"}";
    private const string Unreachable = "{\"status\":503,\"termination\":\"SC--\"}";
    private readonly string _folder = Directory.CreateTempSubdirectory("bake-run-").FullName;
    private readonly Backend _web = new("web");
    private readonly MasterWorkerHaproxy _haproxy;
    private readonly RuntimeApi _runtime;
    private readonly Events _events = new();

    public NodeBakeRunTests()
    {
        var ports = FreePort.Distinct(4);
        var spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
            DefaultPool = "web",
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        ConfigRenderer.Render(spec, _folder).WriteTo(_folder);
        _haproxy = new MasterWorkerHaproxy(_folder, spec.Global.RuntimeSocketPath);
        _runtime = new RuntimeApi(spec.Global.RuntimeSocketPath);
        // What the logs held before the bake is not the bake's.
        File.WriteAllText(AccessLog, string.Concat(Enumerable.Repeat(Unreachable + "\n", 50)));
        File.WriteAllText(AgentLog, "");
    }

    private string AccessLog => Path.Combine(_folder, "access.log");

    private string AgentLog => Path.Combine(_folder, "agent.log");

    private NodeBakeRun Bake(int seconds = 3, double maxPercent = 5, int minimum = 100) => new(
        new NodeSettings
        {
            Region = "eu-west-1",
            ConfigDirectory = _folder,
            RuntimeSocket = Path.Combine(_folder, "admin.sock"),
            HealthPort = 1,
            HealthPath = "/health",
            AccessLog = AccessLog,
            AgentLog = AgentLog,
            Bake = new NodeBake(TimeSpan.FromSeconds(seconds)) { MaxOwnFailurePercent = maxPercent, MinimumRequests = minimum },
        },
        _runtime, null, _events.Logger, TimeProvider.System);

    /// <summary>Appends <paramref name="served"/> good lines and <paramref name="failed"/> own failures, the last line cut in two writes.</summary>
    private void Serve(int served, int failed)
    {
        var lines = string.Concat(Enumerable.Repeat(Served + "\n", served)) + string.Concat(Enumerable.Repeat(Unreachable + "\n", failed));
        File.AppendAllText(AccessLog, lines[..^10]);
        File.AppendAllText(AccessLog, lines[^10..]);
    }

    [Fact]
    public async Task Own_failures_over_the_threshold_fail_the_bake_with_their_count_and_kind()
    {
        var running = Bake(maxPercent: 4).RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        Serve(190, 10);

        var verdict = await running;

        // THEN only the lines written during the bake count (not the 50 failures before it)
        Assert.False(verdict.Passed);
        Assert.Equal("bake failed: 10 of 200 requests (5 %) failed through this node, over the 4 % allowed: 503 SC × 10", verdict.Reason);
        var failed = Assert.Single(_events.Named(NodeEvents.BakeFailed));
        Assert.Equal(("200", "10", "503 SC × 10"), (Field(failed, "Requests"), Field(failed, "OwnFailures"), Field(failed, "Kinds")));
        Assert.NotEmpty(_events.Named(NodeEvents.BakeProgress));
    }

    [Fact]
    public async Task Own_failures_at_the_threshold_pass()
    {
        var running = Bake(maxPercent: 5).RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        Serve(190, 10);

        var verdict = await running;

        Assert.True(verdict.Passed, verdict.Reason);
        var passed = Assert.Single(_events.Named(NodeEvents.BakePassed));
        Assert.Equal(("200", "10", "False"), (Field(passed, "Requests"), Field(passed, "OwnFailures"), Field(passed, "BelowMinimum")));
    }

    [Fact]
    public async Task A_quiet_node_passes_on_what_it_saw_and_says_it_was_under_the_minimum()
    {
        var running = Bake(minimum: 100).RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        Serve(12, 0);

        var verdict = await running;

        Assert.True(verdict.Passed, verdict.Reason);
        Assert.Equal("bake passed: 12 requests, 0 own failures; only 12 requests, under the 100 asked for, judged on those", verdict.Reason);
        Assert.Equal("True", Field(Assert.Single(_events.Named(NodeEvents.BakePassed)), "BelowMinimum"));
    }

    [Fact]
    public async Task A_worker_replaced_without_the_agents_reload_fails_the_bake()
    {
        var first = await _runtime.WorkerPidAsync(CancellationToken.None);
        var running = Bake().RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        var second = await ReloadAsync(first);

        var verdict = await running;

        Assert.False(verdict.Passed);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bake failed: HAProxy's worker {first} was replaced by {second} without a reload by the agent"), verdict.Reason);
    }

    [Fact]
    public async Task A_worker_the_agent_reloaded_to_is_not_a_restart()
    {
        var first = await _runtime.WorkerPidAsync(CancellationToken.None);
        var running = Bake().RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        var second = await ReloadAsync(first);
        File.AppendAllText(AgentLog, string.Create(CultureInfo.InvariantCulture, $"{{\"Time\":\"2026-12-06T17:00:00.000Z\",\"Event\":\"Reloaded\",\"Worker\":{second},\"Previous\":{first}}}\n"));

        var verdict = await running;

        Assert.True(verdict.Passed, verdict.Reason);
    }

    [Fact]
    public async Task A_failed_apply_during_the_bake_fails_it()
    {
        var running = Bake().RunAsync(CancellationToken.None);
        await Task.Delay(1000);
        File.AppendAllText(AgentLog, "not an event\n{\"Time\":\"2026-12-06T17:00:00.000Z\",\"Event\":\"RulesFailed\",\"Message\":\"rules: bundle ab FAILED\"}\n");

        var verdict = await running;

        Assert.False(verdict.Passed);
        Assert.Equal("bake failed: the agent reported RulesFailed (rules: bundle ab FAILED)", verdict.Reason);
    }

    [Fact]
    public async Task A_failed_apply_after_the_agent_started_and_before_the_bake_fails_it()
    {
        File.WriteAllText(AgentLog, "{\"Time\":\"2026-12-06T17:00:00.000Z\",\"Event\":\"DiscoveryReady\"}\n{\"Time\":\"2026-12-06T17:00:01.000Z\",\"Event\":\"RulesFailed\",\"Message\":\"rules: bundle cd FAILED\"}\n");

        var verdict = await Bake(seconds: 1).RunAsync(CancellationToken.None);

        Assert.Equal(new NodeBakeRun.Verdict(false, "bake failed: the agent reported RulesFailed (rules: bundle cd FAILED)"), verdict);
    }

    [Fact]
    public async Task No_bake_passes_at_once()
    {
        var verdict = await new NodeBakeRun(
            new NodeSettings { Region = "eu-west-1", ConfigDirectory = _folder, RuntimeSocket = "/nonexistent/admin.sock", HealthPort = 1, HealthPath = "/health" },
            _runtime, null, _events.Logger, TimeProvider.System).RunAsync(CancellationToken.None);

        Assert.Equal(new NodeBakeRun.Verdict(true, "no bake"), verdict);
        Assert.Single(_events.Named(NodeEvents.BakeSkipped));
    }

    private static string? Field(Microsoft.Extensions.Logging.Testing.FakeLogRecord record, string name) =>
        record.StructuredState?.FirstOrDefault(p => p.Key == name).Value;

    /// <summary>
    /// Reloads HAProxy behind the agent's back (USR2 to the master), sent again each second until a
    /// new worker runs (HAProxy 2.6's master drops a USR2 just after a load); the new worker's pid.
    /// </summary>
    private async Task<int> ReloadAsync(int previous)
    {
        for (var i = 0; i < 100; i++)
        {
            if (i % 20 == 0)
            {
                using var kill = System.Diagnostics.Process.Start("kill", ["-USR2", _haproxy.MasterPid.ToString(CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync();
            }

            if (await _runtime.WorkerPidOrNullAsync(CancellationToken.None) is { } pid && pid != previous)
            {
                return pid;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no new worker 5 s after a reload");
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _web.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
