using System.CommandLine;
using System.Globalization;
using HaproxyCluster.Config;
using HaproxyCluster.Infra;
using HaproxyCluster.Local;
using HaproxyCluster.Node;
using HaproxyCluster.UserData;

// Renders what the local stand-in runs, for scripts/local.sh and scripts/bench.sh. Run with --help.
var env = new Option<string>("--env") { Description = "The environment whose rules the nodes run.", DefaultValueFactory = _ => "dev" };
var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write into.", Required = true };
var backendAddress = new Option<string>("--backend-address") { Description = "Where the local backends listen.", Required = true };
var firstPort = new Option<int>("--first-port") { Description = "The first local backend's port; the others follow.", Required = true };
var nodes = new Option<int>("--nodes") { Description = "How many nodes.", DefaultValueFactory = _ => 3 };
var httpPort = new Option<int?>("--http-port") { Description = "Try the environment with this HTTP port instead of its own." };
var healthPort = new Option<int?>("--health-port") { Description = "Try the environment with this health port instead of its own." };
var healthPath = new Option<string?>("--health-path") { Description = "Try the environment with this health path instead of its own." };
var keepAlive = new Option<int?>("--keepalive-seconds") { Description = "Try the environment with TCP keepalive probes after this many idle seconds, and as far apart, instead of its own." };
var logTarget = new Option<string>("--log-target") { Description = "Where the node logs, such as tcp@127.0.0.1:5140 as on a node.", Required = true };
var port = new Option<int>("--port") { Description = "The port to listen on.", Required = true };
var listenAddress = new Option<string>("--address") { Description = "The address to listen on: loopback, or the local cluster's bridge.", DefaultValueFactory = _ => "127.0.0.1" };
var instancesFile = new Option<FileInfo>("--instances") { Description = "The instances file to answer from (see Ec2StandIn).", Required = true };
var pageSize = new Option<int>("--page-size") { Description = "Instances per page of an answer.", DefaultValueFactory = _ => 3 };

var rulesFile = new Option<FileInfo>("--rules") { Description = "Where to write the rules version (the AppConfig payload) the nodes run.", Required = true };
var minutesAsSeconds = new Option<double>("--seconds-per-minute") { Description = "The local stand-in's time: seconds it takes for each minute of the environment's strategy.", DefaultValueFactory = _ => 10 };

var ec2Port = new Option<int>("--ec2-port") { Description = "The EC2 stand-in's port on the backend address (the bridge).", Required = true };
var appConfigPort = new Option<int>("--appconfig-port") { Description = "The AppConfig stand-in's port on the bridge.", Required = true };
var emfPortOnBridge = new Option<int>("--emf-port") { Description = "Where on the bridge the agents send their EMF data points.", Required = true };
var agentInterval = new Option<int>("--agent-interval-seconds") { Description = "Seconds between two discovery passes of each node's agent.", DefaultValueFactory = _ => 5 };
var rulesPoll = new Option<int>("--rules-poll-seconds") { Description = "Seconds between two reads of the rules by each node's agent.", DefaultValueFactory = _ => 1 };
var bakeSeconds = new Option<int?>("--bake-seconds") { Description = "A new node's bake, in seconds, with the environment's thresholds (or the defaults). Default: the environment's bake." };
var frontCheckMs = new Option<int?>("--front-check-ms") { Description = "The front's health check interval in milliseconds. Default: the target group's." };
var nodesCommand = new Command("nodes", "Each node's bundle (OUT/node<i>/haproxy/, as a node of the local cluster sees it under /mnt) and agent settings (OUT/node<i>/agent.json), the rules version of it (OUT/rules.json), the front's config (OUT/front.cfg), the local backends' configs (OUT/backends/) and list (OUT/backends.tsv), every instance EC2-discovered pools can have (OUT/instances.tsv), and OUT/topology.env, which local.sh reads.")
{
    env, output, nodes, backendAddress, firstPort, httpPort, healthPort, healthPath, keepAlive, ec2Port, appConfigPort, emfPortOnBridge, agentInterval, rulesPoll, frontCheckMs, bakeSeconds,
};
nodesCommand.SetAction(parsed =>
{
    var folder = parsed.GetValue(output)!.FullName;
    var cluster = Environments.Select(parsed.GetValue(env))[0].Cluster;
    if (cluster.NodeTls is { } tls)
    {
        LocalPki.Write(folder, tls, parsed.GetValue(nodes));
    }

    var spec = LocalSpec(parsed, folder);
    var standIns = new LocalTopology.StandIns(parsed.GetValue(backendAddress)!, parsed.GetValue(ec2Port), parsed.GetValue(appConfigPort), parsed.GetValue(emfPortOnBridge), parsed.GetValue(agentInterval), parsed.GetValue(rulesPoll), LocalTopology.SsmPort);
    var bake = cluster.Bake;
    var agentSettings = LocalTopology.AgentSettings(parsed.GetValue(env)!, spec.Listeners, standIns,
        parsed.GetValue(bakeSeconds) is { } seconds ? bake with { Duration = TimeSpan.FromSeconds(seconds) } : bake, cluster.NodeTls).ToJson();
    var backends = LocalTopology.Backends(spec, parsed.GetValue(backendAddress)!, parsed.GetValue(firstPort));
    var bundle = LocalTopology.NodeBundle(spec, backends);
    for (var node = 1; node <= parsed.GetValue(nodes); node++)
    {
        var nodeFolder = Path.Combine(folder, $"node{node}");
        bundle.WriteTo(Path.Combine(nodeFolder, "haproxy"));
        File.WriteAllText(Path.Combine(nodeFolder, "agent.json"), agentSettings);
        Directory.CreateDirectory(Path.Combine(nodeFolder, "run"));
    }

    File.WriteAllText(Path.Combine(folder, "rules.json"), RulesPayload.Encode(bundle.Archive()));
    WriteBackends(folder, backends);
    File.WriteAllLines(Path.Combine(folder, "instances.tsv"), LocalTopology.Instances(spec, backends));
    var checkInterval = parsed.GetValue(frontCheckMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
    var zones = LocalTopology.NodeZones(Environments.Select(parsed.GetValue(env))[0].Cluster, parsed.GetValue(nodes));
    File.WriteAllText(Path.Combine(folder, "front.cfg"), LocalFront.Config(spec.Listeners, parsed.GetValue(backendAddress)!, zones, Path.Combine(folder, "front.sock"), checkInterval));
    File.WriteAllText(Path.Combine(folder, "topology.env"), LocalTopology.TopologyEnv(spec, parsed.GetValue(backendAddress)!, zones));
});

var tenants = new Option<int>("--tenants") { Description = "Rows to add to the first host table (a table-only change)." };
var rulesVersion = new Option<string?>("--rules-version") { Description = "Adds the request header X-Rules-Version with this value (a rule change)." };
var fault = new Option<string?>("--fault") { Description = "Breaks the bundle on purpose: check (haproxy -c refuses it) or health (it runs, but its health check fails)." };
var strategyOf = new Option<string?>("--strategy-of") { Description = "Use this environment's deployment strategy instead of ENV's." };
var clusterDir = new Option<DirectoryInfo>("--local-dir") { Description = "The local cluster's folder (its CA, for an environment with NodeTls).", Required = true };
var rulesCommand = new Command("rules", "The working tree's rules of ENV as the local nodes run them, as one rules version (an AppConfig payload) in RULES; prints the stand-in's deployment query for the strategy in local time (steps=…&step-seconds=…&bake-seconds=…), a space, and the bundle's sha256.")
{
    env, rulesFile, backendAddress, firstPort, httpPort, healthPort, healthPath, keepAlive, minutesAsSeconds, tenants, rulesVersion, fault, strategyOf, clusterDir,
};
rulesCommand.SetAction(parsed =>
{
    var spec = LocalTopology.Changed(LocalSpec(parsed, parsed.GetValue(clusterDir)!.FullName), parsed.GetValue(tenants), parsed.GetValue(rulesVersion));
    var bundle = LocalTopology.NodeBundle(spec, LocalTopology.Backends(spec, parsed.GetValue(backendAddress)!, parsed.GetValue(firstPort)));
    var archive = (parsed.GetValue(fault) is { } broken ? LocalTopology.Faulty(bundle, broken) : bundle).Archive();
    File.WriteAllText(parsed.GetValue(rulesFile)!.FullName, RulesPayload.Encode(archive));
    var rollout = Environments.Select(parsed.GetValue(strategyOf) ?? parsed.GetValue(env))[0].Cluster.EffectiveRollout;
    Console.WriteLine($"{LocalTopology.StrategyQuery(rollout, parsed.GetValue(minutesAsSeconds))} {archive.Sha256}");
});

var emfPort = new Option<int>("--emf-port") { Description = "The UDP port where agents' EMF data points arrive; a failed apply rolls the deployment back.", Required = true };
var appConfigCommand = new Command("appconfig", "The AppConfig stand-in on ADDRESS:PORT (the AppConfig Agent's localhost endpoint, per node), its alarm on ADDRESS:EMF-PORT, until stopped.")
{
    listenAddress, port, emfPort,
};
appConfigCommand.SetAction(async (parsed, cancellation) =>
{
    using var standIn = new AppConfigStandIn(parsed.GetValue(port), parsed.GetValue(listenAddress)!, parsed.GetValue(emfPort));
    Console.WriteLine($"appconfig: answering on {standIn.Endpoint}");
    try
    {
        await Task.Delay(Timeout.Infinite, cancellation);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("appconfig: stopped");
    }
});

var ec2Command = new Command("ec2", "The EC2 stand-in on ADDRESS:PORT, answering DescribeInstances from INSTANCES until stopped (SIGTERM or Ctrl-C); an INSTANCES.outage file makes it answer 503.")
{
    listenAddress, port, instancesFile, pageSize,
};
ec2Command.SetAction(async (parsed, cancellation) =>
{
    using var standIn = new Ec2StandIn(parsed.GetValue(port), parsed.GetValue(instancesFile)!.FullName, parsed.GetValue(pageSize), parsed.GetValue(listenAddress)!);
    Console.WriteLine($"ec2: answering on {standIn.Endpoint}");
    try
    {
        await Task.Delay(Timeout.Infinite, cancellation);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"ec2: stopped after {standIn.Requests} calls");
    }
});

var parametersDir = new Option<DirectoryInfo>("--parameters") { Description = "The parameters' folder: each parameter a file at its path.", Required = true };
var ssmCommand = new Command("ssm", "The Parameter Store stand-in on the bridge's PORT, answering GetParameter from PARAMETERS until stopped (SsmStandIn).")
{
    listenAddress, port, parametersDir,
};
ssmCommand.SetAction(async (parsed, cancellation) =>
{
    using var standIn = new SsmStandIn(parsed.GetValue(port), parsed.GetValue(parametersDir)!.FullName, parsed.GetValue(listenAddress)!);
    Console.WriteLine($"ssm: answering on {standIn.Endpoint}");
    try
    {
        await Task.Delay(Timeout.Infinite, cancellation);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"ssm: stopped after {standIn.Requests} calls");
    }
});

var rotateSeconds = new Option<int>("--seconds") { Description = "How long every node has to serve each new certificate.", DefaultValueFactory = _ => 30 };
var rotateSummary = new Option<FileInfo>("--summary") { Description = "Where to write the outcome, one line.", Required = true };
var rotateCommand = new Command("rotate-certificates", "Replaces each of ENV's node certificates in the Parameter Store stand-in and waits until every node serves the new one (SNI, straight to the node), its worker the same: a line a node and certificate; the outcome in SUMMARY; exit 1 when a node did not within SECONDS or reloaded (CertificateRotation).")
{
    env, clusterDir, nodes, backendAddress, rotateSeconds, rotateSummary,
};
rotateCommand.SetAction(async (parsed, cancellation) =>
{
    var cluster = Environments.Select(parsed.GetValue(env))[0].Cluster;
    var rotation = new CertificateRotation(parsed.GetValue(clusterDir)!.FullName, cluster.NodeTls!, parsed.GetValue(nodes), parsed.GetValue(backendAddress)!);
    var (passed, outcome) = await rotation.RunAsync(TimeSpan.FromSeconds(parsed.GetValue(rotateSeconds)), Console.Out, cancellation);
    await File.WriteAllTextAsync(parsed.GetValue(rotateSummary)!.FullName, outcome + "\n", cancellation);
    return passed ? 0 : 1;
});

var sha = new Option<string>("--sha") { Description = "The rules version's bundle SHA-256.", Required = true };
var logs = new Argument<string[]>("LOG") { Description = "A node agent's log." };
var appConfigUrl = new Option<string>("--appconfig") { Description = "The AppConfig stand-in's control URL.", Required = true };
var payloadFile = new Option<FileInfo>("--payload") { Description = "The rules version to deploy (what 'rules' wrote).", Required = true };
var strategyQuery = new Option<string>("--query") { Description = "The deployment strategy, as 'rules' printed it.", Required = true };
var localDir = new Option<DirectoryInfo>("--local-dir") { Description = "The local cluster's folder (node<i>/agent.log, node<i>/run/admin.sock).", Required = true };
var timeoutSeconds = new Option<int>("--timeout-seconds") { Description = "How long to follow it.", DefaultValueFactory = _ => 60 };
var summaryFile = new Option<FileInfo>("--summary") { Description = "Where to write the figures as shell assignments (ROLLOUT_LIVE…).", Required = true };
var rolloutCommand = new Command("rollout", "Deploys rules version SHA through the AppConfig stand-in and follows it on each node through its agent's events, until each applied or refused it or the deployment rolled back: a line a node, one in all, and the figures in SUMMARY (RolloutFollower).")
{
    appConfigUrl, payloadFile, strategyQuery, sha, localDir, nodes, timeoutSeconds, summaryFile,
};
rolloutCommand.SetAction(async (parsed, cancellation) =>
{
    using var http = new HttpClient { BaseAddress = new Uri(parsed.GetValue(appConfigUrl)!), Timeout = TimeSpan.FromSeconds(10) };
    var follower = new RolloutFollower(http, parsed.GetValue(localDir)!.FullName, parsed.GetValue(nodes));
    var summary = await follower.RunAsync(await File.ReadAllTextAsync(parsed.GetValue(payloadFile)!.FullName, cancellation), parsed.GetValue(strategyQuery)!,
        parsed.GetValue(sha)!, TimeSpan.FromSeconds(parsed.GetValue(timeoutSeconds)), Console.Out, cancellation);
    await File.WriteAllTextAsync(parsed.GetValue(summaryFile)!.FullName, summary.ShellAssignments(), cancellation);
});

var slotPool = new Option<string>("--pool") { Description = "The EC2-discovered pool.", Required = true };
var slotState = new Option<LocalNodes.SlotState>("--state") { Description = "The state every node's slot must reach: Serving, Draining, Down or None.", Required = true };
var slotSeconds = new Option<int>("--seconds") { Description = "How long to wait; 0: look once.", DefaultValueFactory = _ => 60 };
var sinceMs = new Option<long?>("--since-ms") { Description = "Count the seconds from this Unix time in ms (when the change was made). Default: now." };
var instanceNumbers = new Argument<int[]>("INSTANCE") { Description = "Instances of the pool, by number (1 is the first in instances.tsv)." };
var waitSlotsCommand = new Command("wait-slots", "Waits until, on every node, the slot for each INSTANCE of POOL is in STATE: prints the seconds each took (from SINCE-MS), 'never' for one that did not within SECONDS; exit 1 then (LocalNodes).")
{
    localDir, nodes, slotPool, slotState, slotSeconds, sinceMs, instanceNumbers,
};
waitSlotsCommand.SetAction(async (parsed, cancellation) =>
{
    var folder = parsed.GetValue(localDir)!.FullName;
    var pool = parsed.GetValue(slotPool)!;
    var addresses = File.ReadLines(Path.Combine(folder, "instances.tsv")).Select(line => line.Split('\t')).Where(f => f[0] == pool).Select(f => f[2]).ToList();
    var since = parsed.GetValue(sinceMs) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UtcNow;
    var reached = await new LocalNodes(folder, parsed.GetValue(nodes)).WaitForSlotsAsync(pool, [.. parsed.GetValue(instanceNumbers)!.Select(n => addresses[n - 1])],
        parsed.GetValue(slotState), since, TimeSpan.FromSeconds(parsed.GetValue(slotSeconds)), cancellation);
    Console.WriteLine(string.Join(' ', reached.Select(r => r is { } seconds ? seconds.ToString("0.0", CultureInfo.InvariantCulture) : "never")));
    return reached.All(r => r is not null) ? 0 : 1;
});

var running = new Option<int>("--running") { Description = "Instances of the pool EC2 lists as running.", Required = true };
var leaving = new Option<int>("--leaving") { Description = "The next instances, listed tagged as leaving." };
var listCommand = new Command("list-instances", "What the EC2 stand-in lists for POOL from now on: its first RUNNING instances, the next LEAVING ones tagged as leaving, the rest gone (LocalTopology.ListInstances).")
{
    localDir, slotPool, running, leaving,
};
listCommand.SetAction(parsed =>
{
    try
    {
        LocalTopology.ListInstances(parsed.GetValue(localDir)!.FullName, parsed.GetValue(slotPool)!, parsed.GetValue(running), parsed.GetValue(leaving));
        return 0;
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"list-instances: {e.Message}");
        return 2;
    }
});

var workersCommand = new Command("workers", "Each node's HAProxy worker pid, on one line ('-' where the Runtime API does not answer): a reload changes it.")
{
    localDir, nodes,
};
workersCommand.SetAction(async (parsed, cancellation) =>
    Console.WriteLine(string.Join(' ', (await new LocalNodes(parsed.GetValue(localDir)!.FullName, parsed.GetValue(nodes)).WorkersAsync(cancellation)).Select(pid => pid ?? "-"))));

var stackName = new Option<string>("--env") { Description = "The environment.", Required = true };
var cfnDiff = new Option<FileInfo>("--cfn-diff") { Description = "cdk diff's output for its stack.", Required = true };
var filesDiff = new Option<FileInfo>("--files-diff") { Description = "The diff of its node files (empty: none changed).", Required = true };
var diffSummaryCommand = new Command("diff-summary", "make diff's summary of one stack: what it replaces or destroys, loudly for the NLB and target groups, and whether rules roll out in place or the nodes are replaced (DiffSummary).")
{
    stackName, cfnDiff, filesDiff,
};
diffSummaryCommand.SetAction(parsed =>
{
    foreach (var line in DiffSummary.Lines(parsed.GetValue(stackName)!, File.ReadAllText(parsed.GetValue(cfnDiff)!.FullName), parsed.GetValue(filesDiff)!.Length > 0))
    {
        Console.WriteLine(line);
    }
});

var frontNode = new Option<int[]>("--node") { Description = "The nodes, from 1.", Required = true, AllowMultipleArgumentsPerToken = true };
var frontColumn = new Option<string>("--column") { Description = "A column of HAProxy's stats CSV: status, scur, chkdown…", DefaultValueFactory = _ => "status" };
var frontUntil = new Option<string?>("--until") { Description = "Wait until the column reads this; prints the seconds it took instead." };
var frontCommand = new Command("front", "Column COLUMN of the front's stats for each NODE, on one line; with UNTIL, waits (up to SECONDS) until each reads UNTIL and prints the seconds since SINCE-MS each took ('never': exit 1) (LocalFront).")
{
    frontNode, frontColumn, frontUntil, slotSeconds, sinceMs,
};
frontCommand.SetAction(async (parsed, cancellation) =>
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    var (nodeNumbers, column, until) = (parsed.GetValue(frontNode)!, parsed.GetValue(frontColumn)!, parsed.GetValue(frontUntil));
    var since = parsed.GetValue(sinceMs) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UtcNow;
    var deadline = DateTimeOffset.UtcNow.AddSeconds(parsed.GetValue(slotSeconds));
    var read = new string?[nodeNumbers.Length];
    while (true)
    {
        for (var i = 0; i < nodeNumbers.Length; i++)
        {
            var value = read[i] is null ? await LocalFront.StatAsync(http, nodeNumbers[i], column, cancellation) : null;
            read[i] ??= until is null ? value : value == until ? (DateTimeOffset.UtcNow - since).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) : null;
        }

        if (until is null || read.All(r => r is not null) || DateTimeOffset.UtcNow >= deadline)
        {
            Console.WriteLine(string.Join(' ', read.Select(r => r ?? (until is null ? "-" : "never"))));
            return read.All(r => r is not null) ? 0 : 1;
        }

        await Task.Delay(100, cancellation);
    }
});

var frontNodes = new Argument<int[]>("NODE") { Description = "Nodes, by number (from 1)." };
var shiftEnd = new Option<bool>("--end") { Description = "End the shift: the nodes take new connections again." };
var shiftCommand = new Command("zonal-shift", "Moves the front's new connections away from the nodes NODE (a zone's), as a zonal shift moves the NLB's: each is set to drain, and open connections finish; with --end, back to ready. Exit 1 naming what the front refused (LocalFront.ShiftAsync).")
{
    localDir, shiftEnd, frontNodes,
};
shiftCommand.SetAction(async (parsed, cancellation) =>
{
    var complaints = await LocalFront.ShiftAsync(Path.Combine(parsed.GetValue(localDir)!.FullName, "front.sock"), parsed.GetValue(frontNodes)!, !parsed.GetValue(shiftEnd), cancellation);
    complaints.ToList().ForEach(complaint => Console.Error.WriteLine($"zonal-shift: {complaint}"));
    return complaints.Count == 0 ? 0 : 1;
});

var netns = new Option<string[]>("--netns") { Description = "The nodes' network namespaces.", Required = true, AllowMultipleArgumentsPerToken = true };
var throttledPort = new Option<int>("--port") { Description = "The port whose packets are slowed.", Required = true };
var rate = new Option<string>("--rate") { Description = "Their rate, as tc writes one.", DefaultValueFactory = _ => "256kbit" };
var throttleOff = new Option<bool>("--off") { Description = "Take the throttle off." };
var throttleCommand = new Command("throttle", "Slows what each NETNS sends from PORT on its eth0 to RATE, nothing else (PortThrottle); --off lifts it. Exit 1 with what tc said.")
{
    netns, throttledPort, rate, throttleOff,
};
throttleCommand.SetAction(async (parsed, cancellation) =>
{
    foreach (var ns in parsed.GetValue(netns)!)
    {
        var commands = parsed.GetValue(throttleOff) ? PortThrottle.Off("eth0") : PortThrottle.On("eth0", parsed.GetValue(throttledPort), parsed.GetValue(rate)!);
        if (await PortThrottle.RunAsync(ns, commands, cancellation) is { } error)
        {
            Console.Error.WriteLine($"throttle: {error}");
            return 1;
        }
    }

    return 0;
});

var marker = new Argument<string>("MARKER") { Description = "The NAME=value every test command carries in its environment." };
var leftoversCommand = new Command("leftovers", "make test's last step: stops every process whose environment holds MARKER, but this one's family, and fails when there was one (Leftovers).")
{
    marker,
};
leftoversCommand.SetAction(parsed => Leftovers.Stop(Leftovers.Find(parsed.GetValue(marker)!), Console.Out) ? 0 : 1);

var frontLog = new Option<FileInfo>("--log") { Description = "The front's session log (front.log).", Required = true };
var fromMs = new Option<long>("--from-ms") { Description = "Sessions accepted at or after this Unix time in ms." };
var toMs = new Option<long>("--to-ms") { Description = "Sessions accepted at or before this Unix time in ms.", DefaultValueFactory = _ => long.MaxValue };
var brokenOnly = new Option<bool>("--broken") { Description = "Only sessions the node broke (LocalFront.Session.Broken)." };
var sessionsCommand = new Command("sessions", "The sessions the front handed to the nodes NODE, accepted from FROM-MS to TO-MS: their count and median duration in ms ('-' for none), on one line.")
{
    frontLog, fromMs, toMs, brokenOnly, frontNodes,
};
sessionsCommand.SetAction(parsed =>
{
    var names = parsed.GetValue(frontNodes)!.Select(n => string.Create(CultureInfo.InvariantCulture, $"node{n}")).ToHashSet(StringComparer.Ordinal);
    var durations = LocalFront.Session.Read(parsed.GetValue(frontLog)!.FullName)
        .Where(s => names.Contains(s.Node) && s.AcceptedMs >= parsed.GetValue(fromMs) && s.AcceptedMs <= parsed.GetValue(toMs) && (s.Broken || !parsed.GetValue(brokenOnly)))
        .Select(s => s.TotalMs).Order().ToList();
    Console.WriteLine(durations.Count == 0 ? "0 -" : string.Create(CultureInfo.InvariantCulture, $"{durations.Count} {durations[durations.Count / 2]}"));
});

var wrkOutput = new Argument<FileInfo>("WRK-OUTPUT") { Description = "What wrk printed." };
var wrkCommand = new Command("wrk-report", "One wrk run's figures on one line: requests, requests/s, p50 ms, p99 ms ('-' without --latency), failed requests (WrkReport).")
{
    wrkOutput,
};
wrkCommand.SetAction(parsed =>
{
    var report = WrkReport.Parse(File.ReadAllText(parsed.GetValue(wrkOutput)!.FullName));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Requests} {report.RequestsPerSecond} {(report.P50Ms is { } p50 ? p50.ToString("0.000", CultureInfo.InvariantCulture) : "-")} {(report.P99Ms is { } p99 ? p99.ToString("0.000", CultureInfo.InvariantCulture) : "-")} {report.Failed}"));
});

var eventName = new Option<string>("--name") { Description = "The event's name (AgentEvents).", Required = true };
var countCommand = new Command("count-events", "How many events named NAME the agents' logs hold.")
{
    eventName, logs,
};
countCommand.SetAction(parsed => Console.WriteLine(parsed.GetValue(logs)!.Sum(file => AgentEventLog.Read(file).Count(e => e.Name == parsed.GetValue(eventName)))));

var readySeconds = new Option<int>("--seconds") { Description = "How long to wait.", DefaultValueFactory = _ => 60 };
var waitReadyCommand = new Command("wait-ready", "Waits until every agent's log says it is ready (AgentEventLog.Ready), as systemd waits for a node's READY=1; exit 1 naming the logs that never did within SECONDS.")
{
    readySeconds, logs,
};
waitReadyCommand.SetAction(async (parsed, cancellation) =>
{
    var deadline = DateTime.UtcNow.AddSeconds(parsed.GetValue(readySeconds));
    var waiting = parsed.GetValue(logs)!;
    while ((waiting = [.. waiting.Where(file => !AgentEventLog.Ready(AgentEventLog.Read(file)))]).Length > 0 && DateTime.UtcNow < deadline)
    {
        await Task.Delay(200, cancellation);
    }

    foreach (var file in waiting)
    {
        Console.Error.WriteLine($"wait-ready: {file} holds no ready event after {parsed.GetValue(readySeconds)} s");
    }

    return waiting.Length == 0 ? 0 : 1;
});

var rsyslogFile = new Option<string>("--file") { Description = "The access log rsyslog writes.", Required = true };
var rsyslogConfigCommand = new Command("rsyslog-config", "The node's rsyslog config for HAProxy's access log (the bootstrap's own), taking it on loopback PORT and writing it to FILE; printed.")
{
    port, rsyslogFile,
};
rsyslogConfigCommand.SetAction(parsed => Console.Write(BootstrapScript.RsyslogConfig(parsed.GetValue(port), parsed.GetValue(rsyslogFile)!)));

var work = new Option<DirectoryInfo>("--work") { Description = "The bench's folder: configs.tsv, and NAME.instructions for each config.", Required = true };
var results = new Option<DirectoryInfo>("--results") { Description = "Where bench.csv is, and bench.png goes.", Required = true };
var rounds = new Option<int>("--rounds") { Description = "Rounds run.", Required = true };
var runSeconds = new Option<int>("--seconds") { Description = "Seconds a run.", Required = true };
var connections = new Option<int>("--connections") { Description = "wrk's connections.", Required = true };
var benchReportCommand = new Command("bench-report", "make bench's figures from RESULTS/bench.csv and WORK's instruction counts: the medians, the ratios, each element's price and a node's capacity, printed; the plot's data and script in WORK (BenchReport).")
{
    env, work, results, rounds, runSeconds, connections,
};
benchReportCommand.SetAction(parsed =>
{
    var folder = parsed.GetValue(work)!.FullName;
    var counts = File.ReadLines(Path.Combine(folder, "configs.tsv")).Select(line => line.Split('\t')[0])
        .Select(name => (name, long.Parse(File.ReadAllText(Path.Combine(folder, name + ".instructions")), CultureInfo.InvariantCulture))).ToList();
    var resultsFolder = parsed.GetValue(results)!.FullName;
    var report = new BenchReport(BenchReport.ReadRuns(Path.Combine(resultsFolder, "bench.csv")), counts);
    var (environment, roundCount, seconds, wrkConnections) = (parsed.GetValue(env)!, parsed.GetValue(rounds), parsed.GetValue(runSeconds), parsed.GetValue(connections));
    Console.Write(report.Text(environment, roundCount, seconds, wrkConnections, resultsFolder, Environments.Select(environment)[0].Cluster.Peak));
    report.WritePlot(folder, Path.Combine(resultsFolder, "bench.png"), string.Create(CultureInfo.InvariantCulture, $"ENV={environment}, wrk -c{wrkConnections}, {roundCount} rounds of {seconds}s runs"));
});

var configPort = new Option<int>("--config-port") { Description = "The first config's port; each next config's ten higher.", Required = true };
var benchCommand = new Command("bench", "Everything make bench runs, in OUT/: the generated config with a 10-host and a 10,000-host table, a minimal passthrough, the 10-host config once per element with that element taken out of the spec, and their backends (OUT/backends/); OUT/configs.tsv lists them (LocalBench).")
{
    env, output, firstPort, configPort, logTarget,
};
benchCommand.SetAction(parsed => LocalBench.Write(Environments.Select(parsed.GetValue(env))[0].Haproxy, parsed.GetValue(output)!.FullName,
    parsed.GetValue(configPort), parsed.GetValue(firstPort), parsed.GetValue(logTarget)!));

var agentBinary = new Option<FileInfo>("--agent") { Description = "The node agent as make agent publishes it.", Required = true };
var fleetSizes = new Option<int[]>("--nodes") { Description = "The fleet sizes to measure, one run each.", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [3, 10, 30, 100] };
var budget = new Option<double>("--calls-per-second") { Description = "The fleet's DescribeInstances budget.", DefaultValueFactory = _ => 2 };
var fleetScaleCommand = new Command("fleet-scale", "Discovery at fleet size: per size N, N real agents on real HAProxies against one EC2 stand-in; prints the calls a second it answered, and how long a new instance took to serve and a leaving one to drain on every node (FleetScale). Exit 1 when a paced fleet's calls are more than 10 % off its budget.")
{
    agentBinary, output, fleetSizes, budget,
};
fleetScaleCommand.SetAction(async (parsed, cancellation) =>
{
    var scale = new FleetScale(parsed.GetValue(agentBinary)!.FullName, parsed.GetValue(output)!.FullName, parsed.GetValue(budget), Console.Out);
    var rows = new List<FleetScale.Row>();
    foreach (var size in parsed.GetValue(fleetSizes)!)
    {
        rows.Add(await scale.MeasureAsync(size, cancellation));
        Console.WriteLine($"fleet-scale: {rows[^1]}");
    }

    Console.WriteLine(FleetScale.Header);
    rows.ForEach(Console.WriteLine);
    return rows.All(r => !r.Paced || r.WithinBudget) ? 0 : 1;
});

var imageFaulty = new Option<bool>("--faulty") { Description = "An image whose HAProxy answers 503 itself to one default-pool request in five, its checks and health passing (for chaos only)." };
var imageCommand = new Command("image", "Writes a node image into OUT (NodeImage): the environment's net sysctls (with --keepalive-seconds, that keepalive), and with --faulty a faulty HAProxy first on PATH.")
{
    env, output, keepAlive, imageFaulty,
};
imageCommand.SetAction(parsed =>
{
    var keep = LocalSpec(parsed, null).Defaults.TcpKeepAlive;
    var folder = parsed.GetValue(output)!.FullName;
    if (parsed.GetValue(imageFaulty))
    {
        var haproxy = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, "haproxy")).First(File.Exists);
        NodeImage.WriteFaulty(folder, keep, haproxy);
    }
    else
    {
        NodeImage.Write(folder, keep);
    }
});

var imageFolder = new Option<DirectoryInfo>("--image") { Description = "The image to roll out (local image).", Required = true };
var netnsPrefix = new Option<string>("--netns-prefix") { Description = "Node n's network namespace is this and n.", DefaultValueFactory = _ => "hc-node" };
var imageSummary = new Option<FileInfo>("--summary") { Description = "Where to write the summary: a line, the failures the rollout may cause, then what happened.", Required = true };
var imageExpect = new Option<ImageRollout.Outcome>("--expect") { Description = "What the rollout must end in: EveryNode or RolledBack.", Required = true };
var imageRolloutCommand = new Command("image-rollout", "Rolls IMAGE over the local cluster's NODES one at a time through a node's boot path (install-rules, the agent, its bake), stopping at the first failed bake and putting that node back on its image (ImageRollout); a line a node, the summary in SUMMARY. Exit 1 when it did not end as EXPECT says.")
{
    localDir, agentBinary, nodes, netnsPrefix, imageFolder, imageSummary, imageExpect,
};
imageRolloutCommand.SetAction(async (parsed, cancellation) =>
{
    var rollout = new ImageRollout(parsed.GetValue(localDir)!.FullName, parsed.GetValue(netnsPrefix)!, parsed.GetValue(agentBinary)!.FullName, Console.Out);
    var (image, count) = (parsed.GetValue(imageFolder)!.FullName, parsed.GetValue(nodes));
    var before = rollout.Images(count);
    var summary = await rollout.RunAsync(image, count, cancellation);
    await File.WriteAllTextAsync(parsed.GetValue(imageSummary)!.FullName, summary.ToLine(), cancellation);
    if (ImageRollout.Differs(summary, parsed.GetValue(imageExpect), image, count, before) is { } differs)
    {
        Console.WriteLine("image-rollout: " + differs);
        return 1;
    }

    return 0;
});

var callgrindConfig = new Option<FileInfo>("--config") { Description = "The bench config to count.", Required = true };
var callgrindHost = new Option<string>("--host") { Description = "The Host header of the load.", Required = true };
var callgrindSeconds = new Option<int>("--seconds") { Description = "The load's length.", DefaultValueFactory = _ => 3 };
var callgrindUrl = new Option<string>("--url") { Description = "Where to send the load: http://127.0.0.1:PORT/, or https://… with --ca.", Required = true };
var callgrindCa = new Option<FileInfo?>("--ca") { Description = "The CA the https load's server certificate is checked against." };
var callgrindCommand = new Command("callgrind", "Instructions per request through CONFIG, counted by callgrind over SECONDS of load on URL with HOST, its files in OUT (CallgrindCount); printed. Exit 1 with what went wrong.")
{
    callgrindConfig, output, callgrindUrl, callgrindCa, callgrindHost, callgrindSeconds,
};
callgrindCommand.SetAction(async (parsed, cancellation) =>
{
    try
    {
        Console.WriteLine(await CallgrindCount.RunAsync(parsed.GetValue(callgrindConfig)!.FullName, parsed.GetValue(output)!.FullName, new Uri(parsed.GetValue(callgrindUrl)!),
            parsed.GetValue(callgrindHost)!, parsed.GetValue(callgrindSeconds), cancellation, parsed.GetValue(callgrindCa)?.FullName));
        return 0;
    }
    catch (InvalidOperationException e)
    {
        Console.Error.WriteLine("bench: " + e.Message);
        return 1;
    }
});

var cdkOut = new Argument<DirectoryInfo>("CDK_OUT") { Description = "The synthesized app (its node-files/ENV/etc/haproxy)." };
var haproxyRoot = new Option<DirectoryInfo>("--root") { Description = "The Debian 13 root with the nodes' HAProxy (3.0) that make tools builds.", Required = true };
var checkBundlesCommand = new Command("check-bundles", "make synth's last step: each environment's bundle, at a node's paths, passes haproxy -c 3.0 with no warning; exit 1 naming each that does not, with HAProxy's message (BundleCheck).")
{
    cdkOut, haproxyRoot,
};
checkBundlesCommand.SetAction(async (parsed, cancellation) =>
    await BundleCheck.RunAsync(parsed.GetValue(cdkOut)!.FullName, parsed.GetValue(haproxyRoot)!.FullName, Console.Out, Console.Error, cancellation) ? 0 : 1);

return await new RootCommand("Renders the local stand-in of an environment's cluster, and runs its EC2 and AppConfig stand-ins.") { nodesCommand, rulesCommand, benchCommand, benchReportCommand, ec2Command, appConfigCommand, rolloutCommand, countCommand, waitReadyCommand, waitSlotsCommand, listCommand, workersCommand, diffSummaryCommand, frontCommand, shiftCommand, sessionsCommand, throttleCommand, leftoversCommand, wrkCommand, rsyslogConfigCommand, fleetScaleCommand, imageCommand, imageRolloutCommand, callgrindCommand, checkBundlesCommand, ssmCommand, rotateCommand }.Parse(args).InvokeAsync();

// The environment's spec as its nodes run it, with the listeners and keepalive the command line
// overrides; with NodeTls, the certificates and client CA of the local cluster in LOCAL_DIR.
HaproxySpec LocalSpec(ParseResult parsed, string? localDirectory)
{
    var environment = Environments.Select(parsed.GetValue(env))[0];
    var spec = localDirectory is null ? environment.Haproxy : LocalPki.Local(environment.Cluster.NodeSpec!, localDirectory);
    var listeners = spec.Listeners;
    var defaults = spec.Defaults;
    return spec with
    {
        Defaults = parsed.GetValue(keepAlive) is { } seconds
            ? defaults with { TcpKeepAlive = defaults.TcpKeepAlive with { Idle = TimeSpan.FromSeconds(seconds), Interval = TimeSpan.FromSeconds(seconds) } }
            : defaults,
        Listeners = listeners with
        {
            HttpPort = parsed.GetValue(httpPort) ?? listeners.HttpPort,
            HealthPort = parsed.GetValue(healthPort) ?? listeners.HealthPort,
            HealthPath = parsed.GetValue(healthPath) ?? listeners.HealthPath,
        },
    };
}

static void WriteBackends(string folder, IReadOnlyList<LocalTopology.LocalBackend> backends)
{
    Directory.CreateDirectory(Path.Combine(folder, "backends"));
    foreach (var backend in backends)
    {
        File.WriteAllText(Path.Combine(folder, "backends", $"{backend.Pool}-{backend.Index}.cfg"), LocalTopology.EchoBackendConfig(backend));
    }

    File.WriteAllLines(
        Path.Combine(folder, "backends.tsv"),
        backends.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Pool}\t{b.Index}\t{b.Address}\t{b.Port}")));
}
