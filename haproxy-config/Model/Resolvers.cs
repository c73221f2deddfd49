namespace HaproxyCluster.Config;

/// <summary>The <c>resolvers</c> section used by pools whose servers are DNS names.</summary>
public sealed record Resolvers
{
    /// <summary>
    /// DNS servers, as <c>address:port</c>. Default: the Amazon-provided VPC resolver,
    /// <c>169.254.169.253:53</c>.
    /// </summary>
    public ValueList<string> Nameservers { get; init; } = ["169.254.169.253:53"];

    /// <summary>How long a resolved address is kept when DNS stops answering. Default: 10 s.</summary>
    public TimeSpan HoldValid { get; init; } = TimeSpan.FromSeconds(10);
}
