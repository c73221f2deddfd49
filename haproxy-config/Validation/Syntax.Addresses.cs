using System.Net;
using System.Text.RegularExpressions;

namespace HaproxyCluster.Config;

/// <summary>
/// The checks of network names and addresses: host names, IPs, endpoints, CIDR blocks, log
/// targets. An address is accepted only as HAProxy reads it, so the text the renderer writes is
/// the address the user meant.
/// </summary>
internal static partial class Syntax
{
    /// <summary>A DNS name; its last label is not all digits, so it can never be read as an address (RFC 3696).</summary>
    public static string? Hostname(string? value) =>
        value is not null && value.Length <= 253 && HostnamePattern().IsMatch(value) && !value.Split('.')[^1].All(char.IsAsciiDigit)
            ? null
            : $"{Show(value)} is not a host name; use DNS labels of letters, digits and '-', joined by '.', such as api.example.com";

    public static string? HostSuffix(string? value)
    {
        var name = value?.StartsWith("*.", StringComparison.Ordinal) == true ? value[2..] : value?.StartsWith('.') == true ? value[1..] : null;
        return name is not null && Hostname(name) is null
            ? null
            : $"{Show(value)} is not a host suffix; use '*.example.com' or '.example.com' (one '*.' or '.' before a host name)";
    }

    public static string? Address(string? value) =>
        value is null ? $"{Show(value)} is neither an IP address nor a DNS name"
        : IPAddress.TryParse(value, out _) ? IpAddress(value)
        : Hostname(value) is null ? null
        : $"{Show(value)} is neither an IP address nor a DNS name";

    /// <summary>
    /// An IP address written exactly as HAProxy and everyone else read it: .NET also parses
    /// <c>127.1</c>, <c>0x7f.1</c>, <c>1</c>, <c>[::1]</c> and zone ids (<c>fe80::1%eth0</c>, whose
    /// zone may hold any text), which either break the config or mean something else to HAProxy.
    /// </summary>
    public static string? IpAddress(string? value)
    {
        if (value is null || !IPAddress.TryParse(value, out var ip))
        {
            return $"{Show(value)} is not an IP address";
        }

        if (value.Contains('%', StringComparison.Ordinal) || (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && ip.ScopeId != 0))
        {
            return $"{Show(value)} has a zone id ('%...'), which HAProxy does not read here; remove it";
        }

        var canonical = ip.ToString();
        return canonical == value ? null : $"{Show(value)} is not written the standard way; did you mean {canonical}?";
    }

    public static string? Cidr(string? value)
    {
        if (value is null || !value.Contains('/', StringComparison.Ordinal) || !IPNetwork.TryParse(value, out var network))
        {
            return $"{Show(value)} is not a CIDR block; write it as address/prefix, such as 10.0.0.0/8 or 2001:db8::/32";
        }

        var canonical = network.ToString();
        return canonical == value
            ? null
            : $"{Show(value)} has bits set past its prefix; did you mean {canonical}?";
    }

    /// <summary>Checks each CIDR block of a list, which must not be empty unless <paramref name="allowEmpty"/>.</summary>
    public static void Cidrs(Problems at, ValueList<string> cidrs, bool allowEmpty = false)
    {
        at.Require(allowEmpty || !cidrs.IsEmpty, "is empty; give at least one CIDR block");
        for (var i = 0; i < cidrs.Count; i++)
        {
            at[i].Add(Cidr(cidrs[i]));
        }
    }

    public static string? LogTarget(string? value) =>
        GlobalSettings.IsStreamTarget(value) || AbsoluteFilePath(value) is null || Endpoint(value) is null
        || (value is not null && value.StartsWith(GlobalSettings.TcpLogPrefix, StringComparison.Ordinal) && Endpoint(value[GlobalSettings.TcpLogPrefix.Length..]) is null)
            ? null
            : $"{Show(value)} is not a log target; use tcp@address:port, 'stdout', 'stderr', a socket path such as /dev/log, or address:port";

    /// <summary><c>address:port</c> (<c>[v6]:port</c>), written as HAProxy reads it; see <see cref="IpAddress"/>.</summary>
    public static string? Endpoint(string? value)
    {
        if (value is null || !IPEndPoint.TryParse(value, out var endpoint) || endpoint.Port == 0 || !value.Contains(':', StringComparison.Ordinal))
        {
            return $"{Show(value)} is not address:port, such as 169.254.169.253:53";
        }

        var canonical = endpoint.ToString();
        return value.Contains('%', StringComparison.Ordinal) || (endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && endpoint.Address.ScopeId != 0)
            ? $"{Show(value)} has a zone id ('%...'), which HAProxy does not read here; remove it"
            : canonical == value ? null : $"{Show(value)} is not written the standard way; did you mean {canonical}?";
    }

    public static string? BindAddress(string? value) =>
        value is "" || (value is not null && IpAddress(value) is null && IPAddress.Parse(value).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ? null
            : $"{Show(value)} is not an IPv4 address written the standard way; use one such as 127.0.0.1, or \"\" for every address";

    [GeneratedRegex("^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\z")]
    private static partial Regex HostnamePattern();
}
