using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.AutoScaling;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.S3;
using Constructs;
using LbHealthCheck = Amazon.CDK.AWS.ElasticLoadBalancingV2.HealthCheck;
using Protocol = Amazon.CDK.AWS.ElasticLoadBalancingV2.Protocol;

namespace HaproxyCluster.Infra;

/// <summary>
/// The Network Load Balancer with its access-log bucket, and, once the nodes exist, one listener
/// and target group per listener port: TCP :80 to the HTTP bind; on :443 either TLS (terminated
/// here) to the TLS-origin bind, or TCP to the nodes' own TLS bind (<see cref="NodeTls"/>); all
/// with PROXY protocol v2 and the node's health endpoint as the check.
/// </summary>
internal sealed class ClusterLoadBalancer
{
    /// <summary>The NLB's plain-HTTP port.</summary>
    public const int HttpPort = 80;

    /// <summary>The NLB's HTTPS port: TLS with a certificate, or TCP to the nodes' TLS.</summary>
    public const int TlsPort = 443;

    private readonly Construct _scope;
    private readonly HaproxyClusterProps _props;
    private readonly IVpc _vpc;

    /// <summary>Adds the bucket and the NLB to <paramref name="scope"/> as <c>AccessLogs</c> and <c>Nlb</c>.</summary>
    public ClusterLoadBalancer(Construct scope, IVpc vpc, ISecurityGroup securityGroup, HaproxyClusterProps props)
    {
        _scope = scope;
        _props = props;
        _vpc = vpc;
        var logs = new Bucket(scope, "AccessLogs", new BucketProps
        {
            // NLB access logs can only be written to SSE-S3 buckets.
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            RemovalPolicy = props.LogsRemovalPolicy,
            LifecycleRules = [new LifecycleRule { Expiration = Duration.Days(props.AccessLogDays), AbortIncompleteMultipartUploadAfter = Duration.Days(1) }],
        });
        NagSuppressions.Add(logs, ("AwsSolutions-S1", "This bucket holds the NLB's access logs; logging access to it would log the logger."));

        LoadBalancer = new NetworkLoadBalancer(scope, "Nlb", new NetworkLoadBalancerProps
        {
            Vpc = vpc,
            InternetFacing = props.InternetFacing,
            CrossZoneEnabled = true,
            DeletionProtection = props.DeletionProtection,
            SecurityGroups = [securityGroup],
            VpcSubnets = new SubnetSelection { SubnetType = props.InternetFacing ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS },
        });
        LoadBalancer.LogAccessLogs(logs, "nlb");
    }

    /// <summary>The NLB.</summary>
    public NetworkLoadBalancer LoadBalancer { get; }

    /// <summary>The target group behind TCP :80; set by <see cref="AddTargets"/>.</summary>
    public NetworkTargetGroup? HttpTargetGroup { get; private set; }

    /// <summary>The target group behind :443, when there is HTTPS (at the NLB or on the nodes); set by <see cref="AddTargets"/>.</summary>
    public NetworkTargetGroup? TlsTargetGroup { get; private set; }

    /// <summary>
    /// The ports the NLB listens on, and what they carry: 80 always, 443 with a certificate or
    /// with TLS on the nodes. The security groups open exactly these.
    /// </summary>
    public static IEnumerable<(int Port, string What)> ListenerPorts(HaproxyClusterProps props)
    {
        yield return (HttpPort, "HTTP");
        if (props.CertificateArn is not null || props.NodeTls is not null)
        {
            yield return (TlsPort, "HTTPS");
        }
    }

    /// <summary>Adds the listeners and their target groups (<c>HttpTargets</c>, <c>TlsTargets</c>), with <paramref name="nodes"/> as targets.</summary>
    public void AddTargets(AutoScalingGroup nodes)
    {
        var listeners = _props.Haproxy.Listeners;
        HttpTargetGroup = Listen("Http", HttpPort, listeners.HttpPort, null, nodes);
        if (_props.CertificateArn is { } certificate)
        {
            TlsTargetGroup = Listen("Tls", TlsPort, listeners.TlsOriginPort!.Value, certificate, nodes);
        }
        else if (_props.NodeTls is { } nodeTls)
        {
            // The same ids as at-the-NLB TLS: it is the one HTTPS listener, whichever end decrypts.
            TlsTargetGroup = Listen("Tls", TlsPort, nodeTls.NodePort, null, nodes);
        }
    }

    private NetworkTargetGroup Listen(string name, int listenerPort, int targetPort, string? certificateArn, AutoScalingGroup nodes)
    {
        var listeners = _props.Haproxy.Listeners;
        var targets = new NetworkTargetGroup(_scope, $"{name}Targets", new NetworkTargetGroupProps
        {
            Vpc = _vpc,
            Port = targetPort,
            Protocol = Protocol.TCP,
            TargetType = TargetType.INSTANCE,
            ProxyProtocolV2 = true,
            // Long enough to finish most requests; the ASG waits this long before terminating a node.
            DeregistrationDelay = Duration.Seconds(30),
            HealthCheck = new LbHealthCheck
            {
                Protocol = Protocol.HTTP,
                Port = listeners.HealthPort.ToString(CultureInfo.InvariantCulture),
                Path = listeners.HealthPath,
                Interval = Duration.Seconds(NodeHealthCheck.IntervalSeconds),
                HealthyThresholdCount = NodeHealthCheck.HealthyThreshold,
                UnhealthyThresholdCount = NodeHealthCheck.UnhealthyThreshold,
            },
            Targets = [nodes],
        });
        targets.SetAttribute("deregistration_delay.connection_termination.enabled", "true");

        var listener = LoadBalancer.AddListener($"{name}Listener", new BaseNetworkListenerProps
        {
            Port = listenerPort,
            Protocol = certificateArn is null ? Protocol.TCP : Protocol.TLS,
            Certificates = certificateArn is null ? null : [ListenerCertificate.FromArn(certificateArn)],
            SslPolicy = certificateArn is null ? null : SslPolicy.RECOMMENDED_TLS,
            // HTTP/2 to clients: the NLB offers h2 in ALPN and passes the decrypted bytes on; HAProxy
            // detects the HTTP/2 preface on its clear TLS-origin bind, so no node change is needed.
            AlpnPolicy = certificateArn is null ? null : _props.TlsAlpnPolicy,
            DefaultTargetGroups = [targets],
        });
        if (certificateArn is null && _props.TcpIdleTimeout is { } idle)
        {
            // CDK 2.160 has no property for it yet; CloudFormation has ListenerAttributes. A TLS
            // listener's idle timeout is fixed at 350 s, so only the TCP one takes it.
            ((CfnListener)listener.Node.DefaultChild!).AddPropertyOverride("ListenerAttributes", new[]
            {
                new Dictionary<string, string> { ["Key"] = "tcp.idle_timeout.seconds", ["Value"] = ((int)idle.TotalSeconds).ToString(CultureInfo.InvariantCulture) },
            });
        }

        return targets;
    }
}

/// <summary>
/// How the NLB checks a node: its health endpoint over HTTP, every 10 s, 2 failures to take it
/// out and 2 successes to bring it back. AWS's defaults (30 s, 5/2) notice a dead node after
/// about a minute; this takes 20 s. The local cluster's front checks its nodes the same way.
/// </summary>
public static class NodeHealthCheck
{
    /// <summary>Seconds between two checks of a node.</summary>
    public const int IntervalSeconds = 10;

    /// <summary>Consecutive successes that bring a node into service.</summary>
    public const int HealthyThreshold = 2;

    /// <summary>Consecutive failures that take a node out of service.</summary>
    public const int UnhealthyThreshold = 2;
}
