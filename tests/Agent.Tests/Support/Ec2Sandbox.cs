using Amazon.EC2;
using Amazon.Runtime;
using HaproxyCluster.Local;

namespace HaproxyCluster.Agent.Tests.Support;

/// <summary>
/// The EC2 stand-in on a free loopback port with its instances file in a folder of its own, and
/// the real SDK client pointed at it: the service URL last, with its signing region (a region
/// endpoint set after it would win).
/// </summary>
internal sealed class Ec2Sandbox : IDisposable
{
    private static readonly DateTime Launched = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public Ec2Sandbox(string folder, int pageSize)
    {
        InstancesFile = Path.Combine(folder, "instances.tsv");
        StandIn = new Ec2StandIn(FreePort.Next(), InstancesFile, pageSize);
        Client = new AmazonEC2Client(new BasicAWSCredentials("stand-in", "stand-in"), new AmazonEC2Config { ServiceURL = StandIn.Endpoint.ToString(), AuthenticationRegion = "eu-west-1" });
    }

    public string InstancesFile { get; }

    public Ec2StandIn StandIn { get; }

    public AmazonEC2Client Client { get; }

    /// <summary>Instance number <paramref name="n"/> (launched <paramref name="n"/> minutes after the first) of <paramref name="group"/>.</summary>
    public static Ec2StandIn.Instance Instance(int n, string address, string group, string state = "running", params (string Key, string Value)[] tags) =>
        new($"i-{n:d17}", address, state, Launched.AddMinutes(n),
            new Dictionary<string, string>(tags.Select(t => KeyValuePair.Create(t.Key, t.Value))) { [Ec2Members.GroupTag] = group });

    /// <summary>Makes <paramref name="instances"/> what EC2 lists from now on.</summary>
    public void Write(IEnumerable<Ec2StandIn.Instance> instances) => Ec2StandIn.Write(InstancesFile, instances);

    /// <summary>Starts an outage: every call gets 503 until the sandbox is disposed.</summary>
    public void Outage() => File.WriteAllText(InstancesFile + ".outage", "");

    public void Dispose()
    {
        Client.Dispose();
        StandIn.Dispose();
    }
}
