using System.Security.Cryptography;
using System.Text;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Follows the rules version AppConfig deploys to this node. Each poll reads the configuration
/// from the AWS AppConfig Agent's localhost endpoint (which itself polls AppConfig and answers
/// from its cache); a payload not seen before is decoded, checked against its SHA-256 and handed to
/// the <paramref name="applier"/>. A version refused or reverted is logged and counted in
/// <see cref="AgentMetrics.PublishFailedApplyAsync"/>: that metric's alarm is a monitor of the
/// AppConfig environment, which rolls the deployment back, and the previous version then arrives
/// here like any other. A version is tried once: after a failure the node waits for the next one.
/// </summary>
internal sealed class RuleRollout(HttpClient http, Uri configuration, BundleApplier applier, ILogger log, AgentMetrics? metrics = null)
{
    private string? _seen;
    private bool _silent;

    /// <summary>Raised after a version changed what runs (a reload, or tables replaced in place).</summary>
    public event Action? Applied;

    /// <summary>One poll: what applying a new version did, or null when there was none (or no answer).</summary>
    public async Task<ApplyOutcome?> PollAsync(CancellationToken cancellation)
    {
        string payload;
        try
        {
            payload = await http.GetStringAsync(configuration, cancellation);
            _silent = false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            // Told once, not every poll, until it answers again.
            if (!_silent)
            {
                log.RulesUnreachable(configuration, AgentEvents.Detail(e));
            }

            _silent = true;
            return null;
        }

        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));
        if (digest == _seen)
        {
            return null;
        }

        _seen = digest;
        ApplyOutcome outcome;
        var sha256 = "";
        try
        {
            (var archive, sha256) = RulesPayload.Decode(payload);
            log.RulesVersionReceived(sha256);
            outcome = await applier.ApplyAsync(archive, sha256, cancellation);
        }
        catch (InvalidDataException e)
        {
            log.RulesPayloadRefused(AgentEvents.Detail(e));
            outcome = ApplyOutcome.Refused;
        }

        if (outcome == ApplyOutcome.Refused)
        {
            log.RulesFailed(sha256);
        }
        else
        {
            log.RulesApplied(sha256, outcome);
        }

        if (outcome == ApplyOutcome.Refused && metrics is not null)
        {
            await metrics.PublishFailedApplyAsync(cancellation);
        }

        if (outcome is ApplyOutcome.Reloaded or ApplyOutcome.MapsInPlace)
        {
            Applied?.Invoke();
        }

        return outcome;
    }

    /// <summary>Polls every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            await PollAsync(cancellation);
        }
        while (await timer.WaitForNextTickAsync(cancellation));
    }
}
