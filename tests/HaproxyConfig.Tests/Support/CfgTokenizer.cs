using System.Text;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// Splits a haproxy.cfg line into words the way HAProxy's parser does: blanks separate words,
/// '#' outside quotes starts a comment, '\' escapes the next character, single quotes keep
/// everything literally, and quoted pieces join the word they touch.
/// </summary>
internal static class CfgTokenizer
{
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
