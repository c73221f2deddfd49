using System.Globalization;
using System.Text.Json;

namespace HaproxyCluster.Node;

/// <summary>
/// One of the node agent's events as its readers see it: a line of its log holding one JSON object,
/// read by its <c>Event</c> name and fields (<see cref="NodeEvents"/>), never by its message, so a
/// reworded message breaks no reader. The local harness, the tests and the agent's own bake read
/// events this way.
/// </summary>
/// <param name="Name">The event's name.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Fields">The whole object: its typed fields by name.</param>
public sealed record NodeEventLine(string Name, DateTimeOffset Time, JsonElement Fields)
{
    /// <summary>Field <paramref name="name"/> as text, or null.</summary>
    public string? Field(string name) => Fields.TryGetProperty(name, out var value) ? value.ToString() : null;

    /// <summary>The events among <paramref name="lines"/>; lines that are not events (a crash's text, a line cut short) are skipped.</summary>
    public static IReadOnlyList<NodeEventLine> Parse(IEnumerable<string> lines) => [.. lines.Select(TryParse).OfType<NodeEventLine>()];

    /// <summary>The event <paramref name="line"/> holds, or null when it holds none.</summary>
    public static NodeEventLine? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }

        try
        {
            var root = JsonDocument.Parse(line).RootElement;
            return root.TryGetProperty("Event", out var name) && name.ValueKind == JsonValueKind.String
                && root.TryGetProperty(nameof(Time), out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? new NodeEventLine(name.GetString()!, at, root)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
