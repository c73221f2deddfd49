using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Logs;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Infra;

/// <summary>Properties of a <see cref="HaproxyCluster"/>.</summary>
public sealed record HaproxyClusterProps
{
    /// <summary>
    /// Short name of the deployment (<c>dev</c>, <c>prod</c>): it names the log group
    /// (<c>/haproxy-cluster/NAME</c>), the alarms and the node files folder.
    /// </summary>
    public required string EnvironmentName { get; init; }

    /// <summary>What every HAProxy node does. Validated when the construct is created.</summary>
    public required HaproxySpec Haproxy { get; init; }

    /// <summary>An existing VPC with public and private (with egress) subnets. Default: a new VPC.</summary>
    public IVpc? Vpc { get; init; }

    /// <summary>
    /// Address range of the new VPC; ignored when <see cref="Vpc"/> is given. Default: <c>10.0.0.0/16</c>.
    /// </summary>
    public string VpcCidr { get; init; } = "10.0.0.0/16";

    /// <summary>
    /// Zones to spread the NLB and the nodes over; at least two. Default: the stack's first three.
    /// </summary>
    public IReadOnlyList<string>? AvailabilityZones { get; init; }

    /// <summary>EC2 instance type of the nodes. Default: <c>t3.small</c>.</summary>
    public string InstanceType { get; init; } = "t3.small";

    /// <summary>Fewest nodes; the rolling update keeps this many in service. Default: 3.</summary>
    public int MinCapacity { get; init; } = 3;

    /// <summary>Most nodes; must exceed <see cref="MinCapacity"/> so a rolling update has room for one more. Default: 6.</summary>
    public int MaxCapacity { get; init; } = 6;

    /// <summary>Average CPU the group scales to hold. Default: 50 %.</summary>
    public int TargetCpuPercent { get; init; } = 50;

    /// <summary>
    /// The busiest traffic the cluster must carry and what a vCPU carries of its rules (from
    /// <c>make bench</c>): synthesis fails when the nodes left after losing the zone that holds the
    /// most of <see cref="MinCapacity"/> cannot carry it at <see cref="TargetCpuPercent"/>
    /// (<see cref="ZoneLossCapacity"/>). Default: none, and no check.
    /// </summary>
    public PeakLoad? Peak { get; init; }

    /// <summary>
    /// What a node replaced by a launch-template change (a refreshed image, a new bootstrap, agent or
    /// instance type) must show on real traffic before it signals CloudFormation: it serves the
    /// NLB's requests for the bake's duration and fails its signal when more than
    /// <see cref="NodeBake.MaxOwnFailurePercent"/> of them failed through its own fault, its HAProxy
    /// worker restarted or its agent failed to apply rules. A failed bake stops the rolling update
    /// and CloudFormation puts the previous launch template back; the nodes not yet replaced are never
    /// touched. The rolling update waits <see cref="NodePauseTime"/> for each node. Needs the JSON
    /// access log with its <c>status</c> and <c>termination</c> fields, sent to the node's rsyslog.
    /// Default: <see cref="NodeBake.None"/>, the node signals once it is healthy.
    /// </summary>
    public NodeBake Bake { get; init; } = NodeBake.None;

    /// <summary>How long a node may take to boot, install its rules and fill its pools before its bake starts.</summary>
    public static readonly TimeSpan NodeBootTime = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long CloudFormation waits for each new node's signal: <see cref="NodeBootTime"/> plus
    /// <see cref="Bake"/>'s duration (a node that signals sooner moves the update on sooner).
    /// </summary>
    public TimeSpan NodePauseTime => NodeBootTime + (Bake?.Duration ?? TimeSpan.Zero);

    /// <summary>
    /// Average open sessions a node holds that the group scales to hold, beside
    /// <see cref="TargetCpuPercent"/>: the NLB-facing frontend's current sessions, which each node's
    /// CloudWatch agent scrapes from HAProxy. Keep it well under <see cref="GlobalSettings.MaxConnections"/>.
    /// Default: 5,000.
    /// </summary>
    public int TargetSessionsPerNode { get; init; } = 5_000;

    /// <summary>Whether the NLB is reachable from the internet. Default: true. False: internal, reachable from the VPC.</summary>
    public bool InternetFacing { get; init; } = true;

    /// <summary>
    /// Whether the NLB refuses to be deleted (<c>deletion_protection.enabled</c>) until this is turned
    /// off: a stack deleted by mistake then fails instead of taking the cluster's address with it.
    /// Default: false, so a playground's stack can be destroyed.
    /// </summary>
    public bool DeletionProtection { get; init; }

    /// <summary>
    /// Whether the log group (HAProxy's access log, the nodes' and agents' logs) and the NLB's
    /// access-log bucket outlive the stack: kept when it is deleted, or deleted with it (AWS deletes
    /// a bucket only once it is empty). Default: kept. Each environment says which it wants.
    /// </summary>
    public bool RetainLogs { get; init; } = true;

    /// <summary>The removal policy <see cref="RetainLogs"/> gives the log group and the access-log bucket.</summary>
    internal Amazon.CDK.RemovalPolicy LogsRemovalPolicy => RetainLogs ? Amazon.CDK.RemovalPolicy.RETAIN : Amazon.CDK.RemovalPolicy.DESTROY;

    /// <summary>
    /// Moving traffic out of an impaired Availability Zone with ARC zonal shift: <see cref="ZonalShift.Off"/>,
    /// <see cref="ZonalShift.Manual"/> or <see cref="ZonalShift.Autoshift"/>. Default: off.
    /// </summary>
    public ZonalShift ZonalShift { get; init; } = ZonalShift.Off;

    /// <summary>ACM certificate for a TLS listener on 443, terminated at the NLB. Default: no TLS listener.</summary>
    public string? CertificateArn { get; init; }

    /// <summary>
    /// TLS on 443 terminated on the nodes (a TCP listener forwarding to them), with their certificates
    /// from SSM Parameter Store and optional mutual TLS; instead of <see cref="CertificateArn"/>.
    /// Default: null.
    /// </summary>
    public NodeTls? NodeTls { get; init; }

    /// <summary>The spec every node runs: <see cref="Haproxy"/>, with the TLS bind <see cref="NodeTls"/> asks for.</summary>
    internal HaproxySpec? NodeSpec => NodeTls is { } tls && Haproxy is { Listeners.Tls: null } spec
        ? spec with { Listeners = spec.Listeners with { Tls = tls.Listener() } }
        : Haproxy;

    /// <summary>
    /// What the TLS listener offers clients in ALPN (with <see cref="CertificateArn"/>). Default:
    /// HTTP/2 preferred, HTTP/1.1 still accepted.
    /// </summary>
    public AlpnPolicy TlsAlpnPolicy { get; init; } = AlpnPolicy.HTTP2_PREFERRED;

    /// <summary>
    /// How long the NLB keeps a silent flow on its TCP listener (<c>tcp.idle_timeout.seconds</c>,
    /// 60 s to 6000 s). The TLS listener's is fixed at 350 s. The nodes' keepalive probes
    /// (<see cref="DefaultSettings.TcpKeepAlive"/>) must come sooner than either. Default: AWS's 350 s.
    /// </summary>
    public TimeSpan? TcpIdleTimeout { get; init; }

    /// <summary>How long HAProxy's logs are kept. Default: one month.</summary>
    public RetentionDays LogRetention { get; init; } = RetentionDays.ONE_MONTH;

    /// <summary>How long NLB access logs are kept in their bucket. Default: 90 days.</summary>
    public int AccessLogDays { get; init; } = 90;

    /// <summary>HAProxy 5xx responses per minute that raise the 5xx alarm. Default: 10.</summary>
    public int Http5xxPerMinuteAlarm { get; init; } = 10;

    /// <summary>
    /// Backend auto-scaling groups (each one an <see cref="Ec2Discovery"/> pool's group) that wait
    /// on scale-in while the nodes drain the leaving instance: the cluster adds a terminating
    /// lifecycle hook to each, whose heartbeat timeout is the pool's drain timeout plus two of the
    /// slowest node's discovery passes at <see cref="MaxCapacity"/> nodes and 20 s for the hook's
    /// event. The groups must exist when the stack deploys. Default: none.
    /// </summary>
    public IReadOnlyList<string> DrainOnScaleIn { get; init; } = [];

    /// <summary>
    /// The DescribeInstances calls a second the whole cluster's agents may make, whatever its size:
    /// each node reads every discovered pool and its own group in one call a pass, and waits, between
    /// two passes, the node count over this when that is longer than 5 s. EC2 throttles an account's
    /// DescribeInstances at 100 calls refilled at 20 a second, for every tool in the account.
    /// Default: 2 (30 nodes pass every 15 s).
    /// </summary>
    public double DiscoveryCallsPerSecond { get; init; } = 2;

    /// <summary>
    /// How a rules change rolls out through AppConfig. Default: <see cref="RulesRollout.Canary"/>
    /// of <see cref="MinCapacity"/> nodes over 6 minutes, then a 10-minute bake.
    /// </summary>
    public RulesRollout? Rollout { get; init; }

    /// <summary>The rollout in effect: <see cref="Rollout"/>, or its default.</summary>
    public RulesRollout EffectiveRollout => Rollout ?? RulesRollout.Canary(MinCapacity, TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(10));

    /// <summary>
    /// Where <c>make agent</c> put the node agent (a folder with <c>linux-x64/</c> and
    /// <c>linux-arm64/</c>), shipped to every node.
    /// Default: <c>.build/agent</c> in the working directory or its nearest parent that has one.
    /// </summary>
    public string? AgentDirectory { get; init; }
}
