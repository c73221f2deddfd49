using System.Globalization;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Local;

/// <summary>
/// What one wrk run reports, read from its text (run with <c>--latency</c> for the percentiles):
/// the requests it completed, their rate, p50 and p99 in ms, and the requests that failed (socket
/// errors: connect, read, write and timeout; and answers other than 2xx or 3xx).
/// </summary>
public sealed partial record WrkReport(long Requests, double RequestsPerSecond, double? P50Ms, double? P99Ms, long Failed)
{
    /// <summary>The report in <paramref name="text"/>; throws when it holds no request count (wrk did not run).</summary>
    public static WrkReport Parse(string text)
    {
        long Count(Regex pattern) => pattern.Match(text) is { Success: true } m ? m.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var requests = RequestsLine().Match(text);
        if (!requests.Success)
        {
            throw new FormatException("no 'N requests in' line: wrk did not run to its end");
        }

        return new WrkReport(
            long.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture),
            RateLine().Match(text) is { Success: true } rate ? double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            Percentile(text, "50%"),
            Percentile(text, "99%"),
            Count(SocketErrors()) + Count(Non2xx()));
    }

    /// <summary>A latency percentile's line (<c>50%   74.00us</c>) in ms, or null without <c>--latency</c>.</summary>
    private static double? Percentile(string text, string percentile)
    {
        var m = Regex.Match(text, $@"^\s+{Regex.Escape(percentile)}\s+([0-9.]+)(us|ms|s)$", RegexOptions.Multiline);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * m.Groups[2].Value switch { "us" => 0.001, "ms" => 1, _ => 1000 } : null;
    }

    [GeneratedRegex(@"^\s+(\d+) requests in ", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"^Requests/sec:\s+([0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex RateLine();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();
}
