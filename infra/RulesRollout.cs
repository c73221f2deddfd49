using System.Globalization;

namespace HaproxyCluster.Infra;

/// <summary>
/// How a rules change reaches an environment's nodes: the parameters of its AppConfig deployment
/// strategy. AppConfig gives the new version to <see cref="GrowthFactor"/> percent of the nodes
/// first, then grows the share (by that much each step, or doubling it) over
/// <see cref="DeploymentTime"/>, then watches the environment's alarms for <see cref="BakeTime"/>;
/// an alarm at any point rolls every node back to the previous version.
/// </summary>
public sealed record RulesRollout
{
    /// <summary>Whether the share grows by <see cref="GrowthFactor"/> each step or doubles.</summary>
    public required bool Exponential { get; init; }

    /// <summary>Percent of the nodes that get a new version at the first step (1 to 100).</summary>
    public required double GrowthFactor { get; init; }

    /// <summary>Time from the first step to the last (0 to 24 h, whole minutes).</summary>
    public required TimeSpan DeploymentTime { get; init; }

    /// <summary>Time the alarms are watched once every node has the version (0 to 24 h, whole minutes).</summary>
    public required TimeSpan BakeTime { get; init; }

    /// <summary>Every node at once, then <paramref name="bake"/> of watching: for environments where speed matters more than blast radius.</summary>
    public static RulesRollout AllAtOnce(TimeSpan bake) => new() { Exponential = false, GrowthFactor = 100, DeploymentTime = TimeSpan.Zero, BakeTime = bake };

    /// <summary>
    /// One node's worth of a fleet of <paramref name="nodes"/> first (the canary), then doubling to
    /// the rest, the steps spread over <paramref name="deploymentTime"/>, then <paramref name="bake"/>.
    /// </summary>
    public static RulesRollout Canary(int nodes, TimeSpan deploymentTime, TimeSpan bake) => new()
    {
        Exponential = true,
        // Rounded down to AppConfig's two decimals, so the first step never covers two nodes.
        GrowthFactor = Math.Floor(10_000.0 / Math.Max(1, nodes)) / 100,
        DeploymentTime = deploymentTime,
        BakeTime = bake,
    };

    /// <summary>The share of nodes (percent) that has the version after each step, the last one 100.</summary>
    public IReadOnlyList<double> Steps()
    {
        var steps = new List<double>();
        for (var share = GrowthFactor; share < 100; share = Exponential ? share * 2 : share + GrowthFactor)
        {
            steps.Add(share);
        }

        steps.Add(100);
        return steps;
    }

    /// <summary>What a reviewer reads: "all nodes at once, 2 min bake" or "33.33 %, 66.66 %, 100 % over 6 min, 10 min bake".</summary>
    public override string ToString() => Steps().Count == 1
        ? string.Create(CultureInfo.InvariantCulture, $"all nodes at once, {BakeTime.TotalMinutes:0} min bake")
        : string.Join(", ", Steps().Select(s => s.ToString("0.##", CultureInfo.InvariantCulture) + " %"))
            + string.Create(CultureInfo.InvariantCulture, $" over {DeploymentTime.TotalMinutes:0} min, {BakeTime.TotalMinutes:0} min bake");

    internal IEnumerable<string> Problems()
    {
        if (GrowthFactor is not (>= 1 and <= 100))
        {
            yield return $"GrowthFactor {GrowthFactor} is out of range; use 1 to 100 (percent of the nodes at the first step)";
        }

        foreach (var (name, time) in new[] { (nameof(DeploymentTime), DeploymentTime), (nameof(BakeTime), BakeTime) })
        {
            if (time < TimeSpan.Zero || time > TimeSpan.FromHours(24) || time.Ticks % TimeSpan.TicksPerMinute != 0)
            {
                yield return $"{name} {time} is not whole minutes from 0 to 24 h, which AppConfig requires";
            }
        }
    }
}
