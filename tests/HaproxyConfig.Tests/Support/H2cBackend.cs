using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A server that speaks HTTP/2 in clear only (h2c with prior knowledge), as a gRPC service does:
/// Kestrel on a loopback port, refusing HTTP/1.1. It answers every request with its name, the
/// protocol the request arrived in and its Content-Type, and a gRPC call with a gRPC status trailer.
/// </summary>
internal sealed class H2cBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private H2cBackend(WebApplication app, int port)
    {
        _app = app;
        Server = new Server("127.0.0.1", port);
    }

    public Server Server { get; }

    public static async Task<H2cBackend> StartAsync(string name)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2);
            // HAProxy sends ':scheme https' for a request that came without a scheme (origin form),
            // which Kestrel refuses on a clear port unless told; gRPC servers take it as is.
            kestrel.AllowAlternateSchemes = true;
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                context.Response.ContentType = "application/grpc";
                context.Response.AppendTrailer("grpc-status", "0");
            }

            await context.Response.WriteAsync($"{name} {context.Request.Protocol} {context.Request.ContentType}\n");
        });
        await app.StartAsync();
        return new H2cBackend(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
