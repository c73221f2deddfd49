using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HaproxyCluster.Local;

/// <summary>
/// Rolls a rules version out to the local cluster and follows it, as <c>make rollout</c> and chaos
/// see it: deploys it through the AppConfig stand-in, then reads each node agent's events (never
/// its messages) until every node applied or refused it, or the deployment rolled back (a
/// rolled-back version reaches no further node) and no node is mid-apply. Nodes are the folders
/// <c>node1</c>… of <paramref name="localDir"/>, each with its agent's log and Runtime API socket.
/// </summary>
public sealed class RolloutFollower(HttpClient appConfig, string localDir, int nodes)
{
    private readonly LocalNodes _nodes = new(localDir, nodes);

    /// <summary>
    /// The rollout in numbers: seconds until the last node that applied it had it live, nodes that
    /// got it, nodes that refused or reverted it, seconds the slowest reverting node took to be back
    /// on the previous rules, nodes whose HAProxy worker changed, and the deployment's final state.
    /// </summary>
    public sealed record Summary(double Live, int Reached, int Refused, double Back, int Reloads, string State)
    {
        /// <summary>As shell assignments (ROLLOUT_LIVE…), which local.sh sources.</summary>
        public string ShellAssignments() => string.Create(CultureInfo.InvariantCulture,
            $"ROLLOUT_LIVE={Live:0.0}\nROLLOUT_REACHED={Reached}\nROLLOUT_REFUSED={Refused}\nROLLOUT_BACK={Back:0.0}\nROLLOUT_RELOADS={Reloads}\nROLLOUT_STATE={State}\n");
    }

    /// <summary>Deploys <paramref name="payload"/> with strategy <paramref name="query"/>, follows version <paramref name="sha256"/>, and writes a line per node and one in all to <paramref name="output"/>.</summary>
    public async Task<Summary> RunAsync(string payload, string query, string sha256, TimeSpan timeout, TextWriter output, CancellationToken cancellation)
    {
        var logs = Enumerable.Range(1, nodes).Select(n => (File: Path.Combine(localDir, $"node{n}", "agent.log"), From: LineCount(Path.Combine(localDir, $"node{n}", "agent.log")) + 1)).ToList();
        var workers = await _nodes.WorkersAsync(cancellation);
        // AppConfig runs one deployment an environment at a time: the previous one bakes to its end first.
        if (!Settled(await StateAsync(cancellation)))
        {
            output.WriteLine("rollout: waiting for the previous deployment to finish its bake");
            using var bake = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            bake.CancelAfter(TimeSpan.FromMinutes(10));
            while (!Settled(await StateAsync(bake.Token)))
            {
                await Task.Delay(200, bake.Token);
            }
        }

        var start = DateTimeOffset.UtcNow;
        using (var deployed = await appConfig.PostAsync(new Uri("deployments?" + query, UriKind.Relative), new StringContent(payload, Encoding.UTF8), cancellation))
        {
            deployed.EnsureSuccessStatusCode();
        }

        var outcomes = new NodeRollout[nodes];
        string state;
        DateTimeOffset? rolledBack = null;
        while (true)
        {
            for (var n = 0; n < nodes; n++)
            {
                if (outcomes[n] is not { Settled: true })
                {
                    outcomes[n] = AgentEventLog.RolloutOf(AgentEventLog.Read(logs[n].File, logs[n].From), sha256);
                }
            }

            state = await StateAsync(cancellation);
            rolledBack ??= state == "RolledBack" ? DateTimeOffset.UtcNow : null;
            var inflight = outcomes.Count(o => o.State == NodeRollout.Status.Inflight);
            if (outcomes.All(o => o.Settled) || (DateTimeOffset.UtcNow - rolledBack >= LateReceipt && inflight == 0) || DateTimeOffset.UtcNow - start > timeout)
            {
                break;
            }

            await Task.Delay(200, cancellation);
        }

        var after = await _nodes.WorkersAsync(cancellation);
        double Since(NodeRollout o) => Math.Round((o.At!.Value - start).TotalSeconds, 1);
        for (var n = 0; n < nodes; n++)
        {
            foreach (var line in Describe(n + 1, outcomes[n], start, state, Path.Combine(localDir, $"node{n + 1}", "agent.log")))
            {
                output.WriteLine(line);
            }
        }

        var summary = new Summary(
            outcomes.Where(o => o.State == NodeRollout.Status.Applied).Select(Since).DefaultIfEmpty(0).Max(),
            outcomes.Count(o => o.Settled),
            outcomes.Count(o => o.State == NodeRollout.Status.Refused),
            outcomes.Select(o => o.SecondsBack).DefaultIfEmpty(0).Max(),
            Enumerable.Range(0, nodes).Count(n => workers[n] != after[n]),
            state);
        output.WriteLine(summary.Refused > 0 || state == "RolledBack"
            ? $"rollout: deployment {state}; {summary.Refused} node(s) refused it; {summary.Reloads} reload(s); each agent's events are in {localDir}/node<n>/agent.log"
            : string.Create(CultureInfo.InvariantCulture, $"rollout: deployment {state}; live on every reached node after {summary.Live:0.0} s; {summary.Reloads} reload(s)"));
        return summary;
    }

    /// <summary>
    /// How long after a rollback a node may still tell it received the version: one it took just
    /// before the rollback, and logs at its next poll (a second apart locally). Counted, not missed.
    /// </summary>
    private static readonly TimeSpan LateReceipt = TimeSpan.FromSeconds(3);

    /// <summary>
    /// What became of the version on node <paramref name="node"/>, for people: one line, and for a
    /// refused version the whole reason (each of HAProxy's ALERT lines on its own) and where the
    /// node's events are.
    /// </summary>
    public static IEnumerable<string> Describe(int node, NodeRollout outcome, DateTimeOffset start, string state, string eventLog)
    {
        var prefix = FormattableString.Invariant($"rollout: node{node}: ");
        var since = outcome.At is { } at ? Math.Round((at - start).TotalSeconds, 1) : 0;
        switch (outcome.State)
        {
            case NodeRollout.Status.Applied:
                yield return prefix + FormattableString.Invariant($"applied {since:0.0} s ({outcome.Outcome})");
                break;
            case NodeRollout.Status.Unchanged:
                yield return prefix + "unchanged";
                break;
            case NodeRollout.Status.Refused:
                yield return prefix + FormattableString.Invariant($"refused {since:0.0} s, back after {outcome.SecondsBack} s: {outcome.Reason}");
                foreach (var line in outcome.Details)
                {
                    yield return prefix + "  " + line;
                }

                yield return prefix + $"  its events: {eventLog}";
                break;
            default:
                yield return prefix + $"never got it (deployment {state})";
                break;
        }
    }

    private static bool Settled(string state) => state is not ("Deploying" or "Baking");

    private async Task<string> StateAsync(CancellationToken cancellation)
    {
        using var latest = JsonDocument.Parse(await appConfig.GetStringAsync(new Uri("deployments/latest", UriKind.Relative), cancellation));
        return latest.RootElement.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String ? state.GetString()! : "None";
    }

    private static int LineCount(string file) => File.Exists(file) ? File.ReadLines(file).Count() : 0;

}
