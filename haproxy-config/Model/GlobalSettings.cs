using System.Globalization;
using System.Net;

namespace HaproxyCluster.Config;

/// <summary>The <c>global</c> section: settings of the HAProxy process.</summary>
public sealed record GlobalSettings
{
    /// <summary>Most concurrent connections the process accepts. Default: 50000.</summary>
    public int MaxConnections { get; init; } = 50_000;

    /// <summary>
    /// How long an old worker may finish its connections after a reload (<c>hard-stop-after</c>).
    /// Default: 30 s.
    /// </summary>
    public TimeSpan HardStopAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many reloads an old worker may outlive (<c>mworker-max-reloads</c>): a worker kept by a
    /// long-lived connection is stopped after this many more, so frequent reloads (a rules rollout,
    /// a reload storm) keep at most this many old workers, whatever <see cref="HardStopAfter"/>
    /// allows. Default: 3.
    /// </summary>
    public int MaxReloadsPerWorker { get; init; } = 3;

    /// <summary>
    /// The Runtime API socket. It also hands the listening sockets to the next worker on reload
    /// (<c>expose-fd listeners</c>), so reloads drop no connection. Default: <c>/run/haproxy/admin.sock</c>.
    /// </summary>
    public string RuntimeSocketPath { get; init; } = "/run/haproxy/admin.sock";

    /// <summary>The TCP port on loopback where the node's syslog takes HAProxy's logs.</summary>
    public const int NodeSyslogPort = 5140;

    /// <summary>The prefix of a <see cref="LogTarget"/> reached over TCP.</summary>
    internal const string TcpLogPrefix = "tcp@";

    /// <summary>
    /// Where logs go: <c>tcp@address:port</c> (a syslog server over TCP, fed from an in-memory
    /// buffer), a syslog socket path such as <c>/dev/log</c>, <c>address:port</c> (UDP), or
    /// <c>stdout</c>. Default: <c>tcp@127.0.0.1:5140</c>, the node's rsyslog, which writes the
    /// file the CloudWatch agent ships. Over TCP no line is lost to a full socket buffer or to
    /// journald's rate limit, and HAProxy sends many lines per write instead of one per request.
    /// </summary>
    public string LogTarget { get; init; } = string.Create(CultureInfo.InvariantCulture, $"{TcpLogPrefix}127.0.0.1:{NodeSyslogPort}");

    /// <summary>The <c>address:port</c> of <see cref="LogTarget"/> when it is a syslog server over TCP; otherwise null.</summary>
    public string? TcpLogServer => LogTarget?.StartsWith(TcpLogPrefix, StringComparison.Ordinal) == true ? LogTarget[TcpLogPrefix.Length..] : null;

    /// <summary>The port of <see cref="TcpLogServer"/> when it is on the node's loopback; otherwise null.</summary>
    public int? LoopbackTcpLogPort =>
        IPEndPoint.TryParse(TcpLogServer ?? "", out var server) && IPAddress.IsLoopback(server.Address) ? server.Port : null;

    /// <summary>
    /// Where HAProxy keeps its servers' runtime state across reloads (<c>server-state-file</c>),
    /// written by the node agent after each change, so a new worker starts with the servers the
    /// agent found, not with empty slots. Used when a pool has an <see cref="Ec2Discovery"/>.
    /// Default: <c>/var/lib/haproxy/server-state</c>.
    /// </summary>
    public string ServerStateFile { get; init; } = "/var/lib/haproxy/server-state";

    /// <summary>Whether logs go to the process's own stdout or stderr, which take no syslog header.</summary>
    internal bool LogsToStream => IsStreamTarget(LogTarget);

    /// <summary>Whether <paramref name="target"/> names a stream of the process rather than a syslog server.</summary>
    internal static bool IsStreamTarget(string? target) => target is "stdout" or "stderr";

    /// <summary>User the workers run as. Default: <c>haproxy</c>. Null: the user that started HAProxy.</summary>
    public string? User { get; init; } = "haproxy";
}
