using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A server that speaks only TLS: Kestrel on a loopback port with a certificate the test made. It
/// answers every request with its name, the protocol, the TLS version and the SNI name the
/// connection brought, so a test sees exactly how HAProxy reached it.
/// </summary>
internal sealed class TlsBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsBackend(WebApplication app, int port)
    {
        _app = app;
        Server = new Server("127.0.0.1", port);
    }

    public Server Server { get; }

    public static async Task<TlsBackend> StartAsync(string name, X509Certificate2 certificate, HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
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
        }));
        var app = builder.Build();
        app.Run(async context =>
        {
            var tls = context.Features.Get<ITlsHandshakeFeature>();
            var sni = context.Features.Get<IConnectionItemsFeature>()?.Items["sni"];
            var body = $"{name} {context.Request.Protocol} {tls?.Protocol} sni={sni}\n";
            context.Response.ContentLength = body.Length;
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return new TlsBackend(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
