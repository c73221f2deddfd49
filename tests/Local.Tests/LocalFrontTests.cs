using System.Diagnostics;
using HaproxyCluster.Config;

namespace HaproxyCluster.Local.Tests;

/// <summary>
/// The local front's zones, its config (both HAProxy versions accept it), a zonal shift through a
/// real HAProxy's Runtime API, and the session log chaos counts from.
/// </summary>
public sealed class LocalFrontTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("local-front-").FullName;
    private Process? _haproxy;

    [Fact]
    public void The_first_zone_holds_two_of_three_nodes()
    {
        string[] zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

        Assert.Equal(["eu-west-1a", "eu-west-1b", "eu-west-1a"], Enumerable.Range(1, 3).Select(node => LocalFront.Zone(zones, node)));
    }

    [Fact]
    public void The_front_config_is_valid_and_names_each_nodes_zone_and_its_admin_socket()
    {
        var config = Path.Combine(_folder, "front.cfg");

        File.WriteAllText(config, LocalFront.Config(new Listeners { TlsOriginPort = 8443 }, "10.99.0.1", ["zone-a", "zone-b", "zone-a"], Path.Combine(_folder, "front.sock")));

        var text = File.ReadAllText(config);
        Assert.Contains("    server node3 10.99.0.13:80  # in zone-a\n", text, StringComparison.Ordinal);
        Assert.Contains($"    stats socket {_folder}/front.sock mode 600 level admin\n", text, StringComparison.Ordinal);
        Assert.Empty(HaproxyCheck.Failures([config]));
    }

    [Fact]
    public async Task A_zonal_shift_drains_the_zones_nodes_in_every_node_backend_and_its_end_makes_them_ready()
    {
        // GIVEN a real HAProxy with the front's two node backends
        var socket = Path.Combine(_folder, "admin.sock");
        var config = Path.Combine(_folder, "haproxy.cfg");
        File.WriteAllText(config, $"""
            global
                stats socket {socket} mode 600 level admin
            defaults
                mode tcp
                timeout connect 1s
                timeout client 1s
                timeout server 1s
            backend nodes
                server node1 127.0.0.1:1
                server node2 127.0.0.1:2
                server node3 127.0.0.1:3
            backend nodes_tls
                server node1 127.0.0.1:1
                server node2 127.0.0.1:2
                server node3 127.0.0.1:3

            """);
        _haproxy = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await RuntimeSocket.AskAsync(socket, "show info", CancellationToken.None) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        // WHEN the zone of nodes 1 and 3 is shifted away
        var complaints = await LocalFront.ShiftAsync(socket, [1, 3], shifted: true, CancellationToken.None);

        // THEN both backends drain exactly those nodes (admin state 8: drain), and the shift's end puts them back
        Assert.Empty(complaints);
        Assert.Equal("nodes node1 8, nodes node2 0, nodes node3 8, nodes_tls node1 8, nodes_tls node2 0, nodes_tls node3 8", await AdminStatesAsync(socket));
        Assert.Empty(await LocalFront.ShiftAsync(socket, [1, 3], shifted: false, CancellationToken.None));
        Assert.Equal("nodes node1 0, nodes node2 0, nodes node3 0, nodes_tls node1 0, nodes_tls node2 0, nodes_tls node3 0", await AdminStatesAsync(socket));
        // AND a node the front does not have, or a front that does not answer, is a complaint, not silence
        Assert.Equal(["set server nodes/node9 state drain: No such server.", "set server nodes_tls/node9 state drain: No such server."], await LocalFront.ShiftAsync(socket, [9], shifted: true, CancellationToken.None));
        Assert.Equal([$"the front at {_folder}/none.sock lists no node backend"], await LocalFront.ShiftAsync(Path.Combine(_folder, "none.sock"), [1], shifted: true, CancellationToken.None));
    }

    [Fact]
    public void The_session_log_says_which_sessions_a_node_broke()
    {
        var log = Path.Combine(_folder, "front.log");
        File.WriteAllLines(log,
        [
            "1796565849363 node1 -- 512 29",
            "1796565849364 node1 -- 0 20",
            "1796565849370 node3 SD 0 18",
            "1796565849371 node2 sC 0 2000",
            "[WARNING] (123) : Server nodes/node1 is DOWN",
            "1796565849372 <STATS> LR 1200 0",
        ]);

        var sessions = LocalFront.Session.Read(log).ToList();

        Assert.Equal(["node1", "node1", "node3", "node2", "<STATS>"], sessions.Select(s => s.Node));
        Assert.Equal([false, true, true, true, false], sessions.Select(s => s.Broken));
        Assert.Equal(new LocalFront.Session(1796565849370, "node3", "SD", 0, 18), sessions[2]);
    }

    /// <summary>Each server's admin state, from <c>show servers state</c>: backend, server, state (fields 2, 4 and 7).</summary>
    private static async Task<string> AdminStatesAsync(string socket) =>
        string.Join(", ", ((await RuntimeSocket.AskAsync(socket, "show servers state", CancellationToken.None)) ?? "").Split('\n')
            .Select(line => line.Split(' ')).Where(f => f.Length > 6 && !f[0].StartsWith('#') && f[0] != "1").Select(f => $"{f[1]} {f[3]} {f[6]}"));

    public void Dispose()
    {
        if (_haproxy is { HasExited: false })
        {
            _haproxy.Kill();
            _haproxy.WaitForExit();
        }

        _haproxy?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
