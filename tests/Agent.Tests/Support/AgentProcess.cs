using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Agent.Tests.Support;

/// <summary>
/// The agent's service as systemd runs a <c>Type=notify</c> unit: the process is PID 1 of a PID
/// namespace of its own (how the host's systemd check passes outside systemd) with
/// <c>NOTIFY_SOCKET</c> naming a datagram socket this class reads, so every <c>READY=1</c> and
/// <c>STOPPING=1</c> it sends is seen. Disposing kills it, whatever the test did.
/// </summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly Socket _notify = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly ConcurrentQueue<string> _output = new();

    public AgentProcess(string folder, string settings)
    {
        var socket = Path.Combine(folder, "notify.sock");
        _notify.Bind(new UnixDomainSocketEndPoint(socket));
        var start = new ProcessStartInfo("unshare", ["--pid", "--fork", "--kill-child", "dotnet", AgentExecutable.Dll, "--settings", settings])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NOTIFY_SOCKET"] = socket;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What it wrote so far, a line each.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>The next message it sent systemd, or null when none came within <paramref name="wait"/>.</summary>
    public string? NextNotification(TimeSpan wait)
    {
        if (!_notify.Poll(wait, SelectMode.SelectRead))
        {
            return null;
        }

        var buffer = new byte[4096];
        return Encoding.UTF8.GetString(buffer, 0, _notify.Receive(buffer));
    }

    /// <summary>Sends SIGTERM to the agent (unshare's child), as <c>systemctl stop</c> does, and waits for it to end.</summary>
    public async Task StopAsync()
    {
        var agent = File.ReadAllText($"/proc/{_process.Id}/task/{_process.Id}/children").Trim();
        Assert.Equal(0, Command.Run("kill", "-TERM", agent).ExitCode);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        _notify.Dispose();
    }
}
