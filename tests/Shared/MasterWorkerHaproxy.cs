using System.Diagnostics;
using HaproxyCluster.Config;

namespace HaproxyCluster.Tests.Shared;

/// <summary>HAProxy in master-worker mode, as a node runs it, on a rendered bundle; ready once its worker answers on the admin socket.</summary>
internal sealed class MasterWorkerHaproxy : IDisposable
{
    private readonly Process _process;

    /// <param name="folder">The rendered bundle.</param>
    /// <param name="runtimeSocket">Its admin socket.</param>
    /// <param name="program">The HAProxy to run: the one on the PATH, or an image's.</param>
    public MasterWorkerHaproxy(string folder, string runtimeSocket, string program = "haproxy")
    {
        var config = Path.Combine(folder, ConfigBundle.ConfigFileName);
        HaproxyCheck.AssertValid(config);
        _process = Process.Start(new ProcessStartInfo(program, ["-W", "-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (Output) { Output.Add(line); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (Output) { Output.Add(line); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        RuntimeSocket.WaitForWorker(runtimeSocket, () => string.Join('\n', Snapshot()));
    }

    /// <summary>What the master and its workers printed.</summary>
    public List<string> Output { get; } = [];

    /// <summary>A copy of <see cref="Output"/>, safe while HAProxy still prints.</summary>
    public List<string> Snapshot()
    {
        lock (Output)
        {
            return [.. Output];
        }
    }

    /// <summary>The master's pid: a USR2 to it reloads HAProxy.</summary>
    public int MasterPid => _process.Id;

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
