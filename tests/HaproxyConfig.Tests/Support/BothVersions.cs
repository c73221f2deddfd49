namespace HaproxyCluster.Config.Tests.Support;

/// <summary>One backend, and the same node config on HAProxy 2.6 and 3.0.</summary>
public sealed class BothVersions : IAsyncLifetime, IDisposable
{
    private readonly Backend _web = new("web");
    private RunningHaproxy? _haproxy26;
    private RunningHaproxy? _haproxy30;

    internal RunningHaproxy Haproxy26 => _haproxy26 ?? throw new InvalidOperationException("not started");

    internal RunningHaproxy Haproxy30 => _haproxy30 ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        var spec = new HaproxySpec { Pools = [new Pool { Name = "web", Servers = [_web.Server] }], DefaultPool = "web" };
        _haproxy26 = await RunningHaproxy.StartAsync(spec);
        _haproxy30 = await RunningHaproxy.StartAsync(spec, haproxy30: true);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    // xunit calls both DisposeAsync and Dispose on a fixture that has both: the second does nothing.
    public void Dispose()
    {
        _haproxy26?.Dispose();
        _haproxy30?.Dispose();
        _haproxy26 = _haproxy30 = null;
        _web.Dispose();
    }
}
