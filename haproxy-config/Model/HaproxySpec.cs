namespace HaproxyCluster.Config;

/// <summary>
/// Everything one HAProxy node of the cluster does, as data: what it listens on, the L7 rules it
/// applies to each request, and the pools it sends requests to. Every node of a cluster runs the
/// same spec. <see cref="Validate"/> checks it; <see cref="ConfigRenderer.Render"/> turns it into
/// the files of <c>/etc/haproxy</c>.
/// </summary>
public sealed record HaproxySpec
{
    /// <summary>The pools (HAProxy backends) requests can be sent to. At least one.</summary>
    public required ValueList<Pool> Pools { get; init; }

    /// <summary>
    /// The pool a request goes to when no route matches. The health endpoint fails when this
    /// node can reach no server of this pool.
    /// </summary>
    public required string DefaultPool { get; init; }

    /// <summary>
    /// <c>http-request</c> rules, applied in this order to every request before it is routed.
    /// A rule that ends the request (deny, redirect, fixed response) stops the ones after it.
    /// Default: none.
    /// </summary>
    public ValueList<RequestRule> RequestRules { get; init; } = [];

    /// <summary>Header edits applied, in this order, to every response. Default: none.</summary>
    public ValueList<HeaderEdit> ResponseHeaders { get; init; } = [];

    /// <summary>
    /// Routes, tried in this order; the first that matches picks the pool. A request no route
    /// matches goes to <see cref="DefaultPool"/>. Default: none.
    /// </summary>
    public ValueList<Route> Routes { get; init; } = [];

    /// <summary>Ports and addresses the node listens on. Default: see <see cref="Listeners"/>.</summary>
    public Listeners Listeners { get; init; } = new();

    /// <summary>Process-wide settings (<c>global</c>). Default: see <see cref="GlobalSettings"/>.</summary>
    public GlobalSettings Global { get; init; } = new();

    /// <summary>Settings every proxy inherits (<c>defaults</c>). Default: see <see cref="DefaultSettings"/>.</summary>
    public DefaultSettings Defaults { get; init; } = new();

    /// <summary>DNS servers used by pools with DNS names or discovery. Default: see <see cref="Resolvers"/>.</summary>
    public Resolvers Resolvers { get; init; } = new();

    /// <summary>Whether the node agent has work here: a pool discovered from EC2, or a fleet-wide rate limit.</summary>
    public bool NeedsNodeAgent =>
        Pools.Any(p => p?.Discovery is Ec2Discovery) || RequestRules.OfType<RateLimitRule>().Any(r => r.Scope == RateLimitScope.Fleet);

    /// <summary>Whether some server is named by DNS, so HAProxy needs the resolvers section.</summary>
    internal bool UsesDns => Pools.Any(p => p?.Discovery is DnsDiscovery || p?.Servers.Any(s => s?.IsDnsName == true) == true);

    /// <summary>Checks the whole spec and throws one exception listing every problem.</summary>
    /// <exception cref="ConfigValidationException">The spec has at least one problem.</exception>
    public void Validate() => SpecValidator.Check(this).ThrowIfAny(nameof(HaproxySpec));
}
