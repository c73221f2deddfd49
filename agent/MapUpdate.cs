using System.Globalization;
using System.Text;

namespace HaproxyCluster.Agent;

/// <summary>
/// Replaces a running map's whole content through the Runtime API, atomically and without a
/// reload: <c>prepare map</c> opens a new version, <c>add map @VERSION</c> fills it in batches
/// (payload form, each batch well under HAProxy's 16 KiB buffer), and <c>commit map</c> swaps it
/// in at once; requests see the old map or the new one, never a mix. A failure before the commit
/// leaves the running map as it was (the uncommitted version is dropped by the next prepare).
/// </summary>
internal static class MapUpdate
{
    /// <summary>Most bytes of entries in one <c>add map</c> command.</summary>
    private const int BatchBytes = 8 * 1024;

    /// <summary>
    /// Makes map <paramref name="mapPath"/> (the path haproxy.cfg names it by) hold exactly
    /// <paramref name="entries"/>, lines of "key value" as the map file holds them. Returns the
    /// number of entries committed.
    /// </summary>
    /// <exception cref="InvalidOperationException">HAProxy refused a step; its answer is in the message.</exception>
    public static async Task<int> ReplaceAsync(RuntimeApi haproxy, string mapPath, IReadOnlyList<string> entries, CancellationToken cancellation)
    {
        var prepared = await haproxy.SendAsync($"prepare map {mapPath}", cancellation);
        var version = Version(prepared) ?? throw new InvalidOperationException($"prepare map {mapPath}: {prepared.Trim()}");
        var count = 0;
        foreach (var batch in Batches(entries))
        {
            var answer = await haproxy.SendAsync($"add map @{version} {mapPath} <<\n{batch}\n", cancellation);
            if (answer.Trim().Length > 0)
            {
                throw new InvalidOperationException($"add map @{version} {mapPath}: {answer.Trim()}");
            }

            count += batch.Count(c => c == '\n') + 1;
        }

        var committed = await haproxy.SendAsync($"commit map @{version} {mapPath}", cancellation);
        if (committed.Trim().Length > 0)
        {
            throw new InvalidOperationException($"commit map @{version} {mapPath}: {committed.Trim()}");
        }

        return count;
    }

    /// <summary>The version number in "New version created: N".</summary>
    private static string? Version(string answer)
    {
        const string Prefix = "New version created:";
        var at = answer.IndexOf(Prefix, StringComparison.Ordinal);
        return at < 0 ? null : int.Parse(answer[(at + Prefix.Length)..].Trim(), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The entries joined by newlines, in batches of at most <see cref="BatchBytes"/>.</summary>
    private static IEnumerable<string> Batches(IReadOnlyList<string> entries)
    {
        var batch = new StringBuilder();
        foreach (var entry in entries.Where(e => e.Length > 0 && !e.StartsWith('#')))
        {
            if (batch.Length > 0 && batch.Length + entry.Length + 1 > BatchBytes)
            {
                yield return batch.ToString();
                batch.Clear();
            }

            batch.Append(batch.Length > 0 ? "\n" : "").Append(entry);
        }

        if (batch.Length > 0)
        {
            yield return batch.ToString();
        }
    }
}
