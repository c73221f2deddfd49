using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HaproxyCluster.Tests.Shared;

/// <summary>
/// A certificate authority a test makes for itself (ECDSA P-256), and the certificates it signs:
/// a server's for some DNS names, a client's, an expired one. Nothing is written anywhere unless a
/// test asks for PEM text.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestPki(string name)
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-365), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The authority's own certificate, with its key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The authority's certificate in PEM: what a CA bundle holds.</summary>
    public string CertificatePem => Certificate.ExportCertificatePem() + "\n";

    /// <summary>A server's certificate for <paramref name="dnsNames"/> (the first is its CN), with its key.</summary>
    public X509Certificate2 Server(params string[] dnsNames) => Issue(dnsNames[0], dnsNames, server: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

    /// <summary>A client's certificate for <paramref name="subject"/>, with its key; <paramref name="expired"/> ended yesterday.</summary>
    public X509Certificate2 Client(string subject, bool expired = false) =>
        Issue(subject, [], server: false, DateTimeOffset.UtcNow.AddDays(expired ? -30 : -1), DateTimeOffset.UtcNow.AddDays(expired ? -1 : 30));

    /// <summary><paramref name="certificate"/> and its private key in one PEM, as HAProxy's <c>crt</c> takes it.</summary>
    public static string PemWithKey(X509Certificate2 certificate) =>
        certificate.ExportCertificatePem() + "\n" + certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n";

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Issue(string commonName, string[] dnsNames, bool server, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (dnsNames.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                names.AddDnsName(name);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
