using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Config;

/// <summary>
/// Paths in normal form, which <see cref="DefaultSettings.RejectNonNormalPaths"/> lets through: no
/// <c>//</c>, no <c>.</c> or <c>..</c> segment, no percent-encoded unreserved character. One pattern
/// serves both HAProxy's refusal (<see cref="Acl.NonNormalPath"/>) and the check that no path match is
/// written that the refusal makes dead: every request it could match would be answered 400 first.
/// </summary>
internal static partial class NormalPath
{
    /// <summary>What a path that is not in normal form holds (RFC 3986, 2.3: unreserved is <c>-</c>, <c>.</c>, digits, letters, <c>_</c>, <c>~</c>).</summary>
    public const string NotNormal = @"//|/\.\.?(/|$)|%(2[DdEe]|3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|7[Ee])";

    /// <summary>The problem with matching a path equal to <paramref name="path"/> under the refusal, or null.</summary>
    public static string? Exact(string? path) =>
        path is not null && NotNormalPattern().IsMatch(path) ? Dead(path, "a path equal to it") : null;

    /// <summary>
    /// The problem with matching paths that start with <paramref name="prefix"/>, or null. A prefix
    /// ending in <c>/.</c> still matches normal paths (<c>/.well-known</c>), so only what the prefix
    /// holds whatever follows it counts.
    /// </summary>
    public static string? Prefix(string? prefix) =>
        prefix is not null && NotNormalPattern().IsMatch(prefix + "x") ? Dead(prefix, "a path starting with it") : null;

    /// <summary>
    /// <paramref name="path"/> in normal form: unreserved characters decoded, runs of <c>/</c> made
    /// one, dot segments removed (RFC 3986, 5.2.4).
    /// </summary>
    public static string Normalize(string path)
    {
        var decoded = Encoded().Replace(path, m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString());
        var segments = new List<string>();
        var parts = Slashes().Replace(decoded, "/").Split('/');
        for (var i = 1; i < parts.Length; i++)
        {
            switch (parts[i])
            {
                case ".":
                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    break;
                default:
                    segments.Add(parts[i]);
                    continue;
            }

            if (i == parts.Length - 1)
            {
                segments.Add("");
            }
        }

        return new StringBuilder("/").AppendJoin('/', segments).ToString();
    }

    private static string Dead(string path, string what) =>
        $"'{path}' can never match: Defaults.RejectNonNormalPaths answers 400 to {what} (it holds '//', a '.' or '..' segment, or a percent-encoded letter, digit or -._~) before any rule runs; write it in normal form, '{Normalize(path)}'";

    [GeneratedRegex(NotNormal)]
    private static partial Regex NotNormalPattern();

    [GeneratedRegex("%(2[DdEe]|3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|7[Ee])")]
    private static partial Regex Encoded();

    [GeneratedRegex("/{2,}")]
    private static partial Regex Slashes();
}
