using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A server that speaks HTTP/2 in clear only (h2c with prior knowledge), as a gRPC service does,
/// refusing HTTP/1.1. It answers every request with its name, the protocol the request arrived in
/// and its Content-Type, and a gRPC call with a gRPC status trailer.
/// </summary>
internal static class H2cBackend
{
    public static Task<KestrelBackend> StartAsync(string name) => KestrelBackend.StartAsync(
        (kestrel, endpoint) =>
        {
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2);
            // HAProxy sends ':scheme https' for a request that came without a scheme (origin form),
            // which Kestrel refuses on a clear port unless told; gRPC servers take it as is.
            kestrel.AllowAlternateSchemes = true;
        },
        async context =>
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
            {
                context.Response.ContentType = "application/grpc";
                context.Response.AppendTrailer("grpc-status", "0");
            }

            await context.Response.WriteAsync($"{name} {context.Request.Protocol} {context.Request.ContentType}\n");
        });
}
