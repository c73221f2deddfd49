using System.Net;

namespace HaproxyCluster.Agent;

/// <summary>An instance that should serve: its id, private address and launch time.</summary>
internal sealed record Member(string InstanceId, IPAddress Address, DateTime LaunchTime);

/// <summary>Why a slot stops taking new traffic.</summary>
internal enum DrainReason
{
    /// <summary>No listed instance has its address any more: its instance left.</summary>
    Left,

    /// <summary>Its instance is still listed, but older instances now take every slot.</summary>
    Displaced,

    /// <summary>Its instance serves from another slot, or the slot points at another port.</summary>
    Redundant,
}

/// <summary>One Runtime API change to a slot.</summary>
internal abstract record SlotAction(string Slot)
{
    /// <summary>Point the slot at an instance and put it in service.</summary>
    public sealed record Fill(string Slot, Member Member) : SlotAction(Slot);

    /// <summary>Stop sending the slot new traffic; its connections finish.</summary>
    public sealed record Drain(string Slot, DrainReason Reason) : SlotAction(Slot);

    /// <summary>Take the slot out of service: it is empty again.</summary>
    public sealed record Empty(string Slot) : SlotAction(Slot);
}

/// <summary>
/// What one pass changes; how many members found no slot; and the members left out because a newer
/// instance lists the same address.
/// </summary>
internal sealed record SlotPlan(IReadOnlyList<SlotAction> Actions, int Unserved, IReadOnlyList<Member> SharedAddress);

/// <summary>
/// Decides, from HAProxy's slots and EC2's members, what to change. A pure function: what a slot
/// holds is read from HAProxy (its address, unless it is in maintenance), so the plan survives an
/// agent restart, and a reload that loaded the server-state file changes nothing.
/// </summary>
internal static class SlotPlanner
{
    /// <param name="slots">The pool's slots as HAProxy holds them.</param>
    /// <param name="members">The instances EC2 lists for the pool.</param>
    /// <param name="port">The port members serve on.</param>
    /// <param name="drainingSince">When each draining slot started draining (the agent's memory).</param>
    /// <param name="drainTimeout">How long a leaving member may finish its connections.</param>
    /// <param name="now">The time of this pass.</param>
    public static SlotPlan Plan(IReadOnlyList<Slot> slots, IReadOnlyList<Member> members, int port,
        IReadOnlyDictionary<string, DateTime> drainingSince, TimeSpan drainTimeout, DateTime now)
    {
        // One slot per address. EC2 gives an address to a new instance only after its previous
        // holder released it, so when two listed instances share one, the newest holds it now (the
        // other is a stale listing of an instance on its way out).
        var byAddress = members.GroupBy(m => m.Address)
            .Select(g => g.OrderByDescending(m => m.LaunchTime).ThenByDescending(m => m.InstanceId, StringComparer.Ordinal).ToList())
            .ToList();
        var unique = byAddress.Select(g => g[0]).ToList();

        // When members outnumber slots, the oldest serve: a stable order that a new instance does
        // not reshuffle.
        var serving = unique.OrderBy(m => m.LaunchTime).ThenBy(m => m.InstanceId, StringComparer.Ordinal).Take(slots.Count).ToList();
        var wanted = serving.ToDictionary(m => m.Address);
        var listed = unique.Select(m => m.Address).ToHashSet();
        var actions = new List<SlotAction>();
        var placed = new HashSet<IPAddress>();
        var free = new List<Slot>();
        foreach (var slot in slots)
        {
            if (slot.Mode == SlotMode.Maint)
            {
                free.Add(slot);
            }
            else if (slot.Port == port && wanted.TryGetValue(slot.Address, out var member) && placed.Add(slot.Address))
            {
                if (slot.Mode == SlotMode.Drain)
                {
                    actions.Add(new SlotAction.Fill(slot.Name, member)); // It came back while draining.
                }
            }
            else if (slot.Mode == SlotMode.Ready)
            {
                var reason = !listed.Contains(slot.Address) ? DrainReason.Left
                    : slot.Port == port && !wanted.ContainsKey(slot.Address) ? DrainReason.Displaced
                    : DrainReason.Redundant;
                actions.Add(new SlotAction.Drain(slot.Name, reason));
            }
            else if (slot.Sessions == 0 || now - drainingSince.GetValueOrDefault(slot.Name, now) >= drainTimeout)
            {
                actions.Add(new SlotAction.Empty(slot.Name));
                free.Add(slot); // Emptied: free for a newcomer in this same pass.
            }
        }

        var newcomers = serving.Where(m => !placed.Contains(m.Address)).ToList();
        actions.AddRange(newcomers.Zip(free.OrderBy(s => s.Number), (member, slot) => (SlotAction)new SlotAction.Fill(slot.Name, member)));
        return new SlotPlan(actions, unique.Count - serving.Count + Math.Max(0, newcomers.Count - free.Count), [.. byAddress.SelectMany(g => g.Skip(1))]);
    }
}
