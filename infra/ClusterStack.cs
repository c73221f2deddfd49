using Amazon.CDK;
using Constructs;

namespace HaproxyCluster.Infra;

/// <summary>One environment's stack: a <see cref="HaproxyCluster"/> configured from its <see cref="ClusterEnvironment"/>.</summary>
public sealed class ClusterStack : Stack
{
    private ClusterStack(Construct scope, ClusterEnvironment environment)
        : base(scope, environment.StackName, new StackProps
        {
            Env = new Amazon.CDK.Environment { Account = environment.Account, Region = environment.Region },
            Description = $"HAProxy cluster behind a Network Load Balancer ({environment.Name})",
        })
    {
        Cluster = new HaproxyCluster(this, "Cluster", environment.Cluster);
    }

    /// <summary>The environment's cluster.</summary>
    public HaproxyCluster Cluster { get; }

    /// <summary>Adds the stack of <paramref name="environment"/> to <paramref name="app"/>.</summary>
    public static ClusterStack Create(App app, ClusterEnvironment environment) => new(app, environment);
}
