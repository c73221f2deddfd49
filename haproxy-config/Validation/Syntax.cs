using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Config;

/// <summary>
/// What each kind of user string may hold. Each check returns null when the value is fine, or a
/// sentence naming the value and what is allowed. Together with <see cref="Cfg.Word"/> they make
/// sure no string can add a line, a comment or a word to haproxy.cfg.
/// </summary>
internal static partial class Syntax
{
    // Every pattern ends with \z, not $: in .NET, $ also matches before a final '\n', which
    // would let "X-Env\n" through as a header name (the property test found exactly that).

    public const int MaxTextLength = 1024;
    public const int MaxBodyBytes = 8192;

    /// <summary>Statuses HAProxy 2.6 and 3.0 both accept in <c>deny_status</c>.</summary>
    public static readonly IReadOnlyList<int> DenyStatuses = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504];

    /// <summary>Redirect statuses.</summary>
    public static readonly IReadOnlyList<int> RedirectStatuses = [301, 302, 303, 307, 308];

    public static string? PoolName(string? value) =>
        value is not null && PoolNamePattern().IsMatch(value) && !value.StartsWith("fe_", StringComparison.Ordinal) && !value.StartsWith("st_", StringComparison.Ordinal)
            ? null
            : $"{Show(value)} is not a pool name; use a letter, then up to 63 letters, digits, '_', '-' or '.', not starting with 'fe_' or 'st_' (reserved)";

    public static string? ServerName(string? value) =>
        value is not null && PoolNamePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a server name; use a letter, then up to 63 letters, digits, '_', '-' or '.'";

    public static string? CookieName(string? value) =>
        value is not null && HeaderNamePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a cookie name; use 1 to 64 letters, digits, '-' or '_'";

    public static string? Slug(string? value) =>
        value is not null && SlugPattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a valid name; use 1 to 64 lower-case letters, digits, '_' or '-', starting with a letter or digit";

    /// <summary>An EC2 name (group name, tag key or value): letters, digits, spaces and <c>+ - = . _ : / @</c>.</summary>
    public static string? Ec2Name(string? value, string what, int maxLength) =>
        value is not null && value.Length <= maxLength && Ec2NamePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a usable {what}; use 1 to {maxLength} letters, digits, spaces and + - = . _ : / @";

    public static string? Port(int value) =>
        value is >= 1 and <= 65535 ? null : $"{value} is not a port; use 1 to 65535";

    public static string? Regex(string? value) =>
        Printable(value, "a regex")
        ?? (Pcre.Check(value!) is { } reason ? $"{Show(value)} is not a valid PCRE regex: {reason}" : null)
        ?? BareHexEscape(value!);

    /// <summary>
    /// This machine's PCRE2 (10.42) reads <c>\x</c> with no hex digit as NUL; the PCRE2 of HAProxy
    /// 3.0 on Debian 13 refuses it, so a node would refuse the config. Found by the input property test.
    /// </summary>
    private static string? BareHexEscape(string pattern)
    {
        for (var i = 0; i < pattern.Length - 1; i++)
        {
            if (pattern[i] != '\\')
            {
                continue;
            }

            if (pattern[i + 1] == 'x' && (i + 2 == pattern.Length || !(char.IsAsciiHexDigit(pattern[i + 2]) || pattern[i + 2] == '{')))
            {
                return $"{Show(pattern)} has \\x with no hex digits after it, which newer PCRE2 (HAProxy 3.0's) refuses; write the character as \\x00 to \\xff";
            }

            i++; // The escaped character cannot start an escape.
        }

        return null;
    }

    public static string? HeaderName(string? value) =>
        value is not null && HeaderNamePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a header name; use 1 to 64 letters, digits, '-' or '_'";

    /// <summary>HAProxy drops an empty word, so a header is never set to "" (delete it instead).</summary>
    public static string? HeaderValue(string? value) => Printable(value, "a header value");

    /// <summary>A pattern inside <c>{ … }</c>: a lone '}' would close the condition early.</summary>
    public static string? AclPattern(string? value) =>
        value == "}" ? "'}' alone cannot be a pattern: HAProxy reads it as the end of the condition; match it with a regex such as '^[}]$'" : null;

    public static string? Path(string? value) =>
        value is not null && value.StartsWith('/') && value.Length <= MaxTextLength && PathPattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a path; start with '/' and use only URL path characters (letters, digits and -._~!$&'()*+,;=:@%/), at most {MaxTextLength}";

    /// <summary>A path prefix that is also safe inside a regex and a converter argument.</summary>
    public static string? SimplePath(string? value) =>
        value is not null && value.StartsWith('/') && value.Length <= 256 && SimplePathPattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a plain path; start with '/' and use only letters, digits, '.', '_', '~', '-' and '/', at most 256";

    public static string? Method(string? value) =>
        value is not null && MethodPattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not an HTTP method; use upper-case letters, such as GET or POST";

    public static string? QueryName(string? value) =>
        value is not null && QueryNamePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a query parameter name; use 1 to 128 letters, digits, '.', '_', '~' or '-'";

    public static string? QueryValue(string? value) =>
        Printable(value, "a query value") ?? (value!.IndexOfAny([' ', '&', '#']) >= 0 ? $"{Show(value)} holds a space, '&' or '#', which a query value cannot; percent-encode it" : null);

    public static string? ContentType(string? value) =>
        value is not null && value.Length <= 256 && ContentTypePattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a content type; use type/subtype with optional '; name=value' parameters, such as 'text/html; charset=utf-8'";

    public static string? AbsoluteFilePath(string? value) =>
        value is not null && FilePathPattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not an absolute file path of letters, digits, '.', '_', '-' and '/'";

    public static string? Duration(TimeSpan value) =>
        value > TimeSpan.Zero && value < TimeSpan.FromDays(24) && value.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? null
            : $"{value} is not a usable duration; use whole milliseconds, more than 0 and less than 24 days";

    /// <summary>Keywords of <c>retry-on</c> that HAProxy 2.6 and 3.0 both know.</summary>
    public static readonly IReadOnlyList<string> RetryOnKeywords =
    [
        "none", "conn-failure", "empty-response", "junk-response", "response-timeout", "0rtt-rejected",
        "404", "408", "425", "500", "501", "502", "503", "504", "all-retryable-errors",
    ];

    public static string? RetryOn(string? value)
    {
        var words = value?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return words.Length > 0 && words.Length <= 16 && words.All(RetryOnKeywords.Contains) && value == string.Join(' ', words)
            ? null
            : $"{Show(value)} is not a retry-on list; use space-separated keywords from: {string.Join(", ", RetryOnKeywords)}";
    }

    // The kernel counts keepalive times in whole seconds, up to 32,767, and probes up to 127.
    public static void KeepAlive(Problems at, TcpKeepAlive? keepAlive)
    {
        if (keepAlive is null)
        {
            at.Add("is null; give the keepalive probes' idle time, interval and count");
            return;
        }

        static string? Seconds(TimeSpan value) =>
            value >= TimeSpan.FromSeconds(1) && value <= TimeSpan.FromSeconds(32_767) && value.Ticks % TimeSpan.TicksPerSecond == 0
                ? null
                : $"{value} is not a keepalive time; use whole seconds from 1 to 32767";
        at["Idle"].Add(Seconds(keepAlive.Idle));
        at["Interval"].Add(Seconds(keepAlive.Interval));
        at["Probes"].Add(Syntax.Range(keepAlive.Probes, 1, 127));
    }

    public static string? Range(int value, int min, int max) =>
        value >= min && value <= max ? null : $"{value} is out of range; use {min} to {max}";

    public static string? OneOf(int value, IReadOnlyList<int> allowed) =>
        allowed.Contains(value) ? null : $"{value} is not allowed here; use one of {string.Join(", ", allowed)}";

    /// <summary>Quotes a value for a message, showing control characters, so a newline is visible.</summary>
    public static string Show(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var shown = value.Length > 80 ? value[..77] + "..." : value;
        var escaped = string.Concat(shown.Select(c => Invisible(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return string.Create(CultureInfo.InvariantCulture, $"'{escaped}'");
    }

    /// <summary>Characters a message must show as escapes: controls, line and paragraph separators, format characters, lone surrogates.</summary>
    private static bool Invisible(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;

    /// <summary>A header value a request can carry and a match compare with: HTTP strips blanks at its ends.</summary>
    public static string? MatchedHeaderValue(string? value) =>
        HeaderValue(value) ?? (value!.Trim(' ', '\t') == value ? null
            : $"{Show(value)} has spaces at its ends, which HTTP strips from every header value, so it could never match; remove them");

    /// <summary>A certificate subject as HAProxy's RFC 2253 form prints it: printable ASCII, as the subject header carries it.</summary>
    public static string? CertificateSubject(string? value) =>
        Printable(value, "a certificate subject in RFC 2253 form, most specific first: CN=alice,O=Example") ?? AclPattern(value);

    /// <summary>A SHA-256 fingerprint: 64 hex digits, in pairs separated by colons or not.</summary>
    public static string? Sha256Fingerprint(string? value) =>
        value is not null && Sha256Pattern().IsMatch(value)
            ? null
            : $"{Show(value)} is not a SHA-256 fingerprint; give 64 hex digits, with or without colons, as 'openssl x509 -noout -fingerprint -sha256' prints them";

    /// <summary>A checked <see cref="Sha256Fingerprint"/> as HAProxy's <c>hex</c> converter writes it: upper case, no colons.</summary>
    public static string Sha256Hex(string fingerprint) => fingerprint.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();

    /// <summary>Text that has a UTF-8 form: no lone half of a UTF-16 surrogate pair.</summary>
    public static string? Utf8(string? value)
    {
        for (var rest = value.AsSpan(); !rest.IsEmpty;)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var used) != System.Buffers.OperationStatus.Done)
            {
                return $"{Show(value)} holds a lone surrogate (half of a UTF-16 pair), which has no UTF-8 form; fix the string";
            }

            rest = rest[used..];
        }

        return null;
    }

    private static string? Printable(string? value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{Show(value)} is empty; give {what}";
        }

        if (value.Length > MaxTextLength)
        {
            return $"{Show(value)} is {value.Length} characters long; {what} may have at most {MaxTextLength}";
        }

        return value.All(c => c is >= ' ' and <= '~')
            ? null
            : $"{Show(value)} holds a character outside printable ASCII (such as a newline, tab or non-ASCII letter); {what} may hold only printable ASCII";
    }

    [GeneratedRegex("^(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31})\\z")]
    private static partial Regex Sha256Pattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]{0,63}\\z")]
    private static partial Regex PoolNamePattern();

    [GeneratedRegex("^[A-Za-z0-9 +=._:/@-]+\\z")]
    private static partial Regex Ec2NamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}\\z")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z")]
    private static partial Regex HeaderNamePattern();

    [GeneratedRegex("^[A-Za-z0-9\\-._~!$&'()*+,;=:@%/]+\\z")]
    private static partial Regex PathPattern();

    [GeneratedRegex("^[A-Za-z0-9._~/-]+\\z")]
    private static partial Regex SimplePathPattern();

    [GeneratedRegex("^[A-Z]{1,20}\\z")]
    private static partial Regex MethodPattern();

    [GeneratedRegex("^[A-Za-z0-9._~-]{1,128}\\z")]
    private static partial Regex QueryNamePattern();

    [GeneratedRegex("^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:; ?[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+)*\\z")]
    private static partial Regex ContentTypePattern();

    [GeneratedRegex("^/[A-Za-z0-9._/-]{1,255}\\z")]
    private static partial Regex FilePathPattern();
}
