namespace HaproxyCluster.Infra;

/// <summary>
/// The Lambda runtimes the stack's functions use: ones Lambda supports well beyond the next year
/// (Node.js 24 and Python 3.12 are deprecated no earlier than 2028), so a stack still creates and
/// updates its functions when it is deployed again next year.
/// </summary>
internal static class LambdaRuntimes
{
    /// <summary>Node.js, for CDK's own providers.</summary>
    public const string NodeJs = "nodejs24.x";

    /// <summary>Python, for the cluster's own small functions.</summary>
    public const string Python = "python3.12";
}
