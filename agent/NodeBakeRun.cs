using System.Globalization;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// A new node's bake (<see cref="NodeBake"/>): it watches the node serve for the bake's duration,
/// reading what HAProxy's access log gains (<see cref="BakeTally"/>), the agent's log (its reloads,
/// and any failed apply since it started) and which worker runs, once a second, and judges at the end. Nothing
/// it reads ends it: a file that is not there yet gives no line, a Runtime API that does not answer
/// is asked again, and only the answer at the end must come.
/// </summary>
internal sealed class NodeBakeRun(NodeSettings settings, RuntimeApi runtime, AgentMetrics? metrics, ILogger log, TimeProvider clock)
{
    /// <summary>The bake's verdict: passed or not, and the reason to signal.</summary>
    public sealed record Verdict(bool Passed, string Reason);

    public async Task<Verdict> RunAsync(CancellationToken cancellation)
    {
        var bake = settings.Bake;
        if (!bake.Enabled)
        {
            log.BakeSkipped();
            return new Verdict(true, "no bake");
        }

        var access = new LogFollower(settings.AccessLog!);
        var agentLog = settings.AgentLog is { } file ? new LogFollower(file) : null;
        // The access log from now on; the agent's log from its start on this node: an apply that
        // failed between the agent's start and the bake counts as much as one during it.
        access.SkipToEnd();
        var tally = new BakeTally();
        var reloadedTo = new HashSet<int>();
        var workers = new List<int>();
        string? agentFailure = null;
        var first = await runtime.WorkerPidOrNullAsync(cancellation);
        var seconds = (int)bake.Duration.TotalSeconds;
        log.BakeStarted(seconds, bake.MinimumRequests, bake.MaxOwnFailurePercent, first ?? 0);

        var started = clock.GetTimestamp();
        var progressEvery = TimeSpan.FromSeconds(Math.Clamp(seconds / 10, 1, 10));
        var nextProgress = progressEvery;
        int? last;
        while (true)
        {
            var elapsed = clock.GetElapsedTime(started);
            foreach (var line in access.ReadNew())
            {
                tally.Add(line);
            }

            foreach (var e in NodeEventLine.Parse(agentLog?.ReadNew() ?? []))
            {
                if (e.Name == NodeEvents.Reloaded && int.TryParse(e.Field("Worker"), CultureInfo.InvariantCulture, out var worker))
                {
                    reloadedTo.Add(worker);
                }
                else if (e.Name is NodeEvents.RulesFailed or NodeEvents.RolloutStopped)
                {
                    agentFailure ??= $"the agent reported {e.Name} ({e.Field("Message")})";
                }
            }

            last = await runtime.WorkerPidOrNullAsync(cancellation);
            if (last is { } pid && !workers.Contains(pid))
            {
                workers.Add(pid);
            }

            var done = elapsed >= bake.Duration;
            if (elapsed >= nextProgress || done)
            {
                log.BakeProgress((int)elapsed.TotalSeconds, seconds, tally.Requests, tally.OwnFailures, tally.Kinds);
                if (metrics is not null)
                {
                    await metrics.PublishBakeAsync(tally.Requests, tally.OwnFailures, cancellation);
                }

                nextProgress += progressEvery;
            }

            if (done)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellation);
        }

        // Judged at the end, when every reload the agent made is in its log: a worker the agent did
        // not start by a reload replaced the one the bake began with (a crash, a restart).
        var reasons = new List<string>();
        if (!tally.WithinThreshold(bake))
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"{tally.OwnFailures:N0} of {tally.Requests:N0} requests ({tally.OwnFailurePercent} %) failed through this node, over the {bake.MaxOwnFailurePercent} % allowed: {tally.Kinds}"));
        }

        var unexplained = workers.Where(w => w != first && !reloadedTo.Contains(w)).ToList();
        if (first is null || last is null)
        {
            reasons.Add("HAProxy's Runtime API did not answer at the bake's " + (first is null ? "start" : "end"));
        }
        else if (unexplained.Count > 0)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"HAProxy's worker {first} was replaced by {string.Join(", ", unexplained)} without a reload by the agent"));
        }

        if (agentFailure is not null)
        {
            reasons.Add(agentFailure);
        }

        var belowMinimum = tally.Requests < bake.MinimumRequests;
        if (reasons.Count > 0)
        {
            var reason = "bake failed: " + string.Join("; ", reasons);
            log.BakeFailed(tally.Requests, tally.OwnFailures, tally.OwnFailurePercent, bake.MaxOwnFailurePercent, tally.Kinds, reason);
            return new Verdict(false, reason);
        }

        var note = belowMinimum ? string.Create(CultureInfo.InvariantCulture, $"; only {tally.Requests} requests, under the {bake.MinimumRequests} asked for, judged on those") : "";
        log.BakePassed(tally.Requests, belowMinimum, tally.OwnFailures, tally.OwnFailurePercent, bake.MaxOwnFailurePercent);
        return new Verdict(true, string.Create(CultureInfo.InvariantCulture, $"bake passed: {tally.Requests:N0} requests, {tally.OwnFailures:N0} own failures{note}"));
    }
}
