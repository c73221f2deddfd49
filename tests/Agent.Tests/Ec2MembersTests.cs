using System.Net;
using Amazon.EC2;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// The real AWSSDK.EC2 client against the EC2 stand-in on loopback: it signs, sends, parses the
/// Query API's XML and follows pages, as it would against EC2.
/// </summary>
public sealed class Ec2MembersTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ec2-stand-in-").FullName;
    private readonly Ec2Sandbox _ec2;

    public Ec2MembersTests() => _ec2 = new Ec2Sandbox(_folder, pageSize: 3);

    private Ec2StandIn StandIn => _ec2.StandIn;

    private static Ec2StandIn.Instance Instance(int n, string group = "web-asg", string state = "running", params (string Key, string Value)[] tags) =>
        Ec2Sandbox.Instance(n, $"10.0.1.{n}", group, state, tags);

    private static DiscoveredPool Pool(string? group = "web-asg", params MemberTag[] tags) => new("web", "web-", 32, 8080, group, tags, 30);

    [Fact]
    public async Task Every_page_is_followed_and_only_running_members_of_the_group_are_listed()
    {
        _ec2.Write([.. Enumerable.Range(1, 7).Select(n => Instance(n)), Instance(8, group: "other-asg"), Instance(9, state: "stopped")]);

        var members = (await new Ec2Members(_ec2.Client).ListAsync(Pool(), CancellationToken.None)).Members;

        Assert.Equal(Enumerable.Range(1, 7).Select(n => IPAddress.Parse($"10.0.1.{n}")), members.Select(m => m.Address));
        Assert.Equal(3, StandIn.Requests); // 7 members at 3 a page
        Assert.Equal(Ec2Sandbox.Instance(1, "10.0.1.1", "web-asg").LaunchTime, members[0].LaunchTime);
        Assert.Equal("DescribeInstances", StandIn.LastForm["Action"]);
        Assert.Equal("6", StandIn.LastForm["NextToken"]);
    }

    [Fact]
    public async Task A_tag_pool_filters_by_every_tag()
    {
        _ec2.Write([Instance(1, tags: [("app", "web"), ("tier", "front")]), Instance(2, tags: [("app", "web")]), Instance(3, tags: [("app", "api"), ("tier", "front")])]);

        var members = (await new Ec2Members(_ec2.Client).ListAsync(Pool(null, new MemberTag("app", "web"), new MemberTag("tier", "front")), CancellationToken.None)).Members;

        Assert.Equal(["i-00000000000000001"], members.Select(m => m.InstanceId));
        Assert.Equal("tag:app", StandIn.LastForm["Filter.2.Name"]);
        Assert.Equal("web", StandIn.LastForm["Filter.2.Value.1"]);
    }

    [Fact]
    public async Task An_instance_the_scale_in_hook_tagged_as_leaving_is_no_member()
    {
        _ec2.Write([Instance(1), Instance(2, tags: [(MembershipManifest.LeavingTag, "2026-11-28T04:00:00Z")]), Instance(3)]);

        var members = (await new Ec2Members(_ec2.Client).ListAsync(Pool(), CancellationToken.None)).Members;

        Assert.Equal(["i-00000000000000001", "i-00000000000000003"], members.Select(m => m.InstanceId));
    }

    [Fact]
    public async Task Pools_and_the_nodes_group_found_by_group_share_one_call_and_each_gets_its_own_members()
    {
        _ec2.Write([Instance(1, "a-asg"), Instance(2, "b-asg"), Instance(3, "nodes-asg"), Instance(4, "other-asg"), Instance(5, "a-asg")]);
        var ec2 = new Ec2Members(_ec2.Client);

        var listings = await ec2.ListAsync([new Ec2Query("b-asg", []), new Ec2Query("a-asg", []), new Ec2Query("nodes-asg", [])], CancellationToken.None);

        Assert.Equal<string[][]>([["i-00000000000000002"], ["i-00000000000000001", "i-00000000000000005"], ["i-00000000000000003"]], [.. listings.Select(l => l.Members.Select(m => m.InstanceId).ToArray())]);
        Assert.Equal(2, ec2.Calls); // one call: its 4 instances at 3 a page
        Assert.Equal(2, StandIn.Requests);
        Assert.Equal<string?[]>(["tag:aws:autoscaling:groupName", "a-asg", "b-asg", "nodes-asg"], [.. new[] { "Filter.2.Name", "Filter.2.Value.1", "Filter.2.Value.2", "Filter.2.Value.3" }.Select(StandIn.LastForm.GetValueOrDefault)]);
    }

    [Fact]
    public async Task Pools_found_by_other_tag_keys_take_a_call_each_and_combined_values_never_mix_their_members()
    {
        _ec2.Write([Instance(1, tags: [("app", "web"), ("tier", "front")]), Instance(2, tags: [("app", "api"), ("tier", "back")]), Instance(3, tags: [("app", "web"), ("tier", "back")]), Instance(4, tags: [("team", "x")])]);
        var ec2 = new Ec2Members(_ec2.Client);

        var listings = await ec2.ListAsync([new Ec2Query(null, [new("app", "web"), new("tier", "front")]), new Ec2Query(null, [new("app", "api"), new("tier", "back")]), new Ec2Query(null, [new("team", "x")])], CancellationToken.None);

        // app ∈ {api, web} and tier ∈ {back, front} also selects instance 3 (web, back), which neither pool has.
        Assert.Equal<string[][]>([["i-00000000000000001"], ["i-00000000000000002"], ["i-00000000000000004"]], [.. listings.Select(l => l.Members.Select(m => m.InstanceId).ToArray())]);
        Assert.Equal(2, ec2.Calls); // app+tier: 3 instances, one page; team: one
    }

    [Fact]
    public async Task A_running_instance_without_a_private_ipv4_address_is_left_out_with_the_reason()
    {
        _ec2.Write([Instance(1), Ec2Sandbox.Instance(2, "", "web-asg"), Ec2Sandbox.Instance(3, "fd00::3", "web-asg")]);

        var listing = await new Ec2Members(_ec2.Client).ListAsync(Pool(), CancellationToken.None);

        Assert.Equal(["i-00000000000000001"], listing.Members.Select(m => m.InstanceId));
        Assert.Equal([new SkippedInstance("i-00000000000000002", "no private IPv4 address"), new SkippedInstance("i-00000000000000003", "no private IPv4 address")], listing.Skipped);
    }

    [Fact]
    public async Task An_outage_fails_the_call_at_once_for_the_discovery_loop_to_retry()
    {
        _ec2.Write([Instance(1)]);
        _ec2.Outage();

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => new Ec2Members(_ec2.Client).ListAsync(Pool(), CancellationToken.None));
        Assert.Equal(1, StandIn.Requests); // the SDK does not retry on its own: the loop's backoff does, and reports it
    }

    [Fact]
    public void The_agent_s_client_does_not_retry_and_gives_a_call_ten_seconds()
    {
        using var client = Ec2Members.Client(StandIn.Endpoint, "eu-west-1");

        Assert.Equal(0, client.Config.MaxErrorRetry);
        Assert.Equal(TimeSpan.FromSeconds(10), client.Config.Timeout);
    }

    [Fact]
    public async Task An_empty_200_is_no_answer_not_an_empty_group()
    {
        _ec2.Write([Instance(1)]);
        _ec2.Reply(200, "");

        await Assert.ThrowsAnyAsync<Exception>(() => new Ec2Members(_ec2.Client).ListAsync(Pool(), CancellationToken.None));
    }

    public void Dispose()
    {
        _ec2.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
