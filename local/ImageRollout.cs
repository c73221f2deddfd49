using System.Diagnostics;
using System.Globalization;

namespace HaproxyCluster.Local;

/// <summary>
/// A launch-template change rolled over the local cluster as the group's rolling update rolls it:
/// one node at a time, each replaced by a new instance on the new image through a node's boot path
/// (the agent's <c>install-rules</c>, the agent, then its <c>bake</c>), stopping at the first failed
/// bake, whose node goes back to the image it had (CloudFormation's rollback), and leaving the
/// nodes not yet replaced untouched. A node is replaced in place: it is drained in the front first,
/// as the NLB drains a deregistered target, and registered again once its agent is ready.
/// </summary>
/// <param name="localDir">The local cluster's folder (<c>node&lt;n&gt;/</c>, <c>front.sock</c>, <c>front.log</c>).</param>
/// <param name="netnsPrefix">Node n's network namespace is this and n.</param>
/// <param name="agent">The node agent's executable, as a node downloads it.</param>
/// <param name="output">Where a line a node goes.</param>
public sealed class ImageRollout(string localDir, string netnsPrefix, string agent, TextWriter output)
{
    /// <summary>What a node's agent installs on a new instance: the rules bundle and the TLS certificates.</summary>
    private static readonly string[] InstalledFolders = ["haproxy", "tls"];

    /// <summary>
    /// What the rollout did: each replaced node's verdict (<c>node1:passed</c>), the node that went
    /// back to its previous image (or null), the failed requests its bake may cause (the requests the
    /// front handed it during its bake times its image's fault rate, with a fifth more for chance,
    /// and the connections open on it when it stopped), each node's image and TCP keepalive time.
    /// </summary>
    public sealed record Summary(IReadOnlyList<string> Verdicts, int? RolledBack, long FailureBudget, IReadOnlyList<string> Images, IReadOnlyList<string> KeepAlive)
    {
        /// <summary>The summary on one line, for chaos: the failure budget, then what happened.</summary>
        public string ToLine() => string.Create(CultureInfo.InvariantCulture,
            $"{FailureBudget} bakes: {string.Join(' ', Verdicts)}; nodes on {string.Join(' ', Images)}; keepalive {string.Join(' ', KeepAlive)} s\n");
    }

    /// <summary>What a rollout should end in: every node on the image, or its first node back on its previous image and the others untouched.</summary>
    public enum Outcome
    {
        /// <summary>Every bake passed and every node runs the image, its sysctls in force.</summary>
        EveryNode,

        /// <summary>The first node's bake failed, it runs its previous image again, and no other node was replaced.</summary>
        RolledBack,
    }

    /// <summary>Whether <paramref name="summary"/> of rolling <paramref name="image"/> over <paramref name="nodes"/> nodes, each before on <paramref name="before"/>, is <paramref name="expected"/>; null when it is, else what differs.</summary>
    public static string? Differs(Summary summary, Outcome expected, string image, int nodes, IReadOnlyList<string> before)
    {
        var name = Path.GetFileName(image);
        var keepAlive = File.ReadLines(Path.Combine(image, "sysctl.conf")).Single(line => line.StartsWith("net.ipv4.tcp_keepalive_time", StringComparison.Ordinal)).Split('=')[1].Trim();
        var ok = expected == Outcome.EveryNode
            ? summary.RolledBack is null && summary.Images.All(i => i == name) && summary.KeepAlive.All(k => k == keepAlive) && summary.Verdicts.Count == nodes
            : summary.RolledBack == 1 && summary.Verdicts.SequenceEqual(["node1:failed"]) && summary.Images.SequenceEqual(before);
        return ok ? null : Invariant($"expected {expected}, but bakes {string.Join(' ', summary.Verdicts)}, images {string.Join(' ', summary.Images)} (before: {string.Join(' ', before)}), keepalive {string.Join(' ', summary.KeepAlive)} s");
    }

    /// <summary>Each node's image now, by folder name ("-": as local.sh started it).</summary>
    public IReadOnlyList<string> Images(int nodes) => [.. Enumerable.Range(1, nodes).Select(n => ImageOf(n) is { } folder ? Path.GetFileName(folder) : "-")];

    private sealed record Replaced(bool Passed, string Reason, long BakeFromMs);

    /// <summary>Rolls <paramref name="image"/> (an image folder, <see cref="NodeImage"/>) over nodes 1 to <paramref name="nodes"/>.</summary>
    public async Task<Summary> RunAsync(string image, int nodes, CancellationToken cancellation)
    {
        var verdicts = new List<string>();
        int? rolledBack = null;
        long budget = 0;
        for (var n = 1; n <= nodes && rolledBack is null; n++)
        {
            var previous = ImageOf(n);
            var replaced = await ReplaceAsync(n, image, cancellation);
            verdicts.Add(Invariant($"node{n}:{(replaced.Passed ? "passed" : "failed")}"));
            output.WriteLine(Invariant($"image-rollout: node{n} on image {Path.GetFileName(image)}: {replaced.Reason}"));
            if (!replaced.Passed)
            {
                // As the bootstrap does when it signals failure: the node stops serving at once.
                Signal(n, "agent.pid");
                Signal(n, "master.pid");
                var stoppedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                budget = FailureBudget(n, replaced.BakeFromMs, stoppedMs, NodeImage.FaultRate(image));
                var back = await ReplaceAsync(n, previous, cancellation);
                output.WriteLine(Invariant($"image-rollout: node{n} back on image {(previous is null ? "(as started)" : Path.GetFileName(previous))}: {back.Reason}"));
                rolledBack = n;
            }
        }

        var images = Images(nodes);
        var keepAlive = await Task.WhenAll(Enumerable.Range(1, nodes).Select(n => LocalProcess.RunAsync(["ip", "netns", "exec", netnsPrefix + n, "sysctl", "-n", "net.ipv4.tcp_keepalive_time"], cancellation)));
        return new Summary(verdicts, rolledBack, budget, images, [.. keepAlive.Select(k => k.Output.Trim())]);
    }

    /// <summary>Node <paramref name="n"/> replaced by a new instance on <paramref name="image"/> (null: as local.sh started it), through a node's boot path; its bake's verdict.</summary>
    private async Task<Replaced> ReplaceAsync(int n, string? image, CancellationToken cancellation)
    {
        var dir = NodeDir(n);
        var netns = netnsPrefix + n;
        var frontSocket = Path.Combine(localDir, "front.sock");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // Deregistered: no new connection, and the open ones finish. Then the instance is terminated.
        await LocalFront.ShiftAsync(frontSocket, [n], true, cancellation);
        await WaitForAsync(http, n, "scur", "0", TimeSpan.FromSeconds(30), cancellation);
        foreach (var pid in (await LocalProcess.RunAsync(["ip", "netns", "pids", netns], cancellation)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await LocalProcess.RunAsync(["kill", "-9", pid], cancellation);
        }

        // A new instance: no config and no certificates yet (its agent installs both from the
        // stand-ins, as on a node), an empty server state (as the bootstrap lays down), a log of its own.
        foreach (var installed in InstalledFolders.Select(folder => Path.Combine(dir, folder)).Where(Directory.Exists))
        {
            Directory.Delete(installed, recursive: true);
        }

        File.WriteAllText(Path.Combine(dir, "run", "server-state"), "1\n");
        File.Move(Path.Combine(dir, "agent.log"), Path.Combine(dir, "agent.log.replaced"), overwrite: true);
        File.Delete(Path.Combine(dir, "bake-reason"));
        var marker = Path.Combine(dir, "image");
        File.Delete(marker);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        if (image is not null)
        {
            File.WriteAllText(marker, Path.GetFullPath(image) + "\n");
            if (await LocalProcess.RunAsync(["ip", "netns", "exec", netns, "sysctl", "-q", "-p", Path.Combine(image, "sysctl.conf")], cancellation) is { Code: not 0 } sysctl)
            {
                return new Replaced(false, "its image's sysctl failed: " + sysctl.Output.Trim(), 0);
            }

            path = Path.Combine(Path.GetFullPath(image), "bin") + ":" + path;
        }

        var boot = Path.Combine(dir, "boot.log");
        if (await InNode(n, path, boot, agent, "install-rules", "--settings", "/mnt/agent.json").WaitAsync(cancellation) != 0)
        {
            return new Replaced(false, "install-rules failed; see " + boot, 0);
        }

        var service = InNode(n, path, Path.Combine(dir, "agent.log"), agent, "--settings", "/mnt/agent.json");
        File.WriteAllText(Path.Combine(dir, "agent.pid"), service.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!AgentEventLog.Ready(AgentEventLog.Read(Path.Combine(dir, "agent.log"))))
        {
            if (DateTime.UtcNow > deadline)
            {
                return new Replaced(false, "its agent never said it was ready", 0);
            }

            await Task.Delay(200, cancellation);
        }

        // Registered: the front's checks decide when it takes traffic, as the NLB's do.
        await LocalFront.ShiftAsync(frontSocket, [n], false, cancellation);
        if (!await WaitForAsync(http, n, "status", "UP", TimeSpan.FromSeconds(60), cancellation))
        {
            return new Replaced(false, "the front never saw it UP", 0);
        }

        var bakeFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var code = await InNode(n, path, boot, agent, "bake", "--settings", "/mnt/agent.json", "--reason-file", "/mnt/bake-reason").WaitAsync(cancellation);
        var reason = File.Exists(Path.Combine(dir, "bake-reason")) ? File.ReadAllText(Path.Combine(dir, "bake-reason")).Trim() : Invariant($"bake exited {code} with no reason; see {boot}");
        return new Replaced(code == 0, reason, bakeFrom);
    }

    /// <summary>The failures <paramref name="n"/>'s bake may cause: its sessions in the front from <paramref name="fromMs"/> to <paramref name="toMs"/> times the fault rate, a fifth more, and those its stop broke.</summary>
    private long FailureBudget(int n, long fromMs, long toMs, double rate)
    {
        var name = Invariant($"node{n}");
        var sessions = LocalFront.Session.Read(Path.Combine(localDir, "front.log")).Where(s => s.Node == name && s.AcceptedMs >= fromMs && s.AcceptedMs <= toMs).ToList();
        return (long)Math.Ceiling(sessions.Count * rate * 1.2) + sessions.Count(s => s.Broken);
    }

    private string NodeDir(int n) => Path.Combine(localDir, Invariant($"node{n}"));

    /// <summary>The image folder node <paramref name="n"/> runs, or null when it runs as local.sh started it.</summary>
    private string? ImageOf(int n) => File.Exists(Path.Combine(NodeDir(n), "image")) ? File.ReadAllText(Path.Combine(NodeDir(n), "image")).Trim() : null;

    private void Signal(int n, string pidFile)
    {
        if (File.Exists(Path.Combine(NodeDir(n), pidFile)) && int.TryParse(File.ReadAllText(Path.Combine(NodeDir(n), pidFile)).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
        }
    }

    /// <summary>Waits until column <paramref name="column"/> of node <paramref name="n"/> in the front reads <paramref name="value"/>; false when it did not within <paramref name="within"/>.</summary>
    private static async Task<bool> WaitForAsync(HttpClient http, int n, string column, string value, TimeSpan within, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + within;
        while (await LocalFront.StatAsync(http, n, column, cancellation) != value)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100, cancellation);
        }

        return true;
    }

    /// <summary>
    /// Starts a command in node <paramref name="n"/>'s namespace with its folder on /mnt (as local.sh's
    /// in_node), PATH set to <paramref name="path"/>, its output appended to <paramref name="log"/>.
    /// </summary>
    private Process InNode(int n, string path, string log, params string[] command) =>
        Process.Start(new ProcessStartInfo("ip", ["netns", "exec", netnsPrefix + n, "bash", "-c", "mount --bind \"$0\" /mnt && exec \"$@\" >> \"$LOG\" 2>&1", NodeDir(n), "env", "PATH=" + path, .. command])
        {
            Environment = { ["LOG"] = log },
        })!;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
