using System.Diagnostics;

namespace HaproxyCluster.Tests.Shared;

/// <summary>Runs a real program and collects what it printed.</summary>
internal static class Command
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; returns its exit code and stdout then stderr.</summary>
    public static (int ExitCode, string Output) Run(string file, params IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>shellcheck at its strictest severity (style) on a bash script file.</summary>
    public static (int ExitCode, string Output) Shellcheck(string path) => Run("shellcheck", "--severity=style", "--shell=bash", path);
}
