using Amazon.EC2;
using HaproxyCluster.Local;

namespace HaproxyCluster.Agent.Tests.Support;

/// <summary>
/// The EC2 stand-in on a free loopback port with its instances file in a folder of its own, and
/// the agent's own SDK client pointed at it.
/// </summary>
internal sealed class Ec2Sandbox : IDisposable
{
    private static readonly DateTime Launched = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public Ec2Sandbox(string folder, int pageSize, TimeSpan? callTimeout = null)
    {
        InstancesFile = Path.Combine(folder, "instances.tsv");
        StandIn = new Ec2StandIn(FreePort.Next(), InstancesFile, pageSize);
        Client = Ec2Members.Client(StandIn.Endpoint, "eu-west-1", callTimeout);
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

    /// <summary>Starts an outage: every call gets 503 until <see cref="Heal"/>.</summary>
    public void Outage() => File.WriteAllText(InstancesFile + ".outage", "");

    /// <summary>Every call gets this answer until <see cref="Heal"/> (see <see cref="Ec2StandIn.Reply"/>).</summary>
    public void Reply(int status, string body, int? cut = null) => Ec2StandIn.Reply(InstancesFile, status, body, cut);

    /// <summary>Every call is answered <paramref name="seconds"/> late until <see cref="Heal"/>.</summary>
    public void Slow(double seconds) => Ec2StandIn.Slow(InstancesFile, seconds);

    /// <summary>Calls are answered from the instances file again.</summary>
    public void Heal() => Ec2StandIn.Heal(InstancesFile);

    public void Dispose()
    {
        Client.Dispose();
        StandIn.Dispose();
    }
}
