using HaproxyCluster.Config.Tests.Support;
using Xunit.Abstractions;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// Every public string input of the rules API and every string setting of Global, Defaults,
/// Listeners, Pool and Resolvers, each given every hostile value: a line break (CR, LF, U+0085,
/// U+2028, U+2029), NUL, quotes, '#', '\', space, tab, '%[', '%{', '${', a zone id carrying each
/// of those, null, empty and 100 KB. Each value is either refused with a message on that input's
/// property, or rendered so that HAProxy 2.6 and 3.0 accept the config and read exactly the
/// value the user wrote, in one word, where the input's value belongs.
/// </summary>
public class EveryStringInputTests(ITestOutputHelper output)
{
    private static readonly string[] Pieces =
        ["\r", "\n", "\r\n", "\u0085", "\u2028", "\u2029", "\0", "'", "\"", "#", "\\", " ", "\t", "%[", "%{", "${", "${HOME}", "}", "\n    http-request deny"];

    private static readonly HaproxySpec Base = new()
    {
        Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)] }, new Pool { Name = "api", Servers = [new Server("10.0.1.11", 8080)] }],
        DefaultPool = "web",
    };

    /// <summary>
    /// One input: its property path, a valid value, the spec it makes from a value, and the word
    /// HAProxy must read for a value it accepts (null: the value lands in a file of the bundle).
    /// </summary>
    private sealed record Input(string Property, string Valid, Func<string?, HaproxySpec> Spec, Func<string, string> Word);

    /// <summary>The value lands in a file of the bundle (a page, a map), not in haproxy.cfg.</summary>
    private static readonly Func<string, string> InFile = _ => "";

    private static Input Rule(string property, string valid, Func<string?, RequestRule> rule, Func<string, string>? word = null) =>
        new($"RequestRules[0] ({rule(valid).GetType().Name}).{property}", valid, v => Base with { RequestRules = [rule(v)] }, word ?? (v => v));

    private static Input Route(string property, string valid, Func<string?, Route> route, Func<string, string>? word = null) =>
        new($"Routes[0] ({route(valid).GetType().Name}).{property}", valid, v => Base with { Routes = [route(v)] }, word ?? (v => v));

    private static Input When(string property, string valid, Func<string?, Match> match, Func<string, string>? word = null) =>
        new($"Routes[0] (PoolRoute).When.{property}", valid, v => Base with { Routes = [Config.Route.To("api", match(v))] }, word ?? (v => v));

    private static Input Setting(string property, string valid, Func<string?, HaproxySpec> spec, Func<string, string>? word = null) =>
        new(property, valid, spec, word ?? (v => v));

    /// <summary>A CA certificate, for a pool's TLS.</summary>
    private static readonly string CaPem = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "tests", "HaproxyConfig.Tests", "Golden", "internal-ca.pem"));

    /// <summary>A folder holding the certificate <c>site.pem</c> (chain and key), for the node's TLS bind.</summary>
    private static readonly string TlsFolder = CreateTlsFolder();

    private static string CreateTlsFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "haproxy-inputs-tls");
        Directory.CreateDirectory(folder);
        using var pki = new TestPki("inputs-ca");
        using var site = pki.Server("www.example.test");
        File.WriteAllText(Path.Combine(folder, "site.pem"), TestPki.PemWithKey(site));
        return folder;
    }

    private static HaproxySpec WithTls(Func<TlsListener, TlsListener> change) =>
        Base with { Listeners = Base.Listeners with { Tls = change(new TlsListener { Certificates = ["site"], CertificateDirectory = TlsFolder }) } };

    private static HaproxySpec WithClientCertificates() => WithTls(tls => tls with { ClientCertificates = new ClientCertificates { CaBundlePem = CaPem } });

    /// <summary>The server-state file an EC2-discovered pool needs; it exists, so haproxy -c has nothing to warn about.</summary>
    private static readonly string StateFile = CreateStateFile();

    private static string CreateStateFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "haproxy-inputs-server-state");
        File.WriteAllText(path, "1\n");
        return path;
    }

    private static HaproxySpec Discovered(Ec2Discovery discovery) =>
        Base with { Pools = [Base.Pools[0], Base.Pools[1] with { Servers = [], Discovery = discovery }], Global = Base.Global with { ServerStateFile = StateFile } };

    private static string LogFormat(string value) => value.Replace("%", "%%", StringComparison.Ordinal);

    private static readonly Input[] Inputs =
    [
        When("Name", "api.example.com", v => Match.Host(v!), v => v.ToLowerInvariant()),
        When("Suffix", "*.example.com", v => Match.HostSuffix(v!), _ => ".example.com"),
        When("Value", "/exact", v => Match.Path(v!)),
        When("Prefix", "/api/", v => Match.PathPrefix(v!)),
        When("Pattern", "^/v[0-9]+/", v => Match.PathRegex(v!)),
        When("Methods[0]", "GET", v => Match.Method(v!)),
        When("Name", "X-Present", v => Match.HeaderPresent(v!), v => $"req.hdr({v})"),
        When("Name", "X-Name", v => Match.Header(v!, "on"), v => $"req.fhdr({v})"),
        When("Value", "on", v => Match.Header("X-Name", v!)),
        When("Name", "User-Agent", v => Match.HeaderRegex(v!, "^Bot"), v => $"req.fhdr({v})"),
        When("Pattern", "^Bot/[0-9]", v => Match.HeaderRegex("User-Agent", v!)),
        When("Name", "trace", v => Match.QueryParam(v!, "1"), v => $"url_param({v})"),
        When("Value", "1", v => Match.QueryParam("trace", v)),
        When("Cidrs[0]", "10.0.0.0/8", v => Match.Source(v!)),
        Rule("Cidrs[0]", "203.0.113.0/24", v => Config.Rule.DenySources([v!])),
        Rule("Cidrs[0]", "198.51.100.0/24", v => Config.Rule.AllowOnlySources([v!])),
        Rule("Name", "per-client", v => Config.Rule.RateLimit(v!, 10, TimeSpan.FromSeconds(10)), v => "st_" + v),
        Rule("Exempt[0]", "10.0.0.0/8", v => Config.Rule.RateLimit("limit", 10, TimeSpan.FromSeconds(10), exempt: [v!])),
        Rule("Target.Name", "www.example.com", v => Config.Rule.Redirect(RedirectTarget.Host(v!), Match.Host("example.com")), v => "https://" + v.ToLowerInvariant()),
        Rule("Target.From", "/old/", v => Config.Rule.Redirect(RedirectTarget.ReplacePrefix(v!, "/new/"), Match.Host("a.example.com"))),
        Rule("Target.To", "/new/", v => Config.Rule.Redirect(RedirectTarget.ReplacePrefix("/old/", v!), Match.Host("a.example.com")), v => $"%[pathq,regsub(^/old/,{v})]"),
        Rule("Response.Name", "down", v => Config.Rule.Respond(new FixedResponse(v!, 503, "text/plain", "down"), Match.Path("/x")), v => $"/etc/haproxy/pages/{v}"),
        Rule("Response.ContentType", "text/plain", v => Config.Rule.Respond(new FixedResponse("down", 503, v!, "down"), Match.Path("/x"))),
        Rule("Response.Body", "<h1>down</h1>", v => Config.Rule.Respond(new FixedResponse("down", 503, "text/html", v!), Match.Path("/x")), InFile),
        Rule("Edit.Name", "X-Set", v => Config.Rule.SetHeader(v!, "v")),
        Rule("Edit.Value", "value", v => Config.Rule.SetHeader("X-Set", v!), LogFormat),
        Rule("Edit.Value", "value", v => Config.Rule.AddHeader("X-Add", v!), LogFormat),
        Rule("Edit.Name", "X-Gone", v => Config.Rule.DeleteHeader(v!)),
        Route("Pool", "api", v => Config.Route.To(v!, Match.Host("api.example.com"))),
        Route("Pools[0].Pool", "api", v => Config.Route.Split(null, new WeightedPool(v!, 1), new WeightedPool("web", 1))),
        Route("Name", "sites", v => Config.Route.HostTable(v!, new TableEntry("a.example.com", "api")), v => $"req.hdr(host),field(1,:),lower,map(/etc/haproxy/maps/{v}.map)"),
        Route("Entries[0].Key", "a.example.com", v => Config.Route.HostTable("sites", new TableEntry(v!, "api")), InFile),
        Route("Entries[0].Pool", "api", v => Config.Route.HostTable("sites", new TableEntry("a.example.com", v!)), InFile),
        Route("Entries[0].Key", "/docs", v => Config.Route.PathPrefixTable("paths", new TableEntry(v!, "api")), InFile),
        Setting("ResponseHeaders[0].Name", "X-Frame-Options", v => Base with { ResponseHeaders = [HeaderEdit.Set(v!, "DENY")] }),
        Setting("ResponseHeaders[0].Value", "DENY", v => Base with { ResponseHeaders = [HeaderEdit.Set("X-Frame-Options", v!)] }, LogFormat),
        Setting("DefaultPool", "web", v => Base with { DefaultPool = v! }),
        Setting("Pools[0].Name", "web", v => Base with { Pools = [Base.Pools[0] with { Name = v! }, Base.Pools[1]], DefaultPool = "api" }),
        Setting("Pools[0].Servers[0].Address", "10.0.1.10", v => Base with { Pools = [Base.Pools[0] with { Servers = [new Server(v!, 8080)] }, Base.Pools[1]] }, v => v + ":8080"),
        Setting("Pools[0].Servers[0].Name", "blue", v => Base with { Pools = [Base.Pools[0] with { Servers = [new Server("10.0.1.10", 8080) { Name = v }] }, Base.Pools[1]] }),
        Setting("Pools[0].Discovery.Hostname", "web.internal", v => Base with { Pools = [Base.Pools[0] with { Discovery = new DnsDiscovery(v!, 8080) }, Base.Pools[1]] }, v => v + ":8080"),
        Setting("Pools[0].HealthCheck.Path", "/healthz", v => Base with { Pools = [Base.Pools[0] with { HealthCheck = new HealthCheck { Path = v! } }, Base.Pools[1]] }),
        Setting("Pools[0].Tls.ServerName", "api.internal", v => Base with { Pools = [Base.Pools[0] with { Tls = new PoolTls { CaBundlePem = CaPem, ServerName = v } }, Base.Pools[1]] }),
        Setting("Pools[0].Tls.CaBundlePem", CaPem, v => Base with { Pools = [Base.Pools[0] with { Tls = new PoolTls { CaBundlePem = v!, ServerName = "api.internal" } }, Base.Pools[1]] }, InFile),
        Setting("Listeners.Tls.Certificates[0]", "site", v => WithTls(tls => tls with { Certificates = [v!] }), v => $"{TlsFolder}/{v}.pem"),
        Setting("Listeners.Tls.CertificateDirectory", TlsFolder, v => WithTls(tls => tls with { CertificateDirectory = v! }), v => $"{v}/site.pem"),
        Setting("Listeners.Tls.ClientCertificates.CaBundlePem", CaPem, v => WithTls(tls => tls with { ClientCertificates = new ClientCertificates { CaBundlePem = v! } }), InFile),
        Setting("Listeners.Tls.ClientCertificates.SubjectHeader", "X-Client", v => WithTls(tls => tls with { ClientCertificates = new ClientCertificates { CaBundlePem = CaPem, SubjectHeader = v! } })),
        Setting("Listeners.Tls.ClientCertificates.FingerprintHeader", "X-Client-Sha", v => WithTls(tls => tls with { ClientCertificates = new ClientCertificates { CaBundlePem = CaPem, FingerprintHeader = v! } })),
        Setting("Pools[0].StickyCookie", "SRV", v => Base with { Pools = [Base.Pools[0] with { StickyCookie = v }, Base.Pools[1]] }),
        Setting("Resolvers.Nameservers[0]", "169.254.169.253:53", v => Base with { Pools = [Base.Pools[0] with { Discovery = new DnsDiscovery("web.internal", 8080) }, Base.Pools[1]], Resolvers = new Resolvers { Nameservers = [v!] } }),
        Setting("Global.RuntimeSocketPath", "/run/haproxy/admin.sock", v => Base with { Global = Base.Global with { RuntimeSocketPath = v! } }),
        Setting("Global.LogTarget", "tcp@127.0.0.1:5140", v => Base with { Global = Base.Global with { LogTarget = v! } }, v => v[4..]),
        Setting("Routes[0] (PoolRoute).When.Subject", "CN=alice,O=Example", v => WithClientCertificates() with { Routes = [Config.Route.To("api", Match.ClientCertificateSubject(v!))] }),
        Setting("Routes[0] (PoolRoute).When.Sha256", new string('a', 64), v => WithClientCertificates() with { Routes = [Config.Route.To("api", Match.ClientCertificateSha256(v!))] }, Syntax.Sha256Hex),
        Setting("Global.User", "haproxy", v => Base with { Global = Base.Global with { User = v } }),
        Setting("Defaults.RetryOn", "conn-failure empty-response", v => Base with { Defaults = Base.Defaults with { RetryOn = v! } }, v => v.Split(' ')[^1]),
        Setting("Defaults.RequestIdHeader", "X-Request-ID", v => Base with { Defaults = Base.Defaults with { RequestIdHeader = v } }),
        Setting("Defaults.TrustedProxies[0]", "198.18.0.0/15", v => Base with { Defaults = Base.Defaults with { TrustedProxies = [v!] } }),
        Setting("Listeners.BindAddress", "10.0.0.5", v => Base with { Listeners = Base.Listeners with { BindAddress = v! } }, v => $"{v}:80"),
        Setting("Pools[1].Discovery.AutoScalingGroup", "app-asg", v => Discovered(Ec2Discovery.ForGroup(v!, 8080)), InFile),
        Setting("Pools[1].Discovery.Tags[0].Key", "app", v => Discovered(Ec2Discovery.ForTags(8080, 4, new Ec2Tag(v!, "web"))), InFile),
        Setting("Pools[1].Discovery.Tags[0].Value", "web", v => Discovered(Ec2Discovery.ForTags(8080, 4, new Ec2Tag("app", v!))), InFile),
        Setting("Global.ServerStateFile", StateFile, v => Discovered(Ec2Discovery.ForGroup("app-asg", 8080)) with { Global = Base.Global with { ServerStateFile = v! } }),
        Setting("RequestRules[0] (RateLimitRule).Name", "fleet", v => Base with { RequestRules = [Config.Rule.RateLimit(v!, 10, TimeSpan.FromSeconds(10), scope: RateLimitScope.Fleet)] }, v => $"str({v}),map(/etc/haproxy/maps/fleet.limits.map,10)"),
        Setting("Listeners.HealthPath", "/haproxy-health", v => Base with { Listeners = Base.Listeners with { HealthPath = v! } }),
    ];

    /// <summary>The input's valid value made hostile every way the issue names, and null, empty and 100 KB.</summary>
    private static IEnumerable<string?> Values(string valid) =>
        Pieces.SelectMany(p => new[] { p + valid, valid + p, valid.Insert(valid.Length / 2, p), $"fe80::1%{p}x", $"[fe80::1%{p}]:53" })
            .Append(valid + "%eth0").Append(null).Append("").Append(new string('a', 100_000)).Append(valid);

    [Fact]
    public void Every_value_of_every_input_is_refused_on_that_input_or_read_by_haproxy_exactly_as_written()
    {
        var scratch = Directory.CreateTempSubdirectory("haproxy-inputs-").FullName;
        var rendered = new List<string>();
        var refused = 0;
        try
        {
            foreach (var input in Inputs)
            {
                foreach (var value in Values(input.Valid).Distinct())
                {
                    var spec = input.Spec(value);
                    ConfigBundle bundle;
                    try
                    {
                        bundle = ConfigRenderer.Render(spec);
                    }
                    catch (ConfigValidationException e)
                    {
                        Assert.True(
                            e.Errors.Any(error => error.Property.StartsWith(input.Property, StringComparison.Ordinal)),
                            $"{input.Property} = {Syntax.Show(value)} was refused, but not on that input: {e.Message}");
                        refused++;
                        continue;
                    }

                    // null is accepted only where it means "not set" (a request id, a user, a cookie, a query value).
                    if (value is not null)
                    {
                        AssertReadsExactly(input, value, bundle);
                    }

                    var folder = Path.Combine(scratch, rendered.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    ConfigRenderer.Render(spec, folder).WriteTo(folder);
                    rendered.Add(Path.Combine(folder, ConfigBundle.ConfigFileName));
                }
            }

            output.WriteLine($"{Inputs.Length} inputs: {refused} values refused on their input, {rendered.Count} rendered and checked with haproxy -c");
            var failures = HaproxyCheck.Failures(rendered);
            Assert.True(failures.Count == 0, $"{failures.Count} configs refused:\n{string.Join('\n', failures.Take(10))}");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void AssertReadsExactly(Input input, string value, ConfigBundle bundle)
    {
        var lines = bundle.Config.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.All(lines, line => Assert.DoesNotContain('\r', line));
        var words = lines.SelectMany(l => Cfg.Words(l)).ToList();
        if (ReferenceEquals(input.Word, InFile))
        {
            Assert.Contains(bundle.Files, f => f.Path != ConfigBundle.ConfigFileName && f.Content.Contains(value, StringComparison.Ordinal));
        }
        else
        {
            Assert.True(words.Contains(input.Word(value)), $"{input.Property} = {Syntax.Show(value)}: HAProxy reads no word {Syntax.Show(input.Word(value))}");
        }

        // No value adds a line: every line starts with a keyword the renderer writes.
        Assert.All(lines.Select(l => Cfg.Words(l)[0]), first => Assert.Contains(first, RenderedKeywords.All));
    }
}
