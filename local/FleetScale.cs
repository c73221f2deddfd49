using System.Diagnostics;
using System.Globalization;
using HaproxyCluster.Config;
using HaproxyCluster.Node;

namespace HaproxyCluster.Local;

/// <summary>
/// Discovery at fleet size (<c>make fleet-scale</c>): N real agents (the published binary), each on
/// a real HAProxy of its own on a loopback address of its own, all against one EC2 stand-in that
/// lists them as the nodes' group. Once the fleet paces itself it measures the DescribeInstances
/// calls a second the stand-in answers, then how long a new instance of the discovered group takes
/// to serve on every node, and how long a leaving one takes to drain everywhere.
/// </summary>
/// <param name="agent">The agent executable (<c>.build/agent/linux-x64/haproxy-cluster-agent</c>).</param>
/// <param name="folder">Where each run keeps its nodes' bundles, settings and logs.</param>
/// <param name="callsPerSecond">The fleet's call budget (<see cref="NodeSettings.Ec2CallsPerSecond"/>).</param>
/// <param name="progress">Where each phase is announced.</param>
public sealed class FleetScale(string agent, string folder, double callsPerSecond, TextWriter progress)
{
    private const string NodesGroup = "fleet-nodes";
    private const string AppGroup = "fleet-app";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(NodeSettings.DefaultDiscoveryIntervalSeconds);

    /// <summary>The shortest count of calls: a minute holds ten passes of each node of a small fleet.</summary>
    private const double CountingSeconds = 60;

    /// <summary>One fleet size's figures.</summary>
    /// <param name="Nodes">Agents running.</param>
    /// <param name="PassSeconds">The paced wait between two passes (before jitter).</param>
    /// <param name="Expected">The calls a second the pace allows: nodes over the wait.</param>
    /// <param name="Measured">The calls a second the stand-in answered over three paced waits, or a minute when longer.</param>
    /// <param name="Joined">Seconds until a new instance served on each node.</param>
    /// <param name="Drained">Seconds until a leaving instance's slot drained on each node.</param>
    public sealed record Row(int Nodes, double PassSeconds, double Expected, double Measured, IReadOnlyList<double> Joined, IReadOnlyList<double> Drained)
    {
        /// <summary>Whether the fleet is past the minimum interval: it paces itself by the budget.</summary>
        public bool Paced => PassSeconds > Interval.TotalSeconds;

        /// <summary>Whether the measured rate is within 10 % of what the pace allows.</summary>
        public bool WithinBudget => Math.Abs(Measured - Expected) <= Expected * 0.1;

        /// <summary>The row as the report prints it.</summary>
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"| {Nodes} | {PassSeconds:0.#} | {Expected:0.00} | {Measured:0.00}{(!Paced ? "" : WithinBudget ? " (within 10 %)" : " (OFF by more than 10 %)")} | {Percentile(Joined, 50):0.0} / {Percentile(Joined, 95):0.0} | {Percentile(Drained, 50):0.0} / {Percentile(Drained, 95):0.0} |");
    }

    /// <summary>The report's header lines, a Markdown table.</summary>
    public static string Header => string.Create(CultureInfo.InvariantCulture, $"""
        | nodes | s between passes | calls/s allowed | calls/s measured | new instance serving on every node, p50 / p95 s | leaver draining everywhere, p50 / p95 s |
        |---|---|---|---|---|---|
        """);

    /// <summary>Runs <paramref name="nodes"/> agents, measures, and stops every process it started.</summary>
    public async Task<Row> MeasureAsync(int nodes, CancellationToken cancellation)
    {
        var run = Directory.CreateDirectory(Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"n{nodes}"))).FullName;
        var instancesFile = Path.Combine(run, "instances.tsv");
        var fleet = Enumerable.Range(1, nodes).Select(n => Instance(n, $"10.200.{n / 250}.{1 + (n % 250)}", NodesGroup)).ToList();
        List<Ec2StandIn.Instance> app = [.. Enumerable.Range(1, 3).Select(n => Instance(1000 + n, $"127.201.0.{n}", AppGroup))];
        Ec2StandIn.Write(instancesFile, [.. fleet, .. app]);
        using var ec2 = new Ec2StandIn(FreePort(), instancesFile, pageSize: 1000);
        var processes = new List<Process>();
        try
        {
            var logs = Enumerable.Range(1, nodes).Select(n => StartNode(run, n, ec2.Endpoint, processes)).ToList();
            await WaitAsync(logs, (_, events) => AgentEventLog.Ready(events) ? DateTimeOffset.UtcNow : null, "every agent ready", TimeSpan.FromMinutes(2), cancellation);

            // The first passes come all at once; the fleet paces itself from its second pass on. The
            // count runs long enough that a node's pass more or less at either end moves it little.
            var paced = DiscoveryPacing.Paced(Interval, callsPerSecond, nodes, callsPerPass: 1);
            var window = TimeSpan.FromSeconds(Math.Max(3 * paced.TotalSeconds, CountingSeconds));
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fleet-scale: {nodes} nodes ready; settling for {paced.TotalSeconds:0} s, then counting calls for {window.TotalSeconds:0} s"));
            await Task.Delay(paced * 1.5, cancellation);
            var before = ec2.Requests;
            var counting = Stopwatch.StartNew();
            await Task.Delay(window, cancellation);
            var measured = (ec2.Requests - before) / counting.Elapsed.TotalSeconds;

            var joiner = Instance(1004, "127.201.0.4", AppGroup);
            var joinedAt = DateTimeOffset.UtcNow;
            Ec2StandIn.Write(instancesFile, [.. fleet, .. app, joiner]);
            progress.WriteLine($"fleet-scale: {nodes} nodes: {joiner.Id} joins {AppGroup}");
            var joined = await WaitAsync(logs, (_, events) => events.FirstOrDefault(e => e.Name == NodeEvents.SlotFilled && e.Field("InstanceId") == joiner.Id)?.Time, $"{joiner.Id} serving on every node", paced * 4, cancellation);

            // The leaver's slot on each node is the one that node filled with it.
            var leaver = app[0];
            var slots = logs.Select(log => AgentEventLog.Read(log).Last(e => e.Name == NodeEvents.SlotFilled && e.Field("InstanceId") == leaver.Id).Field("Slot")).ToList();
            var leftAt = DateTimeOffset.UtcNow;
            Ec2StandIn.Write(instancesFile, [.. fleet, leaver with { Tags = new Dictionary<string, string>(leaver.Tags) { [MembershipManifest.LeavingTag] = "1" } }, .. app.Skip(1), joiner]);
            progress.WriteLine($"fleet-scale: {nodes} nodes: {leaver.Id} leaves {AppGroup}");
            var drained = await WaitAsync(logs, (i, events) => events.LastOrDefault(e => e.Name == NodeEvents.SlotDraining && e.Field("Slot") == slots[i] && e.Time >= leftAt)?.Time, $"{leaver.Id} draining on every node", paced * 4, cancellation);

            return new Row(nodes, paced.TotalSeconds, nodes / paced.TotalSeconds, measured, [.. joined.Select(t => (t - joinedAt).TotalSeconds)], [.. drained.Select(t => (t - leftAt).TotalSeconds)]);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                process.Dispose();
            }
        }
    }

    /// <summary>The value at <paramref name="percent"/> % of <paramref name="values"/> (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static Ec2StandIn.Instance Instance(int n, string address, string group) =>
        new(string.Create(CultureInfo.InvariantCulture, $"i-{n:x17}"), address, "running", new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(n),
            new Dictionary<string, string> { [DiscoveryPacing.GroupTag] = group });

    /// <summary>Node <paramref name="n"/>: its HAProxy on 127.200.x.y with the discovered pool, then its agent; returns the agent's log.</summary>
    private string StartNode(string run, int n, Uri ec2, List<Process> processes)
    {
        var dir = Directory.CreateDirectory(Path.Combine(run, string.Create(CultureInfo.InvariantCulture, $"node{n}"))).FullName;
        var spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "app", Discovery = Ec2Discovery.ForGroup(AppGroup, 8080, slots: 8) }],
            DefaultPool = "app",
            Listeners = new Listeners { BindAddress = string.Create(CultureInfo.InvariantCulture, $"127.200.{n / 250}.{1 + (n % 250)}") },
            Global = new GlobalSettings { LogTarget = "stdout", RuntimeSocketPath = Path.Combine(dir, "admin.sock"), ServerStateFile = Path.Combine(dir, "server-state"), User = null, MaxConnections = 100 },
        };
        ConfigRenderer.Render(spec, dir).WriteTo(dir);
        File.WriteAllText(spec.Global.ServerStateFile, "1\n");
        var settings = new NodeSettings
        {
            Region = "eu-west-1",
            Ec2Endpoint = ec2.ToString(),
            ConfigDirectory = dir,
            RuntimeSocket = spec.Global.RuntimeSocketPath,
            HealthPort = spec.Listeners.HealthPort,
            HealthPath = spec.Listeners.HealthPath,
            Ec2CallsPerSecond = callsPerSecond,
            FleetGroup = NodesGroup,
        };
        File.WriteAllText(Path.Combine(dir, "agent.json"), settings.ToJson());
        processes.Add(Start("haproxy", ["-W", "-db", "-f", Path.Combine(dir, "haproxy.cfg")], Path.Combine(dir, "haproxy.log")));
        var socket = Stopwatch.StartNew();
        while (!File.Exists(spec.Global.RuntimeSocketPath) && socket.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(50);
        }

        var log = Path.Combine(dir, "agent.log");
        processes.Add(Start(agent, ["--settings", Path.Combine(dir, "agent.json")], log));
        return log;
    }

    /// <summary><paramref name="program"/>, its output appended to <paramref name="log"/> by the shell (so it survives this process's reads).</summary>
    private static Process Start(string program, IEnumerable<string> arguments, string log) =>
        Process.Start(new ProcessStartInfo("bash", ["-c", "exec \"$0\" \"$@\" >> \"$LOG\" 2>&1", program, .. arguments]) { Environment = { ["LOG"] = log } })!;

    /// <summary>When <paramref name="found"/> (given a node's index and events) first found its event in each node's log; throws naming how many never did within <paramref name="within"/>.</summary>
    private static async Task<IReadOnlyList<DateTimeOffset>> WaitAsync(List<string> logs, Func<int, IReadOnlyList<NodeEventLine>, DateTimeOffset?> found, string what, TimeSpan within, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var times = new DateTimeOffset?[logs.Count];
        while (times.Any(t => t is null))
        {
            for (var i = 0; i < logs.Count; i++)
            {
                times[i] ??= found(i, AgentEventLog.Read(logs[i]));
            }

            if (clock.Elapsed > within && times.Any(t => t is null))
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"fleet-scale: {times.Count(t => t is null)} of {logs.Count} nodes never saw {what} within {within.TotalSeconds:0} s"));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation);
        }

        return [.. times.Select(t => t!.Value)];
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
