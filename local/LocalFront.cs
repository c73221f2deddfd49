using System.Globalization;
using System.Net;
using System.Text;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local;

/// <summary>
/// The local cluster's front: HAProxy in TCP mode on 127.0.0.1 standing in for the NLB. It hands
/// each connection to a node with PROXY v2, checks each node's health endpoint with the target
/// group's interval and thresholds, and logs each session (<see cref="Session"/>) so that chaos can
/// count what a dead node broke. Each node stands in a zone; a zonal shift drains a zone's nodes
/// through the front's Runtime API (<see cref="ShiftAsync"/>), as the NLB stops sending a shifted
/// zone new flows while the open ones finish.
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

    /// <summary>
    /// The zone node <paramref name="node"/> (from 1) stands in: the first two of <paramref name="zones"/>
    /// in turn, so the first zone holds two of three nodes and its loss takes more than one.
    /// </summary>
    public static string Zone(IReadOnlyList<string> zones, int node) => zones[(node - 1) % Math.Min(2, zones.Count)];

    /// <summary>
    /// Starts (<paramref name="shifted"/>) or ends a zonal shift away from <paramref name="nodes"/>:
    /// each one's server in every node backend of the front at <paramref name="adminSocket"/> is set
    /// to <c>drain</c> (no new connection; open ones finish) or back to <c>ready</c>. Returns the
    /// Runtime API's complaints, empty when every command took.
    /// </summary>
    public static async Task<IReadOnlyList<string>> ShiftAsync(string adminSocket, IEnumerable<int> nodes, bool shifted, CancellationToken cancellation)
    {
        var backends = ((await RuntimeSocket.AskAsync(adminSocket, "show backend", cancellation)) ?? "")
            .Split('\n', StringSplitOptions.TrimEntries).Where(name => name.StartsWith("nodes", StringComparison.Ordinal)).ToList();
        var complaints = new List<string>();
        if (backends.Count == 0)
        {
            complaints.Add($"the front at {adminSocket} lists no node backend");
        }

        foreach (var command in nodes.SelectMany(node => backends.Select(backend => Invariant($"set server {backend}/node{node} state {(shifted ? "drain" : "ready")}"))))
        {
            var answer = (await RuntimeSocket.AskAsync(adminSocket, command, cancellation))?.Trim();
            if (answer is null or not "")
            {
                complaints.Add($"{command}: {answer ?? "no answer"}");
            }
        }

        return complaints;
    }

    /// <summary>Node <paramref name="node"/>'s address on the bridge: the bridge's with last byte 10 + <paramref name="node"/>.</summary>
    public static string NodeAddress(string bridgeAddress, int node)
    {
        var bytes = IPAddress.Parse(bridgeAddress).GetAddressBytes();
        bytes[3] = (byte)(10 + node);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>
    /// The front's haproxy.cfg for nodes on the bridge standing in <paramref name="nodeZones"/> (one
    /// zone a node), reaching each on the ports and health endpoint of <paramref name="listeners"/>;
    /// checks every <paramref name="checkInterval"/> (null: the target group's interval); its
    /// Runtime API on <paramref name="adminSocket"/>.
    /// </summary>
    public static string Config(Listeners listeners, string bridgeAddress, IReadOnlyList<string> nodeZones, string adminSocket, TimeSpan? checkInterval = null)
    {
        var interval = (int)(checkInterval ?? TimeSpan.FromSeconds(NodeHealthCheck.IntervalSeconds)).TotalMilliseconds;
        var config = new StringBuilder(Lines($"""
            global
                maxconn 8000
                log stdout format raw local0
                stats socket {adminSocket} mode 600 level admin
            defaults
                mode tcp
                log global
                # accept time (epoch ms), node, termination state, bytes from the node, total time (ms):
                # what chaos.sh reads of each session (LocalFront.Session).
                log-format "%Ts%ms %s %ts %B %Tt"
                timeout connect 2s
                timeout client 10s
                timeout server 10s
                # A connection a dead node refuses is retried at once on another node than the last
                # (a client's reconnect reaching another of the NLB's targets), so what a dead node
                # breaks is what was open on it. With a zone's two nodes dead, each retry still has
                # an even chance of the other dead one until the checks take them out: twenty make
                # losing a connection that way about a millionth.
                retries 20
                option redispatch 1
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
            for (var node = 1; node <= nodeZones.Count; node++)
            {
                config.Append(Lines($"    server node{node} {NodeAddress(bridgeAddress, node)}:{port}  # in {nodeZones[node - 1]}"));
            }
        }

        Nodes("nodes", listeners.HttpPort);
        // HTTPS: to the TLS-origin bind (what the NLB decrypted), or, TCP end to end, to the nodes' own TLS bind.
        if ((listeners.Tls?.Port ?? listeners.TlsOriginPort) is { } tls)
        {
            Nodes("nodes_tls", tls);
            config.Append(Lines($"frontend nlb_tls_443\n    bind 127.0.0.1:{TlsPort}\n    default_backend nodes_tls"));
        }

        return config.ToString();
    }

    private static string Lines(FormattableString text) => Invariant(text) + "\n";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One session the front logged: accepted at <paramref name="AcceptedMs"/> (Unix ms), handed to <paramref name="Node"/>, ended in <paramref name="TotalMs"/>.</summary>
    /// <param name="AcceptedMs">When the front accepted it, Unix time in ms.</param>
    /// <param name="Node">The node it went to (<c>node2</c>), or <c>&lt;NOSRV&gt;</c>.</param>
    /// <param name="TerminationState">HAProxy's two-letter termination state (<c>--</c>: a clean end).</param>
    /// <param name="Bytes">Bytes the node sent.</param>
    /// <param name="TotalMs">How long it lasted, in ms.</param>
    public sealed record Session(long AcceptedMs, string Node, string TerminationState, long Bytes, long TotalMs)
    {
        /// <summary>
        /// Whether the node broke it: it ended on a server-side error or timeout (termination state
        /// <c>s*</c> or <c>S*</c>), or with no byte of answer (a killed process's socket may close cleanly).
        /// </summary>
        public bool Broken => TerminationState.StartsWith('s') || TerminationState.StartsWith('S') || Bytes == 0;

        /// <summary>The sessions in the front's log at <paramref name="path"/>; a line of another shape is skipped.</summary>
        public static IEnumerable<Session> Read(string path) =>
            File.ReadLines(path).Select(line => line.Split(' ')).Where(f => f.Length == 5 && f.Where((_, i) => i != 1 && i != 2).All(n => long.TryParse(n, CultureInfo.InvariantCulture, out _)))
                .Select(f => new Session(long.Parse(f[0], CultureInfo.InvariantCulture), f[1], f[2], long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture)));
    }
}
