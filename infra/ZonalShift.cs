using System.Globalization;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Infra;

/// <summary>
/// How the cluster moves its traffic out of an impaired Availability Zone with ARC zonal shift:
/// off, on for an operator to start (<see cref="Manual"/>), or also started by AWS when it sees a
/// zone impaired (<see cref="Autoshift"/>, practised weekly and stopped by the cluster's alarms).
/// With it, the NLB takes zonal shifts, its target groups keep a failing node's open connections
/// (as zonal shift requires), a zone with no healthy node leaves the NLB's DNS, and the nodes'
/// group follows a shift.
/// </summary>
public sealed partial record ZonalShift
{
    /// <summary>No zonal shift: the NLB's health checks alone take a failed node out.</summary>
    public static ZonalShift Off { get; } = new() { Enabled = false };

    /// <summary>Zonal shift on: an operator can move traffic out of a zone for a while.</summary>
    public static ZonalShift Manual { get; } = new();

    /// <summary>Zonal shift and autoshift: AWS moves traffic out of a zone it sees impaired, and practises it weekly outside <paramref name="blockedWindows"/>.</summary>
    /// <param name="blockedWindows">Weekly UTC windows with no practice run, such as <c>Fri:16:00-Mon:08:00</c>.</param>
    public static ZonalShift Autoshift(params string[] blockedWindows) => new() { AutoshiftEnabled = true, BlockedWindows = blockedWindows };

    /// <summary>Whether the NLB takes zonal shifts. Default: true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Whether AWS starts zonal shifts itself (zonal autoshift). Default: false.</summary>
    public bool AutoshiftEnabled { get; init; }

    /// <summary>Weekly UTC windows with no practice run: <c>Day:HH:MM-Day:HH:MM</c>.</summary>
    public IReadOnlyList<string> BlockedWindows { get; init; } = [];

    /// <summary>Dates with no practice run: <c>yyyy-MM-dd</c>.</summary>
    public IReadOnlyList<string> BlockedDates { get; init; } = [];

    /// <summary>The problems of these settings, each with its property, value and fix.</summary>
    public IEnumerable<string> Problems()
    {
        if (AutoshiftEnabled && !Enabled)
        {
            yield return "AutoshiftEnabled: autoshift needs zonal shift; set Enabled, or turn autoshift off";
        }

        foreach (var window in BlockedWindows ?? [])
        {
            if (window is null || !Window().IsMatch(window))
            {
                yield return $"BlockedWindows: '{window}' is not a weekly UTC window; write it as Day:HH:MM-Day:HH:MM, such as Fri:16:00-Mon:08:00";
            }
        }

        foreach (var date in BlockedDates ?? [])
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                yield return $"BlockedDates: '{date}' is not a date; write it as yyyy-MM-dd, such as 2026-11-27";
            }
        }

        if (!AutoshiftEnabled && (BlockedWindows?.Count > 0 || BlockedDates?.Count > 0))
        {
            yield return "BlockedWindows, BlockedDates: they block autoshift's practice runs, and autoshift is off; turn it on or leave them out";
        }
    }

    [GeneratedRegex("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]-(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01][0-9]|2[0-3]):[0-5][0-9]\\z")]
    private static partial Regex Window();
}
