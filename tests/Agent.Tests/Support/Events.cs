using System.Text.Json;
using Microsoft.Extensions.Logging.Testing;

namespace HaproxyCluster.Agent.Tests.Support;

/// <summary>What the agent reported, by event name and field, as scripts read it; never by message.</summary>
internal sealed class Events
{
    public FakeLogger Logger { get; } = new();

    public IReadOnlyList<FakeLogRecord> All => Logger.Collector.GetSnapshot();

    /// <summary>The events named <paramref name="name"/>, in order.</summary>
    public IReadOnlyList<FakeLogRecord> Named(string name) => [.. All.Where(e => e.Id.Name == name)];

    /// <summary>Every event as one line, for an assertion's message.</summary>
    public override string ToString() => string.Join('\n', All.Select(e => $"{e.Id.Name}: {e.Message}"));

    /// <summary>The event lines in a process's output (one JSON object each), by their <c>Event</c> field.</summary>
    public static IReadOnlyList<JsonElement> InOutput(IEnumerable<string> lines) =>
        [.. lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)];
}
