using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Local;

/// <summary>One command to an HAProxy Runtime API socket (a node's, or the front's) and its whole answer.</summary>
public static class RuntimeSocket
{
    /// <summary>The answer of the HAProxy at <paramref name="path"/> to <paramref name="command"/>, or null when nothing answers there.</summary>
    public static async Task<string?> AskAsync(string path, string command, CancellationToken cancellation)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\n"), cancellation);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync(cancellation);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }
}
