using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using HaproxyCluster.Agent;
using HaproxyCluster.Config;
using HaproxyCluster.UserData;
using Microsoft.Extensions.Logging;

// The node agent: applies the rules versions AppConfig deploys, and fills the slots of
// EC2-discovered pools, both through HAProxy's Runtime API. Run by systemd on every node; the
// bootstrap also runs its fetch-rules command once. Run with --help for the options.
var manifestPath = new Option<FileInfo>("--manifest") { Description = "The discovery manifest the renderer wrote into the bundle; none: no discovery until a version brings one.", DefaultValueFactory = _ => new FileInfo("/etc/haproxy/" + DiscoveryManifest.FileName) };
var interval = new Option<int>("--interval-seconds") { Description = "Seconds between two discovery passes while EC2 answers.", DefaultValueFactory = _ => 5 };
// Strings, parsed here: the trimmed executable keeps no reflection-based converter for Uri.
var endpoint = new Option<string?>("--ec2-endpoint") { Description = "An EC2 API endpoint other than the region's (the local stand-in)." };
var region = new Option<string?>("--region") { Description = "The region to sign for. Default: the SDK's (the instance's region on EC2)." };
var once = new Option<bool>("--once") { Description = "Run one discovery pass and exit: 0 when every pool was read, 1 when EC2 failed for one." };
var fleetGroup = new Option<string?>("--fleet-group") { Description = "The HAProxy nodes' auto-scaling group, for fleet-wide rate limits. Default: this instance's, from EC2." };
var instanceId = new Option<string?>("--instance-id") { Description = "This node's instance id. Default: from the instance metadata service (IMDSv2)." };
var metricsNamespace = new Option<string?>("--metrics-namespace") { Description = "The CloudWatch namespace of the agent's metrics, sent as EMF to the CloudWatch agent. Default: no metrics." };
var metricsAddress = new Option<string>("--metrics-address") { Description = "Where the CloudWatch agent takes EMF over UDP.", DefaultValueFactory = _ => AgentMetrics.DefaultEndpoint.ToString() };
var logGroup = new Option<string?>("--log-group") { Description = "The log group CloudWatch keeps the metrics' EMF objects in (with --metrics-namespace)." };
var readyFile = new Option<FileInfo?>("--ready-file") { Description = "A file created after the first discovery pass that read every pool (the bootstrap waits for it)." };
var rulesUrl = new Option<string?>("--rules-url") { Description = "The rules configuration at the AWS AppConfig Agent (http://localhost:2772/applications/A/environments/E/configurations/P). Default: no rollout." };
var rulesPoll = new Option<int>("--rules-poll-seconds") { Description = "Seconds between two reads of the rules configuration from the AppConfig Agent's cache.", DefaultValueFactory = _ => 2 };
var configDir = new Option<DirectoryInfo>("--config-dir") { Description = "The folder HAProxy's config lives in.", DefaultValueFactory = _ => new DirectoryInfo(ConfigRenderer.DefaultConfigDirectory) };
var runtimeSocket = new Option<string>("--runtime-socket") { Description = "HAProxy's admin socket (Runtime API).", DefaultValueFactory = _ => new GlobalSettings().RuntimeSocketPath };
var healthPort = new Option<int>("--health-port") { Description = "The node's health port (PROXY protocol), probed after a reload.", DefaultValueFactory = _ => new Listeners().HealthPort };
var healthPath = new Option<string>("--health-path") { Description = "The node's health path.", DefaultValueFactory = _ => new Listeners().HealthPath };
var reloadCommand = new Option<string>("--reload-command") { Description = "The command that reloads HAProxy seamlessly, split on spaces.", DefaultValueFactory = _ => "systemctl reload haproxy" };
var fetchTo = new Option<DirectoryInfo>("--to") { Description = "The empty folder to unpack the bundle into.", Required = true };
var waitSeconds = new Option<int>("--wait-seconds") { Description = "How long to wait for the AppConfig Agent's first answer.", DefaultValueFactory = _ => 60 };

var fetch = new Command("fetch-rules", "Reads the deployed rules version once, verifies it, unpacks its bundle into --to and prints the bundle's sha256 (the bootstrap's first install).")
{
    rulesUrl, fetchTo, waitSeconds,
};
fetch.SetAction(async (parsed, cancellation) =>
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var clock = Stopwatch.StartNew();
    var url = new Uri(parsed.GetValue(rulesUrl) ?? throw new ArgumentException("fetch-rules needs --rules-url"));
    while (true)
    {
        try
        {
            var (archive, sha256) = RulesPayload.Decode(await http.GetStringAsync(url, cancellation));
            Directory.CreateDirectory(parsed.GetValue(fetchTo)!.FullName);
            System.Formats.Tar.TarFile.ExtractToDirectory(new MemoryStream(archive), parsed.GetValue(fetchTo)!.FullName, overwriteFiles: false);
            Console.WriteLine(sha256);
            return 0;
        }
        catch (HttpRequestException e) when (clock.Elapsed < TimeSpan.FromSeconds(parsed.GetValue(waitSeconds)))
        {
            Console.Error.WriteLine($"fetch-rules: {url} did not answer yet ({e.Message})");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        }
    }
});

// Events, one JSON object a line on standard output (AgentEvents); disposed last, so the last
// event before an exit is written.
using var loggers = EventLineFormatter.CreateFactory();
var log = loggers.CreateLogger("HaproxyCluster.Agent");

var root = new RootCommand("HaproxyCluster node agent: AppConfig rule rollout, EC2 discovery and fleet-wide rate limits through HAProxy's Runtime API.")
{
    fetch, manifestPath, interval, endpoint, region, once, fleetGroup, instanceId, metricsNamespace, metricsAddress, logGroup, readyFile,
    rulesUrl, rulesPoll, configDir, runtimeSocket, healthPort, healthPath, reloadCommand,
};
root.SetAction(async (parsed, cancellation) =>
{
    // Made on first use: the SDK resolves credentials when the client is made, and a node without
    // discovered pools never calls EC2.
    var ec2 = new Lazy<AmazonEC2Client>(() => Ec2Members.Client(parsed.GetValue(endpoint) is { } uri ? new Uri(uri) : null, parsed.GetValue(region)));
    using var metrics = parsed.GetValue(metricsNamespace) is { } name
        ? new AgentMetrics(IPEndPoint.Parse(parsed.GetValue(metricsAddress)!), name, parsed.GetValue(logGroup) ?? name, TimeProvider.System)
        : null;
    var manifestFile = parsed.GetValue(manifestPath)!.FullName;
    async Task<DiscoveryLoop?> DiscoveryAsync()
    {
        if (!File.Exists(manifestFile))
        {
            return null;
        }

        var manifest = DiscoveryManifest.FromJson(await File.ReadAllTextAsync(manifestFile, cancellation));
        var members = new Ec2Members(ec2.Value);
        var group = manifest.FleetLimits.Count == 0 ? null
            : parsed.GetValue(fleetGroup) ?? await members.GroupOfAsync(parsed.GetValue(instanceId) ?? await InstanceMetadata.InstanceIdAsync(cancellation), cancellation);
        return new DiscoveryLoop(manifest, members, new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, log, group, metrics);
    }

    if (parsed.GetValue(once))
    {
        return await DiscoveryAsync() is { } single ? (await single.PassAsync(cancellation) ? 0 : 1) : 0;
    }

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var rollout = parsed.GetValue(rulesUrl) is { } url ? Rollout(http, new Uri(url), parsed, metrics) : null;
    var rolling = rollout?.RunAsync(TimeSpan.FromSeconds(parsed.GetValue(rulesPoll)), cancellation) ?? Task.CompletedTask;

    // A rollout that fails unexpectedly (a full disk, say) ends the agent, and systemd starts it
    // again (Restart=always): an agent that kept discovering but no longer rolled rules out would
    // leave its node behind the fleet without a word.
    using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
    _ = rolling.ContinueWith(
        failed =>
        {
            var cause = failed.Exception!.GetBaseException();
            log.RolloutStopped(cause.GetType().Name, AgentEvents.Detail(cause));
            stopping.Cancel();
        },
        CancellationToken.None,
        TaskContinuationOptions.OnlyOnFaulted,
        TaskScheduler.Default);

    // Discovery runs on the manifest of the rules that run: a version that changes it restarts discovery.
    var starts = 0;
    while (!stopping.IsCancellationRequested)
    {
        using var restart = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        void Restart() => restart.Cancel();
        if (rollout is not null)
        {
            rollout.Applied += Restart;
        }

        try
        {
            var discovery = await DiscoveryAsync();
            if (discovery is null)
            {
                log.NoDiscoveredPool();
                MarkReady(parsed.GetValue(readyFile));
                await Task.Delay(Timeout.Infinite, restart.Token);
            }
            else
            {
                await discovery.RunAsync(TimeSpan.FromSeconds(parsed.GetValue(interval)), () =>
                {
                    log.DiscoveryReady();
                    MarkReady(parsed.GetValue(readyFile));
                }, restart.Token);
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            log.DiscoveryRestarted();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Starting discovery reads the manifest, and this node's group from IMDS and EC2: a reply
            // there is retried like a pass's, never the end of the agent.
            starts++;
            log.DiscoveryStartFailed(e.GetType().Name, AgentEvents.Detail(e));
            try
            {
                await Task.Delay(Backoff.Next(TimeSpan.FromSeconds(parsed.GetValue(interval)), starts), restart.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped, or the rules changed: the loop decides.
            }
        }
        catch (OperationCanceledException)
        {
            break; // stopped, or the rollout failed
        }
        finally
        {
            if (rollout is not null)
            {
                rollout.Applied -= Restart;
            }
        }
    }

    await rolling.ContinueWith(_ => { }, TaskScheduler.Default);
    if (ec2.IsValueCreated)
    {
        ec2.Value.Dispose();
    }

    return rolling.IsFaulted ? 1 : 0;
});
return await root.Parse(args).InvokeAsync();

// The rollout, from the options: the applier reloads with the reload command and checks the node's health endpoint.
RuleRollout Rollout(HttpClient http, Uri url, ParseResult parsed, AgentMetrics? metrics)
{
    var probe = new HealthProbe(new IPEndPoint(IPAddress.Loopback, parsed.GetValue(healthPort)), parsed.GetValue(healthPath)!);
    var reload = parsed.GetValue(reloadCommand)!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    var applier = new BundleApplier(parsed.GetValue(configDir)!.FullName, new RuntimeApi(parsed.GetValue(runtimeSocket)!), async cancellation =>
    {
        using var process = Process.Start(reload[0], reload[1..])!;
        await process.WaitForExitAsync(cancellation);
    }, probe.HealthyAsync, log);
    return new RuleRollout(http, url, applier, log, metrics);
}

static void MarkReady(FileInfo? file)
{
    if (file is not null)
    {
        Directory.CreateDirectory(file.DirectoryName!);
        File.WriteAllText(file.FullName, "");
    }
}
