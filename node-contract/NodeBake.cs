using System.Globalization;

namespace HaproxyCluster.Node;

/// <summary>
/// The bake a new node passes before it tells CloudFormation it is good: after its local health
/// checks pass, it serves the load balancer's real traffic for <see cref="Duration"/>, and it
/// signals success only if the share of requests that failed through its own fault stayed at or
/// under <see cref="MaxOwnFailurePercent"/>, its HAProxy worker was never replaced except by its
/// agent's reload, and its agent failed no rules version. A failed bake fails the signal, and
/// CloudFormation rolls the update back before it touches another node. What counts as its own
/// fault: <c>BakeEntry</c> in the agent, and the README's "Baking a new node image".
/// </summary>
/// <param name="Duration">How long the node serves before it is judged; zero: no bake, the node signals once healthy.</param>
public sealed record NodeBake(TimeSpan Duration)
{
    /// <summary>The longest bake: CloudFormation's wait on each node is boot plus bake, and stays under an hour.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(30);

    /// <summary>No bake: the node signals once it is healthy.</summary>
    public static readonly NodeBake None = new(TimeSpan.Zero);

    /// <summary>
    /// Requests the bake should see to judge. Below it, the verdict says so and judges what it saw
    /// (a quiet node is not held up); a node that saw none passes. Default: 100.
    /// </summary>
    public int MinimumRequests { get; init; } = 100;

    /// <summary>The largest share of requests, in percent, that may fail through the node's own fault. Default: 1 %.</summary>
    public double MaxOwnFailurePercent { get; init; } = 1;

    /// <summary>Whether there is a bake at all.</summary>
    public bool Enabled => Duration > TimeSpan.Zero;

    /// <summary>Every problem with this bake, each as "Property: problem; what to use".</summary>
    public IEnumerable<string> Problems()
    {
        if (Duration < TimeSpan.Zero || Duration > MaxDuration || Duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"Duration: {Duration} is out of range; use whole seconds from 0 (no bake) to {MaxDuration.TotalMinutes} minutes");
        }

        if (MinimumRequests is < 0 or > 10_000_000)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"MinimumRequests: {MinimumRequests} is out of range; use 0 to 10,000,000");
        }

        if (!(MaxOwnFailurePercent is >= 0 and < 100))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"MaxOwnFailurePercent: {MaxOwnFailurePercent} is out of range; use 0 (no failure allowed) up to, not including, 100");
        }
    }
}
