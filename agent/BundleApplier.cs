using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>What applying one bundle version did.</summary>
internal enum ApplyOutcome
{
    /// <summary>The bundle is what the node already runs.</summary>
    Unchanged,

    /// <summary>Only tables (maps) changed: applied through the Runtime API, no reload.</summary>
    MapsInPlace,

    /// <summary>The new config runs after one seamless reload and answers its health check.</summary>
    Reloaded,

    /// <summary>Refused or reverted: the node runs the previous bundle, as before.</summary>
    Refused,

    /// <summary>The node's first bundle: HAProxy started on it, its discovered pools filled, and it answers its health check.</summary>
    Started,
}

/// <summary>
/// Puts a new bundle version on a running node, the way the bootstrap does at boot, failing closed:
/// verify its SHA-256, unpack it beside the config folder, and compare. Only tables changed: each
/// changed map is replaced through the Runtime API and the files are swapped for the next reload,
/// with no reload. Anything else: swap the folders, <c>haproxy -c</c> the new config where it will
/// run, reload seamlessly, and wait for a new worker whose health endpoint answers. On any failure
/// the previous folder comes back (and HAProxy is reloaded onto it if it had been reloaded), and the
/// outcome says so, for the caller to report.
/// </summary>
/// <param name="configDirectory">The folder haproxy.cfg lives in and names its maps by (/etc/haproxy).</param>
/// <param name="haproxy">The Runtime API of the running HAProxy.</param>
/// <param name="reload">Reloads HAProxy (systemctl reload haproxy on a node).</param>
/// <param name="healthy">Whether the node's health endpoint answers 200.</param>
/// <param name="log">Where each step is told.</param>
internal sealed class BundleApplier(string configDirectory, RuntimeApi haproxy, Func<CancellationToken, Task> reload, Func<CancellationToken, Task<bool>> healthy, ILogger log)
{
    /// <summary>How long a reloaded node has to come up healthy before it is reverted.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a reloaded node must then stay healthy. A new worker starts with every server UP
    /// until its checks say otherwise, so a config whose servers are all unreachable looks healthy
    /// at first: this outlasts the checks' fall time (default 3 checks 2 s apart).
    /// </summary>
    public TimeSpan HealthSettle { get; init; } = TimeSpan.FromSeconds(8);

    private string Staged => configDirectory + ".new";

    private string Previous => configDirectory + ".previous";

    /// <summary>Applies <paramref name="archive"/>, refusing it unless its SHA-256 is <paramref name="sha256"/>.</summary>
    public async Task<ApplyOutcome> ApplyAsync(byte[] archive, string sha256, CancellationToken cancellation)
    {
        if (!Verified(archive, sha256))
        {
            return ApplyOutcome.Refused;
        }

        Unpack(archive);
        var changed = ChangedFiles();
        if (changed.Count == 0)
        {
            Directory.Delete(Staged, recursive: true);
            return ApplyOutcome.Unchanged;
        }

        return changed.All(f => f.StartsWith("maps/", StringComparison.Ordinal) && File.Exists(Path.Combine(configDirectory, f)))
            ? await ApplyMapsAsync(changed, cancellation)
            : await ApplyWithReloadAsync(sha256, cancellation);
    }

    /// <summary>
    /// Installs the node's first bundle where HAProxy does not run yet (the bootstrap's install):
    /// verify, unpack beside, swap, <c>haproxy -c</c>, <paramref name="start"/> HAProxy, wait for its
    /// worker, <paramref name="fill"/> its discovered pools (a node whose default pool is discovered
    /// is healthy only once it is filled), then the same health check as a reload. On any failure
    /// the previous folder comes back and HAProxy is <paramref name="stop"/>ped: a node that never
    /// ran a good bundle serves nothing.
    /// </summary>
    public async Task<ApplyOutcome> StartAsync(byte[] archive, string sha256, Func<CancellationToken, Task> start, Func<CancellationToken, Task> stop,
        Func<CancellationToken, Task<bool>> fill, CancellationToken cancellation)
    {
        if (!Verified(archive, sha256))
        {
            return ApplyOutcome.Refused;
        }

        Directory.CreateDirectory(configDirectory);
        Unpack(archive);
        Swap();
        if (await CheckAsync(cancellation) is { } check)
        {
            Restore();
            log.ConfigRefused(sha256, check);
            return ApplyOutcome.Refused;
        }

        await start(cancellation);
        if (await WorkerWithinTimeoutAsync(cancellation) && await fill(cancellation) && await HealthyWithinTimeoutAsync(cancellation) && await StaysHealthyAsync(cancellation))
        {
            Directory.Delete(Previous, recursive: true);
            log.BundleStarted(sha256);
            return ApplyOutcome.Started;
        }

        Restore();
        await stop(cancellation);
        log.BundleNotStarted(sha256);
        return ApplyOutcome.Refused;
    }

    /// <summary>Whether <paramref name="archive"/>'s SHA-256 is <paramref name="sha256"/> (told when not).</summary>
    private bool Verified(byte[] archive, string sha256)
    {
        var actual = Convert.ToHexStringLower(SHA256.HashData(archive));
        if (actual != sha256)
        {
            log.BundleHashMismatch(actual, sha256);
        }

        return actual == sha256;
    }

    /// <summary>Whether a worker answers on the Runtime API within the health timeout.</summary>
    private async Task<bool> WorkerWithinTimeoutAsync(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (await haproxy.WorkerPidOrNullAsync(cancellation) is null)
        {
            if (clock.Elapsed >= HealthTimeout)
            {
                return false;
            }

            await Task.Delay(200, cancellation);
        }

        return true;
    }

    private async Task<ApplyOutcome> ApplyMapsAsync(IReadOnlyList<string> maps, CancellationToken cancellation)
    {
        foreach (var map in maps)
        {
            var entries = await File.ReadAllLinesAsync(Path.Combine(Staged, map), cancellation);
            var count = await MapUpdate.ReplaceAsync(haproxy, Path.Combine(configDirectory, map), entries, cancellation);
            log.MapReplaced(map, count);
        }

        Swap();
        Directory.Delete(Previous, recursive: true);
        return ApplyOutcome.MapsInPlace;
    }

    private async Task<ApplyOutcome> ApplyWithReloadAsync(string sha256, CancellationToken cancellation)
    {
        Swap();
        var check = await CheckAsync(cancellation);
        if (check is not null)
        {
            Restore();
            log.ConfigRefused(sha256, check);
            return ApplyOutcome.Refused;
        }

        var worker = await haproxy.WorkerPidAsync(cancellation);
        if (await Reload.ReloadAsync(worker, cancellation) is not null && await HealthyWithinTimeoutAsync(cancellation) && await StaysHealthyAsync(cancellation))
        {
            Directory.Delete(Previous, recursive: true);
            log.BundleRunning(sha256);
            return ApplyOutcome.Reloaded;
        }

        var failedAt = Stopwatch.StartNew();
        var reverted = await haproxy.WorkerPidOrNullAsync(cancellation) ?? worker;
        Restore();
        if (await Reload.ReloadAsync(reverted, cancellation) is not null)
        {
            await HealthyWithinTimeoutAsync(cancellation);
        }

        log.BundleReverted(sha256, Math.Round(failedAt.Elapsed.TotalSeconds, 1));
        return ApplyOutcome.Refused;
    }

    private ConfirmedReload Reload => new(haproxy, reload, log) { Timeout = HealthTimeout };

    /// <summary>Whether the node is healthy within the health timeout.</summary>
    private async Task<bool> HealthyWithinTimeoutAsync(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < HealthTimeout)
        {
            if (await healthy(cancellation))
            {
                return true;
            }

            await Task.Delay(200, cancellation);
        }

        return false;
    }

    /// <summary>Whether every probe during <see cref="HealthSettle"/> finds the node healthy.</summary>
    private async Task<bool> StaysHealthyAsync(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < HealthSettle)
        {
            if (!await healthy(cancellation))
            {
                return false;
            }

            await Task.Delay(200, cancellation);
        }

        return true;
    }

    /// <summary>haproxy -c's complaint about the config now in place, or null when it passes.</summary>
    private async Task<string?> CheckAsync(CancellationToken cancellation)
    {
        // Not -q, which silences the alerts too: the alerts are the reason the log gives.
        using var check = Process.Start(new ProcessStartInfo("haproxy", ["-c", "-f", Path.Combine(configDirectory, "haproxy.cfg")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var output = check.StandardOutput.ReadToEndAsync(cancellation);
        var errors = await check.StandardError.ReadToEndAsync(cancellation);
        await output;
        await check.WaitForExitAsync(cancellation);
        return check.ExitCode == 0 ? null : string.Join(" | ", (errors + "\n" + await output).Split('\n').Where(l => l.Contains("[ALERT]", StringComparison.Ordinal)).Select(l => l.Trim()));
    }

    private void Unpack(byte[] archive)
    {
        if (Directory.Exists(Staged))
        {
            Directory.Delete(Staged, recursive: true);
        }

        Directory.CreateDirectory(Staged);
        using var stream = new MemoryStream(archive);
        TarFile.ExtractToDirectory(stream, Staged, overwriteFiles: false);
    }

    /// <summary>Files of the staged bundle that differ from, or are missing in, the running one (and files it drops).</summary>
    private List<string> ChangedFiles()
    {
        static IEnumerable<string> Files(string root) =>
            Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'));

        var staged = Files(Staged).ToHashSet(StringComparer.Ordinal);
        var running = Directory.Exists(configDirectory) ? Files(configDirectory).ToHashSet(StringComparer.Ordinal) : [];
        return [.. staged.Union(running).Order(StringComparer.Ordinal)
            .Where(f => !staged.Contains(f) || !running.Contains(f)
                || !File.ReadAllBytes(Path.Combine(Staged, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(configDirectory, f))))];
    }

    /// <summary>The staged folder becomes the config folder; the running one is kept as the previous.</summary>
    private void Swap()
    {
        if (Directory.Exists(Previous))
        {
            Directory.Delete(Previous, recursive: true);
        }

        Move(configDirectory, Previous);
        Move(Staged, configDirectory);
    }

    private void Restore()
    {
        Move(configDirectory, Staged);
        Move(Previous, configDirectory);
        Directory.Delete(Staged, recursive: true);
    }

    /// <summary>
    /// Renames a folder; where the file system refuses (another device, or a folder in an overlay's
    /// lower layer, as the package's /etc/haproxy can be), copies it and deletes the original.
    /// </summary>
    private static void Move(string from, string to)
    {
        try
        {
            Directory.Move(from, to);
        }
        catch (IOException) when (Directory.Exists(from) && !Directory.Exists(to))
        {
            foreach (var folder in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            {
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, folder)));
            }

            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }

            Directory.Delete(from, recursive: true);
        }
    }
}
