using Amazon.CDK.AWS.EC2;
using Constructs;
using HaproxyCluster.Config;

namespace HaproxyCluster.Infra;

/// <summary>
/// The NLB's and the nodes' security groups: clients reach the NLB's listener ports only, the NLB
/// reaches the nodes' NLB-facing ports only, the VPC reaches the admin port, and nodes reach AWS
/// over HTTPS and their backends' ports in the VPC.
/// </summary>
internal sealed class ClusterSecurityGroups
{
    /// <summary>Adds both groups to <paramref name="scope"/> as <c>NlbSecurityGroup</c> and <c>NodeSecurityGroup</c>.</summary>
    public ClusterSecurityGroups(Construct scope, IVpc vpc, HaproxyClusterProps props)
    {
        var listeners = props.Haproxy.Listeners;
        Nlb = new SecurityGroup(scope, "NlbSecurityGroup", new SecurityGroupProps
        {
            Vpc = vpc,
            Description = "HAProxy cluster NLB: listener ports from clients",
            AllowAllOutbound = false,
        });
        var clients = props.InternetFacing ? Peer.AnyIpv4() : Peer.Ipv4(vpc.VpcCidrBlock);
        foreach (var (port, what) in ClusterLoadBalancer.ListenerPorts(props))
        {
            Nlb.AddIngressRule(clients, Port.Tcp(port), $"{what} from clients");
        }

        if (props.InternetFacing)
        {
            NagSuppressions.Add(Nlb, ("AwsSolutions-EC23", "An internet-facing load balancer: its listener ports (80, 443), and only those, are open to everyone."));
        }

        Nodes = new SecurityGroup(scope, "NodeSecurityGroup", new SecurityGroupProps
        {
            Vpc = vpc,
            Description = "HAProxy nodes: traffic and health checks from the NLB, admin from the VPC",
            AllowAllOutbound = false,
        });
        foreach (var (port, what) in NlbFacingPorts(props))
        {
            Nodes.AddIngressRule(Nlb, Port.Tcp(port), $"{what} from the NLB");
            Nlb.AddEgressRule(Nodes, Port.Tcp(port), $"{what} to the nodes");
        }

        Nodes.AddIngressRule(Peer.Ipv4(vpc.VpcCidrBlock), Port.Tcp(listeners.AdminPort), "stats and Prometheus metrics from inside the VPC");
        // cdk-nag cannot read a CIDR that is a reference, so it reports the rule as failing to run.
        NagSuppressions.Add(Nodes, ("AwsSolutions-EC23", "The nodes admit the NLB's group on the listener ports and only the VPC's own CIDR (a reference to the VPC) on the admin port; nothing is open to the internet."));
        Nodes.AddEgressRule(Peer.AnyIpv4(), Port.Tcp(443), "AWS APIs, the config bundle and packages over HTTPS");
        foreach (var port in BackendPorts(props.Haproxy))
        {
            Nodes.AddEgressRule(Peer.Ipv4(vpc.VpcCidrBlock), Port.Tcp(port), "application backends in the VPC");
        }
    }

    /// <summary>The NLB's group.</summary>
    public SecurityGroup Nlb { get; }

    /// <summary>The nodes' group.</summary>
    public SecurityGroup Nodes { get; }

    private static IEnumerable<(int Port, string What)> NlbFacingPorts(HaproxyClusterProps props)
    {
        var listeners = props.Haproxy.Listeners;
        yield return (listeners.HttpPort, "HTTP");
        if (props.CertificateArn is not null)
        {
            yield return (listeners.TlsOriginPort!.Value, "decrypted HTTPS");
        }

        if (props.NodeTls is { } nodeTls)
        {
            yield return (nodeTls.NodePort, "HTTPS, decrypted on the node");
        }

        yield return (listeners.HealthPort, "health checks");
    }

    private static SortedSet<int> BackendPorts(HaproxySpec spec) =>
        [.. spec.Pools.SelectMany(p => p.Servers.Select(s => s.Port).Concat(p.Discovery is { } d ? [d.Port] : []))];
}
