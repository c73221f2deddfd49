using System.Diagnostics;
using System.Text.Json;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// What a bake counts as the node's own failure, proved on the lines a real HAProxy writes for each
/// kind of answer: a rule's deny, 429 and redirect, and a backend's own 500, are not; a 503 for a
/// pool the node cannot reach is.
/// </summary>
public sealed class BakeTallyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bake-tally-").FullName;
    private readonly Backend _web = new("web");
    private readonly Backend _failing = new("failing", status: 500);
    private readonly int[] _ports = FreePort.Distinct(5);
    private readonly HaproxySpec _spec;
    private readonly MasterWorkerHaproxy _haproxy;

    public BakeTallyTests()
    {
        _spec = new HaproxySpec
        {
            Pools =
            [
                new Pool { Name = "web", Servers = [_web.Server] },
                // The application's own 500s: its health check expects them, so the server stays UP.
                new Pool { Name = "failing", Servers = [_failing.Server], HealthCheck = new HealthCheck { ExpectStatus = 500, Interval = TimeSpan.FromMilliseconds(200) } },
                // Nothing listens there: a pool this node cannot reach.
                new Pool { Name = "unreachable", Servers = [new Server("127.0.0.1", _ports[4])], HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(200) } },
            ],
            DefaultPool = "web",
            Routes = [Route.To("failing", Match.PathPrefix("/failing")), Route.To("unreachable", Match.PathPrefix("/unreachable"))],
            RequestRules =
            [
                Rule.Deny(Match.Path("/denied")),
                Rule.RateLimit("per-client", 1, TimeSpan.FromMinutes(1), when: Match.Path("/limited")),
                Rule.Redirect(RedirectTarget.Host("www.example.com"), Match.Path("/moved")),
            ],
            Listeners = new Listeners { BindAddress = "127.0.0.1", HttpPort = _ports[0], TlsOriginPort = _ports[1], HealthPort = _ports[2], AdminPort = _ports[3] },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        ConfigRenderer.Render(_spec, _folder).WriteTo(_folder);
        _haproxy = new MasterWorkerHaproxy(_folder, _spec.Global.RuntimeSocketPath);
    }

    [Fact]
    public async Task Only_the_answers_haproxy_made_for_want_of_a_server_are_the_nodes_own()
    {
        // WHEN one request of each kind goes through HAProxy (the rate limit's second request is its 429)
        string[] paths = ["/", "/denied", "/limited", "/limited", "/moved", "/failing", "/unreachable"];
        var statuses = new List<int>();
        foreach (var path in paths)
        {
            statuses.Add((await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, path)).Status);
        }

        Assert.Equal([200, 403, 200, 429, 302, 500, 503], statuses);

        // THEN of the lines HAProxy logged, only the unreachable pool's 503 is the node's own
        var lines = LoggedRequests(paths.Length);
        var tally = new BakeTally();
        foreach (var line in lines)
        {
            tally.Add(line);
        }

        var own = lines.Where(l => BakeTally.Classify(l).Entry == BakeEntry.Own).Select(Uri).ToList();
        Assert.Equal(["/unreachable"], own);
        Assert.Equal((7, 1), (tally.Requests, tally.OwnFailures));
        Assert.Equal("503 SC × 1", tally.Kinds);
        Assert.Equal(14.29, tally.OwnFailurePercent);
        Assert.False(tally.WithinThreshold(new NodeBake(TimeSpan.FromMinutes(1)) { MaxOwnFailurePercent = 14 }));
        Assert.True(tally.WithinThreshold(new NodeBake(TimeSpan.FromMinutes(1)) { MaxOwnFailurePercent = 15 }));
    }

    [Theory]
    [InlineData("{\"status\":504,\"termination\":\"sH--\"}", "Own")]
    [InlineData("{\"status\":502,\"termination\":\"SH--\"}", "Own")]
    [InlineData("{\"status\":502,\"termination\":\"PH--\"}", "Own")]
    [InlineData("{\"status\":503,\"termination\":\"RC--\"}", "Own")]
    [InlineData("{\"status\":500,\"termination\":\"IR--\"}", "Own")]
    [InlineData("{\"status\":503,\"termination\":\"PT--\"}", "NotOwn")]
    [InlineData("{\"status\":408,\"termination\":\"cR--\"}", "NotOwn")]
    [InlineData("{\"status\":-1,\"termination\":\"CD--\"}", "NotOwn")]
    [InlineData("{\"status\":200,\"termination\":\"----\"}", "NotOwn")]
    [InlineData("{\"status\":503,\"termination\":\"KR--\"}", "NotOwn")]
    [InlineData("[WARNING]  (12) : Server web/web1 is DOWN", "NotARequest")]
    [InlineData("{\"status\":503,\"termin", "NotARequest")]
    [InlineData("{\"status\":\"x\",\"termination\":\"SC--\"}", "NotARequest")]
    [InlineData("{\"status\":503}", "NotARequest")]
    [InlineData("{\"status\":503,\"termination\":[\"SC\"]}", "NotARequest")]
    public void Each_termination_state_is_judged_and_no_line_throws(string line, string expected) =>
        Assert.Equal(expected, BakeTally.Classify(line).Entry.ToString());

    /// <summary>The first <paramref name="count"/> access-log lines HAProxy printed, waited for.</summary>
    private List<string> LoggedRequests(int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            List<string> lines;
            lock (_haproxy.Output)
            {
                lines = [.. _haproxy.Output.Where(l => l.StartsWith("{\"", StringComparison.Ordinal))];
            }

            if (lines.Count >= count)
            {
                return lines;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"HAProxy logged {lines.Count} of {count} requests");
            Thread.Sleep(50);
        }
    }

    private static string Uri(string line) => JsonDocument.Parse(line).RootElement.GetProperty("uri").GetString()!;

    public void Dispose()
    {
        _haproxy.Dispose();
        _web.Dispose();
        _failing.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
