using Amazon.CDK;
using Amazon.CDK.AWS.EC2;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>The VPC a cluster makes when it is given none: public subnets for the NLB, private ones for the nodes.</summary>
internal static class ClusterVpc
{
    /// <summary>Adds the VPC to <paramref name="scope"/> as <c>Vpc</c>.</summary>
    public static Vpc Create(Construct scope, HaproxyClusterProps props)
    {
        var vpc = new Vpc(scope, "Vpc", new VpcProps
        {
            IpAddresses = IpAddresses.Cidr(props.VpcCidr),
            AvailabilityZones = props.AvailabilityZones?.ToArray(),
            MaxAzs = props.AvailabilityZones is null ? 3 : null,
            // One NAT gateway per zone: losing a zone must not cut the others' way out.
            NatGateways = props.AvailabilityZones?.Count ?? 3,
            SubnetConfiguration =
            [
                new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
                new SubnetConfiguration { Name = "nodes", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 22 },
            ],
            GatewayEndpoints = new Dictionary<string, IGatewayVpcEndpointOptions>
            {
                // Bundle and package downloads stay on AWS's network.
                ["S3"] = new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.S3 },
            },
            FlowLogs = new Dictionary<string, IFlowLogOptions>
            {
                ["Rejected"] = new FlowLogOptions { TrafficType = FlowLogTrafficType.REJECT },
            },
        });

        // The VPC's default security group is emptied by a custom resource CDK adds to the stack.
        var provider = Stack.Of(scope).Node.TryFindChild("Custom::VpcRestrictDefaultSGCustomResourceProvider")?.Node;
        if (provider?.TryFindChild("Role") is CfnResource providerRole)
        {
            NagSuppressions.Add(providerRole, ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]", "CDK's own provider for restricting the default security group; AWSLambdaBasicExecutionRole only lets it write its logs."));
        }

        // CDK 2.160 runs that provider on nodejs20.x, which Lambda deprecated on 2026-04-30 (no
        // creation from 2027-02-01, no update from 2027-03-03). Its handler is plain JavaScript on
        // the SDK v3 the runtime ships, so it runs unchanged on the newest Node.js runtime.
        if (provider?.TryFindChild("Handler") is CfnResource handler)
        {
            handler.AddPropertyOverride("Runtime", LambdaRuntimes.NodeJs);
        }

        return vpc;
    }
}
