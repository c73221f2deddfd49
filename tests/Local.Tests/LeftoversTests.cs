using System.Diagnostics;
using System.Globalization;

namespace HaproxyCluster.Local.Tests;

/// <summary>make test's last step finds a process that carries the marker, however it was started, and stops it; nothing else.</summary>
public sealed class LeftoversTests
{
    [Fact]
    public void A_process_that_carries_the_marker_is_found_and_stopped_and_one_that_does_not_is_left_alone()
    {
        // GIVEN a daemon that forked away from its shell with the marker, and one without it
        var marker = string.Create(CultureInfo.InvariantCulture, $"LEFTOVERS_TEST={Environment.ProcessId}");
        using var marked = Start(marker);
        using var unmarked = Start("LEFTOVERS_TEST=another");
        var daemon = WaitForDaemon(marked);
        var other = WaitForDaemon(unmarked);
        try
        {
            // WHEN leftovers looks for the marker
            var found = Leftovers.Find(marker);
            var output = new StringWriter();
            var clean = Leftovers.Stop(found, output);

            // THEN it finds exactly the marked daemon, says so, and stops it
            Assert.Equal([daemon], found);
            Assert.False(clean);
            Assert.Contains($"  {daemon} sleep 60", output.ToString(), StringComparison.Ordinal);
            Assert.True(SpinWait.SpinUntil(() => !Directory.Exists($"/proc/{daemon}") || File.ReadAllText($"/proc/{daemon}/stat").Contains(") Z ", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
            Assert.True(Directory.Exists($"/proc/{other}"));
            Assert.Empty(Leftovers.Find(marker));
            Assert.True(Leftovers.Stop([], output));
        }
        finally
        {
            Process.Start("kill", ["-9", other.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    // A shell that starts sleep in the background with the marker and prints its pid, then exits.
    private static Process Start(string environment) =>
        Process.Start(new ProcessStartInfo("bash", ["-c", $"env {environment} sleep 60 > /dev/null 2>&1 & echo $!"]) { RedirectStandardOutput = true })!;

    private static int WaitForDaemon(Process shell)
    {
        var pid = int.Parse(shell.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
        shell.WaitForExit();
        return pid;
    }
}
