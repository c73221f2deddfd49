namespace HaproxyCluster.Config;

/// <summary>The <c>defaults</c> section: what every frontend and backend inherits.</summary>
public sealed record DefaultSettings
{
    /// <summary>Time to open a connection to a server (<c>timeout connect</c>). Default: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Inactivity allowed on the client side (<c>timeout client</c>). Default: 30 s.</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Inactivity allowed on the server side (<c>timeout server</c>). Default: 30 s.</summary>
    public TimeSpan ServerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a client has to send a whole request header (<c>timeout http-request</c>). Default: 10 s.</summary>
    public TimeSpan HttpRequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle time allowed between two requests on one connection (<c>timeout http-keep-alive</c>). Default: 5 s.</summary>
    public TimeSpan HttpKeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time a request may wait for a free server slot (<c>timeout queue</c>). Default: 30 s.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Inactivity allowed on a WebSocket or other tunnel (<c>timeout tunnel</c>). Default: 1 h.</summary>
    public TimeSpan TunnelTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// TCP keepalive on both sides of every connection (<c>option clitcpka</c>, <c>option srvtcpka</c>):
    /// a probe after this much silence keeps a quiet tunnel or long poll alive through an NLB, which
    /// drops a flow idle for 350 s, and finds a vanished peer. Default: a probe after 60 s of
    /// silence, then every 20 s, the peer given up after 3 unanswered.
    /// </summary>
    public TcpKeepAlive TcpKeepAlive { get; init; } = new();

    /// <summary>
    /// Connection attempts to a server before giving up; with <c>option redispatch</c> the last
    /// goes to another server. Default: 3.
    /// </summary>
    public int Retries { get; init; } = 3;

    /// <summary>
    /// Failures after which a request is retried, on another server with <c>option redispatch</c>
    /// (<c>retry-on</c>): a refused connection, or a server that closed without answering, as one
    /// that dies mid-request does. Default: <c>conn-failure empty-response</c>. Failures after the
    /// request was sent are retried for idempotent methods only (GET, HEAD, OPTIONS, TRACE, PUT,
    /// DELETE): a POST may have been acted on.
    /// </summary>
    public string RetryOn { get; init; } = "conn-failure empty-response";

    /// <summary>Whether <see cref="RetryOn"/> names a failure after the request was sent (an L7 retry).</summary>
    internal bool RetriesSentRequests => RetryOn.Split(' ').Any(kind => kind is not ("none" or "conn-failure"));

    /// <summary>Connection reuse policy towards servers (<c>http-reuse</c>). Default: <c>safe</c>.</summary>
    public HttpReuse HttpReuse { get; init; } = HttpReuse.Safe;

    /// <summary>
    /// Header that carries each request's unique id to the servers, and into the access log.
    /// Default: <c>X-Request-ID</c>. Null: no request id.
    /// </summary>
    public string? RequestIdHeader { get; init; } = "X-Request-ID";

    /// <summary>
    /// Addresses of proxies in front of the NLB (a CDN, a corporate proxy), as CIDR blocks, whose
    /// <c>X-Forwarded-For</c> and request id the cluster keeps (and appends the proxy's address to
    /// X-Forwarded-For). Default: none: the cluster replaces both on every request, since the
    /// NLB's PROXY v2 header carries the true client address and any client can send the headers.
    /// </summary>
    public ValueList<string> TrustedProxies { get; init; } = [];

    /// <summary>
    /// Whether a request whose path is not in normal form is answered 400 before any rule sees it:
    /// a path holding <c>//</c>, a <c>.</c> or <c>..</c> segment, or a percent-encoded unreserved
    /// character (<c>%61</c> for <c>a</c>). A backend would treat such a path as its normal form,
    /// so a path match (an allow-list on <c>/admin</c>) could be walked around. Default: true.
    /// False: paths reach the rules as sent.
    /// </summary>
    public bool RejectNonNormalPaths { get; init; } = true;

    /// <summary>Whether access logs are one JSON object a line. Default: true. False: HAProxy's httplog format.</summary>
    public bool JsonAccessLog { get; init; } = true;

    /// <summary>
    /// The fields of each JSON access log line, always written in the order of <see cref="AccessLogField"/>;
    /// <see cref="AccessLogField.RequestId"/> only when <see cref="RequestIdHeader"/> is set. Each
    /// field costs CPU on every request (make bench prices them one by one). Default: every field.
    /// Empty: no access log.
    /// </summary>
    public ValueList<AccessLogField> AccessLogFields { get; init; } = [.. Enum.GetValues<AccessLogField>()];

    /// <summary>
    /// Whether servers get the client's address in <c>X-Forwarded-For</c> (<c>option forwardfor</c>).
    /// Default: true. False for servers that read it from nowhere, which saves a header a request.
    /// </summary>
    public bool ForwardFor { get; init; } = true;
}

/// <summary>A field of the JSON access log: its key in the line, and what HAProxy writes there.</summary>
public enum AccessLogField
{
    /// <summary><c>time</c>: when the request arrived (<c>%tr</c>).</summary>
    Time,

    /// <summary><c>client</c>: the client's address, from the PROXY header (<c>%ci</c>).</summary>
    Client,

    /// <summary><c>frontend</c>: the frontend that took it (<c>%f</c>).</summary>
    Frontend,

    /// <summary><c>backend</c>: the pool it went to (<c>%b</c>).</summary>
    Backend,

    /// <summary><c>server</c>: the server that answered (<c>%s</c>).</summary>
    Server,

    /// <summary><c>method</c> (<c>%HM</c>).</summary>
    Method,

    /// <summary><c>protocol</c>: HTTP/1.1 or HTTP/2.0 (<c>%HV</c>).</summary>
    Protocol,

    /// <summary><c>uri</c>: path and query, JSON-quoted (<c>%HU</c>).</summary>
    Uri,

    /// <summary><c>status</c>, a number (<c>%ST</c>).</summary>
    Status,

    /// <summary><c>bytes</c> sent to the client (<c>%B</c>).</summary>
    Bytes,

    /// <summary><c>tr_ms</c>: the server's response time (<c>%Tr</c>).</summary>
    ResponseTime,

    /// <summary><c>ta_ms</c>: the request's whole active time (<c>%Ta</c>).</summary>
    ActiveTime,

    /// <summary><c>termination</c>: how the session ended (<c>%tsc</c>).</summary>
    Termination,

    /// <summary><c>request_id</c> (<c>%ID</c>), when there is a request id.</summary>
    RequestId,
}

/// <summary>Values of <c>http-reuse</c>.</summary>
public enum HttpReuse
{
    /// <summary>Reuse idle connections only for requests that are safe to retry.</summary>
    Safe,

    /// <summary>Never share server connections between clients.</summary>
    Never,

    /// <summary>Share idle connections more widely (see HAProxy's manual).</summary>
    Aggressive,

    /// <summary>Share every connection whenever possible.</summary>
    Always,
}
