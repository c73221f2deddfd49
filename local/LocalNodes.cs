using System.Globalization;

namespace HaproxyCluster.Local;

/// <summary>
/// The local cluster's nodes as the harness reads them, through each node's Runtime API
/// (<c>node&lt;n&gt;/run/admin.sock</c> under <paramref name="localDir"/>): which worker runs, and
/// what a discovered pool's slot holding an instance's address is doing.
/// </summary>
public sealed class LocalNodes(string localDir, int count)
{
    /// <summary>What a node does with an instance: a slot serves it, drains it, holds it while it is not UP yet, or no slot in service holds it.</summary>
    public enum SlotState
    {
        /// <summary>No slot in service holds the address (none, or one in maintenance).</summary>
        None,

        /// <summary>In service, not UP yet.</summary>
        Down,

        /// <summary>Draining: no new connection.</summary>
        Draining,

        /// <summary>UP, in service (ramping up over slowstart, or fully).</summary>
        Serving,
    }

    /// <summary>Node <paramref name="node"/>'s (from 1) answer to <paramref name="command"/>, or null when its Runtime API does not answer.</summary>
    public Task<string?> AskAsync(int node, string command, CancellationToken cancellation) =>
        RuntimeSocket.AskAsync(Path.Combine(localDir, $"node{node}", "run", "admin.sock"), command, cancellation);

    /// <summary>Each node's HAProxy worker pid (a reload changes it), or null where the Runtime API does not answer.</summary>
    public async Task<string?[]> WorkersAsync(CancellationToken cancellation) =>
        await Task.WhenAll(Enumerable.Range(1, count).Select(async node =>
            (await AskAsync(node, "show info", cancellation))?.Split('\n').FirstOrDefault(line => line.StartsWith("Pid: ", StringComparison.Ordinal))?[5..]));

    /// <summary>
    /// What node <paramref name="node"/> does with <paramref name="address"/> in <paramref name="pool"/>, from
    /// <c>show servers state</c>: field 5 the address, 6 the operational state (1: UP and ramping up,
    /// 2: UP), 7 the admin state, whose bits 0x03 mean maintenance and 0x38 drain (as the agent reads them).
    /// </summary>
    public async Task<SlotState> SlotStateAsync(int node, string pool, string address, CancellationToken cancellation)
    {
        var state = SlotState.None;
        foreach (var fields in ((await AskAsync(node, $"show servers state {pool}", cancellation)) ?? "").Split('\n').Select(line => line.Split(' ')))
        {
            if (fields.Length > 6 && fields[4] == address && int.TryParse(fields[6], CultureInfo.InvariantCulture, out var admin) && admin % 4 == 0)
            {
                state = (admin / 8) % 8 != 0 ? SlotState.Draining : fields[5] is "1" or "2" ? SlotState.Serving : SlotState.Down;
            }
        }

        return state;
    }

    /// <summary>
    /// For each instance address, the seconds from <paramref name="since"/> until every node's slot
    /// for it was in <paramref name="state"/>, or null when that did not happen within <paramref name="wait"/>.
    /// </summary>
    public async Task<double?[]> WaitForSlotsAsync(string pool, IReadOnlyList<string> addresses, SlotState state, DateTimeOffset since, TimeSpan wait, CancellationToken cancellation)
    {
        var reached = new double?[addresses.Count];
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            for (var i = 0; i < addresses.Count; i++)
            {
                if (reached[i] is null && (await Task.WhenAll(Enumerable.Range(1, count).Select(node => SlotStateAsync(node, pool, addresses[i], cancellation)))).All(s => s == state))
                {
                    reached[i] = Math.Round((DateTimeOffset.UtcNow - since).TotalSeconds, 1);
                }
            }

            if (reached.All(r => r is not null) || DateTimeOffset.UtcNow >= deadline)
            {
                return reached;
            }

            await Task.Delay(100, cancellation);
        }
    }
}
