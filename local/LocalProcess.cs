using System.Diagnostics;

namespace HaproxyCluster.Local;

/// <summary>Commands the local harness runs to their end: the exit code and what they printed.</summary>
internal static class LocalProcess
{
    /// <summary>Runs <paramref name="command"/> (program and arguments, no shell); its exit code and its output, standard output then error.</summary>
    public static async Task<(int Code, string Output)> RunAsync(string[] command, CancellationToken cancellation)
    {
        using var process = Process.Start(new ProcessStartInfo(command[0], command[1..]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The exit code of a process started elsewhere, once it exited; the process is disposed.</summary>
    public static async Task<int> WaitAsync(this Process process, CancellationToken cancellation)
    {
        using (process)
        {
            await process.WaitForExitAsync(cancellation);
            return process.ExitCode;
        }
    }
}
