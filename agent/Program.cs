using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using HaproxyCluster.Agent;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

// The node agent: applies the rules versions AppConfig deploys, and fills the slots of
// EC2-discovered pools, both through HAProxy's Runtime API. Run by systemd on every node, on the
// node's settings file (NodeSettings); the bootstrap also runs its fetch-rules command once. Run
// with --help for the options: only those a person uses by hand; the rest is the settings file.
var settingsFile = new Option<FileInfo>("--settings") { Description = "The node's settings (NodeSettings, JSON) that the bootstrap or local/ wrote.", DefaultValueFactory = _ => new FileInfo(NodeSettings.DefaultPath) };
var once = new Option<bool>("--once") { Description = "Run one discovery pass and exit: 0 when every pool was read, 1 when EC2 failed for one." };
var fleetGroup = new Option<string?>("--fleet-group") { Description = "The HAProxy nodes' auto-scaling group, for fleet-wide rate limits. Default: this instance's, from EC2." };
var instanceId = new Option<string?>("--instance-id") { Description = "This node's instance id. Default: from the instance metadata service (IMDSv2)." };
var fetchTo = new Option<DirectoryInfo>("--to") { Description = "The empty folder to unpack the bundle into.", Required = true };
var waitSeconds = new Option<int>("--wait-seconds") { Description = "How long to wait for the AppConfig Agent's first answer.", DefaultValueFactory = _ => 60 };

// Events, one JSON object a line on standard output (AgentEvents); disposed last, so the last
// event before an exit is written.
using var loggers = EventLineFormatter.CreateFactory();
var log = loggers.CreateLogger("HaproxyCluster.Agent");

var fetch = new Command("fetch-rules", "Reads the deployed rules version once, verifies it, unpacks its bundle into --to and prints the bundle's sha256 (the bootstrap's first install).")
{
    settingsFile, fetchTo, waitSeconds,
};
fetch.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var clock = Stopwatch.StartNew();
    var url = new Uri(settings.RulesUrl ?? "http://localhost:2772/");
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

var root = new RootCommand("HaproxyCluster node agent: AppConfig rule rollout, EC2 discovery and fleet-wide rate limits through HAProxy's Runtime API.")
{
    fetch, settingsFile, once, fleetGroup, instanceId,
};
root.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    // Made on first use: the SDK resolves credentials when the client is made, and a node without
    // discovered pools never calls EC2.
    var ec2 = new Lazy<AmazonEC2Client>(() => Ec2Members.Client(settings.Ec2Endpoint is { } uri ? new Uri(uri) : null, settings.Region));
    using var metrics = settings.MetricsNamespace is { } name
        ? new AgentMetrics(IPEndPoint.Parse(settings.MetricsAddress), name, settings.LogGroup ?? name, TimeProvider.System)
        : null;
    var manifestFile = settings.ManifestPath;
    async Task<DiscoveryLoop?> DiscoveryAsync()
    {
        if (!File.Exists(manifestFile))
        {
            return null;
        }

        var manifest = MembershipManifest.FromJson(await File.ReadAllTextAsync(manifestFile, cancellation));
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
    var rollout = settings.RulesUrl is { } url ? Rollout(http, new Uri(url), settings, metrics) : null;
    var rolling = rollout?.RunAsync(TimeSpan.FromSeconds(settings.RulesPollSeconds), cancellation) ?? Task.CompletedTask;

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
                MarkReady(settings.ReadyFile);
                await Task.Delay(Timeout.Infinite, restart.Token);
            }
            else
            {
                await discovery.RunAsync(TimeSpan.FromSeconds(settings.DiscoveryIntervalSeconds), () =>
                {
                    log.DiscoveryReady();
                    MarkReady(settings.ReadyFile);
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
                await Task.Delay(Backoff.Next(TimeSpan.FromSeconds(settings.DiscoveryIntervalSeconds), starts), restart.Token);
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

// The node's settings, or null (reported) when the file cannot be read or holds a problem.
NodeSettings? Settings(ParseResult parsed)
{
    var file = parsed.GetValue(settingsFile)!.FullName;
    string? error = null;
    var settings = File.Exists(file) ? NodeSettings.FromJson(File.ReadAllText(file), out error) : null;
    IReadOnlyList<string> problems = settings?.Problems() ?? [error ?? "no such file; write it with the bootstrap or local/, or name another with --settings"];
    if (problems.Count == 0)
    {
        return settings;
    }

    log.SettingsInvalid(file, string.Join("; ", problems));
    return null;
}

// The rollout, from the settings: the applier reloads with the reload command and checks the node's health endpoint.
RuleRollout Rollout(HttpClient http, Uri url, NodeSettings settings, AgentMetrics? metrics)
{
    var probe = new HealthProbe(new IPEndPoint(IPAddress.Loopback, settings.HealthPort), settings.HealthPath);
    var reload = settings.ReloadCommand;
    var applier = new BundleApplier(settings.ConfigDirectory, new RuntimeApi(settings.RuntimeSocket), async cancellation =>
    {
        using var process = Process.Start(reload[0], reload.Skip(1))!;
        await process.WaitForExitAsync(cancellation);
    }, probe.HealthyAsync, log);
    return new RuleRollout(http, url, applier, log, metrics);
}

static void MarkReady(string? file)
{
    if (file is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "");
    }
}
