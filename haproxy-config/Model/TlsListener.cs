namespace HaproxyCluster.Config;

/// <summary>
/// TLS terminated on the node: a bind that takes the NLB's TCP port 443 (PROXY v2 kept, so the
/// client's address and port survive) and decrypts it, with TLS 1.2 or newer, a modern cipher
/// list, h2 and http/1.1 in ALPN, a certificate chosen by SNI among <see cref="Certificates"/>,
/// and optionally the client's own certificate verified (mutual TLS).
/// </summary>
public sealed record TlsListener
{
    /// <summary>
    /// ECDHE with AES-GCM or ChaCha20 for TLS 1.2 (Mozilla's intermediate list); TLS 1.3 keeps
    /// OpenSSL's own suites, all of which are modern.
    /// </summary>
    internal const string Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    /// <summary>The bind's port. Default: 443.</summary>
    public int Port { get; init; } = 443;

    /// <summary>
    /// The certificates the node serves, by name: each is <c>CertificateDirectory/NAME.pem</c>
    /// (the chain, then the key), which the node agent writes there and rotates through the Runtime
    /// API. They never ship in the bundle. HAProxy picks the one whose names match the client's SNI;
    /// the first is served when none does or the client sends no SNI.
    /// </summary>
    public required ValueList<string> Certificates { get; init; }

    /// <summary>Where the certificates are on the node, readable by root only. Default: <c>/etc/haproxy-tls</c>.</summary>
    public string CertificateDirectory { get; init; } = "/etc/haproxy-tls";

    /// <summary>Mutual TLS: clients' certificates verified against a CA bundle. Default: null, none asked for.</summary>
    public ClientCertificates? ClientCertificates { get; init; }

    /// <summary>The path HAProxy loads certificate <paramref name="name"/> from (and the Runtime API names it by).</summary>
    public string CertificatePath(string name) => $"{CertificateDirectory}/{name}.pem";

    internal void Check(Problems at)
    {
        at["Port"].Add(Syntax.Port(Port));
        at["CertificateDirectory"].Add(Syntax.AbsoluteFilePath(CertificateDirectory));
        at["Certificates"].Require(!Certificates.IsEmpty, "is empty; name at least one certificate, such as \"site\"");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Certificates.Count; i++)
        {
            at["Certificates"][i].Add(Syntax.Slug(Certificates[i]));
            at["Certificates"][i].Require(Certificates[i] is null || names.Add(Certificates[i]), $"'{Certificates[i]}' is named twice; name each certificate once");
        }

        ClientCertificates?.Check(at["ClientCertificates"]);
    }
}

/// <summary>
/// Mutual TLS: a client's certificate verified against <see cref="CaBundlePem"/>. A request that
/// came with a certificate that does not verify (another authority, expired) is answered
/// <see cref="DenyStatus"/>; one that came with none is too when the mode is
/// <see cref="ClientCertificateMode.Required"/>. A verified certificate's subject and SHA-256
/// fingerprint reach the backend in headers no client can set.
/// </summary>
public sealed record ClientCertificates
{
    /// <summary>
    /// The certificates (PEM) of the authorities that sign clients' certificates, read from a file
    /// in the repository; it ships in the bundle as <c>ca/clients.pem</c>.
    /// </summary>
    public required string CaBundlePem { get; init; }

    /// <summary>Whether a client must present a certificate. Default: required.</summary>
    public ClientCertificateMode Mode { get; init; } = ClientCertificateMode.Required;

    /// <summary>The status a request without a valid certificate is answered with. Default: 403.</summary>
    public int DenyStatus { get; init; } = 403;

    /// <summary>The header carrying the verified certificate's subject (RFC 2253). Default: <c>X-Client-Cert-Subject</c>.</summary>
    public string SubjectHeader { get; init; } = "X-Client-Cert-Subject";

    /// <summary>The header carrying the SHA-256 of the verified certificate (DER), in hex. Default: <c>X-Client-Cert-Sha256</c>.</summary>
    public string FingerprintHeader { get; init; } = "X-Client-Cert-Sha256";

    /// <summary>The statuses that say "not without a valid certificate".</summary>
    private static readonly IReadOnlyList<int> DenyStatuses = [400, 401, 403, 421];

    internal void Check(Problems at)
    {
        at["CaBundlePem"].Add(Pem.Certificates(CaBundlePem, "the certificates of the authorities that sign clients' certificates"));
        at["Mode"].Require(Enum.IsDefined(Mode), $"{(int)Mode} is not a ClientCertificateMode; use Required or Optional");
        at["DenyStatus"].Add(Syntax.OneOf(DenyStatus, DenyStatuses));
        at["SubjectHeader"].Add(Syntax.HeaderName(SubjectHeader));
        at["FingerprintHeader"].Add(Syntax.HeaderName(FingerprintHeader));
        at["FingerprintHeader"].Require(!string.Equals(SubjectHeader, FingerprintHeader, StringComparison.OrdinalIgnoreCase),
            $"'{FingerprintHeader}' is SubjectHeader too; give each its own header");
    }
}

/// <summary>Whether a client must present a certificate.</summary>
public enum ClientCertificateMode
{
    /// <summary>Every request must come with a valid certificate.</summary>
    Required,

    /// <summary>A request may come without one; one that comes with an invalid certificate is refused.</summary>
    Optional,
}
