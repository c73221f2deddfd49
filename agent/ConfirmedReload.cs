using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// A reload that is confirmed, not assumed: sent, then confirmed by a new worker answering on the
/// Runtime API. HAProxy 2.6's master drops a USR2 that lands just after it finished loading (between
/// "Loading success." and setting its signal handlers again), so a reload with no new worker after
/// <see cref="ResendAfter"/> is sent again, until <see cref="Timeout"/>. A reload sent twice costs
/// one extra seamless reload; a reload lost would fail a healthy rules version.
/// </summary>
/// <param name="haproxy">The Runtime API of the running HAProxy.</param>
/// <param name="send">Sends the reload (systemctl reload haproxy on a node: a USR2 to the master).</param>
/// <param name="log">Where a resent reload is told.</param>
internal sealed class ConfirmedReload(RuntimeApi haproxy, Func<CancellationToken, Task> send, ILogger log)
{
    /// <summary>How long a sent reload has to show a new worker before it is sent again.</summary>
    public TimeSpan ResendAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the reload has, resends included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reloads HAProxy away from worker <paramref name="oldWorker"/>: the new worker's pid, or null when none answered in time.</summary>
    public async Task<int?> ReloadAsync(int oldWorker, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        for (var sent = 1; clock.Elapsed < Timeout; sent++)
        {
            if (sent > 1)
            {
                log.ReloadResent(ResendAfter.TotalSeconds, sent - 1);
            }

            await send(cancellation);
            var since = Stopwatch.StartNew();
            while (since.Elapsed < ResendAfter && clock.Elapsed < Timeout)
            {
                if (await haproxy.WorkerPidOrNullAsync(cancellation) is { } pid && pid != oldWorker)
                {
                    log.Reloaded(pid, oldWorker);
                    return pid;
                }

                await Task.Delay(50, cancellation);
            }
        }

        return null;
    }
}
