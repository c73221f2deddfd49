namespace HaproxyCluster.Config;

/// <summary>
/// TCP keepalive probes on an idle connection (the kernel's <c>TCP_KEEPIDLE</c>,
/// <c>TCP_KEEPINTVL</c> and <c>TCP_KEEPCNT</c>), set per socket by HAProxy and, on a node, for every
/// socket by the bootstrap.
/// </summary>
/// <param name="Idle">Silence before the first probe. Keep it under every idle timeout on the path (an NLB's 350 s).</param>
/// <param name="Interval">Time between unanswered probes.</param>
/// <param name="Probes">Unanswered probes after which the peer is given up and the connection closed.</param>
public sealed record TcpKeepAlive(TimeSpan Idle, TimeSpan Interval, int Probes)
{
    /// <summary>A probe after 60 s of silence, then every 20 s; the peer is given up after 3 unanswered.</summary>
    public TcpKeepAlive()
        : this(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20), 3)
    {
    }
}
