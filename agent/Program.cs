using System.CommandLine;
using System.Diagnostics;
using System.Net;
using HaproxyCluster.Agent;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

// The node agent: applies the rules versions AppConfig deploys, and fills the slots of
// EC2-discovered pools, both through HAProxy's Runtime API. Run by systemd on every node, on the
// node's settings file (NodeSettings); the bootstrap runs its install-rules command once first. Run
// with --help for the options: only those a person uses by hand; the rest is the settings file.
var settingsFile = new Option<FileInfo>("--settings") { Description = "The node's settings (NodeSettings, JSON) that the bootstrap or local/ wrote.", DefaultValueFactory = _ => new FileInfo(NodeSettings.DefaultPath) };
var once = new Option<bool>("--once") { Description = "Run one discovery pass and exit: 0 when every pool was read, 1 when EC2 failed for one." };
var fleetGroup = new Option<string?>("--fleet-group") { Description = "The HAProxy nodes' auto-scaling group, for fleet-wide rate limits. Default: this instance's, from EC2." };
var instanceId = new Option<string?>("--instance-id") { Description = "This node's instance id. Default: from the instance metadata service (IMDSv2)." };
var waitSeconds = new Option<int>("--wait-seconds") { Description = "How long to wait for the AppConfig Agent's first answer, and then for a discovery pass that reads every pool.", DefaultValueFactory = _ => 60 };

// Events, one JSON object a line on standard output (AgentEvents); disposed last, so the last
// event before an exit is written.
using var loggers = EventLineFormatter.CreateFactory();
var log = loggers.CreateLogger("HaproxyCluster.Agent");

var install = new Command("install-rules", "Installs the deployed rules version with the code that applies every later one: verify, check, start HAProxy (or reload it, when it runs), fill the discovered pools, check health; on failure the previous config comes back. Exit 0 when it runs healthy, 1 when it was refused or reverted (the bootstrap's first install).")
{
    settingsFile, waitSeconds,
};
install.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    var wait = TimeSpan.FromSeconds(parsed.GetValue(waitSeconds));
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var url = new Uri(settings.RulesUrl ?? "http://localhost:2772/");
    var clock = Stopwatch.StartNew();
    string payload;
    while (true)
    {
        try
        {
            payload = await http.GetStringAsync(url, cancellation);
            break;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            log.RulesUnreachable(url, AgentEvents.Detail(e));
            if (clock.Elapsed >= wait)
            {
                return 1;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        }
    }

    byte[] archive;
    string sha256;
    try
    {
        (archive, sha256) = RulesPayload.Decode(payload);
    }
    catch (InvalidDataException e)
    {
        log.RulesPayloadRefused(AgentEvents.Detail(e));
        return 1;
    }

    log.RulesVersionReceived(sha256);
    using var ec2 = new Ec2ClientOnDemand(settings);
    var applier = Applier(settings);
    var outcome = await new RuntimeApi(settings.RuntimeSocket).WorkerPidOrNullAsync(cancellation) is null
        ? await applier.StartAsync(archive, sha256, Run(settings.StartCommand), Run(settings.StopCommand), token => FillAsync(settings, parsed, ec2, wait, token), cancellation)
        : await applier.ApplyAsync(archive, sha256, cancellation);
    if (outcome == ApplyOutcome.Refused)
    {
        log.RulesFailed(sha256);
        return 1;
    }

    log.RulesApplied(sha256, outcome);
    return 0;
});

var root = new RootCommand("HaproxyCluster node agent: AppConfig rule rollout, EC2 discovery and fleet-wide rate limits through HAProxy's Runtime API.")
{
    install, settingsFile, once, fleetGroup, instanceId,
};
root.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    using var ec2 = new Ec2ClientOnDemand(settings);
    using var metrics = settings.MetricsNamespace is { } name
        ? new AgentMetrics(IPEndPoint.Parse(settings.MetricsAddress), name, settings.LogGroup ?? name, TimeProvider.System)
        : null;
    Task<DiscoveryLoop?> DiscoveryAsync() => Discovery(settings, parsed, ec2, metrics, cancellation);

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
            starts = 0;
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

// Discovery on the membership manifest of the rules in place, or null when they bring none.
async Task<DiscoveryLoop?> Discovery(NodeSettings settings, ParseResult parsed, Ec2ClientOnDemand ec2, AgentMetrics? metrics, CancellationToken cancellation)
{
    if (!File.Exists(settings.ManifestPath))
    {
        return null;
    }

    var manifest = MembershipManifest.FromJson(await File.ReadAllTextAsync(settings.ManifestPath, cancellation));
    var members = new Ec2Members(ec2.Client);
    var group = manifest.FleetLimits.Count == 0 ? null
        : parsed.GetValue(fleetGroup) ?? await members.GroupOfAsync(parsed.GetValue(instanceId) ?? await InstanceMetadata.InstanceIdAsync(cancellation), cancellation);
    return new DiscoveryLoop(manifest, members, new RuntimeApi(manifest.RuntimeSocket), TimeProvider.System, log, group, metrics);
}

// The first install's fill: discovery passes on the new manifest until one reads every pool, within wait.
async Task<bool> FillAsync(NodeSettings settings, ParseResult parsed, Ec2ClientOnDemand ec2, TimeSpan wait, CancellationToken cancellation)
{
    var clock = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            if (await Discovery(settings, parsed, ec2, null, cancellation) is not { } discovery || await discovery.PassAsync(cancellation))
            {
                return true;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.PassFailed(e.GetType().Name, AgentEvents.Detail(e));
        }

        if (clock.Elapsed >= wait)
        {
            log.PoolsNotRead((int)wait.TotalSeconds);
            return false;
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
    }
}

// The applier, from the settings: it reloads with the reload command and checks the node's health endpoint.
BundleApplier Applier(NodeSettings settings) =>
    new(settings.ConfigDirectory, new RuntimeApi(settings.RuntimeSocket), Run(settings.ReloadCommand),
        new HealthProbe(new IPEndPoint(IPAddress.Loopback, settings.HealthPort), settings.HealthPath).HealthyAsync, log);

// The rollout, from the settings.
RuleRollout Rollout(HttpClient http, Uri url, NodeSettings settings, AgentMetrics? metrics) => new(http, url, Applier(settings), log, metrics);

// A command of the settings (program and arguments, no shell), run to its end.
static Func<CancellationToken, Task> Run(IReadOnlyList<string> command) => async cancellation =>
{
    using var process = Process.Start(command[0], command.Skip(1))!;
    await process.WaitForExitAsync(cancellation);
};

static void MarkReady(string? file)
{
    if (file is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "");
    }
}
