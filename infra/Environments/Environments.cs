namespace HaproxyCluster.Infra;

/// <summary>The environments this repository deploys, and how one is picked from the CDK context.</summary>
public static class Environments
{
    /// <summary>AWS's documentation account id; replace it with yours before deploying.</summary>
    private const string PlaceholderAccount = "123456789012";

    /// <summary>Developers' playground: two small nodes.</summary>
    public static ClusterEnvironment Dev { get; } = new()
    {
        Name = "dev",
        Account = PlaceholderAccount,
        Region = "eu-west-1",
        AvailabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        VpcCidr = "10.10.0.0/16",
        InstanceType = "t3.small",
        MinCapacity = 2,
        MaxCapacity = 3,
    };

    /// <summary>Production's rehearsal: same shape, fewer nodes.</summary>
    public static ClusterEnvironment Staging { get; } = new()
    {
        Name = "staging",
        Account = PlaceholderAccount,
        Region = "eu-west-1",
        AvailabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        VpcCidr = "10.20.0.0/16",
        InstanceType = "c6i.large",
        MinCapacity = 3,
        MaxCapacity = 6,
    };

    /// <summary>Production: at least three nodes over three zones, TLS at the NLB.</summary>
    public static ClusterEnvironment Prod { get; } = new()
    {
        Name = "prod",
        Account = PlaceholderAccount,
        Region = "eu-central-1",
        AvailabilityZones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
        VpcCidr = "10.30.0.0/16",
        InstanceType = "c6i.xlarge",
        MinCapacity = 3,
        MaxCapacity = 12,
        Listeners = new()
        {
            CertificateArn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
        },
    };

    /// <summary>Every environment, in the order stacks are synthesized.</summary>
    public static IReadOnlyList<ClusterEnvironment> All { get; } = [Dev, Staging, Prod];

    /// <summary>
    /// The environments to synthesize: all of them when <paramref name="name"/> is null or empty,
    /// else the one it names.
    /// </summary>
    /// <exception cref="ArgumentException">No environment has that name.</exception>
    public static IReadOnlyList<ClusterEnvironment> Select(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return All;
        }

        var match = All.FirstOrDefault(e => e.Name == name);
        return match is not null
            ? [match]
            : throw new ArgumentException(
                $"Context 'env' is '{name}', which names no environment. Use one of: {string.Join(", ", All.Select(e => e.Name))}, or leave it out to synthesize all.",
                nameof(name));
    }
}
