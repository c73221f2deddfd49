using System.Diagnostics;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// New bundle versions applied to a running master-worker HAProxy, as a rollout delivers them to
/// a node: a rule change reloads once; a table change reloads nothing; a bundle that haproxy -c
/// refuses, or that fails its health check once running, leaves (or puts back) the previous one.
/// </summary>
public sealed class BundleApplierTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("applier-").FullName;
    private readonly Backend _web = new("web");
    private readonly Backend _api = new("api");
    private readonly HaproxySpec _spec;
    private readonly MasterWorkerHaproxy _haproxy;
    private readonly Events _events = new();

    public BundleApplierTests()
    {
        var ports = FreePort.Distinct(4);
        _spec = new HaproxySpec
        {
            // Checks every 300 ms (fall 3): a dead default pool shows within a second.
            Pools = [new Pool { Name = "web", Servers = [_web.Server], HealthCheck = FastCheck }, new Pool { Name = "api", Servers = [_api.Server], HealthCheck = FastCheck }],
            DefaultPool = "web",
            Routes = [Route.HostTable("tenants", new TableEntry("a.example.com", "web"), new TableEntry("b.example.com", "web"))],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_root, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        ConfigRenderer.Render(_spec, ConfigDirectory).WriteTo(ConfigDirectory);
        _haproxy = new MasterWorkerHaproxy(ConfigDirectory, _spec.Global.RuntimeSocketPath);
        Haproxy = new RuntimeApi(_spec.Global.RuntimeSocketPath);
    }

    private static HealthCheck FastCheck => new() { Interval = TimeSpan.FromMilliseconds(300) };

    private string ConfigDirectory => Path.Combine(_root, "etc-haproxy");

    private RuntimeApi Haproxy { get; }

    private BundleApplier Applier() => new(ConfigDirectory, Haproxy, ReloadAsync, HealthyAsync, _events.Logger) { HealthTimeout = TimeSpan.FromSeconds(4), HealthSettle = TimeSpan.FromSeconds(2) };

    private async Task ReloadAsync(CancellationToken cancellation)
    {
        using var kill = Process.Start("kill", ["-USR2", _haproxy.MasterPid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync(cancellation);
    }

    private async Task<bool> HealthyAsync(CancellationToken cancellation)
    {
        try
        {
            return (await ProxiedHttp.SendAsync(_spec.Listeners.HealthPort, _spec.Listeners.HealthPath)).Status == 200;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private BundleArchive Archive(HaproxySpec spec) => ConfigRenderer.Render(spec, ConfigDirectory).Archive();

    private async Task<int> StatusAsync(string path, string host = "app.example.com") => (await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, path, host: host)).Status;

    private async Task<string> BackendAsync(string host) => (await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/", host: host)).Backend;

    [Fact]
    public async Task A_rule_change_runs_after_one_seamless_reload()
    {
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);
        var next = Archive(_spec with { RequestRules = [Rule.Deny(Match.PathPrefix("/admin"))] });

        var outcome = await Applier().ApplyAsync(next.Bytes, next.Sha256, CancellationToken.None);

        Assert.Equal(ApplyOutcome.Reloaded, outcome);
        Assert.NotEqual(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
        Assert.Equal(403, await StatusAsync("/admin"));
        Assert.False(Directory.Exists(ConfigDirectory + ".previous"));

        // The same version again changes nothing.
        Assert.Equal(ApplyOutcome.Unchanged, await Applier().ApplyAsync(next.Bytes, next.Sha256, CancellationToken.None));
    }

    [Fact]
    public async Task A_table_change_is_applied_in_place_with_no_reload_and_kept_for_the_next_one()
    {
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);
        var next = Archive(_spec with { Routes = [Route.HostTable("tenants", new TableEntry("a.example.com", "web"), new TableEntry("b.example.com", "api"))] });

        var outcome = await Applier().ApplyAsync(next.Bytes, next.Sha256, CancellationToken.None);

        Assert.Equal(ApplyOutcome.MapsInPlace, outcome);
        Assert.Equal("api", await BackendAsync("b.example.com"));
        Assert.Equal(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
        // AND the files hold it too, so a later reload keeps it
        await ReloadAsync(CancellationToken.None);
        await WaitForNewWorkerAsync(worker);
        Assert.Equal("api", await BackendAsync("b.example.com"));
    }

    [Fact]
    public async Task A_bundle_haproxy_refuses_never_runs_and_the_previous_files_stay()
    {
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);
        var before = await File.ReadAllTextAsync(Path.Combine(ConfigDirectory, "haproxy.cfg"));
        var bundle = ConfigRenderer.Render(_spec with { RequestRules = [Rule.Deny(Match.PathPrefix("/admin"))] }, ConfigDirectory);
        var broken = (bundle with
        {
            Files = bundle.Files.Select(f => f.Path == "haproxy.cfg" ? f with { Content = f.Content + "    this-is-not-a-keyword\n" } : f).ToValueList(),
        }).Archive();

        var outcome = await Applier().ApplyAsync(broken.Bytes, broken.Sha256, CancellationToken.None);

        Assert.Equal(ApplyOutcome.Refused, outcome);
        Assert.Contains("unknown keyword 'this-is-not-a-keyword'", Assert.Single(_events.Named(NodeEvents.ConfigRefused)).GetStructuredStateValue("Alerts"), StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(ConfigDirectory, "haproxy.cfg")));
        Assert.Equal(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
        Assert.Equal(200, await StatusAsync("/admin"));
    }

    [Fact]
    public async Task A_bundle_that_fails_its_health_check_once_running_is_reverted()
    {
        // GIVEN a bundle haproxy -c accepts whose default pool points where nothing listens
        using var nobody = new Backend("nobody");
        var deadServer = nobody.Server;
        nobody.Dispose();
        var before = await File.ReadAllTextAsync(Path.Combine(ConfigDirectory, "haproxy.cfg"));
        var next = Archive(_spec with
        {
            Pools = [_spec.Pools[0] with { Servers = [deadServer] }, _spec.Pools[1]],
            RequestRules = [Rule.Deny(Match.PathPrefix("/admin"))],
        });

        var outcome = await Applier().ApplyAsync(next.Bytes, next.Sha256, CancellationToken.None);

        // THEN the node is back on the previous config, serving
        Assert.Equal(ApplyOutcome.Refused, outcome);
        Assert.Single(_events.Named(NodeEvents.BundleReverted));
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(ConfigDirectory, "haproxy.cfg")));
        Assert.True(await HealthyAsync(CancellationToken.None));
        Assert.Equal(200, await StatusAsync("/admin"));
    }

    [Fact]
    public async Task A_bundle_with_the_wrong_sha256_is_refused_untouched()
    {
        var next = Archive(_spec with { RequestRules = [Rule.Deny(Match.PathPrefix("/admin"))] });

        Assert.Equal(ApplyOutcome.Refused, await Applier().ApplyAsync(next.Bytes, new string('0', 64), CancellationToken.None));
        Assert.Equal(200, await StatusAsync("/admin"));
    }

    [Fact]
    public async Task Versions_come_from_appconfig_once_each_and_a_refused_one_rolls_the_deployment_back()
    {
        // GIVEN the AppConfig stand-in, whose alarm listens where the agent sends its metrics, with the running bundle deployed
        var emfPort = FreePort.Next();
        using var appConfig = new AppConfigStandIn(FreePort.Next(), emfPort: emfPort);
        using var metrics = new AgentMetrics(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, emfPort), "HaproxyCluster/test", "/haproxy-cluster/test", TimeProvider.System);
        using var http = new HttpClient();
        var probe = new HealthProbe(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _spec.Listeners.HealthPort), _spec.Listeners.HealthPath);
        var applier = new BundleApplier(ConfigDirectory, Haproxy, ReloadAsync, probe.HealthyAsync, _events.Logger) { HealthTimeout = TimeSpan.FromSeconds(4), HealthSettle = TimeSpan.FromSeconds(2) };
        var rollout = new RuleRollout(http, new Uri(appConfig.Endpoint, "applications/haproxy-cluster-test/environments/test/configurations/rules"), applier, _events.Logger, metrics);
        appConfig.Deploy(RulesPayload.Encode(Archive(_spec)), [], TimeSpan.Zero, TimeSpan.Zero);
        Assert.Equal(ApplyOutcome.Unchanged, await rollout.PollAsync(CancellationToken.None));

        // WHEN a rule change is deployed THEN it runs after one reload, and the next poll does nothing
        appConfig.Deploy(RulesPayload.Encode(Archive(_spec with { RequestRules = [Rule.Deny(Match.PathPrefix("/admin"))] })), [], TimeSpan.Zero, TimeSpan.Zero);
        Assert.Equal(ApplyOutcome.Reloaded, await rollout.PollAsync(CancellationToken.None));
        Assert.Equal(403, await StatusAsync("/admin"));
        Assert.Null(await rollout.PollAsync(CancellationToken.None));

        // WHEN a version haproxy -c refuses reaches this node as the canary of a two-step deployment
        var bundle = ConfigRenderer.Render(_spec, ConfigDirectory);
        var broken = (bundle with { Files = bundle.Files.Select(f => f.Path == "haproxy.cfg" ? f with { Content = f.Content + "    not-a-keyword\n" } : f).ToValueList() }).Archive();
        appConfig.Deploy(RulesPayload.Encode(broken), [50, 100], TimeSpan.FromMinutes(1), TimeSpan.Zero);
        Assert.Equal(ApplyOutcome.Refused, await rollout.PollAsync(CancellationToken.None));

        // THEN its failed-apply data point rolls the deployment back, and the previous version, which still runs, comes back
        var clock = Stopwatch.StartNew();
        while (!appConfig.Status().Contains("\"state\":\"RolledBack\"", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), appConfig.Status());
            await Task.Delay(50);
        }

        Assert.Equal(ApplyOutcome.Unchanged, await rollout.PollAsync(CancellationToken.None));
        Assert.Equal(403, await StatusAsync("/admin"));
        Assert.NotEmpty(_events.Named(NodeEvents.RulesFailed));
    }

    [Fact]
    public async Task An_appconfig_agent_that_does_not_answer_leaves_the_rules_running_and_is_told_once()
    {
        using var http = new HttpClient();
        var rollout = new RuleRollout(http, new Uri($"http://127.0.0.1:{FreePort.Next()}/applications/a/environments/e/configurations/rules"), Applier(), _events.Logger);

        Assert.Null(await rollout.PollAsync(CancellationToken.None));
        Assert.Null(await rollout.PollAsync(CancellationToken.None));

        Assert.Single(_events.Named(NodeEvents.RulesUnreachable));
        Assert.Equal(200, await StatusAsync("/admin"));
    }

    private async Task WaitForNewWorkerAsync(int old)
    {
        var clock = Stopwatch.StartNew();
        while (await Haproxy.WorkerPidOrNullAsync(CancellationToken.None) is not { } pid || pid == old)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no new worker after 10 s");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _web.Dispose();
        _api.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
