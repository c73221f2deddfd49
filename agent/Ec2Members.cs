using System.Net;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent;

/// <summary>A running instance that cannot serve, and why.</summary>
internal sealed record SkippedInstance(string InstanceId, string Reason);

/// <summary>What one listing found: the members, and the running instances that cannot serve.</summary>
internal sealed record Listing(IReadOnlyList<Member> Members, IReadOnlyList<SkippedInstance> Skipped);

/// <summary>
/// A discovered pool's members, from EC2's DescribeInstances: running instances of its group (by
/// the tag EC2 Auto Scaling puts on them) or carrying its tags, every page followed. An instance
/// tagged <see cref="MembershipManifest.LeavingTag"/> is not a member: its group is terminating it (the cluster's
/// scale-in hook tags it), so its slot drains while the group waits.
/// </summary>
internal sealed class Ec2Members(IAmazonEC2 ec2)
{
    /// <summary>The tag EC2 Auto Scaling puts on every instance of a group.</summary>
    public const string GroupTag = "aws:autoscaling:groupName";

    /// <summary>Every running member of <paramref name="pool"/> that has a private IPv4 address.</summary>
    /// <exception cref="AmazonEC2Exception">EC2 refused or failed.</exception>
    public Task<Listing> ListAsync(DiscoveredPool pool, CancellationToken cancellation) =>
        ListAsync(pool.AutoScalingGroup, pool.Tags, cancellation);

    /// <summary>Every running instance of auto-scaling group <paramref name="group"/>.</summary>
    public Task<Listing> GroupAsync(string group, CancellationToken cancellation) => ListAsync(group, [], cancellation);

    /// <summary>The auto-scaling group of instance <paramref name="instanceId"/> (this node, to count its fleet), or null.</summary>
    public async Task<string?> GroupOfAsync(string instanceId, CancellationToken cancellation)
    {
        var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] }, cancellation);
        return (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).SelectMany(i => i.Tags ?? [])
            .FirstOrDefault(t => t.Key == GroupTag)?.Value;
    }

    /// <summary>How long one call may take: EC2 answers in well under a second, and a call that hangs must fail its pass, not stall discovery.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The SDK's client for <paramref name="endpoint"/> (an EC2 API other than the region's, such as
    /// the local stand-in) or the region's. It does not retry: a failed call fails the pass, which
    /// the discovery loop reports and retries with its own backoff, so throttling is seen, not hidden.
    /// A call that takes longer than <paramref name="timeout"/> (default <see cref="CallTimeout"/>) fails.
    /// </summary>
    public static AmazonEC2Client Client(Uri? endpoint, string? region, TimeSpan? timeout = null)
    {
        var config = new AmazonEC2Config { MaxErrorRetry = 0, Timeout = timeout ?? CallTimeout };
        if (endpoint is null)
        {
            if (region is not null)
            {
                config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
            }

            return new AmazonEC2Client(config);
        }

        // The service URL last, with its signing region: a region endpoint set after it would win.
        config.ServiceURL = endpoint.ToString();
        config.AuthenticationRegion = region ?? "us-east-1";
        return new AmazonEC2Client(new BasicAWSCredentials("stand-in", "stand-in"), config);
    }

    private async Task<Listing> ListAsync(string? group, IReadOnlyList<MemberTag> tags, CancellationToken cancellation)
    {
        List<Filter> filters = [new Filter("instance-state-name", ["running"])];
        if (group is not null)
        {
            filters.Add(new Filter($"tag:{GroupTag}", [group]));
        }

        filters.AddRange(tags.Select(tag => new Filter($"tag:{tag.Key}", [tag.Value])));
        var members = new List<Member>();
        var skipped = new List<SkippedInstance>();
        var pages = new HashSet<string>(StringComparer.Ordinal);
        string? page = null;
        do
        {
            var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = filters, NextToken = page }, cancellation);

            // Every DescribeInstances answer carries a request id: a body without one (an empty 200
            // from a proxy, say) would read as "no instances" and drain every slot.
            if (string.IsNullOrEmpty(response.ResponseMetadata?.RequestId))
            {
                throw new InvalidDataException("EC2's answer has no request id: it is no DescribeInstances reply");
            }

            foreach (var instance in (response.Reservations ?? []).SelectMany(r => r.Instances ?? []))
            {
                if ((instance.Tags ?? []).Any(t => t.Key == MembershipManifest.LeavingTag))
                {
                    continue;
                }

                if (string.IsNullOrEmpty(instance.InstanceId))
                {
                    skipped.Add(new SkippedInstance("(no id)", "EC2 listed it without an instance id"));
                }
                else if (!IPAddress.TryParse(instance.PrivateIpAddress, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    skipped.Add(new SkippedInstance(instance.InstanceId, "no private IPv4 address"));
                }
                else
                {
                    members.Add(new Member(instance.InstanceId, address, instance.LaunchTime ?? DateTime.MinValue));
                }
            }

            page = response.NextToken;

            // A token seen before would page forever: EC2's answer is broken, and the pass fails.
            if (!string.IsNullOrEmpty(page) && !pages.Add(page))
            {
                throw new InvalidDataException($"EC2 returned the page token '{page}' twice");
            }
        }
        while (!string.IsNullOrEmpty(page));

        return new Listing(members, skipped);
    }
}
