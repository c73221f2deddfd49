using System.Globalization;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Keeps every discovered pool's slots in line with EC2: each pass lists the members, plans and
/// applies the changes through the Runtime API only (never a reload), then saves the servers'
/// state for the next reload. It also sets each fleet-wide rate limit's share on this node, from
/// the number of running nodes in <paramref name="fleetGroup"/>. When EC2 fails, nothing that
/// serves is touched: the last good membership and shares stay, and the next pass waits longer.
/// After each pool's pass it reports the pool's slotted and unslotted instances to <paramref name="metrics"/>.
/// </summary>
internal sealed class DiscoveryLoop(MembershipManifest manifest, Ec2Members ec2, RuntimeApi haproxy, TimeProvider clock, ILogger log, string? fleetGroup = null, AgentMetrics? metrics = null)
{
    private readonly Dictionary<string, DateTime> _drainingSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _unserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _shares = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);

    /// <summary>One pass over every pool; false when EC2 could not be read for some pool (that pool was left as it was).</summary>
    public async Task<bool> PassAsync(CancellationToken cancellation)
    {
        var allRead = true;
        var changed = false;
        foreach (var pool in manifest.Pools)
        {
            var listing = await ReadAsync(pool.Backend, () => ec2.ListAsync(pool, cancellation), cancellation);
            allRead &= listing is not null;
            if (listing is not null)
            {
                ReportOnce(pool.Backend + "/skipped", listing.Skipped.Select(s => $"{s.InstanceId} ({s.Reason})"), skipped => log.InstancesSkipped(pool.Backend, skipped));
                changed |= await ApplyAsync(pool, listing.Members, cancellation);
            }
        }

        if (changed)
        {
            await SaveStateAsync(cancellation);
        }

        if (manifest.FleetLimits.Count > 0 && fleetGroup is not null)
        {
            var nodes = await ReadAsync("fleet", () => ec2.GroupAsync(fleetGroup, cancellation), cancellation);
            allRead &= nodes is not null;
            if (nodes is { Members.Count: > 0 })
            {
                await ShareAsync(nodes.Members.Count, cancellation);
            }
        }

        return allRead;
    }

    /// <summary>
    /// Sets each fleet-wide limit's share on this node: limit ÷ nodes, rounded, at least 1. Set on
    /// every pass, so a reload (which reads the map's file, the whole limit) is corrected at once.
    /// </summary>
    private async Task ShareAsync(int nodes, CancellationToken cancellation)
    {
        foreach (var limit in manifest.FleetLimits)
        {
            var share = FleetShare.Of(limit.Requests, nodes);
            await haproxy.SendAsync(string.Create(CultureInfo.InvariantCulture, $"set map {manifest.FleetLimitsMap} {limit.Name} {share}"), cancellation);
            if (_shares.GetValueOrDefault(limit.Name) != share)
            {
                log.FleetShareSet(limit.Name, limit.Requests, nodes, share);
                _shares[limit.Name] = share;
            }
        }
    }

    /// <summary>
    /// What <paramref name="read"/> returns, or null (logged) when EC2 could not be read: whatever
    /// it answered (an error, throttling, a body the SDK cannot parse, a page token it repeats) fails
    /// this read only, and everything that serves stays as it is.
    /// </summary>
    private async Task<Listing?> ReadAsync(string what, Func<Task<Listing>> read, CancellationToken cancellation)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            if (e is Amazon.Runtime.AmazonServiceException { ErrorCode: "RequestLimitExceeded" or "Throttling" or "ThrottlingException" })
            {
                log.Ec2Throttled(what);
                if (metrics is not null)
                {
                    await metrics.PublishThrottledAsync(cancellation);
                }
            }
            else
            {
                log.Ec2ReadFailed(what, e.GetType().Name, AgentEvents.Detail(e));
            }

            return null;
        }
    }

    /// <summary>Reports <paramref name="items"/> when they differ from the last pass's under <paramref name="key"/>: once, not every pass.</summary>
    private void ReportOnce(string key, IEnumerable<string> items, Action<string> report)
    {
        var now = string.Join(", ", items.Order(StringComparer.Ordinal));
        if (now.Length > 0 && _reported.GetValueOrDefault(key) != now)
        {
            report(now);
        }

        _reported[key] = now;
    }

    /// <summary>
    /// Runs passes until cancelled: every <paramref name="interval"/>, backing off up to a minute
    /// while a pass fails (<see cref="Retry.BackingOff"/>). Calls <paramref name="ready"/> once,
    /// after the first pass that read every pool.
    /// </summary>
    public async Task RunAsync(TimeSpan interval, Action ready, CancellationToken cancellation)
    {
        var untilRead = Retry.BackingOff<bool>(interval, clock);
        await untilRead.ExecuteAsync(async token => await TryPassAsync(token), cancellation);
        ready();
        while (true)
        {
            await Task.Delay(interval, clock, cancellation);
            await untilRead.ExecuteAsync(async token => await TryPassAsync(token), cancellation);
        }
    }

    /// <summary>
    /// A pass; false (logged) when it failed: HAProxy's Runtime API did not answer (between two
    /// workers, or while it restarts) or answered something unreadable, or the disk refused the
    /// state file. The next pass tries again; nothing a pass read can end the agent.
    /// </summary>
    private async Task<bool> TryPassAsync(CancellationToken cancellation)
    {
        try
        {
            return await PassAsync(cancellation);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException && !cancellation.IsCancellationRequested)
        {
            log.RuntimeApiUnanswered(AgentEvents.Detail(e));
            return false;
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            log.PassFailed(e.GetType().Name, AgentEvents.Detail(e));
            return false;
        }
    }

    private async Task<bool> ApplyAsync(DiscoveredPool pool, IReadOnlyList<Member> members, CancellationToken cancellation)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var slots = await haproxy.SlotsAsync(pool.Backend, pool.SlotPrefix, cancellation);
        foreach (var slot in slots.Where(s => s.Mode == SlotMode.Drain))
        {
            _drainingSince.TryAdd(slot.Name, now); // Draining since before this agent started: the timeout counts from now.
        }

        var plan = SlotPlanner.Plan(slots, members, pool.Port, _drainingSince, TimeSpan.FromSeconds(pool.DrainSeconds), now);
        foreach (var action in plan.Actions)
        {
            switch (action)
            {
                case SlotAction.Fill fill:
                    await haproxy.SetAddressAsync(pool.Backend, fill.Slot, fill.Member.Address, pool.Port, cancellation);
                    await haproxy.SetModeAsync(pool.Backend, fill.Slot, SlotMode.Ready, cancellation);
                    _drainingSince.Remove(fill.Slot);
                    log.SlotFilled(pool.Backend, fill.Slot, fill.Member.InstanceId, fill.Member.Address.ToString(), pool.Port);
                    break;
                case SlotAction.Drain drain:
                    await haproxy.SetModeAsync(pool.Backend, drain.Slot, SlotMode.Drain, cancellation);
                    _drainingSince[drain.Slot] = now;
                    log.SlotDraining(pool.Backend, drain.Slot, drain.Reason, pool.DrainSeconds);
                    break;
                case SlotAction.Empty empty:
                    await haproxy.SetModeAsync(pool.Backend, empty.Slot, SlotMode.Maint, cancellation);
                    _drainingSince.Remove(empty.Slot);
                    log.SlotEmptied(pool.Backend, empty.Slot);
                    break;
            }
        }

        ReportOnce(pool.Backend + "/shared", plan.SharedAddress.Select(m => $"{m.InstanceId} ({m.Address})"), shared => log.AddressShared(pool.Backend, shared));
        if (plan.Unserved > 0 && _unserved.GetValueOrDefault(pool.Backend) != plan.Unserved)
        {
            log.MembersUnslotted(pool.Backend, plan.Unserved, pool.Slots);
        }

        _unserved[pool.Backend] = plan.Unserved;
        if (metrics is not null)
        {
            await metrics.PublishPoolAsync(pool.Backend, members.Count - plan.Unserved, plan.Unserved, cancellation);
        }

        return plan.Actions.Count > 0;
    }

    /// <summary>Writes <c>show servers state</c> where HAProxy loads it on reload, atomically.</summary>
    private async Task SaveStateAsync(CancellationToken cancellation)
    {
        var state = await haproxy.ServersStateAsync(cancellation);
        var scratch = manifest.ServerStateFile + ".new";
        await File.WriteAllTextAsync(scratch, state, cancellation);
        File.Move(scratch, manifest.ServerStateFile, overwrite: true);
    }
}

/// <summary>A node's share of a fleet-wide limit.</summary>
internal static class FleetShare
{
    /// <summary><paramref name="limit"/> ÷ <paramref name="nodes"/>, rounded to the nearest whole request, at least 1.</summary>
    public static int Of(int limit, int nodes) => Math.Max(1, (int)Math.Round(limit / (double)Math.Max(1, nodes), MidpointRounding.AwayFromZero));
}
