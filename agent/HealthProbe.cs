using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Agent;

/// <summary>
/// The node's own health check, as the load balancer makes it: a PROXY protocol header (the health
/// listener accepts only proxied connections), then <c>GET path</c>; healthy when HAProxy answers 200.
/// </summary>
internal sealed class HealthProbe(IPEndPoint endpoint, string path)
{
    /// <summary>Whether the health endpoint answers 200 within two seconds.</summary>
    public async Task<bool> HealthyAsync(CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, timeout.Token);
            var request = string.Create(CultureInfo.InvariantCulture,
                $"PROXY TCP4 {endpoint.Address} {endpoint.Address} 40000 {endpoint.Port}\r\nGET {path} HTTP/1.0\r\n\r\n");
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
            var buffer = new byte[64];
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.0 200 ", StringComparison.Ordinal)
                || Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return false;
        }
    }
}
