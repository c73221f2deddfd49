using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace HaproxyCluster.Tests.Shared;

/// <summary>A parsed HTTP response.</summary>
internal sealed record Reply(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The backend that answered: the first line of its body.</summary>
    public string Backend => Body.Split('\n')[0];

    /// <summary>A request header as the backend saw it, or null.</summary>
    public string? SeenHeader(string name) =>
        Body.Split('\n').Skip(1).FirstOrDefault(l => l.StartsWith(name + ": ", StringComparison.OrdinalIgnoreCase))?[(name.Length + 2)..];

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

/// <summary>What a TLS request got: the TLS version, the ALPN protocol, the server's certificate, and the reply (none after h2).</summary>
internal sealed record TlsReply(SslProtocols Protocol, string Alpn, X509Certificate2 Certificate, Reply? Reply);

/// <summary>
/// An HTTP/1.1 client that speaks as the NLB does: it opens each connection with a PROXY
/// protocol v2 header carrying the client's address, then sends one request.
/// </summary>
internal static class ProxiedHttp
{
    /// <summary>TEST-NET-1: a client address that is only ever written into PROXY headers.</summary>
    public static readonly IPAddress DefaultClient = IPAddress.Parse("192.0.2.10");

    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static async Task<Reply> SendAsync(int port, string path, string host = "app.example.com", IPAddress? client = null,
        string method = "GET", IReadOnlyDictionary<string, string>? headers = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        tcp.ReceiveTimeout = 5000;
        var stream = tcp.GetStream();
        await stream.WriteAsync(ProxyV2Header(client ?? DefaultClient, port));
        var request = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return Parse(await reader.ReadToEndAsync(timeout.Token));
    }

    /// <summary>
    /// One request over TLS to a bind that terminates it, as the NLB's TCP listener passes a client
    /// on: the PROXY v2 header in clear, then the client's handshake (<paramref name="sni"/>, its
    /// certificate if any, ALPN http/1.1), then the request.
    /// </summary>
    public static async Task<TlsReply> SendTlsAsync(int port, string path, string? sni, X509Certificate2 trustedCa, X509Certificate2? clientCertificate = null,
        IReadOnlyDictionary<string, string>? headers = null, List<SslApplicationProtocol>? alpn = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        tcp.ReceiveTimeout = 5000;
        await tcp.GetStream().WriteAsync(ProxyV2Header(DefaultClient, port));
        using var tls = new SslStream(tcp.GetStream());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(TrustingOnly(trustedCa, sni, clientCertificate, alpn ?? [SslApplicationProtocol.Http11]), timeout.Token);
        var served = new X509Certificate2(tls.RemoteCertificate!);
        if (tls.NegotiatedApplicationProtocol == SslApplicationProtocol.Http2)
        {
            return new TlsReply(tls.SslProtocol, tls.NegotiatedApplicationProtocol.ToString(), served, null);
        }

        var request = new StringBuilder($"GET {path} HTTP/1.1\r\nHost: {sni ?? "app.example.com"}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await tls.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()), timeout.Token);
        using var reader = new StreamReader(tls, Encoding.UTF8);
        return new TlsReply(tls.SslProtocol, tls.NegotiatedApplicationProtocol.ToString(), served, Parse(await reader.ReadToEndAsync(timeout.Token)));
    }

    /// <summary>
    /// A handshake that trusts only <paramref name="trustedCa"/>, and takes a certificate for another
    /// name: tests ask for unknown names on purpose and check the subject they got themselves.
    /// </summary>
    public static SslClientAuthenticationOptions TrustingOnly(X509Certificate2 trustedCa, string? sni, X509Certificate2? clientCertificate = null, List<SslApplicationProtocol>? alpn = null)
    {
        var chain = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chain.CustomTrustStore.Add(trustedCa);
        return new SslClientAuthenticationOptions
        {
            TargetHost = sni ?? "",
            ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            ApplicationProtocols = alpn,
            CertificateChainPolicy = chain,
            // A full handshake each time: a resumed session reports the certificate it began with, not the one served now.
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
        };
    }

    public static byte[] ProxyV2Header(IPAddress client, int port)
    {
        var header = new byte[16 + 12];
        Signature.CopyTo(header, 0);
        header[12] = 0x21; // version 2, PROXY command
        header[13] = 0x11; // TCP over IPv4
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 12);
        client.GetAddressBytes().CopyTo(header, 16);
        IPAddress.Loopback.GetAddressBytes().CopyTo(header, 20);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), (ushort)port);
        return header;
    }

    private static Reply Parse(string raw)
    {
        var split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new InvalidDataException($"Not an HTTP response: '{raw}'");
        }

        var lines = raw[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return new Reply(status, headers, raw[(split + 4)..]);
    }
}
