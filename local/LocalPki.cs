using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;

namespace HaproxyCluster.Local;

/// <summary>
/// The local cluster's certificates, for an environment with <see cref="NodeTls"/>: a CA made for
/// this cluster (<c>tls/ca.pem</c>, its key beside it, in the local folder only), a certificate
/// it signs for each of the environment's certificates (for <c>NAME.local.test</c>), put in the
/// Parameter Store stand-in under the environment's parameter names, and a client's certificate
/// for mutual TLS (<c>tls/client.pem</c>). The nodes verify clients against the same CA.
/// </summary>
public static class LocalPki
{
    /// <summary>Where the nodes keep their certificates, as a node sees its folder.</summary>
    public const string CertificateDirectory = LocalTopology.NodeRoot + "/tls";

    /// <summary>The name a local certificate is for: what a client sends in SNI to get it.</summary>
    public static string HostOf(string certificate) => $"{certificate}.local.test";

    /// <summary>The Parameter Store stand-in's folder.</summary>
    public static string Parameters(string localDir) => Path.Combine(localDir, "parameters");

    /// <summary>The CA's certificate, in PEM.</summary>
    public static string CaPem(string localDir) => File.ReadAllText(Path.Combine(localDir, "tls", "ca.pem"));

    /// <summary>
    /// Makes the CA, the certificates of <paramref name="tls"/> and a client's, under
    /// <paramref name="localDir"/>; each of <paramref name="nodes"/> nodes starts with the
    /// certificates in its folder, as the agent's first install leaves a node (its tests prove that
    /// install; the local cluster proves what follows: rotation).
    /// </summary>
    public static void Write(string localDir, NodeTls tls, int nodes)
    {
        var folder = WriteCa(localDir);
        foreach (var certificate in tls.Certificates)
        {
            Rotate(localDir, tls, certificate.Name);
            for (var node = 1; node <= nodes; node++)
            {
                var installed = Directory.CreateDirectory(Path.Combine(localDir, $"node{node}", "tls")).FullName;
                File.Copy(Parameters(localDir) + certificate.Parameter, Path.Combine(installed, $"{certificate.Name}.pem"), overwrite: true);
            }
        }

        using var client = Issue(localDir, "CN=local-client", server: null);
        File.WriteAllText(Path.Combine(folder, "client.pem"), Pem(client));
    }

    /// <summary>Makes a CA under <paramref name="localDir"/> (<c>tls/ca.pem</c>, its key beside it); returns that folder.</summary>
    public static string WriteCa(string localDir)
    {
        var folder = Directory.CreateDirectory(Path.Combine(localDir, "tls")).FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=HaproxyCluster local CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(folder, "ca-key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");
        return folder;
    }

    /// <summary>A server certificate for <paramref name="server"/> (a DNS name or an IP address) the CA of <paramref name="localDir"/> signs: the chain and key, in PEM.</summary>
    public static string ServerPem(string localDir, string server)
    {
        using var certificate = Issue(localDir, $"CN={server}", server);
        return Pem(certificate);
    }

    /// <summary>A chain policy that trusts <paramref name="caPem"/> alone: the local clients' view of the local CA.</summary>
    public static X509ChainPolicy Trusting(string caPem) => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        RevocationMode = X509RevocationMode.NoCheck,
        CustomTrustStore = { X509Certificate2.CreateFromPem(caPem) },
    };

    /// <summary>A new certificate for <paramref name="name"/>, put in its parameter; returns its serial number.</summary>
    public static string Rotate(string localDir, NodeTls tls, string name)
    {
        var parameter = tls.Certificates.Single(c => c.Name == name).Parameter;
        using var certificate = Issue(localDir, $"CN={HostOf(name)}", server: HostOf(name));
        SsmStandIn.Put(Parameters(localDir), parameter, Pem(certificate));
        return certificate.SerialNumber;
    }

    /// <summary>The environment's spec as the local nodes run it: the certificates in the node's folder, clients verified against the local CA.</summary>
    public static HaproxySpec Local(HaproxySpec spec, string localDir) => spec.Listeners.Tls is not { } tls ? spec : spec with
    {
        Listeners = spec.Listeners with
        {
            Tls = tls with
            {
                CertificateDirectory = CertificateDirectory,
                ClientCertificates = tls.ClientCertificates is { } clients ? clients with { CaBundlePem = CaPem(localDir) } : null,
            },
        },
    };

    private static X509Certificate2 Issue(string localDir, string subject, string? server)
    {
        var folder = Path.Combine(localDir, "tls");
        using var caKey = ECDsa.Create();
        caKey.ImportFromPem(File.ReadAllText(Path.Combine(folder, "ca-key.pem")));
        using var caCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(folder, "ca.pem")));
        using var ca = caCertificate.CopyWithPrivateKey(caKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server is null ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        if (server is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            if (System.Net.IPAddress.TryParse(server, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(server);
            }
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(7), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A PROXY v2 header of the LOCAL command, as the NLB's health checks send: the connection's own addresses stand.</summary>
    private static readonly byte[] ProxyV2Local = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00];

    private static string Pem(X509Certificate2 certificate) =>
        certificate.ExportCertificatePem() + "\n" + certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>The serial number of the certificate <paramref name="host"/> gets from <paramref name="address"/>:<paramref name="port"/> (PROXY v2, then TLS with SNI), or null when none answers.</summary>
    public static async Task<string?> ServedSerialAsync(string address, int port, string host, string caPem, CancellationToken cancellation)
    {
        try
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await tcp.ConnectAsync(address, port, timeout.Token);
            await tcp.GetStream().WriteAsync(ProxyV2Local, timeout.Token);
            using var stream = new System.Net.Security.SslStream(tcp.GetStream());
            await stream.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = host, CertificateChainPolicy = Trusting(caPem), AllowTlsResume = false }, timeout.Token);
            using var served = new X509Certificate2(stream.RemoteCertificate!);
            return served.SerialNumber;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException && !cancellation.IsCancellationRequested)
        {
            return null;
        }
    }
}
