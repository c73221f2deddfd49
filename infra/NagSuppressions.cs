using Amazon.CDK;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>
/// cdk-nag suppressions, written as the <c>cdk_nag</c> metadata cdk-nag reads from a synthesized
/// template. Every suppression carries the reason it is safe.
/// </summary>
internal static class NagSuppressions
{
    public static void Add(IConstruct construct, params (string Rule, string Reason)[] rules)
    {
        var resource = construct as CfnResource ?? (CfnResource)construct.Node.DefaultChild!;
        resource.AddMetadata("cdk_nag", new Dictionary<string, object>
        {
            ["rules_to_suppress"] = rules.Select(r => new Dictionary<string, object> { ["id"] = r.Rule, ["reason"] = r.Reason }).ToArray(),
        });
    }
}
