namespace HaproxyCluster.Config.Tests;

/// <summary>Representative specs whose rendered bundles are kept as golden files.</summary>
internal static class GoldenSpecs
{
    /// <summary>A CA certificate made once with openssl for the golden files (its key was never kept).</summary>
    private static readonly string InternalCa = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "HaproxyConfig.Tests", "Golden", "internal-ca.pem"));

    public static IReadOnlyDictionary<string, HaproxySpec> All { get; } = new SortedDictionary<string, HaproxySpec>(StringComparer.Ordinal)
    {
        // The least a user writes: one pool, production defaults everywhere.
        ["minimal"] = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080), new Server("10.0.2.10", 8080)] }],
            DefaultPool = "web",
        },

        // Routing: a host table with wildcards, a path table, a canary split, DNS discovery, stickiness, TLS to backends.
        ["routing"] = new HaproxySpec
        {
            Pools =
            [
                new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)], StickyCookie = "SRV" },
                new Pool { Name = "api-blue", Discovery = new DnsDiscovery("api-blue.service.internal", 8080, Slots: 5), Balance = Balance.LeastConn },
                new Pool { Name = "api-green", Servers = [new Server("api-green.service.internal", 8080) { Name = "green" }] },
                new Pool { Name = "docs", Servers = [new Server("2001:db8::10", 80)], HealthCheck = new HealthCheck { Path = "/status", ExpectStatus = 204 } },
                new Pool { Name = "grpc", Servers = [new Server("10.0.3.10", 50051)], Protocol = ServerProtocol.Http2 },
                new Pool { Name = "grpc-connect", Servers = [new Server("10.0.3.11", 50051)], Protocol = ServerProtocol.Http2, HealthCheck = new HealthCheck { Kind = HealthCheckKind.Tcp } },
                new Pool { Name = "payments", Servers = [new Server("payments-a.service.internal", 8443), new Server("payments-b.service.internal", 8443)], Tls = new PoolTls { CaBundlePem = InternalCa } },
                new Pool { Name = "ledger", Servers = [new Server("10.0.4.10", 443)], Protocol = ServerProtocol.Http2, Tls = new PoolTls { CaBundlePem = InternalCa, ServerName = "ledger.service.internal" } },
            ],
            DefaultPool = "web",
            Routes =
            [
                Route.To("grpc", Match.Grpc() & Match.PathPrefix("/checkout.")),
                Route.To("grpc-connect", Match.Grpc()),
                Route.To("payments", Match.PathPrefix("/pay/")),
                Route.To("ledger", Match.PathPrefix("/ledger/")),
                Route.Split(Match.Host("api.example.com"), new WeightedPool("api-blue", 95), new WeightedPool("api-green", 5)),
                Route.HostTable("sites", new TableEntry("www.example.com", "web"), new TableEntry("*.docs.example.com", "docs"), new TableEntry("docs.example.com", "docs")),
                Route.PathPrefixTable("paths", new TableEntry("/docs", "docs"), new TableEntry("/docs/api", "api-green")),
            ],
        },

        // Protection: lists, rate limits, redirects, a maintenance page, header edits.
        ["protection"] = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)], ErrorLimit = null, SlowStart = TimeSpan.Zero }],
            DefaultPool = "web",
            RequestRules =
            [
                Rule.DenySources(["203.0.113.0/24", "2001:db8:bad::/48"]),
                Rule.AllowOnlySources(["10.0.0.0/8"], when: Match.PathPrefix("/admin") | Match.HeaderPresent("X-Admin")),
                Rule.RateLimit("per-client", requests: 100, per: TimeSpan.FromSeconds(10), exempt: ["10.0.0.0/8"]),
                Rule.RateLimit("login", requests: 5, per: TimeSpan.FromMinutes(1), when: Match.Path("/login") & Match.Method("POST")),
                Rule.RedirectToHttps(),
                Rule.Redirect(RedirectTarget.ReplacePrefix("/old/", "/new/"), when: Match.PathPrefix("/old/"), status: 308),
                Rule.Respond(new FixedResponse("maintenance", 503, "text/html; charset=utf-8", "<!doctype html>\n<h1>Down for maintenance</h1>\n"), when: Match.Header("X-Maintenance", "on")),
                Rule.SetHeader("X-Frame-Options", "DENY"),
                Rule.DeleteHeader("X-Forwarded-Host"),
            ],
            ResponseHeaders = [HeaderEdit.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains"), HeaderEdit.Delete("Server")],
            Defaults = new DefaultSettings { ClientTimeout = TimeSpan.FromSeconds(60), HttpReuse = HttpReuse.Never },
        },
    };
}
