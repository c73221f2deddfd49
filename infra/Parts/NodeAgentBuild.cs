using System.Security.Cryptography;
using Amazon.CDK.AWS.EC2;

namespace HaproxyCluster.Infra;

/// <summary>
/// The node agent's executables as <c>make agent</c> publishes them: one self-contained file per
/// architecture, <c>DIR/linux-x64/haproxy-cluster-agent</c> and <c>DIR/linux-arm64/…</c>.
/// </summary>
internal static class NodeAgentBuild
{
    /// <summary>The folder <c>make agent</c> writes, relative to the repository.</summary>
    public const string DefaultFolder = ".build/agent";

    /// <summary>The executable's name on a node and in the build.</summary>
    public const string FileName = "haproxy-cluster-agent";

    /// <summary>
    /// The folder to read: <paramref name="configured"/>, else <see cref="DefaultFolder"/> in the
    /// working directory or the nearest parent that has one (tests run from their bin folder).
    /// </summary>
    public static string Folder(string? configured)
    {
        if (configured is not null)
        {
            return Path.GetFullPath(configured);
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultFolder);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.GetFullPath(DefaultFolder);
    }

    /// <summary>The runtime identifier of the nodes' architecture.</summary>
    public static string RuntimeId(InstanceArchitecture architecture) =>
        architecture == InstanceArchitecture.ARM_64 ? "linux-arm64" : "linux-x64";

    /// <summary>The executable for <paramref name="architecture"/> in <paramref name="folder"/>.</summary>
    public static string PathFor(string folder, InstanceArchitecture architecture) => Path.Combine(folder, RuntimeId(architecture), FileName);

    /// <summary>The file's SHA-256, as the bootstrap checks it.</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
