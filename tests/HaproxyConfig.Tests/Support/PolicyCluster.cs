namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// One HAProxy running a policy that uses every kind of rule, in front of one real backend per
/// pool. Shared by a test class: starting it once keeps the suite fast.
/// </summary>
public sealed class PolicyCluster : IAsyncLifetime
{
    public static readonly string[] PoolNames = ["api", "blue", "green", "legacy", "sites-a", "sites-b", "static", "web"];

    private readonly List<Backend> _backends = PoolNames.Select(name => new Backend(name)).ToList();
    private RunningHaproxy? _haproxy;

    internal RunningHaproxy Haproxy => _haproxy ?? throw new InvalidOperationException("not started");

    public static FixedResponse MaintenancePage { get; } = new("maintenance", 503, "text/html; charset=utf-8", "<h1>Back soon</h1>\n");

    /// <summary>A value full of characters haproxy.cfg treats specially; it must arrive unchanged.</summary>
    public const string HostileHeaderValue = "50% off 'today' \"only\" #not-a-comment $HOME \\n";

    internal static HaproxySpec Spec(IEnumerable<Backend> backends) => new()
    {
        Pools = backends.Select(b => new Pool { Name = b.Name, Servers = [b.Server] }).ToValueList(),
        DefaultPool = "web",
        RequestRules =
        [
            Rule.DenySources(["203.0.113.0/24"]),
            Rule.Deny(Match.Method("TRACE"), status: 405),
            Rule.Deny(Match.PathPrefix("/private") & !Match.HeaderPresent("X-Internal"), status: 404),
            Rule.AllowOnlySources(["198.51.100.0/24"], when: Match.PathPrefix("/admin")),
            Rule.RateLimit("login", requests: 5, per: TimeSpan.FromSeconds(30), exempt: ["198.51.100.0/24"], when: Match.Path("/login")),
            Rule.RedirectToHttps(status: 301, when: Match.Host("secure.example.com")),
            Rule.Redirect(RedirectTarget.Host("www.example.com"), when: Match.Host("old.example.com"), status: 308),
            Rule.Redirect(RedirectTarget.ReplacePrefix("/v1/", "/v2/"), when: Match.Host("api.example.com"), status: 307),
            Rule.Respond(MaintenancePage, when: Match.Header("X-Maintenance", "on")),
            Rule.SetHeader("X-Env", HostileHeaderValue),
            Rule.DeleteHeader("X-Debug"),
            Rule.AddHeader("X-Traced", "yes", when: Match.QueryParam("trace", "1")),
        ],
        ResponseHeaders =
        [
            HeaderEdit.Set("Strict-Transport-Security", "max-age=31536000"),
            HeaderEdit.Delete("Server"),
        ],
        Routes =
        [
            Route.To("api", Match.Host("api.example.com") & Match.PathPrefix("/v2/")),
            Route.To("static", Match.PathRegex(@"\.(css|js|png)$")),
            Route.To("legacy", Match.HeaderRegex("User-Agent", "^LegacyBot/[0-9]+") | (Match.Method("PUT") & Match.Path("/upload"))),
            Route.Split(Match.Host("canary.example.com"), new WeightedPool("blue", 90), new WeightedPool("green", 10)),
            Route.HostTable("sites",
                new TableEntry("a.example.org", "sites-a"),
                new TableEntry("*.b.example.org", "sites-b"),
                new TableEntry("*.example.org", "sites-a")),
            Route.PathPrefixTable("paths", new TableEntry("/docs", "static"), new TableEntry("/docs/api", "api")),
        ],
    };

    public async Task InitializeAsync() => _haproxy = await RunningHaproxy.StartAsync(Spec(_backends));

    public Task DisposeAsync()
    {
        _haproxy?.Dispose();
        _backends.ForEach(b => b.Dispose());
        return Task.CompletedTask;
    }
}
