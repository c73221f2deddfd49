using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// The real HAProxy, started on loopback with a rendered bundle (after both versions passed
/// <c>haproxy -c</c> on it), and stopped with its whole process tree on dispose: Debian 12's 2.6,
/// or the 3.0 of <see cref="HaproxyCheck.Haproxy30Root"/> through chroot (the bundle lives under
/// /tmp, which is bind-mounted into that root, so both read the same paths).
/// </summary>
internal sealed class RunningHaproxy : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RunningHaproxy(HaproxySpec spec, string directory, Process process)
    {
        Spec = spec;
        Directory = directory;
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public HaproxySpec Spec { get; }

    public string Directory { get; }

    public int HttpPort => Spec.Listeners.HttpPort;

    public int TlsOriginPort => Spec.Listeners.TlsOriginPort!.Value;

    /// <summary>What HAProxy printed so far: its logs (to stdout) and messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// <paramref name="spec"/> as a test runs it: every listener on a free loopback port, logs to
    /// stdout, the Runtime API socket in the bundle's folder, no user switch, and fewer connections.
    /// </summary>
    public static HaproxySpec OnLoopback(HaproxySpec spec, string directory)
    {
        var ports = FreePort.Distinct(5);
        return spec with
        {
            Listeners = spec.Listeners with
            {
                BindAddress = "127.0.0.1",
                HttpPort = ports[0],
                TlsOriginPort = ports[1],
                HealthPort = ports[2],
                AdminPort = ports[3],
                Tls = spec.Listeners.Tls is { } tls ? tls with { Port = ports[4] } : null,
            },
            // The test machine allows 20,000 open files; 50,000 connections would need 100,000.
            Global = spec.Global with { LogTarget = "stdout", RuntimeSocketPath = $"{directory}/admin.sock", User = null, MaxConnections = 2000 },
        };
    }

    public static async Task<RunningHaproxy> StartAsync(HaproxySpec spec, bool haproxy30 = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("haproxy-test-").FullName;
        var local = OnLoopback(spec, directory);
        ConfigRenderer.Render(local, directory).WriteTo(directory);
        var config = Path.Combine(directory, ConfigBundle.ConfigFileName);
        HaproxyCheck.AssertValid(config);

        var start = haproxy30
            ? new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "bash", "-c",
                $"mount --bind /tmp '{HaproxyCheck.Haproxy30Root}/tmp' && exec chroot '{HaproxyCheck.Haproxy30Root}' haproxy -db -f \"$0\"", config])
            : new ProcessStartInfo("haproxy", ["-db", "-f", config]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;

        var haproxy = new RunningHaproxy(local, directory, Process.Start(start)!);
        await haproxy.WaitUntilListeningAsync();
        return haproxy;
    }

    /// <summary>GET through the HTTP bind, with a PROXY v2 header as the NLB sends.</summary>
    public Task<Reply> GetAsync(string path, string host = "app.example.com", IPAddress? client = null,
        IReadOnlyDictionary<string, string>? headers = null, string method = "GET") =>
        ProxiedHttp.SendAsync(HttpPort, path, host, client, method, headers);

    /// <summary>GET the health endpoint, as the NLB's health check does.</summary>
    public Task<Reply> HealthAsync() => ProxiedHttp.SendAsync(Spec.Listeners.HealthPort, Spec.Listeners.HealthPath, "health");

    /// <summary>The Runtime API's answer to <paramref name="command"/>.</summary>
    public Task<string> RuntimeAsync(string command) => RuntimeSocket.SendAsync(Spec.Global.RuntimeSocketPath, command);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Append(line).Append('\n');
            }
        }
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Spec.Listeners.AdminPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"haproxy did not listen within 10 s:\n{Output}");
    }
}
