using System.Security.Cryptography;
using System.Text;
using HaproxyCluster.Node;

namespace HaproxyCluster.Config;

/// <summary>One file of a bundle.</summary>
/// <param name="Path">Its path under the config directory, with '/' separators: <c>maps/hosts.map</c>.</param>
/// <param name="Content">Its text, with '\n' line endings.</param>
public sealed record BundleFile(string Path, string Content);

/// <summary>
/// Everything a node needs under <c>/etc/haproxy</c>: haproxy.cfg and the maps and pages it
/// references, sorted by path.
/// </summary>
public sealed partial record ConfigBundle(ValueList<BundleFile> Files)
{
    /// <summary>The file name of the main config.</summary>
    public const string ConfigFileName = "haproxy.cfg";

    /// <summary>The text of haproxy.cfg.</summary>
    public string Config => this[ConfigFileName];

    /// <summary>
    /// The files outside the bundle that haproxy.cfg loads: the certificates (with their keys) of
    /// the node's TLS bind, which the node agent writes. A check of the bundle away from a node
    /// stands a certificate of its own at each.
    /// </summary>
    public IReadOnlyList<string> CertificateFiles() => [.. CertificateFile().Matches(Config).Select(m => m.Groups[1].Value)];

    /// <summary>The text of the file at <paramref name="path"/>.</summary>
    public string this[string path] => Files.Single(f => f.Path == path).Content;

    /// <summary>
    /// A SHA-256 over every path and content, in order: it changes exactly when a node would
    /// receive different files.
    /// </summary>
    public string Sha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{file.Path}\n{Encoding.UTF8.GetByteCount(file.Content)}\n"));
            hash.AppendData(Encoding.UTF8.GetBytes(file.Content));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The bundle as the archive a node installs (the rules payload carries it).</summary>
    public BundleArchive Archive() => BundleArchive.Create(Files.Select(f => (f.Path, f.Content)));

    /// <summary>Writes every file under <paramref name="directory"/>, creating folders as needed.</summary>
    public void WriteTo(string directory)
    {
        foreach (var file in Files)
        {
            var path = System.IO.Path.Combine(directory, file.Path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(" crt (/\\S+)")]
    private static partial System.Text.RegularExpressions.Regex CertificateFile();
}
