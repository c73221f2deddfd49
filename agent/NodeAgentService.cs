using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;

namespace HaproxyCluster.Agent;

/// <summary>
/// The agent's long run, as a hosted service: it follows the rules versions AppConfig deploys and
/// keeps the discovered pools filled, on the manifest of the rules that run. It counts as started
/// once a discovery pass read every pool (or the rules discover none): only then does the host
/// tell systemd <c>READY=1</c> (the unit is <c>Type=notify</c>), so a node whose pools are still
/// empty is not reported up. Until then it keeps trying, and systemd shows it activating.
/// </summary>
internal sealed class NodeAgentService(AgentParts parts, IHostApplicationLifetime lifetime, ILogger log) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ResiliencePipeline<DiscoveryStart?> _starting = Retry.BackingOff<DiscoveryStart?>(TimeSpan.FromSeconds(parts.Settings.DiscoveryIntervalSeconds), TimeProvider.System);
    private Task _running = Task.CompletedTask;

    /// <summary>1 when the rollout stopped on an unexpected failure (systemd starts the agent again), else 0.</summary>
    public int ExitCode { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _running = RunAsync(_stopping.Token);
        // Stopped before it was ready: the host stops the service next.
        await Task.WhenAny(_ready.Task, _running, Task.Delay(Timeout.Infinite, cancellationToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _running.ContinueWith(_ => { }, cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken stopping)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var rollout = parts.Rollout(http);
        var rolling = rollout?.RunAsync(TimeSpan.FromSeconds(parts.Settings.RulesPollSeconds), stopping) ?? Task.CompletedTask;
        var keeping = parts.Certificates()?.RunAsync(TimeSpan.FromSeconds(parts.Settings.Tls!.RefreshSeconds), stopping) ?? Task.CompletedTask;

        // A rollout that fails unexpectedly (a full disk, say) ends the agent, and systemd starts it
        // again (Restart=always): an agent that kept discovering but no longer rolled rules out would
        // leave its node behind the fleet without a word.
        _ = rolling.ContinueWith(
            failed =>
            {
                var cause = failed.Exception!.GetBaseException();
                log.RolloutStopped(cause.GetType().Name, AgentEvents.Detail(cause));
                ExitCode = 1;
                lifetime.StopApplication();
            },
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);

        try
        {
            await DiscoverAsync(rollout, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped.
        }

        await rolling.ContinueWith(_ => { }, TaskScheduler.Default);
        await keeping.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Discovery on the manifest of the rules that run: a version that changes what runs starts it again.</summary>
    private async Task DiscoverAsync(RuleRollout? rollout, CancellationToken stopping)
    {
        while (true)
        {
            using var restart = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            void Restart() => restart.Cancel();
            rollout?.Applied += Restart;
            try
            {
                var start = await _starting.ExecuteAsync(async token => await TryStartAsync(token), restart.Token);
                if (start!.Discovery is not { } discovery)
                {
                    log.NoDiscoveredPool();
                    _ready.TrySetResult();
                    await Task.Delay(Timeout.Infinite, restart.Token);
                }
                else
                {
                    var pace = new DiscoveryPace(TimeSpan.FromSeconds(parts.Settings.DiscoveryIntervalSeconds), parts.Settings.Ec2CallsPerSecond, Random.Shared);
                    await discovery.RunAsync(pace, () =>
                    {
                        log.DiscoveryReady();
                        _ready.TrySetResult();
                    }, restart.Token);
                }
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                log.DiscoveryRestarted();
            }
            finally
            {
                rollout?.Applied -= Restart;
            }
        }
    }

    /// <summary>
    /// Discovery made anew, or null (logged) when it could not start: starting reads the manifest,
    /// and this node's group from IMDS and EC2, and a reply there is retried like a pass's.
    /// </summary>
    private async Task<DiscoveryStart?> TryStartAsync(CancellationToken cancellation)
    {
        try
        {
            return new DiscoveryStart(await parts.DiscoveryAsync(parts.Metrics, cancellation));
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            log.DiscoveryStartFailed(e.GetType().Name, AgentEvents.Detail(e));
            return null;
        }
    }

    /// <summary>Discovery as started: null when the rules discover no pool.</summary>
    private sealed record DiscoveryStart(DiscoveryLoop? Discovery);
}
