using Amazon.CDK;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>
/// cdk-nag acknowledgments, written as the <c>cdk_nag</c> metadata scripts/nag.js reads from a
/// synthesized template. A rule that reports findings one by one names the one it acknowledges in
/// brackets, as cdk-nag prints it (<c>AwsSolutions-IAM5[Resource::*]</c>), so a new wildcard or
/// managed policy is still reported. Every acknowledgment carries the reason it is safe.
/// </summary>
internal static class NagSuppressions
{
    public static void Add(IConstruct construct, params (string Rule, string Reason)[] rules)
    {
        var resource = construct as CfnResource ?? (CfnResource)construct.Node.DefaultChild!;
        resource.AddMetadata("cdk_nag", new Dictionary<string, object>
        {
            ["rules_to_suppress"] = rules.Select(Entry).ToArray(),
        });
    }

    // cdk-nag's own metadata shape: the rule id, and the findings it covers in applies_to.
    private static Dictionary<string, object> Entry((string Rule, string Reason) rule)
    {
        var bracket = rule.Rule.IndexOf('[', StringComparison.Ordinal);
        var entry = new Dictionary<string, object> { ["id"] = bracket < 0 ? rule.Rule : rule.Rule[..bracket], ["reason"] = rule.Reason };
        if (bracket >= 0)
        {
            entry["applies_to"] = new[] { rule.Rule[(bracket + 1)..^1] };
        }

        return entry;
    }
}
