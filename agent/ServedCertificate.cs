using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HaproxyCluster.Agent;

/// <summary>
/// A certificate a node serves, checked and written out again: the chain as read (the leaf first)
/// and its private key, each re-exported from what was parsed. So the file and the Runtime API
/// payload hold only PEM lines the agent wrote (never a blank line, which would end the payload
/// early and make what follows a command), and a key that does not match, or a leaf out of its
/// validity, never reaches HAProxy.
/// </summary>
/// <param name="Pem">The chain, then the key, in PEM.</param>
/// <param name="Subject">The leaf's subject, for events.</param>
/// <param name="Serial">The leaf's serial number, in hex.</param>
/// <param name="NotAfter">When the leaf expires.</param>
/// <param name="Sha256">The SHA-256 of the leaf (DER), in hex.</param>
internal sealed record ServedCertificate(string Pem, string Subject, string Serial, DateTimeOffset NotAfter, string Sha256)
{
    /// <summary>HAProxy reads a Runtime API command and its payload in one 16 KiB buffer.</summary>
    public const int MaxPemBytes = 15 * 1024;

    /// <summary><paramref name="text"/> as a served certificate, or null with the reason (which never quotes the text).</summary>
    public static ServedCertificate? Parse(string? text, DateTimeOffset now, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text) || !text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            problem = "holds no PEM certificate; store the chain (leaf first) and the private key, in PEM";
            return null;
        }

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(text);
            using var leaf = X509Certificate2.CreateFromPem(text, text);
            if (leaf.NotAfter.ToUniversalTime() < now.UtcDateTime || leaf.NotBefore.ToUniversalTime() > now.UtcDateTime)
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"the certificate for {leaf.Subject} is valid from {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u}, not now");
                return null;
            }

            var key = leaf.GetECDsaPrivateKey() is { } ec ? Export(ec) : leaf.GetRSAPrivateKey() is { } rsa ? Export(rsa) : null;
            if (key is null)
            {
                problem = "holds a key that is neither RSA nor EC; HAProxy's certificates take one of those";
                return null;
            }

            var pem = string.Join('\n', chain.Select(c => c.ExportCertificatePem()).Append(key)) + "\n";
            if (pem.Length > MaxPemBytes)
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"is {pem.Length} bytes of PEM, over the {MaxPemBytes} HAProxy's Runtime API takes in one command; drop the root and cross-signed certificates from the chain");
                return null;
            }

            return new ServedCertificate(pem, leaf.Subject, leaf.SerialNumber, leaf.NotAfter.ToUniversalTime(), Convert.ToHexStringLower(SHA256.HashData(leaf.RawData)));
        }
        catch (CryptographicException e)
        {
            // .NET's messages name what is wrong (a key that does not match, no key) without quoting the text.
            problem = $"is not a certificate chain with its private key: {e.Message.TrimEnd('.')}";
            return null;
        }
        catch (ArgumentException e)
        {
            problem = $"is not a certificate chain with its private key: {e.Message.TrimEnd('.')}";
            return null;
        }
        finally
        {
            foreach (var certificate in chain)
            {
                certificate.Dispose();
            }
        }
    }

    /// <summary>When the leaf of <paramref name="pem"/> (a served file: the leaf first) expires, or null when it holds no certificate.</summary>
    public static DateTimeOffset? ExpiryOf(string pem)
    {
        try
        {
            using var leaf = X509Certificate2.CreateFromPem(pem);
            return leaf.NotAfter.ToUniversalTime();
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static string Export(AsymmetricAlgorithm key)
    {
        using (key)
        {
            return key.ExportPkcs8PrivateKeyPem();
        }
    }
}
