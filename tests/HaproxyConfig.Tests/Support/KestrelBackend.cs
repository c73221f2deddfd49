using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A real HTTP server for HAProxy to reach: Kestrel on a free loopback port, listening as
/// <c>listen</c> says and answering every request with <c>answer</c>. The servers the tests need
/// (<see cref="H2cBackend"/>, <see cref="TlsBackend"/>) differ only in those two.
/// </summary>
internal sealed class KestrelBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelBackend(WebApplication app, int port)
    {
        _app = app;
        Server = new Server("127.0.0.1", port);
    }

    /// <summary>Where HAProxy finds it.</summary>
    public Server Server { get; }

    /// <summary>Starts the server; <paramref name="listen"/> gets Kestrel's options and the port it must listen on.</summary>
    public static async Task<KestrelBackend> StartAsync(Action<KestrelServerOptions, IPEndPoint> listen, RequestDelegate answer)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => listen(kestrel, new IPEndPoint(IPAddress.Loopback, port)));
        var app = builder.Build();
        app.Run(answer);
        await app.StartAsync();
        return new KestrelBackend(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
