namespace HaproxyCluster.Config;

/// <summary>What a node listens on.</summary>
public sealed record Listeners
{
    /// <summary>
    /// Address every bind listens on. Default: empty, meaning every address of the node.
    /// Tests set <c>127.0.0.1</c>.
    /// </summary>
    public string BindAddress { get; init; } = "";

    /// <summary>Port that receives plain HTTP from the NLB's port-80 listener. Default: 80.</summary>
    public int HttpPort { get; init; } = 80;

    /// <summary>
    /// Port that receives the requests the NLB has decrypted on its TLS listener, so HAProxy
    /// knows they came over HTTPS. Default: 8443. Null: no such bind.
    /// </summary>
    public int? TlsOriginPort { get; init; } = 8443;

    /// <summary>
    /// TLS terminated on the node, on a bind of its own (the NLB forwarding TCP 443 to it), instead
    /// of at the NLB. Default: null.
    /// </summary>
    public TlsListener? Tls { get; init; }

    /// <summary>
    /// Whether the NLB-facing binds (HTTP, TLS origin, health) expect a PROXY protocol header,
    /// which carries the client's address. Default: true, as the NLB target group sends PROXY v2.
    /// </summary>
    public bool AcceptProxy { get; init; } = true;

    /// <summary>Whether some bind takes requests that came over HTTPS.</summary>
    internal bool ComesOverTls => TlsOriginPort is not null || Tls is not null;

    /// <summary>Port of the NLB health check endpoint. Default: 8081.</summary>
    public int HealthPort { get; init; } = 8081;

    /// <summary>
    /// Path of the health endpoint. It answers 200 while this node can reach at least one server
    /// of the default pool, and 503 otherwise. Default: <c>/haproxy-health</c>.
    /// </summary>
    public string HealthPath { get; init; } = "/haproxy-health";

    /// <summary>
    /// Admin port: the stats page at <c>/stats</c> and Prometheus metrics at <c>/metrics</c>.
    /// Only the VPC may reach it (security group). Default: 8404.
    /// </summary>
    public int AdminPort { get; init; } = 8404;
}
