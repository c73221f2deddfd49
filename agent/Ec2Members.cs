using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent;

/// <summary>
/// A discovered pool's members, from EC2's DescribeInstances: running instances of its group (by
/// the tag EC2 Auto Scaling puts on them) or carrying its tags, every page followed. An instance
/// tagged <see cref="Ec2Discovery.LeavingTag"/> is not a member: its group is terminating it (the cluster's
/// scale-in hook tags it), so its slot drains while the group waits.
/// </summary>
internal sealed class Ec2Members(IAmazonEC2 ec2)
{
    /// <summary>The tag EC2 Auto Scaling puts on every instance of a group.</summary>
    public const string GroupTag = "aws:autoscaling:groupName";

    /// <summary>Every running member of <paramref name="pool"/> that has a private IPv4 address.</summary>
    /// <exception cref="AmazonEC2Exception">EC2 refused or failed, after the SDK's own retries.</exception>
    public Task<IReadOnlyList<Member>> ListAsync(DiscoveredPool pool, CancellationToken cancellation) =>
        ListAsync(pool.AutoScalingGroup, pool.Tags, cancellation);

    /// <summary>Every running instance of auto-scaling group <paramref name="group"/>.</summary>
    public Task<IReadOnlyList<Member>> GroupAsync(string group, CancellationToken cancellation) => ListAsync(group, [], cancellation);

    /// <summary>The auto-scaling group of instance <paramref name="instanceId"/> (this node, to count its fleet), or null.</summary>
    public async Task<string?> GroupOfAsync(string instanceId, CancellationToken cancellation)
    {
        var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] }, cancellation);
        return (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).SelectMany(i => i.Tags ?? [])
            .FirstOrDefault(t => t.Key == GroupTag)?.Value;
    }

    private async Task<IReadOnlyList<Member>> ListAsync(string? group, IReadOnlyList<Ec2Tag> tags, CancellationToken cancellation)
    {
        List<Filter> filters = [new Filter("instance-state-name", ["running"])];
        if (group is not null)
        {
            filters.Add(new Filter($"tag:{GroupTag}", [group]));
        }

        filters.AddRange(tags.Select(tag => new Filter($"tag:{tag.Key}", [tag.Value])));
        var members = new List<Member>();
        string? page = null;
        do
        {
            var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = filters, NextToken = page }, cancellation);
            foreach (var instance in (response.Reservations ?? []).SelectMany(r => r.Instances ?? []))
            {
                var leaving = (instance.Tags ?? []).Any(t => t.Key == Ec2Discovery.LeavingTag);
                if (!leaving && IPAddress.TryParse(instance.PrivateIpAddress, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    members.Add(new Member(instance.InstanceId, address, instance.LaunchTime ?? DateTime.MinValue));
                }
            }

            page = response.NextToken;
        }
        while (!string.IsNullOrEmpty(page));

        return members;
    }
}
