namespace HaproxyCluster.Config;

/// <summary>A pool of servers: one HAProxy backend.</summary>
public sealed record Pool
{
    /// <summary>
    /// The pool's name, used by routes and in metrics: a letter, then letters, digits, '_', '-' or '.'.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>Servers with a fixed address or DNS name. Default: none (then <see cref="Discovery"/> is needed).</summary>
    public ValueList<Server> Servers { get; init; } = [];

    /// <summary>
    /// Servers found at run time, for members that come and go: through DNS
    /// (<see cref="DnsDiscovery"/>) or from EC2 (<see cref="Ec2Discovery"/>). Default: none.
    /// </summary>
    public ServerDiscovery? Discovery { get; init; }

    /// <summary>
    /// What the pool speaks to its servers: HTTP/1.1, or HTTP/2 (in clear with <c>proto h2</c>, or
    /// through ALPN over <see cref="Tls"/>), which gRPC services need. Whatever clients speak, each request goes out in this protocol.
    /// Default: HTTP/1.1.
    /// </summary>
    public ServerProtocol Protocol { get; init; } = ServerProtocol.Http1;

    /// <summary>
    /// TLS to the servers, for requests and health checks alike, and HTTP/2 negotiated in ALPN
    /// when the pool speaks it. Default: null, clear text.
    /// </summary>
    public PoolTls? Tls { get; init; }

    /// <summary>How servers are checked. Default: see <see cref="HealthCheck"/>.</summary>
    public HealthCheck HealthCheck { get; init; } = new();

    /// <summary>How requests are spread over the servers. Default: round robin.</summary>
    public Balance Balance { get; init; } = Balance.RoundRobin;

    /// <summary>
    /// Ramp-up time of a server that comes back, during which its weight grows from 0.
    /// Default: 30 s. <see cref="TimeSpan.Zero"/>: none.
    /// </summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With <c>observe layer7</c>, consecutive bad responses after which a server is marked down.
    /// Default: 10. Null: live traffic does not mark servers down.
    /// </summary>
    public int? ErrorLimit { get; init; } = 10;

    /// <summary>Most concurrent connections per server; further requests queue. Default: 256.</summary>
    public int MaxConnectionsPerServer { get; init; } = 256;

    /// <summary>Most queued requests per server before HAProxy tries another. Default: 128.</summary>
    public int MaxQueuePerServer { get; init; } = 128;

    /// <summary>
    /// Name of a cookie that pins a client to the server that first answered it.
    /// Default: null, no stickiness.
    /// </summary>
    public string? StickyCookie { get; init; }

    /// <summary>Each server with the name it has in stats and cookies: its own, or <c>s1</c>, <c>s2</c>, … by position.</summary>
    internal IEnumerable<(Server Server, string Name)> NamedServers() =>
        Servers.Select((server, i) => (server, server?.Name ?? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"s{i + 1}")));
}

/// <summary>One server of a pool.</summary>
/// <param name="Address">An IPv4 or IPv6 address, or a DNS name (resolved through <see cref="Resolvers"/>).</param>
/// <param name="Port">The server's port, 1 to 65535.</param>
public sealed record Server(string Address, int Port)
{
    /// <summary>The server's name in stats and cookies. Default: <c>s1</c>, <c>s2</c>, … by position.</summary>
    public string? Name { get; init; }

    /// <summary>Whether <see cref="Address"/> is a DNS name, resolved at run time, rather than an IP address.</summary>
    internal bool IsDnsName => !System.Net.IPAddress.TryParse(Address, out _);
}

/// <summary>
/// Servers found at run time: <c>server-template</c> slots, filled and emptied without a reload.
/// </summary>
/// <param name="Port">The servers' port.</param>
/// <param name="Slots">Most servers the pool holds at once, 1 to 1000.</param>
public abstract record ServerDiscovery(int Port, int Slots)
{
    /// <summary>Checks the discovery's own values.</summary>
    internal virtual void Check(Problems at)
    {
        at["Port"].Add(Syntax.Port(Port));
        at["Slots"].Add(Syntax.Range(Slots, 1, 1000));
    }
}

/// <summary>Servers discovered through DNS: slots filled by HAProxy from A/AAAA records.</summary>
/// <param name="Hostname">The DNS name whose records are the servers.</param>
/// <param name="Port">The servers' port.</param>
/// <param name="Slots">Most servers the name may resolve to.</param>
public sealed record DnsDiscovery(string Hostname, int Port, int Slots = 10) : ServerDiscovery(Port, Slots)
{
    internal override void Check(Problems at)
    {
        at["Hostname"].Add(Syntax.Hostname(Hostname));
        base.Check(at);
    }
}

/// <summary>A health check of each server: an HTTP request (in the pool's protocol), or a TCP connect.</summary>
public sealed record HealthCheck
{
    /// <summary>
    /// Whether a check is an HTTP request for <see cref="Path"/> or only a TCP connect: a gRPC
    /// service with no plain HTTP endpoint to check takes the TCP check. Default: HTTP.
    /// </summary>
    public HealthCheckKind Kind { get; init; } = HealthCheckKind.Http;

    /// <summary>Path requested. Default: <c>/</c>.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Status that counts as healthy. Default: 200.</summary>
    public int ExpectStatus { get; init; } = 200;

    /// <summary>Time between two checks. Default: 2 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed checks that mark a server down. Default: 3.</summary>
    public int Fall { get; init; } = 3;

    /// <summary>Consecutive good checks that mark a server up. Default: 2.</summary>
    public int Rise { get; init; } = 2;
}

/// <summary>What a pool speaks to its servers.</summary>
public enum ServerProtocol
{
    /// <summary>HTTP/1.1.</summary>
    Http1,

    /// <summary>
    /// HTTP/2: in clear with prior knowledge (h2c), or over TLS with h2 in ALPN when the pool has
    /// <see cref="Pool.Tls"/>; for gRPC services and other HTTP/2 servers.
    /// </summary>
    Http2,
}

/// <summary>How a server is checked.</summary>
public enum HealthCheckKind
{
    /// <summary>An HTTP request, in the pool's protocol, answered with the expected status.</summary>
    Http,

    /// <summary>A TCP connection that opens.</summary>
    Tcp,
}

/// <summary>Load-balancing algorithms.</summary>
public enum Balance
{
    /// <summary>Each server in turn, by weight.</summary>
    RoundRobin,

    /// <summary>The server with the fewest connections; for long requests.</summary>
    LeastConn,

    /// <summary>A hash of the client address, so a client keeps its server.</summary>
    Source,
}
