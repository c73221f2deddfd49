using System.Globalization;
using HaproxyCluster.Config;
using HaproxyCluster.UserData;

namespace HaproxyCluster.Local;

/// <summary>
/// A node image as the local cluster has one: what a launch template brings a node besides its
/// rules, in a folder. <c>sysctl.conf</c> holds the kernel settings the bootstrap writes that a
/// network namespace has of its own (the <c>net.</c> ones, <see cref="NodeFiles.Sysctl"/>), and
/// <c>bin/</c>, when there is one, programs that come first on the node's PATH, as a package would
/// install them. A faulty image (<see cref="WriteFaulty"/>) is made for chaos only and never shipped.
/// </summary>
public static class NodeImage
{
    /// <summary>Where a faulty image's HAProxy sends the requests it fails: a backend with no server (HAProxy answers 503, SC).</summary>
    public const string FaultBackend = "image_fault";

    /// <summary>The file that holds the share of default-pool requests a faulty image fails, for the budget.</summary>
    public const string FaultRateFile = "fault-rate";

    /// <summary>Writes an image into <paramref name="folder"/> with the bootstrap's sysctl for <paramref name="keepAlive"/>.</summary>
    public static void Write(string folder, TcpKeepAlive keepAlive)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "sysctl.conf"), NodeFiles.Sysctl(keepAlive).Split('\n').Where(line => line.StartsWith("net.", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Writes an image whose HAProxy is faulty: it checks a config exactly as <paramref name="haproxy"/>
    /// does (so <c>haproxy -c</c> passes), but runs it with one request in five that a frontend
    /// routes sent to <see cref="FaultBackend"/> first, so HAProxy itself answers 503; the health
    /// endpoint routes nothing, so the node's health checks pass.
    /// </summary>
    public static void WriteFaulty(string folder, TcpKeepAlive keepAlive, string haproxy)
    {
        Write(folder, keepAlive);
        var bin = Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName;
        var wrapper = Path.Combine(bin, "haproxy");
        File.WriteAllText(wrapper, $$"""
            #!/bin/bash
            # A faulty HAProxy package, made by the local harness for chaos and never shipped. It runs a
            # copy of the config kept beside it (the master reloads that copy, not a new bundle).
            args=("$@")
            for i in "${!args[@]}"; do
              [ "${args[i]}" != -c ] || exec '{{haproxy}}' "$@"
              if [ "${args[i]}" = -f ]; then
                config=${args[i + 1]}
                faulty=$(mktemp "$(dirname "$0")/faulty.XXXXXX")
                awk '/^frontend /{ f = 1 } f && /^    (use|default)_backend /{ print "    use_backend {{FaultBackend}} if { rand(5) -m int 0 }"; f = 0 } { print }' "$config" > "$faulty"
                printf '\nbackend {{FaultBackend}}\n' >> "$faulty"
                args[i + 1]=$faulty
              fi
            done
            exec '{{haproxy}}' "${args[@]}"

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        }
        File.WriteAllText(Path.Combine(folder, FaultRateFile), "0.2\n");
    }

    /// <summary>The share of requests <paramref name="folder"/>'s image fails on purpose: 0 for a sound one.</summary>
    public static double FaultRate(string? folder) =>
        folder is not null && File.Exists(Path.Combine(folder, FaultRateFile)) ? double.Parse(File.ReadAllText(Path.Combine(folder, FaultRateFile)), CultureInfo.InvariantCulture) : 0;
}
