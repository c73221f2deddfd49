using System.Buffers;
using System.Globalization;
using System.Text;

namespace HaproxyCluster.Config;

/// <summary>How values are written as haproxy.cfg words.</summary>
internal static class Cfg
{
    private static readonly SearchValues<char> BareChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~/:=+@,-");

    /// <summary>
    /// One word, whatever it holds: bare when it is plainly safe, else in single quotes, where
    /// HAProxy expands nothing (no <c>$VAR</c>, no <c>\</c> escape, no <c>#</c> comment). A quote
    /// inside is written <c>'\''</c>: close, escaped quote, reopen, which HAProxy joins into one word.
    /// Validation has already refused line breaks and other control characters.
    /// </summary>
    public static string Word(string value)
    {
        // HAProxy drops an empty word, shifting every word after it; validation keeps them out.
        ArgumentException.ThrowIfNullOrEmpty(value);
        return value.AsSpan().ContainsAnyExcept(BareChars)
            ? "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'"
            : value;
    }

    /// <summary>A literal for a log-format string (header values): '%' is written '%%'.</summary>
    public static string LogFormatLiteral(string value) => Word(value.Replace("%", "%%", StringComparison.Ordinal));

    /// <summary>
    /// An ACL pattern. A pattern starting with '-' would read as a flag, so it follows '--'.
    /// </summary>
    public static string Pattern(string value) => value.StartsWith('-') ? "-- " + Word(value) : Word(value);

    /// <summary>A duration in HAProxy's units, the largest that is exact: 1h, 30s, 1500ms.</summary>
    public static string Duration(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        return ms switch
        {
            _ when ms % 3_600_000 == 0 => Invariant($"{ms / 3_600_000}h"),
            _ when ms % 60_000 == 0 => Invariant($"{ms / 60_000}m"),
            _ when ms % 1000 == 0 => Invariant($"{ms / 1000}s"),
            _ => Invariant($"{ms}ms"),
        };
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Splits a haproxy.cfg line into words the way HAProxy's parser does: blanks separate words,
    /// '#' outside quotes starts a comment, '\' escapes the next character, single and double
    /// quotes keep what they hold, and quoted pieces join the word they touch.
    /// </summary>
    /// <exception cref="FormatException">A quote is not closed.</exception>
    public static IReadOnlyList<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case ' ' or '\t':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    continue;
                case '#':
                    i = line.Length;
                    continue;
                case '\\' when i + 1 < line.Length:
                    word.Append(line[++i]);
                    break;
                case '\'' or '"':
                    var close = line.IndexOf(c, i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unbalanced {c} in: {line}");
                    }

                    word.Append(line, i + 1, close - i - 1);
                    i = close;
                    break;
                default:
                    word.Append(c);
                    break;
            }

            inWord = true;
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
