using System.Globalization;
using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Agent;

/// <summary>
/// What one line of HAProxy's access log tells the bake, from its <c>status</c> and the first two
/// letters of its <c>termination</c> state (HAProxy's "session state at disconnection"). The node's
/// own failures are the answers HAProxy made because it could not do its part: a server it could
/// not connect to or that broke the exchange (<c>S</c>), a server timeout (<c>s</c>), a resource it
/// ran out of (<c>R</c>), an internal error (<c>I</c>), or a response it blocked (<c>P</c> at the
/// headers or the data). A rule's answer is not (a deny or tarpit, <c>PR</c>/<c>PT</c>; a
/// redirect or return, <c>L</c>), nor a backend's own 5xx (a normal end, <c>-</c>), nor a client
/// that left (<c>C</c>, <c>c</c>), nor a session ended for a server's state change or by an
/// operator (<c>D</c>, <c>U</c>, <c>K</c>).
/// </summary>
internal enum BakeEntry
{
    /// <summary>Not a request's line (a startup message, a line cut short).</summary>
    NotARequest,

    /// <summary>Anything that is not the node's fault.</summary>
    NotOwn,

    /// <summary>A failure through the node's own fault.</summary>
    Own,
}

/// <summary>The requests a bake saw and the node's own failures among them, by kind (<c>503 SC</c>).</summary>
internal sealed class BakeTally
{
    private readonly SortedDictionary<string, int> _ownByKind = new(StringComparer.Ordinal);

    /// <summary>Requests seen.</summary>
    public int Requests { get; private set; }

    /// <summary>Requests that failed through the node's own fault.</summary>
    public int OwnFailures { get; private set; }

    /// <summary>The kind of one access-log line (<paramref name="line"/>), and the failure's kind when it is the node's own.</summary>
    public static (BakeEntry Entry, string? Kind) Classify(string line)
    {
        if (!line.StartsWith('{'))
        {
            return (BakeEntry.NotARequest, null);
        }

        try
        {
            var root = JsonDocument.Parse(line).RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("status", out var statusField) || statusField.ValueKind != JsonValueKind.Number || !statusField.TryGetInt32(out var status)
                || !root.TryGetProperty("termination", out var terminationField) || terminationField.ValueKind != JsonValueKind.String
                || terminationField.GetString() is not { Length: >= 2 } termination)
            {
                return (BakeEntry.NotARequest, null);
            }

            var own = termination[0] switch
            {
                'S' or 's' or 'R' or 'I' => true,
                'P' => termination[1] is not ('R' or 'T'),
                _ => false,
            };
            return own ? (BakeEntry.Own, string.Create(CultureInfo.InvariantCulture, $"{status} {termination[..2]}")) : (BakeEntry.NotOwn, null);
        }
        catch (JsonException)
        {
            return (BakeEntry.NotARequest, null);
        }
    }

    /// <summary>Counts <paramref name="line"/>.</summary>
    public void Add(string line)
    {
        var (entry, kind) = Classify(line);
        if (entry == BakeEntry.NotARequest)
        {
            return;
        }

        Requests++;
        if (entry == BakeEntry.Own)
        {
            OwnFailures++;
            _ownByKind[kind!] = _ownByKind.GetValueOrDefault(kind!) + 1;
        }
    }

    /// <summary>The own failures by kind, most first: <c>503 SC × 212, 504 sH × 3</c>; "none" when there is none.</summary>
    public string Kinds => _ownByKind.Count == 0
        ? "none"
        : string.Join(", ", _ownByKind.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} × {k.Value}")));

    /// <summary>The own failures' share, in percent (0 with no request).</summary>
    public double OwnFailurePercent => Requests == 0 ? 0 : Math.Round(100.0 * OwnFailures / Requests, 2);

    /// <summary>Whether the own failures stay within <paramref name="bake"/>'s threshold, in whole numbers: failures × 100 ≤ threshold × requests.</summary>
    public bool WithinThreshold(NodeBake bake) => OwnFailures * 100.0 <= bake.MaxOwnFailurePercent * Requests;
}
