using Amazon.CDK;
using Amazon.CDK.AWS.EC2;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>One environment's stack: its network and its HAProxy cluster.</summary>
public sealed class ClusterStack : Stack
{
    private ClusterStack(Construct scope, ClusterEnvironment environment)
        : base(scope, environment.StackName, new StackProps
        {
            Env = new Amazon.CDK.Environment { Account = environment.Account, Region = environment.Region },
            Description = $"HAProxy cluster behind a Network Load Balancer ({environment.Name})",
        })
    {
        Vpc = new Vpc(this, "Vpc", new VpcProps
        {
            IpAddresses = IpAddresses.Cidr(environment.VpcCidr),
            AvailabilityZones = [.. environment.AvailabilityZones],
            NatGateways = environment.AvailabilityZones.Count,
            SubnetConfiguration =
            [
                new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
                new SubnetConfiguration { Name = "nodes", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 22 },
            ],
        });
    }

    /// <summary>The VPC the cluster runs in.</summary>
    public Vpc Vpc { get; }

    /// <summary>Adds the stack of <paramref name="environment"/> to <paramref name="app"/>.</summary>
    public static ClusterStack Create(App app, ClusterEnvironment environment) => new(app, environment);
}
