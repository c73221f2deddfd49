using System.Globalization;
using HaproxyCluster.Node;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Agent;

/// <summary>
/// Keeps every discovered pool's slots in line with EC2: each pass lists the members of every pool
/// and of the nodes' own group in one call (<see cref="Ec2Members"/>), plans and applies the
/// changes through the Runtime API only (never a reload), then saves the servers' state for the
/// next reload. It also sets each fleet-wide rate limit's share on this node, from the number of
/// running nodes in <paramref name="fleetGroup"/>. When EC2 fails, nothing that serves is touched:
/// the last good membership and shares stay, and the next pass waits longer (<see cref="DiscoveryPace"/>).
/// After each pool's pass it reports the pool's slotted and unslotted instances to <paramref name="metrics"/>.
/// </summary>
internal sealed class DiscoveryLoop(MembershipManifest manifest, Ec2Members ec2, RuntimeApi haproxy, TimeProvider clock, ILogger log, string? fleetGroup = null, AgentMetrics? metrics = null)
{
    private readonly Dictionary<string, DateTime> _drainingSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _unserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _shares = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);
    private int _nodes = 1;

    /// <summary>One pass over every pool: whether EC2 was read (when not, nothing was changed), whether it throttled, the calls it took and the fleet's size as last read.</summary>
    public async Task<DiscoveryPass> PassAsync(CancellationToken cancellation)
    {
        var callsBefore = ec2.Calls;
        List<Ec2Query> queries = [.. manifest.Pools.Select(Ec2Query.Of)];
        if (fleetGroup is not null)
        {
            queries.Add(new Ec2Query(fleetGroup, []));
        }

        var what = string.Join(", ", [.. manifest.Pools.Select(p => p.Backend), .. fleetGroup is null ? Array.Empty<string>() : ["fleet"]]);
        var (listings, throttled) = await ReadAsync(what, () => ec2.ListAsync(queries, cancellation), cancellation);
        if (listings is null)
        {
            return new DiscoveryPass(false, throttled, ec2.Calls - callsBefore, _nodes);
        }

        var changed = false;
        foreach (var (pool, listing) in manifest.Pools.Zip(listings))
        {
            ReportOnce(pool.Backend + "/skipped", listing.Skipped.Select(s => $"{s.InstanceId} ({s.Reason})"), skipped => log.InstancesSkipped(pool.Backend, skipped));
            changed |= await ApplyAsync(pool, listing.Members, cancellation);
        }

        if (changed)
        {
            await SaveStateAsync(cancellation);
        }

        if (fleetGroup is not null && listings[^1].Members.Count > 0)
        {
            _nodes = listings[^1].Members.Count;
            await ShareAsync(_nodes, cancellation);
        }

        return new DiscoveryPass(true, false, ec2.Calls - callsBefore, _nodes);
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
    /// What <paramref name="read"/> returns, or null (logged) when EC2 could not be read, and whether
    /// it throttled: whatever it answered (an error, throttling, a body the SDK cannot parse, a page
    /// token it repeats) fails this read only, and everything that serves stays as it is.
    /// </summary>
    private async Task<(IReadOnlyList<Listing>? Listings, bool Throttled)> ReadAsync(string what, Func<Task<IReadOnlyList<Listing>>> read, CancellationToken cancellation)
    {
        try
        {
            return (await read(), false);
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

                return (null, true);
            }

            log.Ec2ReadFailed(what, e.GetType().Name, AgentEvents.Detail(e));
            return (null, false);
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
    /// Runs passes until cancelled, starting each as long after the last one started as
    /// <paramref name="pace"/> says, so a slow pass (a busy node, a slow answer) does not lower the
    /// rate the budget allows. Calls <paramref name="ready"/> once, after the first pass that read every pool.
    /// </summary>
    public async Task RunAsync(DiscoveryPace pace, Action ready, CancellationToken cancellation)
    {
        var readied = false;
        while (true)
        {
            var started = clock.GetTimestamp();
            var pass = await TryPassAsync(cancellation);
            if (pass.Read && !readied)
            {
                ready();
                readied = true;
            }

            var wait = pace.Next(pass) - clock.GetElapsedTime(started);
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, clock, cancellation);
        }
    }

    /// <summary>
    /// A pass; not read (logged) when it failed: HAProxy's Runtime API did not answer (between two
    /// workers, or while it restarts) or answered something unreadable, or the disk refused the
    /// state file. The next pass tries again; nothing a pass read can end the agent.
    /// </summary>
    private async Task<DiscoveryPass> TryPassAsync(CancellationToken cancellation)
    {
        try
        {
            return await PassAsync(cancellation);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException && !cancellation.IsCancellationRequested)
        {
            log.RuntimeApiUnanswered(AgentEvents.Detail(e));
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            log.PassFailed(e.GetType().Name, AgentEvents.Detail(e));
        }

        return new DiscoveryPass(false, false, 1, _nodes);
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

/// <summary>What a discovery pass did, for its pace.</summary>
/// <param name="Read">Every pool was read and applied.</param>
/// <param name="Throttled">EC2 throttled the call.</param>
/// <param name="Calls">The DescribeInstances calls it made, every page counted.</param>
/// <param name="Nodes">The HAProxy nodes running, as last read (1 when unknown).</param>
internal sealed record DiscoveryPass(bool Read, bool Throttled, int Calls, int Nodes);

/// <summary>
/// How long a node waits between two discovery passes, so that the whole fleet's DescribeInstances
/// calls stay within <paramref name="fleetCallsPerSecond"/> whatever its size: at least
/// <paramref name="interval"/>, and at least the fleet's calls a pass (nodes × this node's calls)
/// divided by the budget. A failed or throttled pass doubles the wait, up to
/// <see cref="MaxSlowdown"/> times, and each pass that reads halves it back, so a throttled
/// account recovers without every node returning at once. Each wait is jittered by ±20 %, so
/// the nodes do not call in step.
/// </summary>
internal sealed class DiscoveryPace(TimeSpan interval, double fleetCallsPerSecond, Random random)
{
    /// <summary>The most a failing or throttled EC2 stretches the wait: 16 × 5 s is 80 s on a small fleet.</summary>
    public const int MaxSlowdown = 16;

    private int _slowdown = 1;

    /// <summary>The slowdown the next wait has, 1 when EC2 answers.</summary>
    public int Slowdown => _slowdown;

    /// <summary>The wait before the pass after <paramref name="pass"/>.</summary>
    public TimeSpan Next(DiscoveryPass pass)
    {
        var paced = DiscoveryPacing.Paced(interval, fleetCallsPerSecond, pass.Nodes, pass.Calls);
        if (pass.Read)
        {
            _slowdown = Math.Max(1, _slowdown / 2);
        }

        var wait = paced * _slowdown;
        if (!pass.Read)
        {
            _slowdown = Math.Min(MaxSlowdown, _slowdown * 2);
        }

        return wait * (1 - DiscoveryPacing.Jitter + (2 * DiscoveryPacing.Jitter * random.NextDouble()));
    }
}
