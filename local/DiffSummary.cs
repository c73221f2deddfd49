using System.Text.RegularExpressions;

namespace HaproxyCluster.Local;

/// <summary>
/// make diff's summary of one stack, from <c>cdk diff</c>'s text and whether its node files
/// changed: what it replaces or destroys (loudest for the NLB and its target groups), and whether
/// the change rolls rules out in place (AppConfig) or replaces the nodes. A rules version is
/// immutable: a new one replaces the last, and a new deployment the last deployment, by design;
/// neither is listed.
/// </summary>
public static partial class DiffSummary
{
    /// <summary>The summary line of <paramref name="env"/>, then, when it replaces the NLB or a target group, a warning line.</summary>
    public static IReadOnlyList<string> Lines(string env, string cfnDiff, bool nodeFilesChanged)
    {
        var lines = cfnDiff.Split('\n');
        var replaced = lines.Select(line => Replaced().Match(line)).Where(m => m.Success)
            .Select(m => $"{m.Groups["type"].Value} {m.Groups["id"].Value} ({m.Groups["how"].Value})")
            .Where(r => !r.StartsWith("AWS::AppConfig::HostedConfigurationVersion ", StringComparison.Ordinal) && !r.StartsWith("AWS::AppConfig::Deployment ", StringComparison.Ordinal))
            .ToList();
        var unchanged = cfnDiff.Contains("There were no differences", StringComparison.Ordinal) && !nodeFilesChanged;
        var summary = $"summary: {env}: {(unchanged ? "unchanged" : "changed")}"
            + (replaced.Count > 0 ? $"; replaces or destroys {replaced.Count} resource(s): {string.Join("; ", replaced)}" : "; no resource replaced");
        if (lines.Any(line => FleetChange().IsMatch(line)))
        {
            summary += "; the launch template or group changes: the group replaces every node, one at a time";
        }
        else if (lines.Any(line => RulesVersion().IsMatch(line)))
        {
            summary += "; rules roll out in place, no instance replaced";
        }

        return replaced.Any(r => r.StartsWith("AWS::ElasticLoadBalancingV2::LoadBalancer ", StringComparison.Ordinal) || r.StartsWith("AWS::ElasticLoadBalancingV2::TargetGroup ", StringComparison.Ordinal))
            ? [summary, $"!!! {env}: this change REPLACES the load balancer or a target group: a new NLB gets a new DNS name, a new target group drops every connection. Check that this is intended."]
            : [summary];
    }

    // A resource line: [~] AWS::Type construct/path LogicalId replace|may be replaced, or [-] … destroy.
    [GeneratedRegex(@"^\[[~-]\] (?<type>AWS::[A-Za-z0-9:]+) .* (?<id>[A-Za-z0-9]+) (?<how>replace|may be replaced|destroy)$")]
    private static partial Regex Replaced();

    [GeneratedRegex(@"^\[[~+-]\] AWS::(EC2::LaunchTemplate|AutoScaling::AutoScalingGroup) ")]
    private static partial Regex FleetChange();

    [GeneratedRegex(@"^\[[~+]\] AWS::AppConfig::HostedConfigurationVersion ")]
    private static partial Regex RulesVersion();
}
