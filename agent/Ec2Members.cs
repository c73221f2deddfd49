using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent;

/// <summary>
/// A discovered pool's members, from EC2's DescribeInstances: running instances of its group (by
/// the tag EC2 Auto Scaling puts on them) or carrying its tags, every page followed.
/// </summary>
internal sealed class Ec2Members(IAmazonEC2 ec2)
{
    /// <summary>The tag EC2 Auto Scaling puts on every instance of a group.</summary>
    public const string GroupTag = "aws:autoscaling:groupName";

    /// <summary>Every running member of <paramref name="pool"/> that has a private IPv4 address.</summary>
    /// <exception cref="AmazonEC2Exception">EC2 refused or failed, after the SDK's own retries.</exception>
    public async Task<IReadOnlyList<Member>> ListAsync(DiscoveredPool pool, CancellationToken cancellation)
    {
        List<Filter> filters = [new Filter("instance-state-name", ["running"])];
        if (pool.AutoScalingGroup is { } group)
        {
            filters.Add(new Filter($"tag:{GroupTag}", [group]));
        }

        filters.AddRange(pool.Tags.Select(tag => new Filter($"tag:{tag.Key}", [tag.Value])));
        var members = new List<Member>();
        string? page = null;
        do
        {
            var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = filters, NextToken = page }, cancellation);
            foreach (var instance in (response.Reservations ?? []).SelectMany(r => r.Instances ?? []))
            {
                if (IPAddress.TryParse(instance.PrivateIpAddress, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
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
