using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Tests.Shared;

/// <summary>A test's line to HAProxy's Runtime API: one command a connection, the answer read to the end.</summary>
internal static class RuntimeSocket
{
    /// <summary>HAProxy's answer to <paramref name="command"/> on the socket at <paramref name="path"/>.</summary>
    public static async Task<string> SendAsync(string path, string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync();
    }

    /// <summary>
    /// Waits until a worker answers <c>show info</c> on <paramref name="path"/>. The socket's file
    /// appears before a worker serves it (a connection to it is refused meanwhile), so its
    /// existence is no sign of a started HAProxy; a busy machine widens that gap.
    /// </summary>
    public static void WaitForWorker(string path, Func<string> output, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (SendAsync(path, "show info").GetAwaiter().GetResult().Contains("\nPid: ", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException) when (clock.Elapsed < (within ?? TimeSpan.FromSeconds(20)))
            {
            }

            Assert.True(clock.Elapsed < (within ?? TimeSpan.FromSeconds(20)), $"no HAProxy worker answered on {path}:\n{output()}");
            Thread.Sleep(50);
        }
    }
}
