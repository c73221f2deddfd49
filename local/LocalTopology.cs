using System.Globalization;
using HaproxyCluster.Config;

namespace HaproxyCluster.Local;

/// <summary>
/// Turns an environment's spec into the spec a node of the local stand-in runs: the same rules
/// and defaults, with each pool's servers (or DNS discovery) replaced by local backends, logs on
/// stdout, a Runtime API socket per node, and the local load generator exempt from rate limits
/// (as a monitoring probe would be). Nothing else changes, so what runs locally is the real config.
/// </summary>
public static class LocalTopology
{
    /// <summary>Backend servers per pool: two, so one can die while the other serves.</summary>
    public const int ServersPerPool = 2;

    /// <summary>The address range the local load comes from (loopback, through the front).</summary>
    public const string LoadSource = "127.0.0.0/8";

    /// <summary>One local backend: which pool it stands in for and where it listens.</summary>
    public sealed record LocalBackend(string Pool, int Index, string Address, int Port);

    /// <summary>The backends for <paramref name="spec"/>'s pools, ports numbered from <paramref name="firstPort"/>.</summary>
    public static IReadOnlyList<LocalBackend> Backends(HaproxySpec spec, string address, int firstPort) =>
        spec.Pools.OrderBy(p => p.Name, StringComparer.Ordinal)
            .SelectMany(p => Enumerable.Range(1, ServersPerPool).Select(i => (p.Name, i)))
            .Select((b, n) => new LocalBackend(b.Name, b.i, address, firstPort + n))
            .ToList();

    /// <summary>The node's spec: <paramref name="spec"/> pointed at <paramref name="backends"/>.</summary>
    public static HaproxySpec NodeSpec(HaproxySpec spec, IReadOnlyList<LocalBackend> backends, string runtimeSocket, string bindAddress = "") => spec with
    {
        Pools = spec.Pools.Select(pool => pool with
        {
            Servers = backends.Where(b => b.Pool == pool.Name)
                .Select(b => new Server(b.Address, b.Port) { Name = string.Create(CultureInfo.InvariantCulture, $"local{b.Index}") })
                .ToValueList(),
            Discovery = null,
        }).ToValueList(),
        RequestRules = spec.RequestRules.Select(rule => rule is RateLimitRule limit
            ? limit with { Exempt = [.. limit.Exempt, LoadSource] }
            : rule).ToValueList(),
        Listeners = spec.Listeners with { BindAddress = bindAddress },
        Global = spec.Global with { LogTarget = "stdout", RuntimeSocketPath = runtimeSocket, User = null, MaxConnections = 4000 },
    };

    /// <summary><paramref name="spec"/> with a host table of <paramref name="hosts"/> entries first in its routes.</summary>
    public static HaproxySpec WithHostTable(HaproxySpec spec, int hosts) => spec with
    {
        Routes = [Route.HostTable("bench-hosts", [.. Enumerable.Range(0, hosts).Select(i => new TableEntry(BenchHost(i), spec.DefaultPool))]), .. spec.Routes],
    };

    /// <summary>The name of host number <paramref name="i"/> of a bench table.</summary>
    public static string BenchHost(int i) => string.Create(CultureInfo.InvariantCulture, $"tenant{i}.bench.example.com");
}
