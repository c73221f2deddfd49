using System.Security.Cryptography.X509Certificates;
using HaproxyCluster.Agent.Tests.Support;
using HaproxyCluster.Config;
using HaproxyCluster.Local;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent.Tests;

/// <summary>
/// The node's certificates, read through the real SSM SDK from the Parameter Store stand-in and
/// kept in a real master-worker HAProxy: written before it starts, swapped in through the Runtime
/// API when the parameter changes (same worker, no reload), and every hostile value or reply an
/// event that leaves the served certificate as it was.
/// </summary>
public sealed class CertificateKeeperTests : IDisposable
{
    private const string Parameter = "/haproxy/test/tls/site";
    private readonly string _folder = Directory.CreateTempSubdirectory("certificate-keeper-").FullName;
    private readonly TestPki _ca = new("keeper-test-ca");
    private readonly Backend _web = new("web");
    private readonly SsmStandIn _ssm;
    private readonly NodeTlsSettings _tls;
    private readonly SsmParameters _parameters;
    private readonly Events _events = new();
    private readonly HaproxySpec _spec;
    private MasterWorkerHaproxy? _haproxy;

    public CertificateKeeperTests()
    {
        _ssm = new SsmStandIn(FreePort.Next(), Parameters);
        _tls = new NodeTlsSettings
        {
            CertificateDirectory = Path.Combine(_folder, "tls"),
            Certificates = [new NodeCertificate("site", Parameter)],
            SsmEndpoint = _ssm.Endpoint.ToString(),
        };
        _parameters = new SsmParameters(_tls, "eu-west-1");
        var ports = FreePort.Distinct(5);
        _spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
            DefaultPool = "web",
            Listeners = new Listeners
            {
                BindAddress = "127.0.0.1",
                HttpPort = ports[0],
                TlsOriginPort = ports[1],
                HealthPort = ports[2],
                AdminPort = ports[3],
                Tls = new TlsListener { Port = ports[4], Certificates = ["site"], CertificateDirectory = _tls.CertificateDirectory },
            },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(_folder, "admin.sock"), User = null, MaxConnections = 2000 },
        };
        ConfigRenderer.Render(_spec, _folder).WriteTo(_folder);
    }

    private string Parameters => Path.Combine(_folder, "parameters");

    private string CertificateFile => _tls.PathOf("site");

    private RuntimeApi Haproxy => new(_spec.Global.RuntimeSocketPath);

    private CertificateKeeper Keeper(AgentMetrics? metrics = null) => new(_tls, _parameters.GetAsync, Haproxy, _events.Logger, TimeProvider.System, metrics);

    public void Dispose()
    {
        _haproxy?.Dispose();
        _parameters.Dispose();
        _ssm.Dispose();
        _web.Dispose();
        _ca.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Before_HAProxy_starts_each_certificate_is_written_for_root_alone_and_no_event_holds_its_key()
    {
        using var site = _ca.Server("www.example.test");
        SsmStandIn.Put(Parameters, Parameter, TestPki.PemWithKey(site));

        var current = await Keeper().RefreshAsync(CancellationToken.None);

        Assert.True(current, _events.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CertificateFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_tls.CertificateDirectory));
        var installed = Assert.Single(_events.Named(NodeEvents.CertificateInstalled));
        Assert.Contains(site.SerialNumber, installed.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", installed.Message, StringComparison.Ordinal);
        AssertNoKeyInEvents(site);

        // AND HAProxy starts on it and serves it
        await StartHaproxyAsync();
        Assert.Equal(site.SerialNumber, await ServedSerialAsync());
    }

    [Fact]
    public async Task A_changed_parameter_is_served_by_the_same_worker_with_no_reload()
    {
        using var first = await StartedOnAsync();
        var worker = await Haproxy.WorkerPidAsync(CancellationToken.None);
        using var renewed = _ca.Server("www.example.test");

        SsmStandIn.Put(Parameters, Parameter, TestPki.PemWithKey(renewed));
        var current = await Keeper().RefreshAsync(CancellationToken.None);

        Assert.True(current, _events.ToString());
        Assert.Equal(renewed.SerialNumber, await ServedSerialAsync());
        Assert.Equal(worker, await Haproxy.WorkerPidAsync(CancellationToken.None));
        var rotated = Assert.Single(_events.Named(NodeEvents.CertificateRotated));
        Assert.Contains("version 2", rotated.Message, StringComparison.Ordinal);
        Assert.Contains(renewed.SerialNumber, rotated.Message, StringComparison.Ordinal);
        using (var written = X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile), File.ReadAllText(CertificateFile)))
        {
            Assert.Equal(renewed.SerialNumber, written.SerialNumber); // and a restart would serve it too
        }

        AssertNoKeyInEvents(renewed);

        // AND a refresh with nothing new does nothing
        Assert.True(await Keeper().RefreshAsync(CancellationToken.None));
        Assert.Single(_events.Named(NodeEvents.CertificateRotated));
    }

    public static TheoryData<string, string> HostileValues => new()
    {
        { "garbage", "not a certificate" },
        { "key of another certificate", "other-key" },
        { "expired", "expired" },
        { "no key", "no-key" },
        { "a blank line, then a Runtime API command", "injection" },
    };

    [Theory]
    [MemberData(nameof(HostileValues))]
    public async Task A_parameter_that_holds_no_valid_certificate_is_refused_and_the_served_one_stays(string why, string value)
    {
        using var first = await StartedOnAsync();
        var before = File.ReadAllText(CertificateFile);
        using var other = _ca.Server("www.example.test");
        using var expired = ExpiredServer();
        var text = value switch
        {
            "other-key" => other.ExportCertificatePem() + "\n" + TestPki.PemWithKey(first)[(TestPki.PemWithKey(first).IndexOf("-----BEGIN PRIVATE KEY", StringComparison.Ordinal))..],
            "expired" => TestPki.PemWithKey(expired),
            "no-key" => other.ExportCertificatePem() + "\n",
            "injection" => TestPki.PemWithKey(other) + "\nshutdown frontend fe_http\n",
            _ => value,
        };

        SsmStandIn.Put(Parameters, Parameter, text);
        var current = await Keeper().RefreshAsync(CancellationToken.None);

        if (value == "injection")
        {
            // The value is re-exported from what was parsed, so the line after the blank one is gone.
            Assert.True(current, why);
            Assert.Equal(other.SerialNumber, await ServedSerialAsync());
            Assert.Equal(200, (await ProxiedHttp.SendAsync(_spec.Listeners.HttpPort, "/")).Status);
            Assert.DoesNotContain("shutdown", File.ReadAllText(CertificateFile), StringComparison.Ordinal);
            return;
        }

        Assert.False(current, why);
        Assert.Single(_events.Named(NodeEvents.CertificateRefused));
        Assert.Equal(before, File.ReadAllText(CertificateFile));
        Assert.Equal(first.SerialNumber, await ServedSerialAsync());
        Assert.DoesNotContain("PRIVATE KEY", _events.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_refresh_reports_the_days_the_served_certificate_has_left_and_a_refused_renewal_leaves_it_counting_down()
    {
        using var cloudWatchAgent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        using var metrics = new AgentMetrics((System.Net.IPEndPoint)cloudWatchAgent.Client.LocalEndPoint!, "HaproxyCluster/test", "/haproxy-cluster/test", TimeProvider.System);
        using var site = _ca.Server("www.example.test"); // valid for 30 days from yesterday: 29 whole days left

        // WHEN the keeper installs it  THEN the CloudWatch agent hears 29 days for 'site'
        SsmStandIn.Put(Parameters, Parameter, TestPki.PemWithKey(site));
        Assert.True(await Keeper(metrics).RefreshAsync(CancellationToken.None), _events.ToString());
        Assert.Equal(("site", 29), await DaysLeftAsync(cloudWatchAgent));

        // WHEN the renewal put in the parameter is refused (expired)  THEN the served one is still reported
        using var expired = ExpiredServer();
        SsmStandIn.Put(Parameters, Parameter, TestPki.PemWithKey(expired));
        Assert.False(await Keeper(metrics).RefreshAsync(CancellationToken.None));
        Assert.Equal(("site", 29), await DaysLeftAsync(cloudWatchAgent));
    }

    /// <summary>The certificate and days left of the next EMF data point the CloudWatch agent receives.</summary>
    private static async Task<(string?, int)> DaysLeftAsync(System.Net.Sockets.UdpClient cloudWatchAgent)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var emf = System.Text.Json.JsonDocument.Parse((await cloudWatchAgent.ReceiveAsync(cancel.Token)).Buffer).RootElement;
        var declared = emf.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal([NodeAgentMetrics.CertificateDimension], declared.GetProperty("Dimensions")[0].EnumerateArray().Select(d => d.GetString()));
        return (emf.GetProperty(NodeAgentMetrics.CertificateDimension).GetString(), emf.GetProperty(NodeAgentMetrics.CertificateDaysLeft).GetInt32());
    }

    [Theory]
    [InlineData(500, "{\"__type\":\"InternalServerError\",\"message\":\"boom\"}", null)]
    [InlineData(200, "<html>not json</html>", null)]
    [InlineData(200, "{\"Parameter\":{\"Name\":\"/haproxy/test/tls/site\",\"Value\":\"-----BEGIN CERT", 40)]
    [InlineData(400, "{\"__type\":\"AccessDeniedException\",\"message\":\"no\"}", null)]
    public async Task A_reply_the_SDK_cannot_use_is_an_event_and_the_served_certificate_stays(int status, string body, int? cut)
    {
        using var first = await StartedOnAsync();
        SsmStandIn.Reply(Parameters, status, body, cut);

        var current = await Keeper().RefreshAsync(CancellationToken.None);

        Assert.False(current);
        Assert.Single(_events.Named(NodeEvents.CertificateUnread));
        Assert.Equal(first.SerialNumber, await ServedSerialAsync());
    }

    /// <summary>HAProxy running on a first certificate the keeper installed; returns that certificate.</summary>
    private async Task<X509Certificate2> StartedOnAsync()
    {
        var first = _ca.Server("www.example.test");
        SsmStandIn.Put(Parameters, Parameter, TestPki.PemWithKey(first));
        Assert.True(await Keeper().RefreshAsync(CancellationToken.None), _events.ToString());
        await StartHaproxyAsync();
        return first;
    }

    /// <summary>
    /// Starts HAProxy and waits until its TLS bind completes a handshake: its admin socket exists
    /// before its worker serves, and on a busy machine a handshake in between can be reset.
    /// </summary>
    private async Task StartHaproxyAsync()
    {
        _haproxy = new MasterWorkerHaproxy(_folder, _spec.Global.RuntimeSocketPath);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ServedSerialAsync();
                return;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }
        }
    }

    private X509Certificate2 ExpiredServer()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new CertificateRequest("CN=www.example.test", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var issued = request.Create(_ca.Certificate, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), [1, 2, 3]);
        return issued.CopyWithPrivateKey(key);
    }

    private async Task<string> ServedSerialAsync() =>
        (await ProxiedHttp.SendTlsAsync(_spec.Listeners.Tls!.Port, "/", "www.example.test", _ca.Certificate)).Certificate.SerialNumber;

    /// <summary>No event holds the key, in PEM or in its base64 alone.</summary>
    private void AssertNoKeyInEvents(X509Certificate2 certificate)
    {
        var key = certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKey();
        var all = _events.ToString() + string.Concat(_events.All.Select(e => string.Join(',', e.StructuredState?.Select(s => s.Value) ?? [])));
        Assert.DoesNotContain("PRIVATE KEY", all, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(key)[..32], all, StringComparison.Ordinal);
    }
}
