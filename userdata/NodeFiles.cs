using System.Globalization;
using System.Text.Json.Nodes;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.UserData;

/// <summary>
/// The files the bootstrap lays on a node, made at synth time from the same settings as its
/// script: the units and their drop-ins, sysctl, the rsyslog and CloudWatch agent configs, and the
/// node agent's settings. The script writes each as it is (a quoted heredoc, never expanded), so a
/// value reaches the file unchanged and cannot reach the shell.
/// </summary>
public static class NodeFiles
{
    /// <summary>One file: where it goes on the node, and its text.</summary>
    public sealed record NodeFile(string Path, string Content);

    /// <summary>
    /// Stands for the nodes' auto-scaling group in the Prometheus config and the agent's settings:
    /// only IMDS knows it, so the script puts it in at boot, after checking it is a plain name.
    /// </summary>
    public const string GroupToken = "@AUTOSCALING_GROUP@";

    /// <summary>Where the node agent is installed.</summary>
    public const string AgentBinary = "/usr/local/bin/haproxy-cluster-agent";

    /// <summary>The node agent's log: its events, one JSON object a line.</summary>
    public const string AgentLog = "/var/log/haproxy-cluster-agent.log";

    /// <summary>The bootstrap's own log.</summary>
    public const string BootLog = "/var/log/haproxy-bootstrap.log";

    /// <summary>The access log the node's rsyslog writes and the CloudWatch agent ships.</summary>
    public const string AccessLog = "/var/log/haproxy/access.log";

    private const string CloudWatchEtc = "/opt/aws/amazon-cloudwatch-agent/etc";

    /// <summary>The CloudWatch agent's config, which the script hands to <c>amazon-cloudwatch-agent-ctl</c>.</summary>
    public const string CloudWatchConfig = CloudWatchEtc + "/haproxy-cluster.json";

    /// <summary>The Prometheus scrape config, where the script puts in the group.</summary>
    public const string PrometheusConfig = CloudWatchEtc + "/prometheus.yaml";

    /// <summary>Every file, in the order the script writes them.</summary>
    public static IReadOnlyList<NodeFile> For(BootstrapSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return
        [
            new("/etc/sysctl.d/90-haproxy.conf", Sysctl(settings.TcpKeepAlive)),
            new("/etc/systemd/system/haproxy.service.d/override.conf", "[Service]\nLimitNOFILE=200000\nRuntimeDirectory=haproxy\n"),
            new("/etc/rsyslog.d/49-haproxy.conf", BootstrapScript.RsyslogConfig(settings.SyslogPort, AccessLog)),
            new(PrometheusConfig, Prometheus(settings.AdminPort)),
            new(CloudWatchConfig, CloudWatch(settings)),
            new("/etc/systemd/system/aws-appconfig-agent.service.d/haproxy-cluster.conf", AppConfigAgent(settings)),
            new(NodeSettings.DefaultPath, BootstrapScript.AgentSettings(settings).ToJson()),
            new("/etc/systemd/system/haproxy-cluster-agent.service", AgentUnit(settings)),
        ];
    }

    /// <summary>The kernel's limits for many connections, and TCP keepalive probes well inside the NLB's 350 s idle timeout.</summary>
    public static string Sysctl(TcpKeepAlive keepAlive) => Lines($"""
        net.core.somaxconn = 65535
        net.ipv4.tcp_max_syn_backlog = 65535
        net.ipv4.ip_local_port_range = 1024 65023
        net.ipv4.tcp_tw_reuse = 1
        fs.file-max = 2097152
        net.ipv4.tcp_keepalive_time = {(int)keepAlive.Idle.TotalSeconds}
        net.ipv4.tcp_keepalive_intvl = {(int)keepAlive.Interval.TotalSeconds}
        net.ipv4.tcp_keepalive_probes = {keepAlive.Probes}
        """);

    /// <summary>
    /// Load to scale on: the CloudWatch agent scrapes HAProxy's Prometheus endpoint, labelling what
    /// it reads with the node's group (EC2 tags the instance with it; IMDS shows tags).
    /// </summary>
    private static string Prometheus(int adminPort) => Lines($"""
        global:
          scrape_interval: {NodeLoadMetrics.ScrapeSeconds}s
          scrape_timeout: 10s
        scrape_configs:
          - job_name: haproxy
            metrics_path: {NodeLoadMetrics.Path}
            static_configs:
              - targets: ["127.0.0.1:{adminPort}"]
                labels:
                  {NodeLoadMetrics.GroupDimension}: "{GroupToken}"
        """);

    /// <summary>
    /// The CloudWatch agent ships the access, bootstrap and agent logs, takes the agent's EMF
    /// metrics, and publishes the NLB-facing frontend's sessions and requests by group.
    /// </summary>
    private static string CloudWatch(BootstrapSettings settings)
    {
        JsonObject Stream(string file, string name) => new() { ["file_path"] = file, ["log_group_name"] = settings.LogGroupName, ["log_stream_name"] = "{instance_id}/" + name };
        var config = new JsonObject
        {
            ["logs"] = new JsonObject
            {
                ["metrics_collected"] = new JsonObject
                {
                    ["emf"] = new JsonObject(),
                    ["prometheus"] = new JsonObject
                    {
                        ["log_group_name"] = settings.LogGroupName,
                        ["prometheus_config_path"] = PrometheusConfig,
                        ["emf_processor"] = new JsonObject
                        {
                            ["metric_namespace"] = settings.Agent.MetricsNamespace,
                            ["metric_declaration"] = new JsonArray(new JsonObject
                            {
                                ["source_labels"] = new JsonArray("job", "proxy"),
                                ["label_matcher"] = $"^haproxy;{NodeLoadMetrics.Frontend}$",
                                ["dimensions"] = new JsonArray(new JsonArray(NodeLoadMetrics.GroupDimension)),
                                ["metric_selectors"] = new JsonArray($"^({NodeLoadMetrics.Sessions}|{NodeLoadMetrics.Requests})$"),
                            }),
                        },
                    },
                },
                ["logs_collected"] = new JsonObject
                {
                    ["files"] = new JsonObject { ["collect_list"] = new JsonArray(Stream(AccessLog, "access"), Stream(BootLog, "bootstrap"), Stream(AgentLog, "agent")) },
                },
            },
        };
        return config.ToJsonString() + "\n";
    }

    /// <summary>The AWS AppConfig Agent keeps the rules configuration cached on localhost, asking AppConfig every PollSeconds.</summary>
    private static string AppConfigAgent(BootstrapSettings settings) => Lines($"""
        [Service]
        Environment=SERVICE_REGION={settings.Region}
        Environment=HTTP_PORT={settings.Rules.AgentPort}
        Environment=POLL_INTERVAL={settings.Rules.PollSeconds}
        Environment=PREFETCH_LIST={new Uri(settings.Rules.Url).AbsolutePath}
        """);

    /// <summary>
    /// The node agent's unit: a notify service, ready after a pass that read every pool. A start
    /// that takes longer than ReadySeconds fails (the bootstrap signals failure), and is tried again.
    /// </summary>
    private static string AgentUnit(BootstrapSettings settings) => Lines($"""
        [Unit]
        Description=HaproxyCluster node agent (rules rollout, discovered pools, fleet-wide rate limits)
        After=haproxy.service aws-appconfig-agent.service

        [Service]
        Type=notify
        ExecStart={AgentBinary} --settings {NodeSettings.DefaultPath}
        TimeoutStartSec={settings.Agent.ReadySeconds}
        Restart=always
        RestartSec=5
        RuntimeDirectory=haproxy-cluster-agent
        StandardOutput=append:{AgentLog}
        StandardError=append:{AgentLog}
        NoNewPrivileges=yes
        # Not 'full': the agent swaps {settings.ConfigDirectory} for a new rules version, which writes in /etc.
        ProtectSystem=true
        ProtectHome=yes
        PrivateTmp=yes

        [Install]
        WantedBy=multi-user.target
        """);

    private static string Lines(FormattableString text) => text.ToString(CultureInfo.InvariantCulture) + "\n";
}
