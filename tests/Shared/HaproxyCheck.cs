using HaproxyCluster.Node;
namespace HaproxyCluster.Tests.Shared;

/// <summary>
/// Runs <c>haproxy -c</c> of both versions the project supports on config files: Debian 12's
/// HAProxy 2.6 on this machine, and Debian 13's HAProxy 3.0 in the root <c>make tools</c> builds
/// (HAPROXY30_ROOT), entered with chroot. A config passes only if both accept it with no warning.
/// </summary>
internal static class HaproxyCheck
{
    /// <summary>The Debian 13 root; <c>make test</c> sets HAPROXY30_ROOT, else the default place.</summary>
    public static string Haproxy30Root { get; } =
        Environment.GetEnvironmentVariable("HAPROXY30_ROOT") is { Length: > 0 } root
            ? root
            : System.IO.Path.Combine(RepositoryRoot.Path, ".tools", "debian-trixie");

    /// <summary>
    /// Checks every config, each with both versions, and returns one line per failure: the file,
    /// the version and what HAProxy printed. Configs must live under /tmp, which is bind-mounted
    /// into the 3.0 root so both versions read the same paths.
    /// </summary>
    public static IReadOnlyList<string> Failures(IReadOnlyCollection<string> configPaths)
    {
        if (configPaths.Any(p => !p.StartsWith("/tmp/", StringComparison.Ordinal)))
        {
            throw new ArgumentException("Configs must live under /tmp/ so the chrooted 3.0 can read them", nameof(configPaths));
        }

        if (!File.Exists(System.IO.Path.Combine(Haproxy30Root, "usr/sbin/haproxy")))
        {
            throw new InvalidOperationException($"No HAProxy 3.0 root at {Haproxy30Root}; run 'make tools' first.");
        }

        // One shell per version checks every file: a loop costs far less than a process per config.
        var loop = CheckLoop(configPaths);
        var failures = new List<string>();
        failures.AddRange(Run("bash", ["-c", loop]).Select(l => "2.6 " + l));
        var chrooted = $"mount --bind /tmp '{Haproxy30Root}/tmp' && chroot '{Haproxy30Root}' bash -c \"$0\"";
        failures.AddRange(Run("unshare", ["--mount", "--propagation", "private", "bash", "-c", chrooted, loop]).Select(l => "3.0 " + l));
        return failures;
    }

    /// <summary>
    /// Checks a bundle exactly as a node holds it: <paramref name="etcHaproxy"/> is mounted over
    /// /etc/haproxy (in a private mount namespace), so the paths haproxy.cfg names are the real ones.
    /// A bundle with a node agent gets the empty server-state file the bootstrap lays down first,
    /// on a scratch filesystem over its folder.
    /// </summary>
    public static IReadOnlyList<string> InstalledBundleFailures(string etcHaproxy)
    {
        var manifest = System.IO.Path.Combine(etcHaproxy, Node.MembershipManifest.FileName);
        var stateFile = File.Exists(manifest) ? Node.MembershipManifest.FromJson(File.ReadAllText(manifest)).ServerStateFile : null;
        string Prepare(string root) => stateFile is null ? ""
            : $"mount -t tmpfs state '{root}{System.IO.Path.GetDirectoryName(stateFile)}' && printf '1\\n' > '{root}{stateFile}' && ";

        var loop = CheckLoop(["/etc/haproxy/haproxy.cfg"]);
        var certificates = System.IO.Directory.CreateTempSubdirectory("bundle-certificates-").FullName;
        try
        {
            string Certificates(string root) => StandInCertificates(etcHaproxy, certificates, root);
            var failures = new List<string>();
            failures.AddRange(Run("unshare", ["--mount", "--propagation", "private", "bash", "-c", $"{Certificates("")}{Prepare("")}mount --bind '{etcHaproxy}' /etc/haproxy && bash -c \"$0\"", loop]).Select(l => "2.6 " + l));
            failures.AddRange(Run("unshare", ["--mount", "--propagation", "private", "bash", "-c",
                $"{Certificates(Haproxy30Root)}{Prepare(Haproxy30Root)}mount --bind '{etcHaproxy}' '{Haproxy30Root}/etc/haproxy' && chroot '{Haproxy30Root}' bash -c \"$0\"", loop]).Select(l => "3.0 " + l));
            return failures;
        }
        finally
        {
            System.IO.Directory.Delete(certificates, recursive: true);
        }
    }

    /// <summary>
    /// The shell steps that stand a throwaway certificate at each file the bundle's TLS bind loads
    /// (which the node agent writes on a node): the root's /etc is overlaid with a scratch layer,
    /// so the certificates' folder can be made without touching the real one, then mounted over.
    /// </summary>
    private static string StandInCertificates(string etcHaproxy, string scratch, string root)
    {
        var files = new Config.ConfigBundle([new Config.BundleFile(Config.ConfigBundle.ConfigFileName, File.ReadAllText(System.IO.Path.Combine(etcHaproxy, Config.ConfigBundle.ConfigFileName)))]).CertificateFiles();
        if (files.Count == 0)
        {
            return "";
        }

        using var pki = new TestPki("bundle-check");
        using var certificate = pki.Server("bundle-check.invalid");
        var layer = System.IO.Directory.CreateDirectory(System.IO.Path.Combine(scratch, root.Length == 0 ? "host" : "root")).FullName;
        var steps = $"mkdir -p '{layer}/upper' '{layer}/work' && mount -t overlay overlay -o 'lowerdir={root}/etc,upperdir={layer}/upper,workdir={layer}/work' '{root}/etc' && ";
        foreach (var (folder, i) in files.GroupBy(System.IO.Path.GetDirectoryName, StringComparer.Ordinal).Select((f, i) => (f, i)))
        {
            var standIn = System.IO.Directory.CreateDirectory(System.IO.Path.Combine(layer, $"certificates{i}")).FullName;
            foreach (var file in folder)
            {
                File.WriteAllText(System.IO.Path.Combine(standIn, System.IO.Path.GetFileName(file)), TestPki.PemWithKey(certificate));
            }

            steps += $"mkdir -p '{root}{folder.Key}' && mount --bind '{standIn}' '{root}{folder.Key}' && ";
        }

        return steps;
    }

    /// <summary>A shell loop printing one FAIL line per config that haproxy -c refuses or warns about.</summary>
    private static string CheckLoop(IEnumerable<string> configPaths) =>
        $"for f in {string.Join(' ', configPaths.Select(p => $"'{p}'"))}; do out=$(haproxy -c -f \"$f\" 2>&1); rc=$?; "
        + "if [ $rc -ne 0 ] || printf '%s' \"$out\" | grep -qE 'WARNING|ALERT'; then printf 'FAIL %s rc=%s %s\\n' \"$f\" $rc \"$(printf '%s' \"$out\" | tr '\\n' ' ')\"; fi; done";

    /// <summary>Checks one config with both versions; throws with HAProxy's output when either refuses it.</summary>
    public static void AssertValid(string configPath)
    {
        var failures = Failures([configPath]);
        if (failures.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"haproxy -c refused {configPath}:\n{string.Join('\n', failures)}\n--- config ---\n{File.ReadAllText(configPath)}");
        }
    }

    /// <summary>The FAIL lines a check loop printed, plus one if the loop itself could not run.</summary>
    private static List<string> Run(string file, IReadOnlyList<string> args)
    {
        var (exitCode, output) = Command.Run(file, args);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("FAIL ", StringComparison.Ordinal)).ToList();
        if (exitCode != 0)
        {
            lines.Add($"FAIL {file} exited {exitCode}: {output}");
        }

        return lines;
    }
}
