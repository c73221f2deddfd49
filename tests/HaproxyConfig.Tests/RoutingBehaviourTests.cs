using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>Routes proved with real requests through the real HAProxy to real backends.</summary>
public class RoutingBehaviourTests(PolicyCluster cluster) : IClassFixture<PolicyCluster>
{
    private RunningHaproxy Haproxy => cluster.Haproxy;

    [Fact]
    public async Task Unmatched_requests_go_to_the_default_pool()
    {
        var reply = await Haproxy.GetAsync("/", host: "app.example.com");

        Assert.Equal(200, reply.Status);
        Assert.Equal("web", reply.Backend);
    }

    [Theory]
    [InlineData("api.example.com", "/v2/users", "api")]      // host and path prefix
    [InlineData("API.Example.COM:80", "/v2/users", "api")]   // host is case-insensitive, port ignored
    [InlineData("api.example.com", "/v3/users", "web")]      // prefix does not match
    [InlineData("app.example.com", "/site.css", "static")]   // path regex
    [InlineData("app.example.com", "/site.css.map", "web")]  // regex is anchored with $
    public async Task Host_and_path_matches_pick_the_pool(string host, string path, string pool)
    {
        var reply = await Haproxy.GetAsync(path, host: host);

        Assert.Equal(pool, reply.Backend);
    }

    [Fact]
    public async Task Header_regex_or_method_and_exact_path_route_to_legacy()
    {
        var byAgent = await Haproxy.GetAsync("/", headers: new Dictionary<string, string> { ["User-Agent"] = "LegacyBot/7" });
        var byOtherAgent = await Haproxy.GetAsync("/", headers: new Dictionary<string, string> { ["User-Agent"] = "LegacyBot/x" });
        var byMethodAndPath = await Haproxy.GetAsync("/upload", method: "PUT");
        var byMethodOnly = await Haproxy.GetAsync("/upload/more", method: "PUT");

        Assert.Equal("legacy", byAgent.Backend);
        Assert.Equal("web", byOtherAgent.Backend);
        Assert.Equal("legacy", byMethodAndPath.Backend);
        Assert.Equal("web", byMethodOnly.Backend);
    }

    [Theory]
    [InlineData("a.example.org", "sites-a")]        // exact key
    [InlineData("x.b.example.org", "sites-b")]      // the longer wildcard wins
    [InlineData("deep.x.b.example.org", "sites-b")]
    [InlineData("c.example.org", "sites-a")]        // shorter wildcard
    [InlineData("example.org", "web")]              // a wildcard needs a subdomain
    public async Task Host_table_routes_through_maps(string host, string pool)
    {
        var reply = await Haproxy.GetAsync("/", host: host);

        Assert.Equal(pool, reply.Backend);
    }

    [Theory]
    [InlineData("/docs/api/v1", "api")]   // the longest prefix wins
    [InlineData("/docs/guide", "static")]
    [InlineData("/doc", "web")]
    public async Task Path_prefix_table_picks_the_longest_prefix(string path, string pool)
    {
        var reply = await Haproxy.GetAsync(path, host: "app.example.com");

        Assert.Equal(pool, reply.Backend);
    }

    [Fact]
    public async Task Weighted_split_sends_about_ninety_percent_to_blue()
    {
        // 400 requests at 90/10: the standard deviation of the blue count is 6, so ±30 is five of them.
        const int requests = 400;
        var replies = new List<Reply>();
        for (var i = 0; i < requests; i++)
        {
            replies.Add(await Haproxy.GetAsync("/", host: "canary.example.com"));
        }

        var blue = replies.Count(r => r.Backend == "blue");
        var green = replies.Count(r => r.Backend == "green");
        Assert.Equal(requests, blue + green);
        Assert.InRange(blue, 360 - 30, 360 + 30);
    }
}
