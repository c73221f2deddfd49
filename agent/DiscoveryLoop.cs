using System.Globalization;
using HaproxyCluster.Config;

namespace HaproxyCluster.Agent;

/// <summary>
/// Keeps every discovered pool's slots in line with EC2: each pass lists the members, plans and
/// applies the changes through the Runtime API only (never a reload), then saves the servers'
/// state for the next reload. When EC2 fails, nothing that serves is touched: the last good
/// membership stays, and the next pass waits longer (with jitter).
/// </summary>
internal sealed class DiscoveryLoop(DiscoveryManifest manifest, Ec2Members ec2, RuntimeApi haproxy, TimeProvider clock, Action<string> log)
{
    private readonly Dictionary<string, DateTime> _drainingSince = new(StringComparer.Ordinal);

    /// <summary>Members that found no slot in the last pass, per pool (the agent reports it as a metric).</summary>
    public IReadOnlyDictionary<string, int> Unserved => _unserved;

    private readonly Dictionary<string, int> _unserved = new(StringComparer.Ordinal);

    /// <summary>One pass over every pool; false when EC2 could not be read for some pool (that pool was left as it was).</summary>
    public async Task<bool> PassAsync(CancellationToken cancellation)
    {
        var allRead = true;
        var changed = false;
        foreach (var pool in manifest.Pools)
        {
            IReadOnlyList<Member> members;
            try
            {
                members = await ec2.ListAsync(pool, cancellation);
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or TaskCanceledException && !cancellation.IsCancellationRequested)
            {
                log($"discovery: {pool.Backend}: EC2 could not be read ({e.GetType().Name}: {e.Message}); keeping the servers as they are");
                allRead = false;
                continue;
            }

            changed |= await ApplyAsync(pool, members, cancellation);
        }

        if (changed)
        {
            await SaveStateAsync(cancellation);
        }

        return allRead;
    }

    /// <summary>Runs passes until cancelled: every <paramref name="interval"/>, backing off up to a minute while EC2 fails.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellation)
    {
        var failures = 0;
        while (!cancellation.IsCancellationRequested)
        {
            failures = await PassAsync(cancellation) ? 0 : failures + 1;
            await Task.Delay(Backoff.Next(interval, failures), clock, cancellation);
        }
    }

    private async Task<bool> ApplyAsync(DiscoveredPool pool, IReadOnlyList<Member> members, CancellationToken cancellation)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var slots = await haproxy.SlotsAsync(pool.Backend, pool.SlotPrefix, cancellation);
        var plan = SlotPlanner.Plan(slots, members, pool.Port, _drainingSince, TimeSpan.FromSeconds(pool.DrainSeconds), now);
        foreach (var action in plan.Actions)
        {
            switch (action)
            {
                case SlotAction.Fill fill:
                    await haproxy.SetAddressAsync(pool.Backend, fill.Slot, fill.Member.Address, pool.Port, cancellation);
                    await haproxy.SetModeAsync(pool.Backend, fill.Slot, SlotMode.Ready, cancellation);
                    _drainingSince.Remove(fill.Slot);
                    log($"discovery: {pool.Backend}/{fill.Slot}: serving {fill.Member.InstanceId} at {fill.Member.Address}:{pool.Port}");
                    break;
                case SlotAction.Drain drain:
                    await haproxy.SetModeAsync(pool.Backend, drain.Slot, SlotMode.Drain, cancellation);
                    _drainingSince[drain.Slot] = now;
                    log($"discovery: {pool.Backend}/{drain.Slot}: its instance left; draining for up to {pool.DrainSeconds} s");
                    break;
                case SlotAction.Empty empty:
                    await haproxy.SetModeAsync(pool.Backend, empty.Slot, SlotMode.Maint, cancellation);
                    _drainingSince.Remove(empty.Slot);
                    log($"discovery: {pool.Backend}/{empty.Slot}: drained; empty");
                    break;
            }
        }

        if (plan.Unserved > 0 && _unserved.GetValueOrDefault(pool.Backend) != plan.Unserved)
        {
            log(string.Create(CultureInfo.InvariantCulture, $"discovery: {pool.Backend}: {plan.Unserved} instance(s) have no slot ({pool.Slots} slots); raise Ec2Discovery.Slots"));
        }

        _unserved[pool.Backend] = plan.Unserved;
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

/// <summary>How long to wait before the next pass: the interval, doubled per failure up to a minute, with ±20 % jitter.</summary>
internal static class Backoff
{
    public static TimeSpan Next(TimeSpan interval, int failures)
    {
        var wait = failures == 0 ? interval : TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, interval.Ticks << Math.Min(failures, 6)));
#pragma warning disable CA5394 // Jitter spreads the nodes' calls; it needs no cryptographic randomness.
        return wait * (0.8 + (Random.Shared.NextDouble() * 0.4));
#pragma warning restore CA5394
    }
}
