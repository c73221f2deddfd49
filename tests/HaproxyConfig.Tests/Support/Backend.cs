using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Config.Tests.Support;

/// <summary>
/// A real HTTP server on a kernel-chosen loopback port, standing in for one application server.
/// It answers every request with 200 and a body naming itself, then the path and every request
/// header it got, and closes the connection.
/// </summary>
internal sealed class Backend : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public Backend(string name)
    {
        Name = name;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(ServeAsync);
    }

    public string Name { get; }

    public int Port { get; }

    public Server Server => new("127.0.0.1", Port);

    /// <summary>Stops listening; connections are refused from now on, as from a dead server.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadHeadAsync(stream);
                var lines = request.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var body = new StringBuilder().Append(Name).Append('\n').Append("path: ").Append(lines[0].Split(' ')[1]).Append('\n');
                foreach (var header in lines.Skip(1).Order(StringComparer.OrdinalIgnoreCase))
                {
                    body.Append(header).Append('\n');
                }

                var bytes = Encoding.UTF8.GetBytes(body.ToString());
                var head = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: test-backend\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                await stream.WriteAsync(bytes);
            }
            catch (Exception e) when (e is IOException or SocketException or IndexOutOfRangeException)
            {
                // A health check or client that hung up early: nothing to answer.
            }
        }
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new byte[16384];
        var length = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), timeout.Token);
            if (read == 0)
            {
                break;
            }

            length += read;
            var text = Encoding.UTF8.GetString(buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                return text[..end];
            }
        }

        throw new IOException("request head never ended");
    }
}

/// <summary>Free loopback ports, asked of the kernel.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
