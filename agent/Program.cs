using System.CommandLine;
using HaproxyCluster.Agent;
using HaproxyCluster.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

var install = new Command("install-rules", "Installs the node's TLS certificates, if it has any, then the deployed rules version with the code that applies every later one: verify, check, start HAProxy (or reload it, when it runs), fill the discovered pools, check health; on failure the previous config comes back. Exit 0 when it runs healthy, 1 when it was refused or reverted (the bootstrap's first install).")
{
    settingsFile, waitSeconds,
};
install.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    using var parts = new AgentParts(settings, log);

    // The certificates first: HAProxy's check of the config loads them.
    if (parts.Certificates() is { } certificates
        && !await Retry.EverySecondWithin<bool>(TimeSpan.FromSeconds(parsed.GetValue(waitSeconds))).ExecuteWithinAsync(certificates.RefreshAsync, cancellation))
    {
        return 1;
    }

    var within = Retry.EverySecondWithin<string?>(TimeSpan.FromSeconds(parsed.GetValue(waitSeconds)));
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    var url = new Uri(settings.RulesUrl ?? "http://localhost:2772/");
    if (await within.ExecuteWithinAsync(token => FetchAsync(http, url, token), cancellation) is not { } payload)
    {
        return 1;
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
    var applier = parts.Applier();
    var outcome = await new RuntimeApi(settings.RuntimeSocket).WorkerPidOrNullAsync(cancellation) is null
        ? await applier.StartAsync(archive, sha256, AgentParts.Run(settings.StartCommand), AgentParts.Run(settings.StopCommand), token => FillAsync(parts, parsed.GetValue(waitSeconds), token), cancellation)
        : await applier.ApplyAsync(archive, sha256, cancellation);
    if (outcome == ApplyOutcome.Refused)
    {
        log.RulesFailed(sha256);
        return 1;
    }

    log.RulesApplied(sha256, outcome);
    return 0;
});

var reasonFile = new Option<FileInfo?>("--reason-file") { Description = "Where to write the verdict's reason, one line, for the bootstrap's signal to CloudFormation." };
var bake = new Command("bake", "A new node's bake, after its first install and once its agent runs: it serves real traffic for the settings' bake time and is judged on its own failures, its worker and its agent (the events Bake*). Exit 0 when it passed or there is no bake, 1 when it failed.")
{
    settingsFile, reasonFile,
};
bake.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    using var parts = new AgentParts(settings, log);
    var verdict = await parts.Bake().RunAsync(cancellation);
    if (parsed.GetValue(reasonFile) is { } file)
    {
        await File.WriteAllTextAsync(file.FullName, verdict.Reason + "\n", cancellation);
    }

    return verdict.Passed ? 0 : 1;
});

var root = new RootCommand("HaproxyCluster node agent: AppConfig rule rollout, EC2 discovery and fleet-wide rate limits through HAProxy's Runtime API.")
{
    install, bake, settingsFile, once, fleetGroup, instanceId,
};
root.SetAction(async (parsed, cancellation) =>
{
    if (Settings(parsed) is not { } settings)
    {
        return 2;
    }

    using var parts = new AgentParts(settings, log, parsed.GetValue(fleetGroup), parsed.GetValue(instanceId));
    if (parsed.GetValue(once))
    {
        return await parts.DiscoveryAsync(parts.Metrics, cancellation) is { } single ? ((await single.PassAsync(cancellation)).Read ? 0 : 1) : 0;
    }

    // A .NET worker service: under systemd the host reports READY=1 when the service has started
    // (NodeAgentService: after a pass that read every pool) and STOPPING=1 on SIGTERM.
    var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
    builder.Services.AddSystemd();
    builder.Services.AddSingleton(loggers); // the host logs events too, on the same lines
    builder.Services.AddSingleton(parts);
    builder.Services.AddSingleton<ILogger>(log);
    builder.Services.AddSingleton<NodeAgentService>();
    builder.Services.AddHostedService(services => services.GetRequiredService<NodeAgentService>());
    var host = builder.Build();
    var service = host.Services.GetRequiredService<NodeAgentService>();
    await host.RunAsync(cancellation); // and disposes it
    return service.ExitCode;
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

// The deployed rules payload from the AppConfig Agent, or null (logged) when it did not answer.
async Task<string?> FetchAsync(HttpClient http, Uri url, CancellationToken cancellation)
{
    try
    {
        return await http.GetStringAsync(url, cancellation);
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
    {
        log.RulesUnreachable(url, AgentEvents.Detail(e));
        return null;
    }
}

// The first install's fill: discovery passes on the new manifest, every second until one reads
// every pool, for at most waitSeconds.
async Task<bool> FillAsync(AgentParts parts, int waitSeconds, CancellationToken cancellation)
{
    var within = Retry.EverySecondWithin<bool>(TimeSpan.FromSeconds(waitSeconds));
    var filled = await within.ExecuteWithinAsync(
        async token =>
        {
            try
            {
                return await parts.DiscoveryAsync(null, token) is not { } discovery || (await discovery.PassAsync(token)).Read;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                log.PassFailed(e.GetType().Name, AgentEvents.Detail(e));
                return false;
            }
        },
        cancellation);
    if (!filled)
    {
        log.PoolsNotRead(waitSeconds);
    }

    return filled;
}
