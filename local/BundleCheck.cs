using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Local;

/// <summary>
/// make synth's last step: every environment's bundle, exactly as a node holds it under
/// /etc/haproxy, passes <c>haproxy -c</c> on the HAProxy the nodes run (3.0, in the Debian 13 root
/// that make tools builds), with no warning. A refused bundle fails synthesis with the
/// environment's name and HAProxy's own message, before anything reaches cdk deploy.
/// </summary>
/// <remarks>
/// The bundle is mounted over the root's /etc/haproxy in a private mount namespace, so every path
/// haproxy.cfg names is the one it has on a node. The certificates a TLS bind loads are not in the
/// bundle (the node agent writes them from Parameter Store), so a throwaway certificate made for
/// this check stands at each of their paths.
/// </remarks>
internal static partial class BundleCheck
{
    /// <summary>Mounts the bundle, then each stand-in folder over its path ($3 over $4, …), and checks.</summary>
    private const string Check = """
        set -e; bundle=$1 root=$2; shift 2
        mount --bind "$bundle" "$root/etc/haproxy"
        while [ $# -gt 0 ]; do mkdir -p "$root$2"; mount --bind "$1" "$root$2"; shift 2; done
        exec chroot "$root" haproxy -c -f /etc/haproxy/haproxy.cfg
        """;

    /// <summary>Checks every bundle under <paramref name="cdkOut"/>/node-files; true when HAProxy accepts each.</summary>
    public static async Task<bool> RunAsync(string cdkOut, string root, TextWriter output, TextWriter errors, CancellationToken cancellation)
    {
        var version = (await LocalProcess.RunAsync(["chroot", root, "haproxy", "-v"], cancellation)).Output.Split(' ')[2];
        var passed = true;
        foreach (var environment in Directory.GetDirectories(Path.Combine(cdkOut, "node-files")).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(environment);
            var bundle = Path.Combine(environment, "etc", "haproxy");
            var standIns = Directory.CreateTempSubdirectory("bundle-check-certs-").FullName;
            try
            {
                var config = new Config.ConfigBundle([new Config.BundleFile(Config.ConfigBundle.ConfigFileName, File.ReadAllText(Path.Combine(bundle, Config.ConfigBundle.ConfigFileName)))]);
                var mounts = StandInCertificates(config.CertificateFiles(), standIns);
                var (code, said) = await LocalProcess.RunAsync(["unshare", "--mount", "--propagation", "private", "bash", "-c", Check, "_", bundle, root, .. mounts], cancellation);
                if (code == 0 && !WarningOrAlert().IsMatch(said))
                {
                    output.WriteLine($"synth: {name}: haproxy -c {version} accepts the bundle");
                    continue;
                }

                passed = false;
                errors.WriteLine($"synth: {name}: haproxy -c {version} refuses the bundle:");
                foreach (var line in said.TrimEnd().Split('\n'))
                {
                    errors.WriteLine($"synth: {name}: {line}");
                }
            }
            finally
            {
                Directory.Delete(standIns, recursive: true);
            }
        }

        return passed;
    }

    /// <summary>
    /// A throwaway certificate and key for each file a bind's <c>crt</c> names, in a folder under
    /// <paramref name="scratch"/> per folder of the node: the pairs (stand-in folder, node folder) to mount.
    /// </summary>
    private static string[] StandInCertificates(IReadOnlyList<string> files, string scratch)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=bundle-check.invalid", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pem = certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
        var mounts = new List<string>();
        var folders = files.GroupBy(Path.GetDirectoryName, StringComparer.Ordinal);
        foreach (var (folder, i) in folders.Select((f, i) => (f, i)))
        {
            var standIn = Directory.CreateDirectory(Path.Combine(scratch, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
            foreach (var file in folder)
            {
                File.WriteAllText(Path.Combine(standIn, Path.GetFileName(file)), pem);
            }

            mounts.AddRange([standIn, folder.Key!]);
        }

        return [.. mounts];
    }

    [GeneratedRegex("WARNING|ALERT")]
    private static partial Regex WarningOrAlert();
}
