using System.Globalization;
using System.Net;
using System.Text;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local;

/// <summary>
/// The local cluster's front: HAProxy in TCP mode on 127.0.0.1 standing in for the NLB. It hands
/// each connection to a node with PROXY v2, checks each node's health endpoint with the target
/// group's interval and thresholds, and logs each session so that chaos can count what a dead
/// node broke.
/// </summary>
public static class LocalFront
{
    /// <summary>Where the front takes plain HTTP, as the NLB's port 80.</summary>
    public const int HttpPort = 18080;

    /// <summary>Where the front takes what the NLB's TLS listener would hand on.</summary>
    public const int TlsPort = 18443;

    /// <summary>The front's stats page (CSV at <c>/;csv</c>), which local.sh reads each node's state from.</summary>
    public const int StatsPort = 18404;

    /// <summary>
    /// Column <paramref name="column"/> of the front's stats for node <paramref name="node"/> (backend
    /// <c>nodes</c>), such as <c>status</c> (UP, DOWN, "UP 1/2") or <c>scur</c> (open connections); null when the front does not answer.
    /// </summary>
    public static async Task<string?> StatAsync(HttpClient http, int node, string column, CancellationToken cancellation)
    {
        string csv;
        try
        {
            csv = await http.GetStringAsync(new Uri($"http://127.0.0.1:{StatsPort.ToString(CultureInfo.InvariantCulture)}/;csv"), cancellation);
        }
        catch (HttpRequestException)
        {
            return null;
        }

        // The first line names the columns: "# pxname,svname,…".
        var rows = csv.TrimStart('#', ' ').Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(',')).ToList();
        var index = Array.IndexOf(rows[0], column);
        return index < 0 ? null : rows.Skip(1).FirstOrDefault(r => r[0] == "nodes" && r[1] == $"node{node.ToString(CultureInfo.InvariantCulture)}")?[index];
    }

    /// <summary>Node <paramref name="node"/>'s address on the bridge: the bridge's with last byte 10 + <paramref name="node"/>.</summary>
    public static string NodeAddress(string bridgeAddress, int node)
    {
        var bytes = IPAddress.Parse(bridgeAddress).GetAddressBytes();
        bytes[3] = (byte)(10 + node);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>
    /// The front's haproxy.cfg for <paramref name="nodes"/> nodes on the bridge, reaching each on the
    /// ports and health endpoint of <paramref name="listeners"/>; checks every
    /// <paramref name="checkInterval"/> (null: the target group's interval).
    /// </summary>
    public static string Config(Listeners listeners, string bridgeAddress, int nodes, TimeSpan? checkInterval = null)
    {
        var interval = (int)(checkInterval ?? TimeSpan.FromSeconds(NodeHealthCheck.IntervalSeconds)).TotalMilliseconds;
        var config = new StringBuilder(Lines($"""
            global
                maxconn 8000
                log stdout format raw local0
            defaults
                mode tcp
                log global
                # accept time (epoch ms), node, termination state, bytes from the node: chaos.sh reads
                # which sessions a dead node broke.
                log-format "%Ts%ms %s %ts %B"
                timeout connect 2s
                timeout client 10s
                timeout server 10s
                retries 3
                option redispatch
            frontend nlb_tcp_80
                bind 127.0.0.1:{HttpPort}
                default_backend nodes
            listen stats
                mode http
                bind 127.0.0.1:{StatsPort}
                stats enable
                stats uri /
            """));
        void Nodes(string backend, int port)
        {
            config.Append(Lines($"""
                backend {backend}
                    balance roundrobin
                    option httpchk GET {listeners.HealthPath}
                    http-check expect status 200
                    default-server send-proxy-v2 check check-send-proxy port {listeners.HealthPort} inter {interval}ms fall {NodeHealthCheck.UnhealthyThreshold} rise {NodeHealthCheck.HealthyThreshold}
                """));
            for (var node = 1; node <= nodes; node++)
            {
                config.Append(Lines($"    server node{node} {NodeAddress(bridgeAddress, node)}:{port}"));
            }
        }

        Nodes("nodes", listeners.HttpPort);
        if (listeners.TlsOriginPort is { } tls)
        {
            Nodes("nodes_tls", tls);
            config.Append(Lines($"frontend nlb_tls_443\n    bind 127.0.0.1:{TlsPort}\n    default_backend nodes_tls"));
        }

        return config.ToString();
    }

    private static string Lines(FormattableString text) => text.ToString(CultureInfo.InvariantCulture) + "\n";
}
