using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Infra;

/// <summary>The environments this repository deploys, and how one is picked from the CDK context.</summary>
public static class Environments
{
    /// <summary>AWS's documentation account id; replace it with yours before deploying.</summary>
    private const string PlaceholderAccount = "123456789012";

    /// <summary>Developers' playground: two small nodes; the API pool follows its auto-scaling group; HTTPS decrypted on the nodes.</summary>
    public static ClusterEnvironment Dev { get; } = new()
    {
        Account = PlaceholderAccount,
        Region = "eu-west-1",
        Cluster = new()
        {
            EnvironmentName = "dev",

            // A playground: its logs go with its stack.
            RetainLogs = false,
            AvailabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
            VpcCidr = "10.10.0.0/16",
            InstanceType = "t3.small",
            MinCapacity = 2,
            // Per vCPU: the capacity line of 'ENV=dev make bench' (2026-11-28, on the 2-core build machine).
            // A burstable t3 sustains only its baseline CPU (20 % on t3.small) without credits, so dev's peak is small.
            Peak = new PeakLoad(RequestsPerSecond: 1_000, RequestsPerVcpu: 16_000),
            TargetSessionsPerNode = 1_000,
            MaxCapacity = 3,
            DrainOnScaleIn = ["dev-api"],
            // A rules change reaches every dev node at once; the alarms are watched for two minutes.
            Rollout = RulesRollout.AllAtOnce(TimeSpan.FromMinutes(2)),

            // HTTPS decrypted on the nodes, with one certificate that its parameter's next version replaces within a minute.
            NodeTls = new NodeTls
            {
                Certificates = [new NodeCertificate("site", "/haproxy/dev/tls/site")],
                KmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111",
                Refresh = TimeSpan.FromMinutes(1),
            },
            Haproxy = new HaproxySpec
            {
                Pools =
                [
                    new Pool { Name = "web", Servers = [new Server("10.10.64.10", 8080), new Server("10.10.68.10", 8080)] },
                    new Pool { Name = "api", Discovery = Ec2Discovery.ForGroup("dev-api", 8080, slots: 8) },
                ],
                DefaultPool = "web",
                RequestRules = [.. SharedRules.Baseline("10.10.0.0/16", requestsPer10Seconds: 1000), Rule.SetHeader("X-Environment", "dev")],
                ResponseHeaders = SharedRules.ResponseHeaders,
                Routes =
                [
                    Route.To("api", Match.Host("api.dev.example.com") | Match.PathPrefix("/api/")),
                    // Tenants get their own host names; the table grows without a reload.
                    Route.HostTable("tenants", new TableEntry("tenant1.dev.example.com", "web")),
                ],
            },
        },
    };

    /// <summary>Production's rehearsal: same shape, fewer nodes.</summary>
    public static ClusterEnvironment Staging { get; } = new()
    {
        Account = PlaceholderAccount,
        Region = "eu-west-1",
        Cluster = new()
        {
            EnvironmentName = "staging",
            RetainLogs = true,
            ZonalShift = ZonalShift.Manual,
            AvailabilityZones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
            VpcCidr = "10.20.0.0/16",
            InstanceType = "c6i.large",
            MinCapacity = 3,
            // Per vCPU: the capacity line of 'ENV=staging make bench' (2026-11-28, on the 2-core build machine).
            Peak = new PeakLoad(RequestsPerSecond: 10_000, RequestsPerVcpu: 13_000),
            // A replaced node serves two minutes of real traffic before it signals; staging's traffic is thin.
            Bake = new NodeBake(TimeSpan.FromMinutes(2)) { MinimumRequests = 100, MaxOwnFailurePercent = 1 },
            TargetSessionsPerNode = 5_000,

            // TLS decrypted on the nodes, so partners' client certificates reach them: a request
            // that brings one must bring a valid one; browsers bring none, and only /partners/
            // needs one (the rule below).
            NodeTls = new NodeTls
            {
                Certificates = [new NodeCertificate("site", "/haproxy/staging/tls/site"), new NodeCertificate("api", "/haproxy/staging/tls/api")],
                KmsKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
                ClientCertificates = new ClientCertificates
                {
                    CaBundlePem = EnvironmentFiles.Certificate("staging-partners-ca.pem"),
                    Mode = ClientCertificateMode.Optional,
                },
            },
            MaxCapacity = 6,
            Haproxy = new HaproxySpec
            {
                Pools =
                [
                    new Pool { Name = "web", Servers = [new Server("10.20.64.10", 8080), new Server("10.20.68.10", 8080), new Server("10.20.72.10", 8080)] },
                    new Pool { Name = "web-canary", Servers = [new Server("10.20.64.20", 8080)] },
                    new Pool { Name = "api", Discovery = new DnsDiscovery("api.staging.internal", 8080) },
                ],
                DefaultPool = "web",
                RequestRules =
                [
                    .. SharedRules.Baseline("10.20.0.0/16", requestsPer10Seconds: 500),
                    Rule.Deny(Match.PathPrefix("/partners/") & !Match.ClientCertificate(), status: 401),
                    Rule.SetHeader("X-Environment", "staging"),
                ],
                ResponseHeaders = SharedRules.ResponseHeaders,
                Routes =
                [
                    Route.To("api", Match.Host("api.staging.example.com")),
                    // Canary: a tenth of the site's traffic tries the next release.
                    Route.Split(Match.Host("www.staging.example.com"), new WeightedPool("web", 90), new WeightedPool("web-canary", 10)),
                ],
            },
        },
    };

    /// <summary>Production: at least three nodes over three zones, TLS at the NLB.</summary>
    public static ClusterEnvironment Prod { get; } = new()
    {
        Account = PlaceholderAccount,
        Region = "eu-central-1",
        Cluster = new()
        {
            EnvironmentName = "prod",
            RetainLogs = true,
            AvailabilityZones = ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
            VpcCidr = "10.30.0.0/16",
            InstanceType = "c6i.xlarge",
            MinCapacity = 3,
            // With a zone lost, the two nodes left carry 2 × 4 vCPU × 14,000 × 50 % = 56,000 requests/s.
            // Per vCPU: the capacity line of 'ENV=prod make bench' (2026-11-28, on the 2-core build machine).
            Peak = new PeakLoad(RequestsPerSecond: 50_000, RequestsPerVcpu: 14_000),
            // A replaced node serves five minutes of real traffic (about 80,000 requests at a quiet third of the peak) before it signals.
            Bake = new NodeBake(TimeSpan.FromMinutes(5)) { MinimumRequests = 1_000, MaxOwnFailurePercent = 0.5 },
            TargetSessionsPerNode = 10_000,
            MaxCapacity = 12,
            CertificateArn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
            DeletionProtection = true,

            // AWS may move traffic out of an impaired zone; its weekly practice runs keep off the weekend's peak.
            ZonalShift = ZonalShift.Autoshift("Fri:16:00-Mon:06:00"),
            Haproxy = new HaproxySpec
            {
                Pools =
                [
                    new Pool
                    {
                        Name = "web",
                        Servers = [new Server("10.30.64.10", 8080), new Server("10.30.68.10", 8080), new Server("10.30.72.10", 8080)],
                        HealthCheck = new HealthCheck { Path = "/healthz" },
                        StickyCookie = "SRV",
                    },
                    new Pool { Name = "api", Discovery = new DnsDiscovery("api.prod.internal", 8080, Slots: 20), Balance = Balance.LeastConn, HealthCheck = new HealthCheck { Path = "/healthz" } },
                    new Pool { Name = "static", Servers = [new Server("static.prod.internal", 80)], ErrorLimit = null },
                ],
                DefaultPool = "web",
                RequestRules =
                [
                    .. SharedRules.Baseline("10.30.0.0/16", requestsPer10Seconds: 300),
                    Rule.RateLimit("login", requests: 10, per: TimeSpan.FromMinutes(1), when: Match.Path("/login") & Match.Method("POST")),
                    Rule.RedirectToHttps(status: 301),
                    Rule.Redirect(RedirectTarget.Host("www.example.com"), when: Match.Host("example.com"), status: 301),
                    Rule.Redirect(RedirectTarget.ReplacePrefix("/blog/", "/news/"), when: Match.PathPrefix("/blog/"), status: 308),
                ],
                ResponseHeaders = [.. SharedRules.ResponseHeaders, HeaderEdit.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")],
                Routes =
                [
                    Route.To("api", Match.Host("api.example.com")),
                    Route.To("static", Match.PathRegex(@"^/assets/.+\.(css|js|png|svg|woff2)$")),
                    // Customer domains → pools; a map, so ten thousand cost what ten do.
                    Route.HostTable("tenants",
                        new TableEntry("www.example.com", "web"),
                        new TableEntry("shop.example.com", "web"),
                        new TableEntry("*.apps.example.com", "api")),
                    Route.PathPrefixTable("paths", new TableEntry("/docs", "static"), new TableEntry("/api/", "api")),
                ],
            },
        },
    };

    /// <summary>Every environment, in the order stacks are synthesized.</summary>
    public static IReadOnlyList<ClusterEnvironment> All { get; } = [Dev, Staging, Prod];

    /// <summary>
    /// The environments to synthesize: all of them when <paramref name="name"/> is null or empty,
    /// else the one it names.
    /// </summary>
    /// <exception cref="ArgumentException">No environment has that name.</exception>
    public static IReadOnlyList<ClusterEnvironment> Select(string? name) => Select(name, All);

    /// <summary>The environments of <paramref name="environments"/> that <paramref name="name"/> selects, as <see cref="Select(string?)"/> does.</summary>
    /// <exception cref="ArgumentException">No environment has that name.</exception>
    internal static IReadOnlyList<ClusterEnvironment> Select(string? name, IReadOnlyList<ClusterEnvironment> environments)
    {
        if (string.IsNullOrEmpty(name))
        {
            return environments;
        }

        var match = environments.FirstOrDefault(e => e.Name == name);
        return match is not null
            ? [match]
            : throw new ArgumentException(
                $"context env is '{name}', which names no environment; use one of {string.Join(", ", environments.Select(e => e.Name))}, or leave it out to synthesize all");
    }
}
