using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace HaproxyCluster.Node;

/// <summary>
/// A config bundle as the one file a node downloads: a tar whose bytes depend only on the bundle
/// (fixed times, owners and modes), so its SHA-256 can be written into the user data at synth.
/// </summary>
public sealed class BundleArchive
{
    /// <summary>Every entry's modification time: a constant, so the archive never reads the clock.</summary>
    private static readonly DateTimeOffset FixedTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private BundleArchive(byte[] bytes)
    {
        Bytes = bytes;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The tar's bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>Lower-case hex SHA-256 of <see cref="Bytes"/>, which the bootstrap verifies.</summary>
    public string Sha256 { get; }

    /// <summary>Archives <paramref name="files"/> (a rendered bundle's), each at its path relative to /etc/haproxy, in the order given.</summary>
    public static BundleArchive Create(IEnumerable<(string Path, string Content)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, file.Path)
                {
                    ModificationTime = FixedTime,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0,
                    Gid = 0,
                    UserName = "root",
                    GroupName = "root",
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(file.Content)),
                };
                tar.WriteEntry(entry);
            }
        }

        return new BundleArchive(buffer.ToArray());
    }
}
