using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// <see cref="Listeners.Tls"/> through the real HAProxy 2.6 and 3.0, with a CA, server and client
/// certificates this test issues: the certificate picked by SNI, TLS 1.2 and up, ALPN, mutual TLS
/// required and optional (good, expired and foreign client certificates, and none), the identity
/// headers no client can set, rules that decide by the client certificate, and a certificate
/// replaced through the Runtime API with no reload.
/// </summary>
public sealed class NodeTlsBehaviourTests : IAsyncLifetime, IDisposable
{
    private readonly TestPki _ca = new("node-tls-test-ca");
    private readonly TestPki _otherCa = new("someone-elses-ca");
    private readonly Backend _web = new("web");
    private readonly string _certificates = Directory.CreateTempSubdirectory("haproxy-tls-").FullName;
    private readonly Dictionary<(bool Haproxy30, ClientCertificateMode Mode), RunningHaproxy> _nodes = [];
    private X509Certificate2 _site = null!;
    private X509Certificate2 _api = null!;
    private X509Certificate2 _alice = null!;

    public async Task InitializeAsync()
    {
        _site = _ca.Server("www.example.test", "example.test");
        _api = _ca.Server("api.example.test");
        _alice = _ca.Client("alice");
        File.WriteAllText(Path.Combine(_certificates, "site.pem"), TestPki.PemWithKey(_site));
        File.WriteAllText(Path.Combine(_certificates, "api.pem"), TestPki.PemWithKey(_api));
        foreach (var mode in new[] { ClientCertificateMode.Required, ClientCertificateMode.Optional })
        {
            foreach (var haproxy30 in new[] { false, true })
            {
                _nodes[(haproxy30, mode)] = await RunningHaproxy.StartAsync(Spec(mode), haproxy30);
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var node in _nodes.Values)
        {
            node.Dispose();
        }

        _web.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_certificates, recursive: true);
    }

    [Theory]
    [InlineData(false, "www.example.test", "CN=www.example.test")]
    [InlineData(true, "www.example.test", "CN=www.example.test")]
    [InlineData(false, "api.example.test", "CN=api.example.test")]
    [InlineData(true, "api.example.test", "CN=api.example.test")]
    [InlineData(false, "unknown.example.test", "CN=www.example.test")]
    [InlineData(true, null, "CN=www.example.test")]
    public async Task The_certificate_is_picked_by_SNI_and_the_first_is_the_default(bool haproxy30, string? sni, string subject)
    {
        var reply = await ProxiedHttp.SendTlsAsync(Node(haproxy30).Spec.Listeners.Tls!.Port, "/", sni, _ca.Certificate, _alice);

        Assert.Equal(subject, reply.Certificate.Subject);
        Assert.Equal(200, reply.Reply!.Status);
        Assert.Equal("https", reply.Reply.SeenHeader("X-Forwarded-Proto"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALPN_offers_h2_first_and_TLS_1_2_is_the_least(bool haproxy30)
    {
        var port = Node(haproxy30).Spec.Listeners.Tls!.Port;

        var h2 = await ProxiedHttp.SendTlsAsync(port, "/", "www.example.test", _ca.Certificate, _alice, alpn: [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]);
        var tls12 = await TlsVersionAsync(port, SslProtocols.Tls12, _ca.Certificate);

        Assert.Equal("h2", h2.Alpn);
        Assert.Equal(SslProtocols.Tls13, h2.Protocol);
        Assert.Equal(SslProtocols.Tls12, tls12);
    }

    [Theory]
    [InlineData(false, ClientCertificateMode.Required)]
    [InlineData(true, ClientCertificateMode.Required)]
    [InlineData(false, ClientCertificateMode.Optional)]
    [InlineData(true, ClientCertificateMode.Optional)]
    public async Task A_verified_client_certificate_reaches_the_backend_as_headers_the_client_cannot_set(bool haproxy30, ClientCertificateMode mode)
    {
        var port = Node(haproxy30, mode).Spec.Listeners.Tls!.Port;
        var forged = new Dictionary<string, string> { ["X-Client-Cert-Subject"] = "CN=admin", ["X-Client-Cert-Sha256"] = "00" };

        var reply = (await ProxiedHttp.SendTlsAsync(port, "/", "www.example.test", _ca.Certificate, _alice, forged)).Reply!;

        Assert.Equal(200, reply.Status);
        Assert.Equal("CN=alice", reply.SeenHeader("X-Client-Cert-Subject"));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(_alice.RawData)), reply.SeenHeader("X-Client-Cert-Sha256"));
        Assert.Single(reply.Body.Split('\n'), l => l.StartsWith("X-Client-Cert-Subject:", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(false, ClientCertificateMode.Required, "none", 403)]
    [InlineData(true, ClientCertificateMode.Required, "none", 403)]
    [InlineData(false, ClientCertificateMode.Required, "expired", 403)]
    [InlineData(true, ClientCertificateMode.Required, "expired", 403)]
    [InlineData(false, ClientCertificateMode.Required, "other-ca", 403)]
    [InlineData(true, ClientCertificateMode.Required, "other-ca", 403)]
    [InlineData(false, ClientCertificateMode.Optional, "none", 200)]
    [InlineData(true, ClientCertificateMode.Optional, "none", 200)]
    [InlineData(false, ClientCertificateMode.Optional, "expired", 403)]
    [InlineData(true, ClientCertificateMode.Optional, "other-ca", 403)]
    public async Task A_client_without_a_valid_certificate_is_answered_by_the_mode(bool haproxy30, ClientCertificateMode mode, string client, int status)
    {
        using var certificate = client switch
        {
            "expired" => _ca.Client("mallory", expired: true),
            "other-ca" => _otherCa.Client("alice"),
            _ => null,
        };
        var forged = new Dictionary<string, string> { ["X-Client-Cert-Subject"] = "CN=alice" };

        var reply = (await ProxiedHttp.SendTlsAsync(Node(haproxy30, mode).Spec.Listeners.Tls!.Port, "/", "www.example.test", _ca.Certificate, certificate, forged)).Reply!;

        Assert.Equal(status, reply.Status);
        if (status == 200)
        {
            Assert.Null(reply.SeenHeader("X-Client-Cert-Subject"));
        }
        else
        {
            Assert.DoesNotContain("web", reply.Body, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(false, "none", "/partners/orders", 401)]
    [InlineData(true, "none", "/partners/orders", 401)]
    [InlineData(false, "clear", "/partners/orders", 401)]
    [InlineData(true, "alice", "/partners/orders", 200)]
    [InlineData(false, "bob", "/admin/users", 403)]
    [InlineData(true, "alice", "/admin/users", 200)]
    [InlineData(true, "bob", "/pinned/key", 403)]
    [InlineData(false, "alice", "/pinned/key", 200)]
    [InlineData(false, "none", "/", 200)]
    public async Task With_optional_client_certificates_a_rule_decides_by_the_certificate_its_subject_or_its_fingerprint(bool haproxy30, string client, string path, int status)
    {
        var node = Node(haproxy30, ClientCertificateMode.Optional);
        using var bob = _ca.Client("bob");

        var reply = client == "clear"
            ? await node.GetAsync(path)
            : (await ProxiedHttp.SendTlsAsync(node.Spec.Listeners.Tls!.Port, path, "www.example.test", _ca.Certificate, client switch { "alice" => _alice, "bob" => bob, _ => null })).Reply!;

        Assert.Equal(status, reply.Status);
        Assert.Equal(status == 200, reply.Body.Contains("web", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Identity_headers_sent_in_clear_are_dropped(bool haproxy30)
    {
        var reply = await Node(haproxy30).GetAsync("/", headers: new Dictionary<string, string> { ["X-Client-Cert-Subject"] = "CN=alice", ["X-Client-Cert-Sha256"] = "00" });

        Assert.Equal(200, reply.Status);
        Assert.Null(reply.SeenHeader("X-Client-Cert-Subject"));
        Assert.Null(reply.SeenHeader("X-Client-Cert-Sha256"));
        Assert.Equal("http", reply.SeenHeader("X-Forwarded-Proto"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_certificate_replaced_through_the_Runtime_API_is_served_at_once_by_the_same_worker(bool haproxy30)
    {
        var node = Node(haproxy30, ClientCertificateMode.Optional);
        var path = node.Spec.Listeners.Tls!.CertificatePath("api");
        using var renewed = _ca.Server("api.example.test");
        var pid = await node.RuntimeAsync("show info");

        var set = await node.RuntimeAsync($"set ssl cert {path} <<\n{TestPki.PemWithKey(renewed)}\n");
        var commit = await node.RuntimeAsync($"commit ssl cert {path}");
        var served = await ProxiedHttp.SendTlsAsync(node.Spec.Listeners.Tls.Port, "/", "api.example.test", _ca.Certificate);

        Assert.Contains("Transaction created", set, StringComparison.Ordinal);
        Assert.Contains("Success!", commit, StringComparison.Ordinal);
        Assert.Equal(renewed.SerialNumber, served.Certificate.SerialNumber);
        Assert.Equal(200, served.Reply!.Status);
        Assert.Equal(Pid(pid), Pid(await node.RuntimeAsync("show info")));
    }

    private RunningHaproxy Node(bool haproxy30, ClientCertificateMode mode = ClientCertificateMode.Required) => _nodes[(haproxy30, mode)];

    private HaproxySpec Spec(ClientCertificateMode mode) => new()
    {
        Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
        DefaultPool = "web",
        Listeners = new Listeners
        {
            Tls = new TlsListener
            {
                Certificates = ["site", "api"],
                CertificateDirectory = _certificates,
                ClientCertificates = new ClientCertificates { CaBundlePem = _ca.CertificatePem, Mode = mode },
            },
        },
        RequestRules =
        [
            Rule.Deny(Match.PathPrefix("/partners/") & !Match.ClientCertificate(), status: 401),
            Rule.Deny(Match.PathPrefix("/admin/") & !Match.ClientCertificateSubject("CN=alice"), status: 403),
            Rule.Deny(Match.PathPrefix("/pinned/") & !Match.ClientCertificateSha256(ColonFingerprint(_alice)), status: 403),
        ],
    };

    /// <summary>The certificate's SHA-256 as <c>openssl x509 -fingerprint</c> prints it, in lower case: the form a user pastes.</summary>
    private static string ColonFingerprint(X509Certificate2 certificate) =>
        string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(pair => new string(pair))).ToLowerInvariant();

    private static string Pid(string info) => info.Split('\n').Single(l => l.StartsWith("Pid:", StringComparison.Ordinal));

    /// <summary>The version a handshake limited to <paramref name="protocols"/> settles on.</summary>
    private static async Task<SslProtocols> TlsVersionAsync(int port, SslProtocols protocols, X509Certificate2 trustedCa)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        await tcp.GetStream().WriteAsync(ProxiedHttp.ProxyV2Header(ProxiedHttp.DefaultClient, port));
        using var tls = new SslStream(tcp.GetStream());
        var options = ProxiedHttp.TrustingOnly(trustedCa, "www.example.test");
        options.EnabledSslProtocols = protocols;
        await tls.AuthenticateAsClientAsync(options);
        return tls.SslProtocol;
    }
}
