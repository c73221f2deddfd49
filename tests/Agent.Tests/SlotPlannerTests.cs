using System.Net;

namespace HaproxyCluster.Agent.Tests;

/// <summary>The slot plan: who serves where, who drains, who waits, decided from HAProxy's slots and EC2's members.</summary>
public class SlotPlannerTests
{
    private const int Port = 8080;
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private static Member Member(int n) => new($"i-{n:d4}", IPAddress.Parse($"10.0.0.{n}"), Now.AddMinutes(n));

    private static Slot Empty(int n) => new($"app-{n}", n, IPAddress.Loopback, Port, SlotMode.Maint);

    private static Slot Serving(int n, Member member, SlotMode mode = SlotMode.Ready, int sessions = 0) => new($"app-{n}", n, member.Address, Port, mode, sessions);

    private static SlotPlan Plan(IReadOnlyList<Slot> slots, IReadOnlyList<Member> members, IReadOnlyDictionary<string, DateTime>? draining = null, DateTime? now = null) =>
        SlotPlanner.Plan(slots, members, Port, draining ?? new Dictionary<string, DateTime>(), DrainTimeout, now ?? Now);

    [Fact]
    public void New_members_fill_the_lowest_empty_slots_oldest_first()
    {
        var plan = Plan([Empty(1), Empty(2), Empty(3)], [Member(2), Member(1)]);

        Assert.Equal([new SlotAction.Fill("app-1", Member(1)), new SlotAction.Fill("app-2", Member(2))], plan.Actions);
        Assert.Equal(0, plan.Unserved);
    }

    [Fact]
    public void A_member_keeps_its_slot_while_others_come_and_go()
    {
        var plan = Plan([Empty(1), Serving(2, Member(2)), Empty(3)], [Member(2), Member(3)]);

        Assert.Equal([new SlotAction.Fill("app-1", Member(3))], plan.Actions);
    }

    [Fact]
    public void Nothing_changes_when_haproxy_already_serves_every_member()
    {
        Assert.Empty(Plan([Serving(1, Member(1)), Serving(2, Member(2))], [Member(2), Member(1)]).Actions);
    }

    [Fact]
    public void A_leaving_member_drains_first_then_its_slot_empties_once_its_connections_end()
    {
        var leaving = Member(1);
        var draining = new Dictionary<string, DateTime> { ["app-1"] = Now };

        Assert.Equal([new SlotAction.Drain("app-1")], Plan([Serving(1, leaving)], []).Actions);
        Assert.Empty(Plan([Serving(1, leaving, SlotMode.Drain, sessions: 4)], [], draining, Now.AddSeconds(10)).Actions);
        Assert.Equal([new SlotAction.Empty("app-1")], Plan([Serving(1, leaving, SlotMode.Drain, sessions: 0)], [], draining, Now.AddSeconds(10)).Actions);
    }

    [Fact]
    public void A_draining_slot_empties_after_the_drain_timeout_even_with_connections_open()
    {
        var draining = new Dictionary<string, DateTime> { ["app-1"] = Now };

        var plan = Plan([Serving(1, Member(1), SlotMode.Drain, sessions: 3)], [], draining, Now + DrainTimeout);

        Assert.Equal([new SlotAction.Empty("app-1")], plan.Actions);
    }

    [Fact]
    public void A_member_that_comes_back_while_draining_is_served_again_in_the_same_slot()
    {
        var plan = Plan([Serving(1, Member(1), SlotMode.Drain, sessions: 2)], [Member(1)]);

        Assert.Equal([new SlotAction.Fill("app-1", Member(1))], plan.Actions);
    }

    [Fact]
    public void More_members_than_slots_serves_the_oldest_and_counts_the_rest()
    {
        var plan = Plan([Empty(1), Empty(2)], [Member(5), Member(3), Member(4), Member(1)]);

        Assert.Equal([new SlotAction.Fill("app-1", Member(1)), new SlotAction.Fill("app-2", Member(3))], plan.Actions);
        Assert.Equal(2, plan.Unserved);
    }

    [Fact]
    public void A_slot_on_another_port_or_a_duplicate_address_is_drained_not_trusted()
    {
        var member = Member(1);
        var plan = Plan([Serving(1, member) with { Port = 9999 }, Serving(2, member), Serving(3, member)], [member]);

        Assert.Equal([new SlotAction.Drain("app-1"), new SlotAction.Drain("app-3")], plan.Actions);
    }
}
