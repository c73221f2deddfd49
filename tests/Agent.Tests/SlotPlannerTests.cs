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

        Assert.Equal([new SlotAction.Drain("app-1", DrainReason.Left)], Plan([Serving(1, leaving)], []).Actions);
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

        Assert.Equal([new SlotAction.Drain("app-1", DrainReason.Redundant), new SlotAction.Drain("app-3", DrainReason.Redundant)], plan.Actions);
    }

    [Fact]
    public void Two_instances_listing_one_address_get_one_slot_the_newest_and_the_other_is_named()
    {
        // GIVEN an address EC2 reused: the instance that held it is still listed beside its new holder
        var old = Member(1);
        var holder = new Member("i-9999", old.Address, Now.AddMinutes(30));

        var plan = Plan([Empty(1), Empty(2)], [old, holder, Member(2)]);

        Assert.Equal([new SlotAction.Fill("app-1", Member(2)), new SlotAction.Fill("app-2", holder)], plan.Actions);
        Assert.Equal([old], plan.SharedAddress);
        Assert.Equal(0, plan.Unserved);
    }

    [Fact]
    public void An_older_instance_displaces_the_newest_when_the_slots_are_full_and_it_is_said_so()
    {
        var plan = Plan([Serving(1, Member(2)), Serving(2, Member(3))], [Member(1), Member(2), Member(3)]);

        Assert.Equal([new SlotAction.Drain("app-2", DrainReason.Displaced)], plan.Actions);
        Assert.Equal(2, plan.Unserved); // the displaced one, and the older one until the slot it frees empties
    }

    [Fact]
    public void A_slot_that_empties_is_filled_again_in_the_same_pass()
    {
        var draining = new Dictionary<string, DateTime> { ["app-1"] = Now };

        var plan = Plan([Serving(1, Member(1), SlotMode.Drain, sessions: 0)], [Member(2)], draining, Now.AddSeconds(1));

        Assert.Equal([new SlotAction.Empty("app-1"), new SlotAction.Fill("app-1", Member(2))], plan.Actions);
        Assert.Equal(0, plan.Unserved);
    }

    [Fact]
    public void Five_thousand_members_for_eight_slots_serve_the_eight_oldest()
    {
        var members = Enumerable.Range(1, 5000).Select(n => new Member($"i-{n:d6}", new IPAddress([10, 1, (byte)(n >> 8), (byte)n]), Now.AddSeconds(-n))).ToList();

        var plan = Plan([.. Enumerable.Range(1, 8).Select(Empty)], members);

        Assert.Equal(members.TakeLast(8).Reverse(), plan.Actions.Cast<SlotAction.Fill>().Select(f => f.Member));
        Assert.Equal(4992, plan.Unserved);
    }
}
