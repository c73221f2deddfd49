using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using HaproxyCluster.Config;
using HaproxyCluster.Local;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// The real AWSSDK.EC2 client against the EC2 stand-in on loopback: it signs, sends, parses the
/// Query API's XML and follows pages, as it would against EC2.
/// </summary>
public sealed class Ec2MembersTests : IDisposable
{
    private static readonly DateTime Launched = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _folder = Directory.CreateTempSubdirectory("ec2-stand-in-").FullName;
    private readonly Ec2StandIn _standIn;
    private readonly AmazonEC2Client _client;

    public Ec2MembersTests()
    {
        _standIn = new Ec2StandIn(FreePort.Next(), InstancesFile, pageSize: 3);
        // The service URL last, with its signing region: a region endpoint set after it would win.
        _client = new AmazonEC2Client(new BasicAWSCredentials("stand-in", "stand-in"), new AmazonEC2Config { ServiceURL = _standIn.Endpoint.ToString(), AuthenticationRegion = "eu-west-1" });
    }

    private string InstancesFile => Path.Combine(_folder, "instances.tsv");

    private static Ec2StandIn.Instance Instance(int n, string group = "web-asg", string state = "running", params (string Key, string Value)[] tags) =>
        new($"i-{n:d17}", $"10.0.1.{n}", state, Launched.AddMinutes(n), new Dictionary<string, string>(tags.Select(t => KeyValuePair.Create(t.Key, t.Value))) { [Ec2Members.GroupTag] = group });

    private static DiscoveredPool Pool(string? group = "web-asg", params Ec2Tag[] tags) => new("web", "web-", 32, 8080, group, tags, 30);

    [Fact]
    public async Task Every_page_is_followed_and_only_running_members_of_the_group_are_listed()
    {
        Ec2StandIn.Write(InstancesFile, [.. Enumerable.Range(1, 7).Select(n => Instance(n)), Instance(8, group: "other-asg"), Instance(9, state: "stopped")]);

        var members = await new Ec2Members(_client).ListAsync(Pool(), CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 7).Select(n => IPAddress.Parse($"10.0.1.{n}")), members.Select(m => m.Address));
        Assert.Equal(3, _standIn.Requests); // 7 members at 3 a page
        Assert.Equal(Launched.AddMinutes(1), members[0].LaunchTime);
        Assert.Equal("DescribeInstances", _standIn.LastForm["Action"]);
        Assert.Equal("6", _standIn.LastForm["NextToken"]);
    }

    [Fact]
    public async Task A_tag_pool_filters_by_every_tag()
    {
        Ec2StandIn.Write(InstancesFile, [Instance(1, tags: [("app", "web"), ("tier", "front")]), Instance(2, tags: [("app", "web")]), Instance(3, tags: [("app", "api"), ("tier", "front")])]);

        var members = await new Ec2Members(_client).ListAsync(Pool(null, new Ec2Tag("app", "web"), new Ec2Tag("tier", "front")), CancellationToken.None);

        Assert.Equal(["i-00000000000000001"], members.Select(m => m.InstanceId));
        Assert.Equal("tag:app", _standIn.LastForm["Filter.2.Name"]);
        Assert.Equal("web", _standIn.LastForm["Filter.2.Value.1"]);
    }

    [Fact]
    public async Task An_outage_is_retried_by_the_sdk_then_reported()
    {
        Ec2StandIn.Write(InstancesFile, [Instance(1)]);
        File.WriteAllText(InstancesFile + ".outage", "");

        await Assert.ThrowsAsync<AmazonEC2Exception>(() => new Ec2Members(_client).ListAsync(Pool(), CancellationToken.None));
        Assert.True(_standIn.Requests >= 2, $"{_standIn.Requests} requests: the SDK did not retry");
    }

    public void Dispose()
    {
        _client.Dispose();
        _standIn.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
