using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A server that speaks only TLS, with a certificate the test made. It answers every request with
/// its name, the protocol, the TLS version and the SNI name the connection brought, so a test sees
/// exactly how HAProxy reached it.
/// </summary>
internal static class TlsBackend
{
    public static Task<KestrelBackend> StartAsync(string name, X509Certificate2 certificate, HttpProtocols protocols = HttpProtocols.Http1AndHttp2) => KestrelBackend.StartAsync(
        (kestrel, endpoint) => kestrel.Listen(endpoint, listen =>
        {
            listen.Protocols = protocols;
            // The SNI name each connection brought, kept for its requests to report.
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificateSelector = (connection, sni) =>
                {
                    connection!.Items["sni"] = sni;
                    return certificate;
                },
            });
        }),
        async context =>
        {
            var tls = context.Features.Get<ITlsHandshakeFeature>();
            var sni = context.Features.Get<IConnectionItemsFeature>()?.Items["sni"];
            var body = $"{name} {context.Request.Protocol} {tls?.Protocol} sni={sni}\n";
            context.Response.ContentLength = body.Length;
            await context.Response.WriteAsync(body);
        });
}
