namespace HaproxyCluster.Config;

/// <summary>ACLs and fetches the lowering step writes itself, beside those of each <see cref="Match"/>.</summary>
internal static class Acl
{
    /// <summary>The request's host, without port, in lower case.</summary>
    public const string HostFetch = "req.hdr(host),field(1,:),lower";

    /// <summary>The request's method is idempotent (RFC 9110, 9.2.2), so sending it twice is safe.</summary>
    public const string IdempotentMethod = "{ method GET HEAD OPTIONS TRACE PUT DELETE }";

    /// <summary>The request came over TLS: to the bind for traffic the NLB decrypted, or the node's own TLS bind.</summary>
    public const string CameOverTls = "{ so_name " + ConfigRenderer.TlsOriginBindName + " " + ConfigRenderer.TlsBindName + " }";

    /// <summary>The request came to the node's own TLS bind.</summary>
    public const string CameOverNodeTls = "{ so_name " + ConfigRenderer.TlsBindName + " }";

    /// <summary>The client certificate's subject, RFC 2253 (which escapes what would break a header).</summary>
    public const string ClientSubject = "ssl_c_s_dn(,0,rfc2253)";

    /// <summary>The SHA-256 of the client certificate's DER, in upper-case hex.</summary>
    public const string ClientSha256 = "ssl_c_der,digest(sha256),hex";

    /// <summary>
    /// A client certificate came over the node's TLS bind and verified. The bind lets every
    /// verification error through (<c>ca-ignore-err all crt-ignore-err all</c>), so both are asked.
    /// </summary>
    public static readonly IReadOnlyList<string> VerifiedClientCertificate = [CameOverNodeTls, "{ ssl_c_used }", "{ ssl_c_verify 0 }"];

    /// <summary>
    /// The path is not in normal form (<see cref="NormalPath.NotNormal"/>), which servers decode.
    /// HAProxy's normalize-uri is experimental on 2.6 and 3.0.
    /// </summary>
    public static readonly string NonNormalPath = "{ path -m reg " + Cfg.Word(NormalPath.NotNormal) + " }";

    /// <summary>The client address (from PROXY protocol behind the NLB) is in one of <paramref name="cidrs"/>.</summary>
    public static string Source(IEnumerable<string> cidrs) => $"{{ src {string.Join(' ', cidrs)} }}";

    /// <summary><c>*.example.com</c> and <c>.example.com</c> both become <c>.example.com</c>.</summary>
    public static string HostSuffixKey(string suffix) => "." + suffix.TrimStart('*').TrimStart('.').ToLowerInvariant();
}
