using System.Diagnostics;
using HaproxyCluster.Config;

namespace HaproxyCluster.Tests.Shared;

/// <summary>HAProxy in master-worker mode, as a node runs it, on a rendered bundle; ready once its admin socket exists.</summary>
internal sealed class MasterWorkerHaproxy : IDisposable
{
    private readonly Process _process;

    public MasterWorkerHaproxy(string folder, string runtimeSocket)
    {
        var config = Path.Combine(folder, ConfigBundle.ConfigFileName);
        HaproxyCheck.AssertValid(config);
        _process = Process.Start(new ProcessStartInfo("haproxy", ["-W", "-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (Output) { Output.Add(line); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (Output) { Output.Add(line); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(runtimeSocket))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "HAProxy's admin socket never appeared");
            Thread.Sleep(50);
        }
    }

    /// <summary>What the master and its workers printed.</summary>
    public List<string> Output { get; } = [];

    /// <summary>The master's pid: a USR2 to it reloads HAProxy.</summary>
    public int MasterPid => _process.Id;

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
