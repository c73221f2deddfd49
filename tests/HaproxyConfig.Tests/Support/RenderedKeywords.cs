namespace HaproxyCluster.Config.Tests.Support;

/// <summary>The statement keywords the renderer writes; any other first word on a line means something got in.</summary>
internal static class RenderedKeywords
{
    public static readonly HashSet<string> All =
    [
        "global", "ring", "format", "maxlen", "size", "defaults", "resolvers", "frontend", "backend", "master-worker", "maxconn", "hard-stop-after", "mworker-max-reloads", "proto", "check-proto", "clitcpka-idle", "clitcpka-intvl", "clitcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl", "srvtcpka-cnt", "user", "group",
        "log", "stats", "mode", "option", "timeout", "retries", "retry-on", "http-reuse", "unique-id-format", "unique-id-header", "log-format",
        "nameserver", "hold", "accepted_payload_size", "bind", "http-request", "http-after-response", "use_backend", "default_backend",
        "no", "monitor-uri", "monitor", "balance", "http-check", "cookie", "default-server", "server", "server-template", "stick-table",
        "server-state-file", "load-server-state-from-file",
    ];
}
