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

/// <summary>What one listing looks for: instances of an auto-scaling group (by the tag EC2 Auto Scaling puts on them), carrying every one of some tags, or both.</summary>
internal sealed record Ec2Query(string? Group, IReadOnlyList<MemberTag> Tags)
{
    /// <summary>The members of <paramref name="pool"/>.</summary>
    public static Ec2Query Of(DiscoveredPool pool) => new(pool.AutoScalingGroup, pool.Tags);

    /// <summary>Every tag a member carries, the group's first.</summary>
    public IReadOnlyList<MemberTag> Required => Group is null ? Tags : [new MemberTag(Ec2Members.GroupTag, Group), .. Tags];

    /// <summary>The tag keys a filter for it names: queries with the same keys share a call.</summary>
    public string Shape => DiscoveryPacing.FilterKeys(Group, Tags.Select(t => t.Key));
}

/// <summary>
/// Discovered pools' members, from EC2's DescribeInstances: running instances of a group or
/// carrying some tags, every page followed. Queries whose filters name the same tag keys share one
/// call, their values combined, and each gets the instances that carry all of its own tags, so
/// pools and the nodes' own group, all found by group, cost one call a pass whatever their number.
/// An instance tagged <see cref="MembershipManifest.LeavingTag"/> is not a member: its group is
/// terminating it (the cluster's scale-in hook tags it), so its slot drains while the group waits.
/// </summary>
internal sealed class Ec2Members(IAmazonEC2 ec2)
{
    private int _calls;

    /// <summary>The tag EC2 Auto Scaling puts on every instance of a group.</summary>
    public const string GroupTag = DiscoveryPacing.GroupTag;

    /// <summary>The DescribeInstances calls made so far, every page counted.</summary>
    public int Calls => _calls;

    /// <summary>Every running member of each of <paramref name="queries"/> that has a private IPv4 address, in their order.</summary>
    /// <exception cref="AmazonEC2Exception">EC2 refused or failed.</exception>
    public async Task<IReadOnlyList<Listing>> ListAsync(IReadOnlyList<Ec2Query> queries, CancellationToken cancellation)
    {
        var listings = new Listing[queries.Count];
        foreach (var shape in queries.Select((query, i) => (Query: query, Index: i)).GroupBy(q => q.Query.Shape, StringComparer.Ordinal))
        {
            List<Filter> filters =
            [
                new Filter("instance-state-name", ["running"]),
                .. shape.SelectMany(q => q.Query.Required).GroupBy(t => t.Key, StringComparer.Ordinal)
                    .Select(key => new Filter($"tag:{key.Key}", [.. key.Select(t => t.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)])),
            ];
            var instances = await DescribeAsync(filters, cancellation);
            foreach (var (query, index) in shape)
            {
                listings[index] = Split(instances.Where(i => query.Required.All(t => (i.Tags ?? []).Any(it => it.Key == t.Key && it.Value == t.Value))));
            }
        }

        return listings;
    }

    /// <summary>Every running member of <paramref name="pool"/> that has a private IPv4 address.</summary>
    /// <exception cref="AmazonEC2Exception">EC2 refused or failed.</exception>
    public async Task<Listing> ListAsync(DiscoveredPool pool, CancellationToken cancellation) =>
        (await ListAsync([Ec2Query.Of(pool)], cancellation))[0];

    /// <summary>The auto-scaling group of instance <paramref name="instanceId"/> (this node, to count its fleet), or null.</summary>
    public async Task<string?> GroupOfAsync(string instanceId, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _calls);
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

    /// <summary>The running instances <paramref name="filters"/> select, every page followed.</summary>
    private async Task<List<Instance>> DescribeAsync(List<Filter> filters, CancellationToken cancellation)
    {
        var instances = new List<Instance>();
        var pages = new HashSet<string>(StringComparer.Ordinal);
        string? page = null;
        do
        {
            Interlocked.Increment(ref _calls);
            var response = await ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = filters, NextToken = page }, cancellation);

            // Every DescribeInstances answer carries a request id: a body without one (an empty 200
            // from a proxy, say) would read as "no instances" and drain every slot.
            if (string.IsNullOrEmpty(response.ResponseMetadata?.RequestId))
            {
                throw new InvalidDataException("EC2's answer has no request id: it is no DescribeInstances reply");
            }

            instances.AddRange((response.Reservations ?? []).SelectMany(r => r.Instances ?? []));
            page = response.NextToken;

            // A token seen before would page forever: EC2's answer is broken, and the pass fails.
            if (!string.IsNullOrEmpty(page) && !pages.Add(page))
            {
                throw new InvalidDataException($"EC2 returned the page token '{page}' twice");
            }
        }
        while (!string.IsNullOrEmpty(page));

        return instances;
    }

    /// <summary>The members among <paramref name="instances"/>, and those that cannot serve.</summary>
    private static Listing Split(IEnumerable<Instance> instances)
    {
        var members = new List<Member>();
        var skipped = new List<SkippedInstance>();
        foreach (var instance in instances.Where(i => !(i.Tags ?? []).Any(t => t.Key == MembershipManifest.LeavingTag)))
        {
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

        return new Listing(members, skipped);
    }
}
