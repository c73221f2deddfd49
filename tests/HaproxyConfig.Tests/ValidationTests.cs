namespace HaproxyCluster.Config.Tests;

public class ValidationTests
{
    private static readonly HaproxySpec Valid = new()
    {
        Pools = [new Pool { Name = "web", Servers = [new Server("10.0.1.10", 8080)] }, new Pool { Name = "api", Servers = [new Server("api.internal", 8080)] }],
        DefaultPool = "web",
    };

    private static readonly string RsaKey = System.Security.Cryptography.RSA.Create(2048).ExportSubjectPublicKeyInfoPem();
    private static readonly string P384Key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384).ExportSubjectPublicKeyInfoPem();

    private static HaproxySpec WithJwt(Func<JwtIssuer, JwtIssuer> change) => Valid with
    {
        RequestRules = [Rule.RequireJwt("partners", change(new JwtIssuer { Issuer = "https://login.example.com/", Audiences = ["orders-api"], PublicKeyPem = RsaKey }))],
    };

    private static readonly string CaPem = Certificate();

    private static string Certificate()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        using var ca = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddYears(100));
        return ca.ExportCertificatePem();
    }

    private static HaproxySpec WithTls(Server server, PoolTls tls, ServerDiscovery? discovery = null) => Valid with
    {
        Pools = [.. Valid.Pools, new Pool { Name = "secure", Servers = discovery is null ? [server] : [], Discovery = discovery, Tls = tls }],
    };

    private static HaproxySpec WithNodeTls(Func<TlsListener, TlsListener> change) => Valid with
    {
        Listeners = new Listeners { Tls = change(new TlsListener { Certificates = ["site"], ClientCertificates = new ClientCertificates { CaBundlePem = CaPem } }) },
    };

    public static TheoryData<string, HaproxySpec, string, string> BadSpecs => new()
    {
        { "node tls no certificate", WithNodeTls(t => t with { Certificates = [] }), "Listeners.Tls.Certificates", "is empty; name at least one certificate" },
        { "node tls certificate name", WithNodeTls(t => t with { Certificates = ["site crt /etc/shadow"] }), "Listeners.Tls.Certificates[0]", "is not a valid name" },
        { "node tls certificate twice", WithNodeTls(t => t with { Certificates = ["site", "site"] }), "Listeners.Tls.Certificates[1]", "'site' is named twice" },
        { "node tls directory", WithNodeTls(t => t with { CertificateDirectory = "certs" }), "Listeners.Tls.CertificateDirectory", "is not an absolute file path" },
        { "node tls port clash", WithNodeTls(t => t with { Port = 80 }), "Listeners.Tls.Port", "80 is also HttpPort" },
        { "node tls bad port", WithNodeTls(t => t with { Port = 0 }), "Listeners.Tls.Port", "0 is not a port" },
        { "mtls ca with a key", WithNodeTls(t => t with { ClientCertificates = new ClientCertificates { CaBundlePem = "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n" } }), "Listeners.Tls.ClientCertificates.CaBundlePem", "holds a private key" },
        { "mtls deny status", WithNodeTls(t => t with { ClientCertificates = t.ClientCertificates! with { DenyStatus = 200 } }), "Listeners.Tls.ClientCertificates.DenyStatus", "200 is not allowed here; use one of 400, 401, 403, 421" },
        { "mtls header", WithNodeTls(t => t with { ClientCertificates = t.ClientCertificates! with { SubjectHeader = "X-Subject\r\nX-Admin" } }), "Listeners.Tls.ClientCertificates.SubjectHeader", "is not a header name" },
        { "client certificate no bind asks for", Valid with { RequestRules = [Rule.Deny(Match.PathPrefix("/partners/") & !Match.ClientCertificate(), 401)] }, "RequestRules[0] (DenyRule).When.Matches[1].Inner", "matches a client certificate, but no bind asks for one (Listeners.Tls.ClientCertificates is not set), so it can never hold; set ClientCertificates" },
        { "client certificate without mtls", WithNodeTls(t => t with { ClientCertificates = null }) with { Routes = [Route.To("api", Match.ClientCertificateSubject("CN=alice"))] }, "Routes[0] (PoolRoute).When", "no bind asks for one" },
        { "client certificate fingerprint", WithNodeTls(t => t) with { Routes = [Route.To("api", Match.ClientCertificateSha256("AB:CD:EF"))] }, "Routes[0] (PoolRoute).When.Sha256", "'AB:CD:EF' is not a SHA-256 fingerprint; give 64 hex digits, with or without colons" },
        { "client certificate subject", WithNodeTls(t => t) with { Routes = [Route.To("api", Match.ClientCertificateSubject("CN=alice\nO=x"))] }, "Routes[0] (PoolRoute).When.Subject", "holds a character outside printable ASCII" },
        { "mtls same header", WithNodeTls(t => t with { ClientCertificates = t.ClientCertificates! with { FingerprintHeader = "x-client-cert-subject" } }), "Listeners.Tls.ClientCertificates.FingerprintHeader", "is SubjectHeader too" },
        { "mtls mode", WithNodeTls(t => t with { ClientCertificates = t.ClientCertificates! with { Mode = (ClientCertificateMode)7 } }), "Listeners.Tls.ClientCertificates.Mode", "7 is not a ClientCertificateMode" },
        { "tls ca not pem", WithTls(new Server("a.internal", 443), new PoolTls { CaBundlePem = "ca.pem" }), "Pools[2].Tls.CaBundlePem", "is not PEM certificates; give the certificates of the authorities that sign the servers' certificates" },
        { "tls ca with a key", WithTls(new Server("a.internal", 443), new PoolTls { CaBundlePem = CaPem + "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" }), "Pools[2].Tls.CaBundlePem", "holds a private key, which would ship in the bundle" },
        { "tls ca garbage", WithTls(new Server("a.internal", 443), new PoolTls { CaBundlePem = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n" }), "Pools[2].Tls.CaBundlePem", "holds a block that is not a certificate (ASN1 corrupted data)" },
        { "tls ca OpenSSL would not read", WithTls(new Server("a.internal", 443), new PoolTls { CaBundlePem = CaPem.Insert(CaPem.IndexOf('\n') + 10, " ") }), "Pools[2].Tls.CaBundlePem", "line 2 holds a character that is not base64 inside a certificate; give the certificates of the authorities" },
        { "tls ca with a line to inject", WithTls(new Server("a.internal", 443), new PoolTls { CaBundlePem = CaPem + "\u2028" }), "Pools[2].Tls.CaBundlePem", "outside printable ASCII" },
        { "tls server at an ip", WithTls(new Server("10.0.0.5", 443), new PoolTls { CaBundlePem = CaPem }), "Pools[2].Tls.ServerName", "is null, but pool 'secure' has servers at IP addresses (10.0.0.5), which have no name to check their certificates against; give the name their certificates carry" },
        { "tls servers in ec2", WithTls(null!, new PoolTls { CaBundlePem = CaPem }, new Ec2Discovery(443) { AutoScalingGroup = "api-asg" }), "Pools[2].Tls.ServerName", "has servers found in EC2" },
        { "tls server name", WithTls(new Server("10.0.0.5", 443), new PoolTls { CaBundlePem = CaPem, ServerName = "api.internal) verifyhost none" }), "Pools[2].Tls.ServerName", "is not a host name" },
        { "jwt alg none", WithJwt(j => j with { Algorithms = ["none"] }), "RequestRules[0] (RequireJwtRule).Issuer.Algorithms[0]", "'none' accepts unsigned tokens and is never allowed" },
        { "jwt hmac", WithJwt(j => j with { Algorithms = ["HS256"] }), "RequestRules[0] (RequireJwtRule).Issuer.Algorithms[0]", "'HS256' is HMAC: anyone who knows the public key could sign with it as the secret" },
        { "jwt ps", WithJwt(j => j with { Algorithms = ["PS256"] }), "RequestRules[0] (RequireJwtRule).Issuer.Algorithms[0]", "'PS256' is not verified by HAProxy 2.6" },
        { "jwt alg for another key", WithJwt(j => j with { PublicKeyPem = P384Key, Algorithms = ["ES256"] }), "RequestRules[0] (RequireJwtRule).Issuer.Algorithms[0]", "'ES256' needs an EC key on P-256, but the key is EC on P-384" },
        { "jwt rsa alg on an ec key", WithJwt(j => j with { PublicKeyPem = P384Key }), "RequestRules[0] (RequireJwtRule).Issuer.Algorithms[0]", "'RS256' needs an RSA key, but the key is EC on P-384" },
        { "jwt private key", WithJwt(j => j with { PublicKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" }), "RequestRules[0] (RequireJwtRule).Issuer.PublicKeyPem", "holds a private key; ship the issuer's public key only" },
        { "jwt key that does not parse", WithJwt(j => j with { PublicKeyPem = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n" }), "RequestRules[0] (RequireJwtRule).Issuer.PublicKeyPem", "does not parse as an RSA or EC public key" },
        { "jwt claim that could inject", WithJwt(j => j with { ForwardClaims = [new JwtClaimHeader("sub') -m found } || { always_true", "X-User")] }), "RequestRules[0] (RequireJwtRule).Issuer.ForwardClaims[0].Claim", "is not a claim name" },
        { "jwt header name", WithJwt(j => j with { ForwardClaims = [new JwtClaimHeader("sub", "X User\r\nX-Admin: 1")] }), "RequestRules[0] (RequireJwtRule).Issuer.ForwardClaims[0].Header", "is not a header name" },
        { "jwt issuer with a line break", WithJwt(j => j with { Issuer = "https://a/\nhttp-request allow" }), "RequestRules[0] (RequireJwtRule).Issuer.Issuer", "" },
        { "jwt claim in the token's own header", WithJwt(j => j with { ForwardClaims = [new JwtClaimHeader("sub", "authorization")] }), "RequestRules[0] (RequireJwtRule).Issuer.ForwardClaims[0].Header", "'authorization' is a header the node reads or the cluster sets" },
        { "jwt no audience", WithJwt(j => j with { Audiences = [] }), "RequestRules[0] (RequireJwtRule).Issuer.Audiences", "is empty; give the audience" },
        { "jwt skew", WithJwt(j => j with { ClockSkew = TimeSpan.FromHours(1) }), "RequestRules[0] (RequireJwtRule).Issuer.ClockSkew", "is not a whole number of seconds from 0 to 10 minutes" },
        { "pool name", Valid with { Pools = [.. Valid.Pools, new Pool { Name = "bad name", Servers = [new Server("10.0.0.1", 80)] }] }, "Pools[2].Name", "'bad name' is not a pool name" },
        { "reserved pool name", Valid with { Pools = [.. Valid.Pools, new Pool { Name = "fe_http", Servers = [new Server("10.0.0.1", 80)] }] }, "Pools[2].Name", "reserved" },
        { "duplicate pool", Valid with { Pools = [.. Valid.Pools, Valid.Pools[0]] }, "Pools[2].Name", "'web' is used by an earlier pool too" },
        { "empty pool", Valid with { Pools = [.. Valid.Pools, new Pool { Name = "empty" }] }, "Pools[2]", "has no servers and no Discovery" },
        { "port", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 70000)] }] }, "Pools[0].Servers[0].Port", "70000 is not a port; use 1 to 65535" },
        { "server address", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1 backup", 80)] }] }, "Pools[0].Servers[0].Address", "'10.0.0.1 backup' is neither an IP address nor a DNS name" },
        { "unknown default pool", Valid with { DefaultPool = "wbe" }, "DefaultPool", "'wbe' is not a pool; known pools: api, web" },
        { "unknown route pool", Valid with { Routes = [Route.To("nope", Match.Host("a.example.com"))] }, "Routes[0] (PoolRoute).Pool", "'nope' is not a pool" },
        { "cidr", Valid with { RequestRules = [Rule.DenySources(["10.0.0.300/8"])] }, "RequestRules[0] (DenySourcesRule).Cidrs[0]", "'10.0.0.300/8' is not a CIDR block" },
        { "cidr host bits", Valid with { RequestRules = [Rule.DenySources(["10.1.2.3/8"])] }, "RequestRules[0] (DenySourcesRule).Cidrs[0]", "did you mean 10.0.0.0/8?" },
        { "regex", Valid with { Routes = [Route.To("api", Match.PathRegex("^/(unclosed"))] }, "Routes[0] (PoolRoute).When.Pattern", "is not a valid PCRE regex: missing closing parenthesis" },
        { "path dead under normal paths", Valid with { Routes = [Route.To("api", Match.Path("/a%41b"))] }, "Routes[0] (PoolRoute).When.Value", "'/a%41b' can never match: Defaults.RejectNonNormalPaths answers 400 to a path equal to it (it holds '//', a '.' or '..' segment, or a percent-encoded letter, digit or -._~) before any rule runs; write it in normal form, '/aAb'" },
        { "prefix dead under normal paths", Valid with { RequestRules = [Rule.Deny(when: Match.Method("POST") & !Match.PathPrefix("/api//v1"))] }, "RequestRules[0] (DenyRule).When.Matches[1].Inner.Prefix", "'/api//v1' can never match: Defaults.RejectNonNormalPaths answers 400 to a path starting with it (it holds '//'" },
        { "dot segment in a prefix", Valid with { Routes = [Route.To("api", Match.Host("a.example.com") | Match.PathPrefix("/a/./b/../c/"))] }, "Routes[0] (PoolRoute).When.Matches[1].Prefix", "write it in normal form, '/a/c/'" },
        { "path table key dead under normal paths", Valid with { Routes = [Route.PathPrefixTable("paths", new TableEntry("/docs/%7Euser", "web"))] }, "Routes[0] (PathPrefixTableRoute).Entries[0].Key", "write it in normal form, '/docs/~user'" },
        { "redirect from a dead prefix", Valid with { RequestRules = [Rule.Redirect(RedirectTarget.ReplacePrefix("/blog//", "/news/"), when: null)] }, "RequestRules[0] (RedirectRule).Target.From", "'/blog//' can never match" },
        { "regex with a bare \\x", Valid with { Routes = [Route.To("api", Match.PathRegex("^/a\\x"))] }, "Routes[0] (PoolRoute).When.Pattern", "no hex digits after it" },
        { "regex PCRE refuses", Valid with { Routes = [Route.To("api", Match.PathRegex("(?<=a+)b"))] }, "Routes[0] (PoolRoute).When.Pattern", "lookbehind" },
        { "header name", Valid with { RequestRules = [Rule.SetHeader("X Bad", "v")] }, "RequestRules[0] (RequestHeaderRule).Edit.Name", "'X Bad' is not a header name" },
        { "header value newline", Valid with { RequestRules = [Rule.SetHeader("X-A", "v\n    http-request deny")] }, "RequestRules[0] (RequestHeaderRule).Edit.Value", "'v\\u000a    http-request deny' holds a character outside printable ASCII" },
        { "header name ending in a newline", Valid with { ResponseHeaders = [HeaderEdit.Set("X-Env\n", "v")] }, "ResponseHeaders[0].Name", "'X-Env\\u000a' is not a header name" },
        { "empty header value", Valid with { RequestRules = [Rule.SetHeader("X-A", "")] }, "RequestRules[0] (RequestHeaderRule).Edit.Value", "'' is empty" },
        { "lone brace pattern", Valid with { Routes = [Route.To("api", Match.Header("X-A", "}"))] }, "Routes[0] (PoolRoute).When.Value", "'}' alone cannot be a pattern" },
        { "deny status", Valid with { RequestRules = [Rule.Deny(Match.Path("/x"), 418)] }, "RequestRules[0] (DenyRule).Status", "418 is not allowed here; use one of 200, 400, 401" },
        { "redirect status", Valid with { RequestRules = [Rule.Redirect(RedirectTarget.Host("b.example.com"), Match.Host("a.example.com"), 300)] }, "RequestRules[0] (RedirectRule).Status", "use one of 301, 302, 303, 307, 308" },
        { "fixed response status", Valid with { RequestRules = [Rule.Respond(new FixedResponse("x", 204, "text/plain", "hi"), Match.Path("/x"))] }, "RequestRules[0] (RespondRule).Response.Status", "204 cannot carry a body" },
        { "unreachable rule", Valid with { RequestRules = [Rule.Respond(new FixedResponse("down", 503, "text/plain", "down"), when: null), Rule.SetHeader("X-A", "b")] }, "RequestRules[1] (RequestHeaderRule)", "can never run: RequestRules[0] has no condition" },
        { "unreachable route", Valid with { Routes = [Route.Split(null, new WeightedPool("web", 1), new WeightedPool("api", 1)), Route.To("api", Match.Host("a.example.com"))] }, "Routes[1] (PoolRoute)", "can never match: Routes[0] has no condition" },
        { "https redirect without tls bind", Valid with { Listeners = new Listeners { TlsOriginPort = null }, RequestRules = [Rule.RedirectToHttps()] }, "RequestRules[0] (RedirectRule).Target", "every request would loop" },
        { "too many rate limits", Valid with { RequestRules = [.. Enumerable.Range(1, 4).Select(i => Rule.RateLimit($"r{i}", 10, TimeSpan.FromSeconds(1)))] }, "RequestRules[3] (RateLimitRule)", "is rate limit number 4; HAProxy 2.6 tracks at most 3" },
        { "rate limit period", Valid with { RequestRules = [Rule.RateLimit("r", 10, TimeSpan.FromMilliseconds(1500))] }, "RequestRules[0] (RateLimitRule).Period", "is not a whole number of seconds" },
        { "duplicate table key", Valid with { Routes = [Route.HostTable("sites", new TableEntry("a.example.com", "web"), new TableEntry("A.example.com", "api"))] }, "Routes[0] (HostTableRoute).Entries[1].Key", "'A.example.com' is in the table twice" },
        { "tcp log target without a port", Valid with { Global = new GlobalSettings { LogTarget = "tcp@127.0.0.1" } }, "Global.LogTarget", "'tcp@127.0.0.1' is not a log target; use tcp@address:port" },
        { "port clash", Valid with { Listeners = new Listeners { AdminPort = 80 } }, "Listeners.AdminPort", "80 is also HttpPort" },
        { "zone id with a line break", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("fe80::1%eth0\n    http-request deny", 80)] }] }, "Pools[0].Servers[0].Address", "has a zone id" },
        { "zone id with a variable", Valid with { Resolvers = new Resolvers { Nameservers = ["[fe80::1%${HOME}]:53"] } }, "Resolvers.Nameservers[0]", "has a zone id" },
        { "short ipv4", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("127.1", 80)] }] }, "Pools[0].Servers[0].Address", "did you mean 127.0.0.1?" },
        { "hex ipv4", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("0x7f.1", 80)] }] }, "Pools[0].Servers[0].Address", "did you mean 127.0.0.1?" },
        { "bare number", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("1", 80)] }] }, "Pools[0].Servers[0].Address", "did you mean 0.0.0.1?" },
        { "bracketed ipv6", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("[::1]", 80)] }] }, "Pools[0].Servers[0].Address", "did you mean ::1?" },
        { "tcp log target with a zone id", Valid with { Global = new GlobalSettings { LogTarget = "tcp@[fe80::1%lo]:5140" } }, "Global.LogTarget", "is not a log target" },
        { "short bind address", Valid with { Listeners = new Listeners { BindAddress = "127.1" } }, "Listeners.BindAddress", "not an IPv4 address written the standard way" },
        { "wildcard with two dots", Valid with { Routes = [Route.HostTable("sites", new TableEntry("*..example.com", "web"))] }, "Routes[0] (HostTableRoute).Entries[0].Key", "is not a host suffix" },
        { "header match with spaces", Valid with { Routes = [Route.To("api", Match.Header("X-A", " on "))] }, "Routes[0] (PoolRoute).When.Value", "has spaces at its ends" },
        { "lone surrogate", Valid with { RequestRules = [Rule.Respond(new FixedResponse("x", 503, "text/plain", "a\ud800b"), Match.Path("/x"))] }, "RequestRules[0] (RespondRule).Response.Body", "lone surrogate" },
        { "server name", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80) { Name = "bad name" }] }] }, "Pools[0].Servers[0].Name", "is not a server name" },
        { "cookie name", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)], StickyCookie = "bad;cookie" }] }, "Pools[0].StickyCookie", "is not a cookie name" },
        { "null redirect target", Valid with { RequestRules = [Rule.Redirect(null!, Match.Path("/x"))] }, "RequestRules[0] (RedirectRule).Target", "is null" },
        { "unknown header action", Valid with { RequestRules = [new RequestHeaderRule(new HeaderEdit((HeaderAction)7, "X-A", "v"))] }, "RequestRules[0] (RequestHeaderRule).Edit.Action", "7 is not a HeaderAction" },
        { "unknown server protocol", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)], Protocol = (ServerProtocol)7 }] }, "Pools[0].Protocol", "7 is not a ServerProtocol; use Http1 or Http2" },
        { "unknown check kind", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)], HealthCheck = new HealthCheck { Kind = (HealthCheckKind)7 } }] }, "Pools[0].HealthCheck.Kind", "7 is not a HealthCheckKind; use Http or Tcp" },
        { "unknown balance", Valid with { Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 80)], Balance = (Balance)7 }] }, "Pools[0].Balance", "7 is not a Balance" },
        { "null table key", Valid with { Routes = [Route.HostTable("sites", new TableEntry(null!, "web"))] }, "Routes[0] (HostTableRoute).Entries[0].Key", "is not a host name" },
        { "null log target", Valid with { Global = new GlobalSettings { LogTarget = null! } }, "Global.LogTarget", "is not a log target" },
        { "old workers never stopped", Valid with { Global = new GlobalSettings { MaxReloadsPerWorker = 0 } }, "Global.MaxReloadsPerWorker", "0 is out of range; use 1 to 100" },
        { "keepalive in milliseconds", Valid with { Defaults = new DefaultSettings { TcpKeepAlive = new TcpKeepAlive(TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(10), 0) } }, "Defaults.TcpKeepAlive.Idle", "00:00:01.5000000 is not a keepalive time; use whole seconds from 1 to 32767" },
        { "keepalive never giving up", Valid with { Defaults = new DefaultSettings { TcpKeepAlive = new TcpKeepAlive(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(10), 0) } }, "Defaults.TcpKeepAlive.Probes", "0 is out of range" },
        { "untrusted cidr", Valid with { Defaults = new DefaultSettings { TrustedProxies = ["10.0.0.1/8"] } }, "Defaults.TrustedProxies[0]", "did you mean 10.0.0.0/8?" },
        { "condition too large", Valid with { Routes = [Route.To("api", Enumerable.Range(0, 5).Select(i => Match.Path($"/a{i}") | Match.Path($"/b{i}")).Aggregate((a, b) => a & b))] }, "Routes[0] (PoolRoute).When", "expands to 32 alternatives" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Each_mistake_is_reported_with_its_property_value_and_fix(string mistake, HaproxySpec spec, string property, string message)
    {
        var error = Assert.Throws<ConfigValidationException>(spec.Validate);

        var found = Assert.Single(error.Errors, e => e.Property == property);
        Assert.True(found.Message.Contains(message, StringComparison.Ordinal), $"{mistake}: '{found.Message}' lacks '{message}'");
    }

    [Theory]
    [InlineData("/a%41b", "/aAb")]
    [InlineData("/a//b///c", "/a/b/c")]
    [InlineData("/a/./b/../c", "/a/c")]
    [InlineData("/a/..", "/")]
    [InlineData("/a/.", "/a/")]
    [InlineData("/..", "/")]
    [InlineData("/%7Euser/%2F", "/~user/%2F")]
    public void A_dead_paths_fix_is_its_normal_form(string path, string normal) => Assert.Equal(normal, NormalPath.Normalize(path));

    [Fact]
    public void Paths_in_normal_form_and_any_path_with_the_refusal_off_are_accepted()
    {
        // GIVEN matches a normal path can reach, including prefixes that end in a dot
        var reachable = Valid with
        {
            Routes = [Route.To("api", Match.PathPrefix("/.well-known/") | Match.PathPrefix("/a/.") | Match.Path("/a%40b") | Match.Path("/a/.x"))],
        };

        // WHEN validated, THEN nothing is refused; AND a dead path is accepted once the refusal is off
        reachable.Validate();
        (Valid with { Defaults = Valid.Defaults with { RejectNonNormalPaths = false }, Routes = [Route.To("api", Match.Path("/a%41b"))] }).Validate();
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var spec = Valid with
        {
            DefaultPool = "missing",
            Pools = [new Pool { Name = "web", Servers = [new Server("10.0.0.1", 0)] }],
            RequestRules = [Rule.SetHeader("X-A", "line\nbreak"), Rule.DenySources(["nope"])],
            Routes = [Route.To("ghost", Match.Path("no-slash"))],
        };

        var error = Assert.Throws<ConfigValidationException>(spec.Validate);

        Assert.Equal(
            ["Pools[0].Servers[0].Port", "DefaultPool", "RequestRules[0] (RequestHeaderRule).Edit.Value", "RequestRules[1] (DenySourcesRule).Cidrs[0]", "Routes[0] (PoolRoute).Pool", "Routes[0] (PoolRoute).When.Value"],
            error.Errors.Select(e => e.Property));
        Assert.StartsWith("HaproxySpec has 6 problems:\n  - Pools[0].Servers[0].Port: 0 is not a port", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_made_by_a_factory_is_named_as_written_and_equal_wherever_written()
    {
        var (limit, line) = (Rule.RateLimit(LimitName, requests: 0, per: TimeSpan.FromSeconds(10)), Line());
        var error = Assert.Throws<ConfigValidationException>((Valid with { RequestRules = [Rule.DeleteHeader("X-A"), limit] }).Validate);

        var problem = Assert.Single(error.Errors);
        Assert.Equal($"RequestRules[1] (RateLimitRule).Requests: 0 is out of range; use 1 to 1000000\n    written as Rule.RateLimit(LimitName, …) at ValidationTests.cs:{line}", problem.ToString());
        Assert.Equal(new WrittenAt("Rule.RedirectToHttps(…)", "f.cs", 1), Rule.RedirectToHttps().WrittenAt! with { File = "f.cs", Line = 1 });
        Assert.Equal(Rule.RateLimit(LimitName, 0, TimeSpan.FromSeconds(10)), limit);
        Assert.NotEqual(Rule.RateLimit(LimitName, 1, TimeSpan.FromSeconds(10)), limit);
    }

    private const string LimitName = "login";

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Fact]
    public void Messages_show_invisible_characters_as_escapes()
    {
        var error = Assert.Throws<ConfigValidationException>((Valid with { RequestRules = [Rule.SetHeader("X-A", "a\u2028b\u0085c\u200bd")] }).Validate);

        Assert.Contains("'a\\u2028b\\u0085c\\u200bd'", Assert.Single(error.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_refuses_an_invalid_spec_before_writing_anything()
    {
        var spec = Valid with { DefaultPool = "missing" };

        Assert.Throws<ConfigValidationException>(() => ConfigRenderer.Render(spec));
    }

    [Fact]
    public void A_valid_spec_passes()
    {
        Valid.Validate();

        Assert.Contains("backend api", ConfigRenderer.Render(Valid).Config, StringComparison.Ordinal);
    }
}
