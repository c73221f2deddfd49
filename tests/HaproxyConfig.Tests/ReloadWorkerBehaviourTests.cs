using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// Frequent reloads with long-lived connections, on the real master-worker HAProxy: each
/// generation of workers keeps a connection open, yet old workers do not pile up.
/// </summary>
public sealed class ReloadWorkerBehaviourTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("reload-workers-").FullName;
    private readonly List<TcpClient> _held = [];

    // A server that takes connections and never answers: a request to it stays in flight, as a
    // long poll or a slow download does, and keeps its worker alive after a reload.
    private readonly TcpListener _silent = new(System.Net.IPAddress.Loopback, 0);

    public ReloadWorkerBehaviourTests() => _silent.Start();

    private HaproxySpec Spec(int[] ports) => new()
    {
        Pools = [new Pool { Name = "web", Servers = [new Server("127.0.0.1", ((System.Net.IPEndPoint)_silent.LocalEndpoint).Port)] }],
        DefaultPool = "web",
        Listeners = new Listeners { BindAddress = "127.0.0.1", AcceptProxy = false, HttpPort = ports[0], TlsOriginPort = ports[1], HealthPort = ports[2], AdminPort = ports[3] },
        Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
    };

    [Fact]
    public async Task Ten_reloads_each_holding_a_connection_leave_at_most_the_bound_of_old_workers()
    {
        // GIVEN a node's config (old workers may outlive 3 reloads) running in master-worker mode
        var ports = FreePort.Distinct(4);
        var spec = Spec(ports);
        ConfigRenderer.Render(spec, _folder).WriteTo(_folder);
        using var haproxy = new MasterWorkerHaproxy(_folder, spec.Global.RuntimeSocketPath);

        // WHEN each of ten generations takes a request that stays in flight, then is reloaded away
        for (var reload = 0; reload < 10; reload++)
        {
            _held.Add(await RequestInFlightAsync(ports[0]));
            await ReloadAsync(haproxy, loads: reload + 2);
        }

        // THEN the current worker and at most 3 old ones run, the old ones held by their requests
        // (without the bound, all eleven would, until hard-stop-after)
        await WaitForAsync(() => Workers(haproxy.MasterPid).Count <= 1 + spec.Global.MaxReloadsPerWorker, "old workers beyond the bound to stop");
        Assert.InRange(Workers(haproxy.MasterPid).Count, 2, 1 + spec.Global.MaxReloadsPerWorker);
    }

    public void Dispose()
    {
        _held.ForEach(c => c.Dispose());
        _silent.Stop();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A connection whose request HAProxy has passed to the silent server and waits on.</summary>
    private async Task<TcpClient> RequestInFlightAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n"));
        _held.Add(await _silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5)));
        return client;
    }

    /// <summary>
    /// Sends USR2, as systemctl reload does, until the master has loaded the config that many times.
    /// HAProxy 2.6's master drops a USR2 that lands in the moment between printing "Loading success."
    /// and registering its signal handlers again, so a reload not seen in a second is sent again.
    /// </summary>
    private static async Task ReloadAsync(MasterWorkerHaproxy haproxy, int loads)
    {
        for (var attempt = 1; Loaded(haproxy) < loads; attempt++)
        {
            Assert.True(attempt <= 5, $"the master did not reload to load {loads} after {attempt - 1} USR2s\n{string.Join('\n', haproxy.Output)}");
            using var usr2 = Process.Start("kill", ["-USR2", haproxy.MasterPid.ToString(CultureInfo.InvariantCulture)])!;
            await usr2.WaitForExitAsync();
            var clock = Stopwatch.StartNew();
            while (Loaded(haproxy) < loads && clock.Elapsed < TimeSpan.FromSeconds(1))
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>How many times the master has loaded the config (start and reloads).</summary>
    private static int Loaded(MasterWorkerHaproxy haproxy)
    {
        lock (haproxy.Output)
        {
            return haproxy.Output.Count(line => line.EndsWith("Loading success.", StringComparison.Ordinal));
        }
    }

    /// <summary>The master's children: its workers, old and current.</summary>
    private static List<int> Workers(int master) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).OfType<string>()
            .Where(name => name.All(char.IsAsciiDigit))
            .Where(pid => ParentOf(pid) == master)
            .Select(pid => int.Parse(pid, CultureInfo.InvariantCulture))];

    private static int? ParentOf(string pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited 10 s for {what}");
            await Task.Delay(50);
        }
    }
}
