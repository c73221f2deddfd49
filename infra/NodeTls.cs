using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Infra;

/// <summary>
/// TLS terminated on the nodes instead of at the NLB: the NLB forwards TCP 443 (PROXY v2 kept) to
/// each node's TLS bind, and HAProxy decrypts it, with the certificates below and, if asked,
/// clients' own certificates verified (mutual TLS). The NLB-TLS mode
/// (<see cref="HaproxyClusterProps.CertificateArn"/>) stays the default.
/// </summary>
/// <remarks>
/// Each certificate is an SSM Parameter Store SecureString holding the PEM chain (leaf first) and
/// its private key, encrypted with <see cref="KmsKeyArn"/>. Parameter Store over an SSE-KMS S3
/// object: one call returns the value decrypted and its version; the node role is granted exactly
/// the named parameters, and the key only for those parameters' encryption context; a new version
/// is what rotation is. An RSA chain with its key passes the standard tier's 4 KB: use the
/// advanced tier (8 KB) for those. The node agent reads each at boot, before HAProxy first starts,
/// and every <see cref="Refresh"/>, swapping a changed one in through the Runtime API with no reload.
/// </remarks>
public sealed record NodeTls
{
    /// <summary>Where the nodes keep the certificates: root only, outside the rules bundle.</summary>
    public const string CertificateDirectory = "/etc/haproxy-tls";

    /// <summary>
    /// The certificates, each a name (<c>NAME.pem</c> on the node) and the SSM parameter it is read
    /// from. HAProxy picks the one whose names match the client's SNI; the first is served otherwise.
    /// </summary>
    public required IReadOnlyList<NodeCertificate> Certificates { get; init; }

    /// <summary>The ARN of the KMS key the parameters are encrypted with; the nodes may decrypt with it for those parameters only.</summary>
    public required string KmsKeyArn { get; init; }

    /// <summary>Mutual TLS: clients' certificates verified against a CA bundle. Default: null, none asked for.</summary>
    public ClientCertificates? ClientCertificates { get; init; }

    /// <summary>The port of the nodes' TLS bind, which the NLB's TCP 443 listener forwards to. Default: 443.</summary>
    public int NodePort { get; init; } = 443;

    /// <summary>How often each node reads the parameters again: a new version is served within this. Default: 5 minutes.</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long before a served certificate expires its alarm fires: the nodes report the days each
    /// has left at every refresh, so one nobody renewed, or whose renewal the agent refused, is
    /// seen in time. Default: 21 days.
    /// </summary>
    public TimeSpan AlarmBeforeExpiry { get; init; } = TimeSpan.FromDays(21);

    /// <summary>The nodes' TLS bind.</summary>
    internal TlsListener Listener() => new()
    {
        Port = NodePort,
        Certificates = [.. Certificates.Select(c => c.Name)],
        CertificateDirectory = CertificateDirectory,
        ClientCertificates = ClientCertificates,
    };

    /// <summary>What the node agent reads the certificates with.</summary>
    internal NodeTlsSettings Settings() => new()
    {
        CertificateDirectory = CertificateDirectory,
        Certificates = Certificates,
        RefreshSeconds = (int)Refresh.TotalSeconds,
    };

    internal void Check(Problems at)
    {
        at["Certificates"].Require(Certificates is { Count: > 0 }, "is empty; give at least one certificate: new NodeCertificate(\"site\", \"/haproxy/ENV/tls/site\")");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (Certificates?.Count ?? 0); i++)
        {
            var certificate = Certificates![i];
            at["Certificates"][i]["Name"].Require(NodeCertificate.IsName(certificate?.Name) && names.Add(certificate!.Name),
                $"{Syntax.Show(certificate?.Name)} is not a new certificate name; use 1 to 64 lower-case letters, digits, '_' or '-', each name once");
            at["Certificates"][i]["Parameter"].Require(NodeCertificate.IsParameter(certificate?.Parameter),
                $"{Syntax.Show(certificate?.Parameter)} is not an SSM parameter name; use a full path of letters, digits, '/', '_', '.' or '-', such as /haproxy/prod/tls/site (not under /aws or /ssm)");
        }

        at["KmsKeyArn"].Require(KmsKeyArn is not null && System.Text.RegularExpressions.Regex.IsMatch(KmsKeyArn, "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}\\z"),
            $"{Syntax.Show(KmsKeyArn)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID); name the customer-managed key the parameters are encrypted with");
        at["NodePort"].Add(Syntax.Port(NodePort));
        at["AlarmBeforeExpiry"].Require(AlarmBeforeExpiry.Ticks % TimeSpan.TicksPerDay == 0 && AlarmBeforeExpiry.TotalDays is >= 1 and <= 90,
            $"{AlarmBeforeExpiry} is not whole days from 1 to 90");
        at["Refresh"].Require(Refresh.Ticks % TimeSpan.TicksPerSecond == 0 && Refresh.TotalSeconds is >= 10 and <= 86_400,
            $"{Refresh} is not whole seconds from 10 s to 24 h");
    }
}
