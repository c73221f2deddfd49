using System.Globalization;

namespace HaproxyCluster.Local;

/// <summary>
/// Slows what a network namespace sends from one TCP port, and nothing else: an HTB class at a rate,
/// and a u32 filter on the source port that sends those packets through it; everything else leaves
/// unshaped (HTB with no default class). How chaos makes a zone gray: its nodes' answers crawl while
/// their health port, and so the front's checks, stay quick. (This kernel has no netem.)
/// </summary>
public static class PortThrottle
{
    /// <summary>The <c>tc</c> commands that squeeze <paramref name="port"/>'s packets on <paramref name="device"/> to <paramref name="rate"/> (<c>256kbit</c>).</summary>
    public static IReadOnlyList<string[]> On(string device, int port, string rate) =>
    [
        ["qdisc", "add", "dev", device, "root", "handle", "1:", "htb"],
        ["class", "add", "dev", device, "parent", "1:", "classid", "1:2", "htb", "rate", rate, "quantum", "1514"],
        ["filter", "add", "dev", device, "parent", "1:", "protocol", "ip", "u32", "match", "ip", "sport", port.ToString(CultureInfo.InvariantCulture), "0xffff", "flowid", "1:2"],
    ];

    /// <summary>The <c>tc</c> command that takes the throttle off <paramref name="device"/>.</summary>
    public static IReadOnlyList<string[]> Off(string device) => [["qdisc", "del", "dev", device, "root"]];

    /// <summary>Runs each <c>tc</c> command in <paramref name="netns"/>; returns what the first that failed printed, or null.</summary>
    public static async Task<string?> RunAsync(string netns, IReadOnlyList<string[]> commands, CancellationToken cancellation)
    {
        foreach (var command in commands)
        {
            if (await LocalProcess.RunAsync(["ip", "netns", "exec", netns, "tc", .. command], cancellation) is { Code: not 0 } failed)
            {
                return $"tc {string.Join(' ', command)} in {netns}: {failed.Output.Trim()}";
            }
        }

        return null;
    }
}
