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
    /// The Runtime API socket. It also hands the listening sockets to the next worker on reload
    /// (<c>expose-fd listeners</c>), so reloads drop no connection. Default: <c>/run/haproxy/admin.sock</c>.
    /// </summary>
    public string RuntimeSocketPath { get; init; } = "/run/haproxy/admin.sock";

    /// <summary>
    /// Where logs go: a syslog socket path or address, or <c>stdout</c>. Default: <c>/dev/log</c>,
    /// which the node's syslog writes to a file the CloudWatch agent ships.
    /// </summary>
    public string LogTarget { get; init; } = "/dev/log";

    /// <summary>User the workers run as. Default: <c>haproxy</c>. Null: the user that started HAProxy.</summary>
    public string? User { get; init; } = "haproxy";
}
