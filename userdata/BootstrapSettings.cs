using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.UserData;

/// <summary>What the bootstrap script needs to know about the node's stack, bundle and health endpoint.</summary>
public sealed record BootstrapSettings
{
    /// <summary>The CloudFormation stack to signal.</summary>
    public required string StackName { get; init; }

    /// <summary>Logical id of the resource whose creation or update policy waits for the signal (the ASG).</summary>
    public required string SignalResource { get; init; }

    /// <summary>The stack's region.</summary>
    public required string Region { get; init; }

    /// <summary>Where the rules come from: the AppConfig configuration the node boots on and follows.</summary>
    public required RulesSource Rules { get; init; }

    /// <summary>CloudWatch Logs group for the access and bootstrap logs.</summary>
    public required string LogGroupName { get; init; }

    /// <summary>Where the bundle is unpacked, and where haproxy.cfg reads its maps and pages. Default: <see cref="ConfigRenderer.DefaultConfigDirectory"/>.</summary>
    public string ConfigDirectory { get; init; } = ConfigRenderer.DefaultConfigDirectory;

    /// <summary>Port of HAProxy's health endpoint.</summary>
    public required int HealthPort { get; init; }

    /// <summary>Path of HAProxy's health endpoint.</summary>
    public required string HealthPath { get; init; }

    /// <summary>
    /// The loopback TCP port where the node's rsyslog takes HAProxy's logs and writes them to the
    /// file the CloudWatch agent ships. Default: <see cref="GlobalSettings.NodeSyslogPort"/>, where
    /// HAProxy sends them by default.
    /// </summary>
    public int SyslogPort { get; init; } = GlobalSettings.NodeSyslogPort;

    /// <summary>
    /// The port of HAProxy's admin frontend (<see cref="Listeners.AdminPort"/>), whose Prometheus
    /// endpoint the CloudWatch agent scrapes for <see cref="NodeLoadMetrics"/>. Default: the spec's default.
    /// </summary>
    public int AdminPort { get; init; } = new Listeners().AdminPort;

    /// <summary>The node agent: it installs the first rules version, then applies every later one, and fills discovered pools.</summary>
    public required NodeAgentSettings Agent { get; init; }

    /// <summary>The certificates the node terminates TLS with, which its agent installs before HAProxy starts; null: TLS ends at the NLB.</summary>
    public Node.NodeTlsSettings? Tls { get; init; }

    /// <summary>HAProxy's admin socket (<see cref="GlobalSettings.RuntimeSocketPath"/>), where the agent applies tables.</summary>
    public string RuntimeSocket { get; init; } = new GlobalSettings().RuntimeSocketPath;

    /// <summary>
    /// The kernel's keepalive for every socket on the node (HAProxy sets its own sockets' per
    /// socket): the spec's <see cref="DefaultSettings.TcpKeepAlive"/>, so a node's other long-lived
    /// flows (the agent's, the AppConfig Agent's) outlive the NLB's idle timeout too. Default: the
    /// spec's default.
    /// </summary>
    public TcpKeepAlive TcpKeepAlive { get; init; } = new();

    /// <summary>The bake the node passes on real traffic before it signals success (the agent's <c>bake</c>). Default: none.</summary>
    public NodeBake Bake { get; init; } = NodeBake.None;
}

/// <summary>
/// The AppConfig configuration a node reads its rules from, through the AWS AppConfig Agent the
/// bootstrap installs: <c>http://localhost:PORT/applications/A/environments/E/configurations/P</c>.
/// </summary>
public sealed record RulesSource
{
    /// <summary>The AppConfig application's name.</summary>
    public required string Application { get; init; }

    /// <summary>The AppConfig environment's name.</summary>
    public required string Environment { get; init; }

    /// <summary>The configuration profile's name.</summary>
    public required string Profile { get; init; }

    /// <summary>Where the AppConfig Agent answers on the node. Default: its own default, 2772.</summary>
    public int AgentPort { get; init; } = 2772;

    /// <summary>
    /// How often the AppConfig Agent asks AppConfig for a new version. Default: 15 s, the fastest
    /// AppConfig's data API allows a session.
    /// </summary>
    public int PollSeconds { get; init; } = 15;

    /// <summary>The configuration's address at the AppConfig Agent on the node.</summary>
    public string Url => $"http://localhost:{AgentPort}/applications/{Application}/environments/{Environment}/configurations/{Profile}";
}

/// <summary>Where the node agent comes from and what it reports to.</summary>
public sealed record NodeAgentSettings
{
    /// <summary>Where the agent's executable lives: <c>s3://bucket/key</c>.</summary>
    public required string Uri { get; init; }

    /// <summary>The executable's SHA-256; the script refuses any other file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The CloudWatch namespace of the agent's metrics (<c>HaproxyCluster/ENV</c>).</summary>
    public required string MetricsNamespace { get; init; }

    /// <summary>HAProxy's server-state file (<see cref="GlobalSettings.ServerStateFile"/>): the script lays down an empty one before HAProxy first reads it.</summary>
    public required string ServerStateFile { get; init; }

    /// <summary>
    /// An EC2 API endpoint other than the region's, such as a FIPS endpoint
    /// (<c>https://ec2-fips.us-east-1.amazonaws.com/</c>) or a stand-in's. Default: none, the region's.
    /// </summary>
    public string? Ec2Endpoint { get; init; }

    /// <summary>Seconds the agent waits, installing the first rules version, for the AppConfig Agent's answer and then for a discovery pass that reads every pool; the script waits as long for the agent's service to be ready. Default: 60.</summary>
    public int ReadySeconds { get; init; } = 60;

    /// <summary>The DescribeInstances calls a second the whole fleet's agents may make (<see cref="Node.NodeSettings.Ec2CallsPerSecond"/>).</summary>
    public double Ec2CallsPerSecond { get; init; } = 2;
}
