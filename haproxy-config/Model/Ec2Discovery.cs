namespace HaproxyCluster.Config;

/// <summary>
/// Servers that follow EC2 instances: the running instances of an auto-scaling group, or those
/// carrying some tags. The node agent lists them through EC2's API and fills the pool's slots
/// through HAProxy's Runtime API: an instance keeps its slot while it lives, a leaving one drains
/// first, and no membership change that fits the slots reloads HAProxy.
/// </summary>
/// <param name="Port">The port the instances serve on.</param>
/// <param name="Slots">Most instances served at once, 1 to 1000; past that the agent serves the first ones (by launch time, then id) and says so.</param>
public sealed record Ec2Discovery(int Port, int Slots = 32) : ServerDiscovery(Port, Slots)
{
    /// <summary>
    /// The tag that marks an instance its group is terminating (the cluster's scale-in hook puts
    /// it there): the agent drains such an instance's slot as if it had left.
    /// </summary>
    public const string LeavingTag = Node.MembershipManifest.LeavingTag;

    /// <summary>The auto-scaling group whose running instances are the servers. Default: none (then <see cref="Tags"/>).</summary>
    public string? AutoScalingGroup { get; init; }

    /// <summary>Tags every server carries, all of them. Default: none (then <see cref="AutoScalingGroup"/>).</summary>
    public ValueList<Ec2Tag> Tags { get; init; } = [];

    /// <summary>
    /// How long a leaving instance may finish its requests: it takes no new ones (<c>drain</c>), and
    /// goes to <c>maint</c> once its last connection ends or this time has passed. Default: 30 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The running instances of auto-scaling group <paramref name="autoScalingGroup"/>.</summary>
    public static Ec2Discovery ForGroup(string autoScalingGroup, int port, int slots = 32) => new(port, slots) { AutoScalingGroup = autoScalingGroup };

    /// <summary>The running instances that carry every one of <paramref name="tags"/>.</summary>
    public static Ec2Discovery ForTags(int port, int slots, params Ec2Tag[] tags) => new(port, slots) { Tags = tags.ToValueList() };

    internal override void Check(Problems at)
    {
        base.Check(at);
        at["AutoScalingGroup"].Require(AutoScalingGroup is not null || !Tags.IsEmpty, "is null and Tags is empty; give exactly one (Ec2Discovery.ForGroup or Ec2Discovery.ForTags)");
        at["Tags"].Require(AutoScalingGroup is null || Tags.IsEmpty, "is set as well as AutoScalingGroup; give exactly one (Ec2Discovery.ForGroup or Ec2Discovery.ForTags)");
        at["AutoScalingGroup"].Add(AutoScalingGroup is null ? null : Syntax.Ec2Name(AutoScalingGroup, "auto-scaling group name", 255));
        for (var i = 0; i < Tags.Count; i++)
        {
            at["Tags"][i]["Key"].Add(Syntax.Ec2Name(Tags[i]?.Key, "tag key", 128));
            at["Tags"][i]["Value"].Add(Syntax.Ec2Name(Tags[i]?.Value, "tag value", 256));
        }

        at["DrainTimeout"].Require(
            DrainTimeout >= TimeSpan.FromSeconds(1) && DrainTimeout <= TimeSpan.FromHours(1) && DrainTimeout.Ticks % TimeSpan.TicksPerSecond == 0,
            $"{DrainTimeout} is not a whole number of seconds from 1 s to 1 h");
    }
}

/// <summary>An EC2 tag an instance must carry.</summary>
/// <param name="Key">The tag's key.</param>
/// <param name="Value">The tag's value.</param>
public sealed record Ec2Tag(string Key, string Value);
