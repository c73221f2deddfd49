using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace HaproxyCluster.Agent;

/// <summary>
/// Writes each event as one JSON object on one line: its time, level, name (<c>Event</c>) and id,
/// the message for people, and every field of the event by its own name, numbers as numbers.
/// What the CloudWatch agent ships and what scripts read (by <c>Event</c>, never by message).
/// </summary>
internal sealed class EventLineFormatter() : ConsoleFormatter(FormatterName)
{
    /// <summary>The name the console logger knows this formatter by.</summary>
    public const string FormatterName = "agent-events";

    /// <summary>
    /// A logger factory whose loggers write event lines to standard output. The host's own status
    /// lines ("Application started", the content root) are left out: they are no agent events.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The warning is about binding TOptions from configuration; the agent binds none, so the formatter runs on ConsoleFormatterOptions' defaults.")]
    public static ILoggerFactory CreateFactory() => LoggerFactory.Create(logging => logging
        .AddConsole(options => options.FormatterName = FormatterName)
        .AddConsoleFormatter<EventLineFormatter, ConsoleFormatterOptions>()
        .AddFilter("Microsoft", LogLevel.Warning));

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: quotes in HAProxy's alerts stay readable; control characters and '"' are still escaped.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("Time", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("Level", logEntry.LogLevel.ToString());
            json.WriteString("Event", logEntry.EventId.Name ?? logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", logEntry.EventId.Id);
            json.WriteString("Message", logEntry.Formatter(logEntry.State, logEntry.Exception));
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (name, value) in fields.Where(f => f.Key != "{OriginalFormat}"))
                {
                    switch (value)
                    {
                        case int or long:
                            json.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                            break;
                        case double number:
                            json.WriteNumber(name, Math.Round(number, 3));
                            break;
                        default:
                            json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                            break;
                    }
                }
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteString("Exception", exception.ToString());
            }

            json.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.ToArray()));
        textWriter.Write('\n');
    }
}
