using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HaproxyCluster.Local;

/// <summary>
/// make test's last step: the processes its tests started that are still running. Every test
/// command runs with a marker (<c>NAME=value</c>) in its environment, which every process it starts
/// inherits, daemons that forked away from their test (rsyslogd, haproxy -D) too. This process, its
/// ancestors (the make that runs it may carry the marker) and its children are not leftovers.
/// </summary>
public static class Leftovers
{
    /// <summary>The pids under <paramref name="proc"/> whose environment holds <paramref name="marker"/>, but this process's family.</summary>
    public static IReadOnlyList<int> Find(string marker, string proc = "/proc")
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories(proc))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && Parent(dir) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        var self = Environment.ProcessId;
        var family = new HashSet<int>();
        for (var pid = self; pid > 1 && family.Add(pid);)
        {
            pid = parents.GetValueOrDefault(pid, 1);
        }

        return [.. parents.Where(p => !family.Contains(p.Key) && p.Value != self && Holds(Path.Combine(proc, p.Key.ToString(CultureInfo.InvariantCulture), "environ"), marker))
            .Select(p => p.Key).Order()];
    }

    /// <summary>Stops <paramref name="pids"/> with SIGKILL and says which they were; true when there were none.</summary>
    public static bool Stop(IReadOnlyList<int> pids, TextWriter output)
    {
        if (pids.Count == 0)
        {
            output.WriteLine("leftovers: no process started by the tests is still running");
            return true;
        }

        output.WriteLine($"leftovers: {pids.Count} process(es) started by the tests are still running; stopping them:");
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {pid} {Command(pid)}"));
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
        }

        return false;
    }

    // Field 4 of /proc/<pid>/stat, after the command's closing parenthesis (a command may hold spaces).
    private static int? Parent(string dir) =>
        Read(Path.Combine(dir, "stat")) is { } stat && stat[(stat.LastIndexOf(')') + 2)..].Split(' ') is [_, var parent, ..]
            ? int.Parse(parent, CultureInfo.InvariantCulture)
            : null;

    private static bool Holds(string environ, string marker) => Read(environ)?.Split('\0').Contains(marker) ?? false;

    private static string Command(int pid) => (Read($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline") ?? "").Replace('\0', ' ').Trim();

    // A process may end, or deny its environment, while it is read.
    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
