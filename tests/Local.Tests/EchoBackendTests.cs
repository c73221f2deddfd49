using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local.Tests;

/// <summary>The local echo backend, run by the real HAProxy: which upgrades it tunnels, and the name it answers with.</summary>
public sealed class EchoBackendTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("echo-backend-").FullName;
    private static readonly HaproxySpec Spec = Environments.Dev.Haproxy;
    private readonly LocalTopology.LocalBackend _backend = LocalTopology.Backends(Spec, "127.0.0.1", FreePort.Next()).First(b => b.Pool == "web");
    private readonly Process _haproxy;

    public EchoBackendTests()
    {
        var config = Path.Combine(_folder, "web-1.cfg");
        File.WriteAllText(config, LocalTopology.EchoBackendConfig(_backend));
        _haproxy = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    }

    [Fact]
    public async Task An_h2c_upgrade_is_answered_as_a_plain_request_and_only_upgrade_echo_goes_to_the_echo()
    {
        // WHEN curl --http2 asks to upgrade to h2c  THEN the backend answers it as HTTP/1.1, with what it received
        var h2c = await SendAsync("Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n");
        Assert.StartsWith("HTTP/1.1 200", h2c, StringComparison.Ordinal);
        Assert.Contains("\"pool\":\"web\"", h2c, StringComparison.Ordinal);

        // WHEN a test asks to upgrade to echo  THEN the request goes on to the upgrade echo (none listens here: 503)
        Assert.StartsWith("HTTP/1.1 503", await SendAsync("Connection: Upgrade\r\nUpgrade: echo\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_answers_with_the_one_name_the_nodes_and_the_ec2_stand_in_know_it_by()
    {
        var backends = LocalTopology.Backends(Spec, "127.0.0.1", _backend.Port);
        var nodeServers = LocalTopology.NodeSpec(Spec, backends, "/run/admin.sock").Pools.Single(p => p.Name == "web").Servers.Select(s => s.Name);
        var instanceIds = LocalTopology.Instances(Spec, backends).Select(line => Ec2StandIn.Instance.Parse(line.Split('\t', 2)[1]).Id);

        Assert.Contains("\"server\":\"web-1\"", await SendAsync(""), StringComparison.Ordinal);
        Assert.Equal(["web-1", "web-2"], nodeServers);
        Assert.Equal(backends.Where(b => b.Pool == "api").Select(b => b.Name), instanceIds);
        Assert.All(instanceIds, id => Assert.Matches("^i-[0-9a-f]{17}$", id));
    }

    private async Task<string> SendAsync(string headers)
    {
        var clock = Stopwatch.StartNew();
        using var tcp = new TcpClient();
        while (true)
        {
            try
            {
                await tcp.ConnectAsync(IPAddress.Loopback, _backend.Port);
                break;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(10) && !_haproxy.HasExited)
            {
                await Task.Delay(50);
            }
        }

        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /probe HTTP/1.1\r\nHost: app.local.test\r\n{headers}\r\n"));
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await stream.ReadAsync(buffer, timeout.Token);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    public void Dispose()
    {
        _haproxy.Kill();
        _haproxy.WaitForExit();
        _haproxy.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
