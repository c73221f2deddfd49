using System.Globalization;
using HaproxyCluster.Config;

namespace HaproxyCluster.Local;

/// <summary>
/// What <c>make bench</c> runs, rendered from an environment's spec: the generated config with a
/// 10-host and a 10,000-host table, a minimal hand-written passthrough to compare them with, and
/// the 10-host config once per element with exactly that element taken out of the spec, to be
/// priced in instructions. Every listener is on loopback without PROXY protocol (wrk sends none);
/// each config has ports and an admin socket of its own, and logs as a node does.
/// </summary>
public static class LocalBench
{
    /// <summary>The host table's size in the configs the elements are priced against.</summary>
    public const int Hosts = 10;

    /// <summary>The large table, to see what 10,000 hosts cost.</summary>
    public const int ManyHosts = 10_000;

    /// <summary>One config of the bench: where it is, where to send load (a URL) and with which Host, and whether it logs.</summary>
    public sealed record BenchConfig(string Name, string Config, string Url, string Host, bool Logs, bool Timed)
    {
        /// <summary>One line of configs.tsv, which bench.sh reads.</summary>
        public string Line => string.Create(CultureInfo.InvariantCulture, $"{Name}\t{Config}\t{Url}\t{Host}\t{(Logs ? 1 : 0)}\t{(Timed ? 1 : 0)}");
    }

    /// <summary>The full config with its load over TLS, decrypted by the node (<see cref="TlsListener"/>), to price TLS.</summary>
    public const string WithNodeTls = "with-node-tls";

    /// <summary>The bench's CA certificate (PEM, <see cref="LocalPki.WriteCa"/>), which signs the TLS config's certificate for 127.0.0.1.</summary>
    public static string CaFile(string folder) => Path.Combine(folder, "tls", "ca.pem");

    /// <summary>
    /// The elements bench prices: each takes one behaviour out of the spec. An element the
    /// environment does not have changes nothing, and is left out of the bench.
    /// </summary>
    public static IReadOnlyList<(string Name, Func<HaproxySpec, HaproxySpec> Without)> Elements(HaproxySpec spec)
    {
        static Func<HaproxySpec, HaproxySpec> Defaults(Func<DefaultSettings, DefaultSettings> change) => s => s with { Defaults = change(s.Defaults) };
        static Func<HaproxySpec, HaproxySpec> Rules(Func<RequestRule, bool> removed) => s => s with { RequestRules = s.RequestRules.Where(r => !removed(r)).ToValueList() };
        return
        [
            ("same-config", s => s), // its price shows how far two counts of one config differ
            ("without-l7-retries", Defaults(d => d with { RetryOn = "conn-failure" })),
            ("without-access-log", Defaults(d => d with { AccessLogFields = [] })),
            ("without-request-id", Defaults(d => d with { RequestIdHeader = null })),
            ("without-path-check", Defaults(d => d with { RejectNonNormalPaths = false })),
            ("without-rate-limit", Rules(r => r is RateLimitRule)),
            ("without-deny-rules", Rules(r => r is DenyRule or DenySourcesRule or AllowOnlySourcesRule or RespondRule)),
            ("without-header-edits", s => Rules(r => r is RequestHeaderRule)(s) with { ResponseHeaders = [] }),
            ("without-forwardfor", Defaults(d => d with { ForwardFor = false })),
            ("without-routing", s => s with { Routes = [] }),
            ("without-observe", s => s with { Pools = s.Pools.Select(p => p with { ErrorLimit = null }).ToValueList() }),
            .. spec.Defaults.AccessLogFields.Select(field => ($"log-without-{field.ToString().ToLowerInvariant()}",
                Defaults(d => d with { AccessLogFields = d.AccessLogFields.Where(f => f != field).ToValueList() }))),

            // What verifying a JWT costs: every request is given a valid RS256 token by a header rule
            // (the load carries none), and then checked by Rule.RequireJwt or not; the difference is
            // the verification's price (JwtPrice).
            (JwtTokenOnly, s => s with { RequestRules = [BenchJwt.Token, .. s.RequestRules] }),
            (WithJwt, s => s with { RequestRules = [BenchJwt.Token, BenchJwt.Require, .. s.RequestRules] }),
        ];
    }

    /// <summary>The config whose requests carry a bench token that nothing checks.</summary>
    public const string JwtTokenOnly = "jwt-token-only";

    /// <summary>The config whose requests carry a bench token that Rule.RequireJwt verifies.</summary>
    public const string WithJwt = "with-jwt";

    /// <summary>An RS256 issuer made for this run, a token of it valid for a day, and the rules that set and require it.</summary>
    private static class BenchJwt
    {
        private static readonly System.Security.Cryptography.RSA Key = System.Security.Cryptography.RSA.Create(2048);

        public static RequestRule Token { get; } = Rule.SetHeader("Authorization", "Bearer " + Sign());

        public static RequestRule Require { get; } = Rule.RequireJwt("bench", new JwtIssuer
        {
            Issuer = "https://bench.example.com/",
            Audiences = ["bench"],
            PublicKeyPem = Key.ExportSubjectPublicKeyInfoPem(),
            ForwardClaims = [new JwtClaimHeader("sub", "X-Jwt-Subject")],
        });

        private static string Sign()
        {
            static string Part(object value) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value));
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var input = Part(new { alg = "RS256", typ = "JWT" }) + "." + Part(new { iss = "https://bench.example.com/", aud = "bench", sub = "bench", exp = now + 86_400, nbf = now - 60 });
            var signature = Key.SignData(System.Text.Encoding.ASCII.GetBytes(input), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            return input + "." + System.Buffers.Text.Base64Url.EncodeToString(signature);
        }
    }

    /// <summary>
    /// Writes every config of the bench under <paramref name="folder"/> (one folder each, the
    /// backends' configs in <c>backends/</c>) for <paramref name="environment"/>, ports from
    /// <paramref name="firstPort"/> ten apart, backends from <paramref name="firstBackendPort"/>,
    /// logging to <paramref name="logTarget"/>; returns them (timed: the three, and <see cref="WithJwt"/>).
    /// </summary>
    public static IReadOnlyList<BenchConfig> Write(HaproxySpec environment, string folder, int firstPort, int firstBackendPort, string logTarget)
    {
        var backends = LocalTopology.Backends(environment, "127.0.0.1", firstBackendPort);
        Directory.CreateDirectory(Path.Combine(folder, "backends"));
        foreach (var backend in backends)
        {
            File.WriteAllText(Path.Combine(folder, "backends", $"{backend.Pool}-{backend.Index}.cfg"), OkBackendConfig(backend));
        }

        var configs = new List<BenchConfig> { Minimal(folder, firstPort, backends.Where(b => b.Pool == environment.DefaultPool)) };
        HaproxySpec Node(string name, int hosts, int port)
        {
            var node = LocalTopology.WithHostTable(LocalTopology.NodeSpec(environment, backends, Path.Combine(folder, name, "admin.sock"), "127.0.0.1"), hosts);
            return node with
            {
                Listeners = node.Listeners with { AcceptProxy = false, HttpPort = port, TlsOriginPort = port + 1, HealthPort = port + 2, AdminPort = port + 3 },
                Global = node.Global with { LogTarget = logTarget },
            };
        }

        // The generated configs take the load on their TLS-origin bind, as the NLB's TLS listener
        // hands requests on (an environment that redirects plain HTTP would answer :80 with redirects).
        BenchConfig Render(string name, HaproxySpec spec, int hosts, bool timed)
        {
            ConfigRenderer.Render(spec, Path.Combine(folder, name)).WriteTo(Path.Combine(folder, name));
            File.WriteAllText(spec.Global.ServerStateFile, "1\n"); // as the bootstrap lays it down: empty, version 1
            var url = spec.Listeners.Tls is { } tls
                ? string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{tls.Port}/")
                : string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{spec.Listeners.TlsOriginPort}/");
            return new BenchConfig(name, Path.Combine(folder, name, ConfigBundle.ConfigFileName), url, LocalTopology.BenchHost(hosts - 1), Logs: true, timed);
        }

        var full = Render("generated-10-hosts", Node("generated-10-hosts", Hosts, firstPort + 10), Hosts, timed: true);
        configs.Add(full);
        configs.Add(Render("generated-10000-hosts", Node("generated-10000-hosts", ManyHosts, firstPort + 20), ManyHosts, timed: true));
        var port = firstPort + 30;
        foreach (var (name, without) in Elements(environment))
        {
            // The JWT's price is timed too: crypto runs at another rate of instructions than the rest.
            var variant = Render(name, without(Node(name, Hosts, port)), Hosts, timed: name == WithJwt);
            if (name == "same-config" || Differs(variant, full))
            {
                configs.Add(variant);
                port += 10;
            }
            else
            {
                Console.Error.WriteLine($"bench: {name}: the environment has no such element; not priced");
            }
        }

        // What decrypting TLS costs on a node (NodeTls): the full config with the load over TLS 1.3 on
        // its own TLS bind, keep-alive as the other runs (a handshake a connection), against the same
        // config in clear. Not an element: no spec option turns TLS off, so it is added, not removed.
        var certificates = LocalPki.WriteCa(folder);
        File.WriteAllText(Path.Combine(certificates, "bench.pem"), LocalPki.ServerPem(folder, "127.0.0.1"));
        var node = Node(WithNodeTls, Hosts, port);
        configs.Add(Render(WithNodeTls, node with
        {
            Listeners = node.Listeners with { Tls = new TlsListener { Port = port + 4, Certificates = ["bench"], CertificateDirectory = certificates } },
        }, Hosts, timed: true));

        File.WriteAllLines(Path.Combine(folder, "configs.tsv"), configs.Select(c => c.Line));
        return configs;
    }

    /// <summary>Whether two configs differ beyond their ports and folders.</summary>
    private static bool Differs(BenchConfig variant, BenchConfig full)
    {
        static IEnumerable<string> Lines(BenchConfig c) => File.ReadLines(c.Config)
            .Where(line => !line.TrimStart().StartsWith("bind ", StringComparison.Ordinal))
            .Select(line => line.Replace(Path.GetDirectoryName(c.Config)!, "FOLDER", StringComparison.Ordinal));
        return !Lines(variant).SequenceEqual(Lines(full));
    }

    /// <summary>A bare passthrough to the default pool's servers: what any proxy costs.</summary>
    private static BenchConfig Minimal(string folder, int port, IEnumerable<LocalTopology.LocalBackend> servers)
    {
        Directory.CreateDirectory(Path.Combine(folder, "minimal"));
        var config = Path.Combine(folder, "minimal", ConfigBundle.ConfigFileName);
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $"""
            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend minimal
                bind 127.0.0.1:{port}
                default_backend web
            backend web

            """) + string.Concat(servers.Select(s => string.Create(CultureInfo.InvariantCulture, $"    server s{s.Index} {s.Address}:{s.Port}\n"))));
        return new BenchConfig("minimal", config, string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"), LocalTopology.BenchHost(Hosts - 1), Logs: false, Timed: true);
    }

    /// <summary>A bench backend: answers 200 "ok" to everything, at once.</summary>
    private static string OkBackendConfig(LocalTopology.LocalBackend backend) =>
        LocalTopology.BackendHead(backend) + "    http-request return status 200 content-type text/plain string ok\n";
}
