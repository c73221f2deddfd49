using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Config;

/// <summary>
/// Checks of PEM text a user ships in a bundle, as strict as OpenSSL reads it, so a file HAProxy
/// cannot load fails at synth: .NET's own PEM reader forgives what OpenSSL refuses (a space or a
/// stray carriage return in the base64, text on a marker's line).
/// </summary>
internal static partial class Pem
{
    private const string Begin = "-----BEGIN CERTIFICATE-----";
    private const string End = "-----END CERTIFICATE-----";

    /// <summary>
    /// Null when <paramref name="pem"/> is one or more certificates, each a block of base64 lines
    /// between its markers, with at most lines of plain text between blocks (the labels tools
    /// write); else the problem. A private key is refused: it must never ship in a bundle.
    /// </summary>
    public static string? Certificates(string? pem, string what)
    {
        if (string.IsNullOrWhiteSpace(pem) || !pem.Contains(Begin, StringComparison.Ordinal))
        {
            return $"is not PEM certificates; give {what} as {Begin} …";
        }

        if (pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return "holds a private key, which would ship in the bundle; give the certificates only";
        }

        var lines = pem.Split('\n');
        List<string>? block = null;
        var blocks = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            var problem = line switch
            {
                _ when line.Any(c => c is < ' ' or > '~') => "holds a character outside printable ASCII (or a carriage return inside it)",
                Begin when block is null => Start(out block),
                End when block is not null => Finish(blocks, ref block),
                _ when block is not null => Base64Line().IsMatch(line) ? Add(block, line) : "holds a character that is not base64 inside a certificate",
                _ when line.Contains("-----", StringComparison.Ordinal) => "is a PEM marker with something else on its line, or one out of place",
                _ => null,
            };
            if (problem is not null)
            {
                return $"line {i + 1} {problem}; give {what} as PEM, each line whole";
            }
        }

        if (block is not null)
        {
            return $"has a certificate with no {End} line";
        }

        foreach (var der in blocks)
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(der));
            }
            catch (Exception e) when (e is CryptographicException or FormatException)
            {
                return $"holds a block that is not a certificate ({e.Message.TrimEnd('.')}); give {what}";
            }
        }

        return null;
    }

    private static string? Start(out List<string> block)
    {
        block = [];
        return null;
    }

    private static string? Add(List<string> block, string line)
    {
        block.Add(line);
        return null;
    }

    private static string? Finish(List<string> blocks, ref List<string>? block)
    {
        blocks.Add(string.Concat(block!));
        block = null;
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9+/]{1,76}={0,2}\\z")]
    private static partial Regex Base64Line();
}
