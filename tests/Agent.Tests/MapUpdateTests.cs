using System.Globalization;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// A routing table changed in place through the Runtime API (prepare, add in batches, commit), on a
/// real master-worker HAProxy: a 10,000-host table swapped whole, with no reload.
/// </summary>
public sealed class MapUpdateTests : IDisposable
{
    private const int Hosts = 10_000;
    private readonly string _folder = Directory.CreateTempSubdirectory("map-update-").FullName;
    private readonly Backend _web = new("web");
    private readonly Backend _api = new("api");
    private readonly HaproxySpec _spec;
    private readonly ConfigBundle _bundle;
    private readonly MasterWorkerHaproxy _haproxy;

    public MapUpdateTests()
    {
        var ports = FreePort.Distinct(4);
        _spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_web.Server] }, new Pool { Name = "api", Servers = [_api.Server] }],
            DefaultPool = "web",
            Routes = [Route.HostTable("tenants", [.. Enumerable.Range(0, Hosts).Select(i => new TableEntry(Host(i), "web"))])],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        _bundle = ConfigRenderer.Render(_spec, _folder);
        _bundle.WriteTo(_folder);
        _haproxy = new MasterWorkerHaproxy(_folder, _spec.Global.RuntimeSocketPath);
    }

    private static string Host(int i) => string.Create(CultureInfo.InvariantCulture, $"tenant{i}.example.com");

    private async Task<string> Backend(int tenant) => (await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/", host: Host(tenant))).Backend;

    [Fact]
    public async Task A_ten_thousand_host_table_is_replaced_whole_without_a_reload()
    {
        var haproxy = new RuntimeApi(_spec.Global.RuntimeSocketPath);
        var worker = await haproxy.WorkerPidAsync(CancellationToken.None);
        var map = Assert.Single(_bundle.Files, f => f.Path.StartsWith("maps/", StringComparison.Ordinal));
        var mapPath = Path.Combine(_folder, map.Path);
        Assert.Equal("web", await Backend(9_999));

        // WHEN the table is rendered again with every tenant moved to api, and applied in place
        var moved = ConfigRenderer.Render(_spec with
        {
            Routes = [Route.HostTable("tenants", [.. Enumerable.Range(0, Hosts).Select(i => new TableEntry(Host(i), "api"))])],
        }, _folder);
        var entries = moved[map.Path].Split('\n');
        var committed = await MapUpdate.ReplaceAsync(haproxy, mapPath, entries, CancellationToken.None);

        // THEN every entry is the new one, requests follow it, and the worker is the same
        Assert.Equal(Hosts, committed);
        var shown = (await haproxy.SendAsync($"show map {mapPath}", CancellationToken.None)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Hosts, shown.Length);
        Assert.All(shown, line => Assert.EndsWith(" api", line, StringComparison.Ordinal));
        Assert.Equal("api", await Backend(0));
        Assert.Equal("api", await Backend(9_999));
        Assert.Equal(worker, await haproxy.WorkerPidAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_refused_update_leaves_the_running_table_as_it_was()
    {
        var haproxy = new RuntimeApi(_spec.Global.RuntimeSocketPath);
        var mapPath = Path.Combine(_folder, Assert.Single(_bundle.Files, f => f.Path.StartsWith("maps/", StringComparison.Ordinal)).Path);

        // A map HAProxy does not know: the prepare step is refused, nothing is committed.
        await Assert.ThrowsAsync<InvalidOperationException>(() => MapUpdate.ReplaceAsync(haproxy, mapPath + ".nope", ["x.example.com api"], CancellationToken.None));

        Assert.Equal("web", await Backend(1));
        Assert.Equal(Hosts, (await haproxy.SendAsync($"show map {mapPath}", CancellationToken.None)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    public void Dispose()
    {
        _haproxy.Dispose();
        _web.Dispose();
        _api.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
