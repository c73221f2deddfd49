using System.Net;
using System.Text.Json;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>Request and response rules proved with real requests through the real HAProxy.</summary>
public class RequestRuleBehaviourTests(PolicyCluster cluster) : IClassFixture<PolicyCluster>
{
    private static readonly IPAddress Office = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress Blocked = IPAddress.Parse("203.0.113.9");

    private RunningHaproxy Haproxy => cluster.Haproxy;

    [Fact]
    public async Task Deny_list_uses_the_client_address_from_the_proxy_header()
    {
        // The TCP peer is 127.0.0.1 either way; only the PROXY header differs.
        var blocked = await Haproxy.GetAsync("/", client: Blocked);
        var allowed = await Haproxy.GetAsync("/", client: IPAddress.Parse("203.0.114.9"));

        Assert.Equal(403, blocked.Status);
        Assert.Equal(200, allowed.Status);
    }

    [Fact]
    public async Task Allow_list_admits_only_its_cidrs_on_its_paths()
    {
        Assert.Equal(200, (await Haproxy.GetAsync("/admin/users", client: Office)).Status);
        Assert.Equal(403, (await Haproxy.GetAsync("/admin/users")).Status);
        Assert.Equal(200, (await Haproxy.GetAsync("/public")).Status);
    }

    [Fact]
    public async Task Deny_answers_with_its_status()
    {
        Assert.Equal(405, (await Haproxy.GetAsync("/", method: "TRACE")).Status);
        Assert.Equal(404, (await Haproxy.GetAsync("/private/x")).Status);
        var withHeader = await Haproxy.GetAsync("/private/x", headers: new Dictionary<string, string> { ["X-Internal"] = "1" });
        Assert.Equal(200, withHeader.Status);
    }

    [Fact]
    public async Task Rate_limit_answers_429_to_the_request_past_the_limit()
    {
        var client = IPAddress.Parse("192.0.2.50");
        var statuses = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await Haproxy.GetAsync("/login", client: client)).Status);
        }

        Assert.Equal([200, 200, 200, 200, 200, 429], statuses);
        // Another client and another path keep their own budget.
        Assert.Equal(200, (await Haproxy.GetAsync("/login", client: IPAddress.Parse("192.0.2.51"))).Status);
        Assert.Equal(200, (await Haproxy.GetAsync("/other", client: client)).Status);
    }

    [Fact]
    public async Task Rate_limit_never_limits_an_exempt_cidr()
    {
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(200, (await Haproxy.GetAsync("/login", client: Office)).Status);
        }
    }

    [Fact]
    public async Task Redirects_carry_their_status_and_location()
    {
        var toHttps = await Haproxy.GetAsync("/pay?x=1", host: "secure.example.com");
        var toHost = await Haproxy.GetAsync("/a/b?q=2", host: "old.example.com");
        var prefix = await Haproxy.GetAsync("/v1/users?page=3", host: "api.example.com");

        Assert.Equal((301, "https://secure.example.com/pay?x=1"), (toHttps.Status, toHttps.Header("location")));
        Assert.Equal((308, "https://www.example.com/a/b?q=2"), (toHost.Status, toHost.Header("location")));
        Assert.Equal((307, "/v2/users?page=3"), (prefix.Status, prefix.Header("location")));
    }

    [Fact]
    public async Task Redirect_to_https_leaves_requests_that_came_over_tls_alone()
    {
        var reply = await ProxiedHttp.SendAsync(Haproxy.TlsOriginPort, "/pay", "secure.example.com");

        Assert.Equal(200, reply.Status);
        Assert.Equal("https", reply.SeenHeader("X-Forwarded-Proto"));
    }

    [Fact]
    public async Task Fixed_response_has_its_status_content_type_and_body()
    {
        var reply = await Haproxy.GetAsync("/", headers: new Dictionary<string, string> { ["X-Maintenance"] = "on" });

        Assert.Equal(503, reply.Status);
        Assert.Equal("text/html; charset=utf-8", reply.Header("content-type"));
        Assert.Equal(PolicyCluster.MaintenancePage.Body, reply.Body);
    }

    [Fact]
    public async Task Request_headers_are_set_added_and_deleted()
    {
        var headers = new Dictionary<string, string> { ["X-Debug"] = "secret", ["X-Env"] = "spoofed" };
        var plain = await Haproxy.GetAsync("/", headers: headers);
        var traced = await Haproxy.GetAsync("/?trace=1");

        Assert.Equal(PolicyCluster.HostileHeaderValue, plain.SeenHeader("X-Env"));
        Assert.Null(plain.SeenHeader("X-Debug"));
        Assert.Null(plain.SeenHeader("X-Traced"));
        Assert.Equal("yes", traced.SeenHeader("X-Traced"));
    }

    [Fact]
    public async Task Response_headers_are_set_and_deleted()
    {
        var reply = await Haproxy.GetAsync("/");

        Assert.Equal("max-age=31536000", reply.Header("strict-transport-security"));
        Assert.Null(reply.Header("server"));
    }

    [Fact]
    public async Task Forwarded_headers_and_request_id_reach_the_backend()
    {
        var reply = await Haproxy.GetAsync("/", client: IPAddress.Parse("192.0.2.77"));
        var next = await Haproxy.GetAsync("/", client: IPAddress.Parse("192.0.2.77"));

        Assert.Equal("192.0.2.77", reply.SeenHeader("X-Forwarded-For"));
        Assert.Equal("http", reply.SeenHeader("X-Forwarded-Proto"));
        const string UuidV4 = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
        Assert.Matches(UuidV4, reply.SeenHeader("X-Request-ID") ?? "");
        Assert.Matches(UuidV4, next.SeenHeader("X-Request-ID") ?? "");
        Assert.NotEqual(reply.SeenHeader("X-Request-ID"), next.SeenHeader("X-Request-ID"));
    }

    [Fact]
    public async Task Access_log_lines_are_json()
    {
        await Haproxy.GetAsync("/json-log-probe", client: IPAddress.Parse("192.0.2.99"));
        await Task.Delay(200);

        var line = Haproxy.Output.Split('\n').Last(l => l.Contains("/json-log-probe", StringComparison.Ordinal));
        using var entry = JsonDocument.Parse(line[line.IndexOf('{', StringComparison.Ordinal)..]);
        Assert.Equal("192.0.2.99", entry.RootElement.GetProperty("client").GetString());
        Assert.Equal(200, entry.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("web", entry.RootElement.GetProperty("backend").GetString());
    }
}
