using System.Net;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// What a client cannot get around, proved with real requests through the real HAProxy: headers
/// the cluster owns, paths that a backend would read as another, redirects that must not loop or
/// keep a port, and the response headers on every answer HAProxy makes itself.
/// </summary>
public sealed class HardeningBehaviourTests : IAsyncLifetime, IDisposable
{
    private const string UuidV4 = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
    private static readonly IPAddress Office = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress Cdn = IPAddress.Parse("198.18.0.9");
    private static readonly FixedResponse Maintenance = new("maintenance", 503, "text/plain", "back soon\n");

    private readonly Backend _web = new("web");
    private RunningHaproxy _strict = null!;
    private RunningHaproxy _behindCdn = null!;

    private static HaproxySpec Spec(Backend web) => new()
    {
        // "down" has one server on a port nothing listens on: HAProxy answers 503 itself.
        Pools = [new Pool { Name = "web", Servers = [web.Server] }, new Pool { Name = "down", Servers = [new Server("127.0.0.1", 9)] }],
        DefaultPool = "web",
        RequestRules =
        [
            Rule.AllowOnlySources(["198.51.100.0/24"], when: Match.PathPrefix("/admin")),
            Rule.RateLimit("limited", requests: 1, per: TimeSpan.FromSeconds(60), when: Match.PathPrefix("/limited")),
            Rule.RedirectToHttps(when: Match.Host("secure.example.com")),
            Rule.Redirect(RedirectTarget.ReplacePrefix("/v1/", "/v2/"), when: Match.Host("api.example.com"), status: 307),
            Rule.Respond(Maintenance, when: Match.PathPrefix("/maintenance")),
            Rule.AddHeader("X-Flag", "yes", when: Match.QueryParam("flag")),
        ],
        ResponseHeaders = [HeaderEdit.Set("X-Frame-Options", "DENY"), HeaderEdit.Delete("Server")],
        Routes = [Route.To("down", Match.PathPrefix("/down"))],
    };

    public async Task InitializeAsync()
    {
        _strict = await RunningHaproxy.StartAsync(Spec(_web));
        var spec = Spec(_web);
        _behindCdn = await RunningHaproxy.StartAsync(spec with { Defaults = spec.Defaults with { TrustedProxies = ["198.18.0.0/15"] } });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _strict?.Dispose();
        _behindCdn?.Dispose();
        _web.Dispose();
    }

    private static Dictionary<string, string> Forwarded => new() { ["X-Forwarded-For"] = "203.0.113.66", ["X-Request-ID"] = "client-chosen-id" };

    [Fact]
    public async Task Forwarding_headers_a_client_sends_are_replaced_by_default()
    {
        var reply = await _strict.GetAsync("/", client: IPAddress.Parse("192.0.2.77"), headers: Forwarded);

        Assert.Equal("192.0.2.77", reply.SeenHeader("X-Forwarded-For"));
        Assert.Matches(UuidV4, reply.SeenHeader("X-Request-ID") ?? "");
        Assert.DoesNotContain("203.0.113.66", reply.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("client-chosen-id", reply.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forwarding_headers_from_a_trusted_proxy_are_kept_and_from_anyone_else_replaced()
    {
        var fromCdn = await _behindCdn.GetAsync("/", client: Cdn, headers: Forwarded);
        var fromClient = await _behindCdn.GetAsync("/", client: IPAddress.Parse("192.0.2.77"), headers: Forwarded);
        var cdnWithoutId = await _behindCdn.GetAsync("/", client: Cdn);

        // The proxy's list is kept and the proxy's own address follows it (HAProxy adds a header line).
        Assert.Equal(["198.18.0.9", "203.0.113.66"], SeenAll(fromCdn, "X-Forwarded-For"));
        Assert.Equal("client-chosen-id", fromCdn.SeenHeader("X-Request-ID"));
        Assert.Equal(["client-chosen-id"], SeenAll(fromCdn, "X-Request-ID"));
        Assert.Equal("192.0.2.77", fromClient.SeenHeader("X-Forwarded-For"));
        Assert.Matches(UuidV4, fromClient.SeenHeader("X-Request-ID") ?? "");
        Assert.Matches(UuidV4, cdnWithoutId.SeenHeader("X-Request-ID") ?? "");
    }

    /// <summary>Every value of a header the backend saw (its answer lists header lines sorted).</summary>
    private static string[] SeenAll(Reply reply, string name) =>
        [.. reply.Body.Split('\n').Where(l => l.StartsWith(name + ": ", StringComparison.OrdinalIgnoreCase)).Select(l => l[(name.Length + 2)..]).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("/a%41b")]
    [InlineData("/docs//v1/")]
    [InlineData("/a/./b/../c")]
    public async Task A_path_synthesis_refuses_to_match_is_answered_400_and_the_normal_form_it_suggests_is_not(string dead)
    {
        Assert.NotNull(NormalPath.Exact(dead));
        Assert.Equal(400, (await _strict.GetAsync(dead)).Status);
        Assert.Equal(200, (await _strict.GetAsync(NormalPath.Normalize(dead))).Status);
    }

    [Theory]
    [InlineData("//admin/users")]
    [InlineData("/./admin/users")]
    [InlineData("/x/../admin/users")]
    [InlineData("/%61dmin/users")]
    [InlineData("/%2e/admin/users")]
    [InlineData("/admin/.")]
    public async Task A_path_allow_list_cannot_be_walked_around_with_a_path_a_backend_reads_as_the_same(string path)
    {
        Assert.Equal(403, (await _strict.GetAsync("/admin/users")).Status);
        Assert.Equal(200, (await _strict.GetAsync("/admin/users", client: Office)).Status);

        var reply = await _strict.GetAsync(path);

        Assert.Equal(400, reply.Status);
        Assert.Equal(0, _web.Requests(path));
    }

    [Fact]
    public async Task Normal_paths_with_dots_and_encoded_reserved_characters_still_pass()
    {
        Assert.Equal(200, (await _strict.GetAsync("/files/a..b/v1.2/report%2Fq1%20final")).Status);
    }

    [Theory]
    [InlineData("/admin/x", 403)]         // deny
    [InlineData("/limited", 429)]         // rate limit (the second request)
    [InlineData("/maintenance", 503)]     // fixed response
    [InlineData("//x", 400)]              // non-normal path
    [InlineData("/down", 503)]            // HAProxy's own error: no server could answer
    [InlineData("/", 200)]                // a backend's answer
    public async Task Response_headers_are_on_every_response_HAProxy_makes_itself(string path, int status)
    {
        var reply = await _strict.GetAsync(path);
        if (status == 429)
        {
            reply = await _strict.GetAsync(path);
        }

        Assert.Equal(status, reply.Status);
        Assert.Equal("DENY", reply.Header("x-frame-options"));
        Assert.Null(reply.Header("server"));
    }

    [Fact]
    public async Task Redirects_carry_the_response_headers_drop_the_port_and_do_not_loop_on_absolute_uris()
    {
        var toHttps = await _strict.GetAsync("/pay?x=1", host: "secure.example.com:80");
        var absolute = await _strict.GetAsync("http://api.example.com/v1/users?page=3", host: "api.example.com");

        Assert.Equal((301, "https://secure.example.com/pay?x=1"), (toHttps.Status, toHttps.Header("location")));
        Assert.Equal((307, "/v2/users?page=3"), (absolute.Status, absolute.Header("location")));
        Assert.Equal("DENY", toHttps.Header("x-frame-options"));
    }

    [Theory]
    [InlineData("/?flag", true)]
    [InlineData("/?flag=", true)]
    [InlineData("/?a=1&flag&b=2", true)]
    [InlineData("/?flag=1", true)]
    [InlineData("/?flagx=1", false)]
    [InlineData("/?xflag", false)]
    public async Task Query_param_without_a_value_means_the_parameter_is_there_with_or_without_equals(string path, bool matches)
    {
        var reply = await _strict.GetAsync(path);

        Assert.Equal(matches ? "yes" : null, reply.SeenHeader("X-Flag"));
    }
}
