namespace HaproxyCluster.Node;

/// <summary>
/// The certificates a node terminates TLS with, and where the agent reads them: each one an SSM
/// Parameter Store SecureString holding the PEM chain and key. The agent writes each to
/// <see cref="CertificateDirectory"/> before HAProxy first starts, and swaps in a changed one
/// through the Runtime API, with no reload, within <see cref="RefreshSeconds"/>.
/// </summary>
public sealed record NodeTlsSettings
{
    /// <summary>Where HAProxy loads the certificates from: <c>NAME.pem</c> each, readable by root only.</summary>
    public required string CertificateDirectory { get; init; }

    /// <summary>The certificates, by name, with the parameter each is read from.</summary>
    public required IReadOnlyList<NodeCertificate> Certificates { get; init; }

    /// <summary>Seconds between two reads of the parameters. Default: 300.</summary>
    public int RefreshSeconds { get; init; } = 300;

    /// <summary>An SSM API endpoint other than the region's (the local stand-in); null on AWS.</summary>
    public string? SsmEndpoint { get; init; }

    /// <summary>The file of certificate <paramref name="name"/>, as HAProxy's bind and its Runtime API name it.</summary>
    public string PathOf(string name) => $"{CertificateDirectory}/{name}.pem";

    /// <summary>Every problem, each naming its property, the value and what to use.</summary>
    public IEnumerable<string> Problems()
    {
        if (!(CertificateDirectory is { Length: > 1 } && CertificateDirectory.StartsWith('/') && CertificateDirectory.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-')))
        {
            yield return $"certificateDirectory: '{CertificateDirectory}' is not an absolute path; use one such as /etc/haproxy-tls";
        }

        if (Certificates is not { Count: > 0 })
        {
            yield return "certificates: is empty; name at least one certificate and its parameter";
        }

        for (var i = 0; i < (Certificates?.Count ?? 0); i++)
        {
            if (Certificates![i] is not { } certificate || !NodeCertificate.IsName(certificate.Name) || !NodeCertificate.IsParameter(certificate.Parameter))
            {
                yield return $"certificates[{i}]: is not a name (lower-case letters, digits, '_' or '-') and an SSM parameter name (/ and letters, digits, '_', '.', '-')";
            }
        }

        if (RefreshSeconds is < 1 or > 86_400)
        {
            yield return $"refreshSeconds: {RefreshSeconds} is out of range; use 1 to 86400";
        }

        if (SsmEndpoint is not null && !(Uri.TryCreate(SsmEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return $"ssmEndpoint: '{SsmEndpoint}' is not an http(s) URL; leave it out on AWS";
        }
    }
}

/// <summary>Certificate <paramref name="Name"/> (<c>NAME.pem</c> on the node), read from SSM parameter <paramref name="Parameter"/>.</summary>
public sealed record NodeCertificate(string Name, string Parameter)
{
    /// <summary>Whether <paramref name="name"/> is a certificate's name: a slug, as the config's bind names it.</summary>
    public static bool IsName(string? name) =>
        name is { Length: >= 1 and <= 64 } && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0])) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');

    /// <summary>Whether <paramref name="parameter"/> is a fully qualified SSM parameter name, such as <c>/haproxy/prod/tls/site</c>.</summary>
    public static bool IsParameter(string? parameter) =>
        parameter is { Length: >= 2 and <= 1011 } && parameter.StartsWith('/') && !parameter.EndsWith('/') && !parameter.Contains("//", StringComparison.Ordinal)
        && parameter.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '.' or '-')
        && !parameter.TrimStart('/').StartsWith("aws", StringComparison.OrdinalIgnoreCase) && !parameter.TrimStart('/').StartsWith("ssm", StringComparison.OrdinalIgnoreCase);
}
