using System.Diagnostics;
using System.Text;

namespace HaproxyCluster.Tests.Shared;

/// <summary>
/// Finds processes by a variable in their environment. A test that starts something that forks
/// away (rsyslogd, <c>haproxy -D</c>) starts it with a marker; every descendant inherits it, so the
/// test can stop them all whatever became of their parents.
/// </summary>
internal static class MarkedProcesses
{
    /// <summary>The pids of the running processes whose environment holds <paramref name="marker"/> (NAME=value).</summary>
    public static IReadOnlyList<int> Find(string marker)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = Encoding.Latin1.GetString(File.ReadAllBytes(Path.Combine(directory, "environ")));
                if (environment.Split('\0').Contains(marker, StringComparer.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is a kernel thread.
            }
        }

        return found;
    }

    /// <summary>Kills every process whose environment holds <paramref name="marker"/>, and waits for each to go.</summary>
    public static void KillAll(string marker)
    {
        foreach (var pid in Find(marker))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }
}
