using System.Net;
using System.Net.Sockets;
using System.Text;
using HaproxyCluster.Config;

namespace HaproxyCluster.Tests.Shared;

/// <summary>
/// A real HTTP server on a kernel-chosen loopback port, standing in for one application server.
/// It answers every request with 200 and a body naming itself, then the path and every request
/// header it got, and closes the connection. It serves on its own thread, not the thread pool,
/// so tests that block a pool thread (waiting on a process) cannot starve HAProxy's health checks.
/// </summary>
internal sealed class Backend : IDisposable
{
    private readonly TcpListener _listener;
    private readonly string? _onlyPath;
    private volatile bool _stopped;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _paths = new(StringComparer.Ordinal);
    private readonly int _status;
    private int _hungUp;

    /// <param name="name">Named in every answer, so a test sees which server answered.</param>
    /// <param name="onlyPath">
    /// When set, only requests for this path are answered; on any other the server reads the request
    /// and closes without a byte, as one that crashes mid-request.
    /// </param>
    /// <param name="address">The loopback address to listen on (an EC2 instance's stand-in); default 127.0.0.1.</param>
    /// <param name="port">The port; default a free one.</param>
    /// <param name="status">The status of every answer (a failing application answers 500); default 200.</param>
    public Backend(string name, string? onlyPath = null, IPAddress? address = null, int port = 0, int status = 200)
    {
        Name = name;
        _status = status;
        _onlyPath = onlyPath;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        new Thread(Serve) { IsBackground = true, Name = $"backend {name}:{Port}" }.Start();
    }

    public string Name { get; }

    public int Port { get; }

    public Server Server => new("127.0.0.1", Port);

    /// <summary>How many requests for <paramref name="path"/> (as the request line held it) reached this server.</summary>
    public int Requests(string path) => _paths.TryGetValue(path, out var count) ? count : 0;

    /// <summary>Requests the server closed on without answering.</summary>
    public int HungUp => Volatile.Read(ref _hungUp);

    /// <summary>Stops listening; connections are refused from now on, as from a dead server.</summary>
    public void Dispose()
    {
        _stopped = true;
        _listener.Stop();
    }

    private void Serve()
    {
        while (!_stopped)
        {
            try
            {
                using var client = _listener.AcceptTcpClient();
                Answer(client);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stopped)
                {
                    return;
                }
            }
            catch (IOException)
            {
                // A health check or client that hung up early: nothing to answer.
            }
        }
    }

    private void Answer(TcpClient client)
    {
        client.ReceiveTimeout = 5000;
        var stream = client.GetStream();
        var lines = ReadHead(stream).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        _paths.AddOrUpdate(lines[0].Split(' ')[1], 1, (_, count) => count + 1);
        if (_onlyPath is not null && lines[0].Split(' ')[1] != _onlyPath)
        {
            Interlocked.Increment(ref _hungUp);
            return;
        }

        var body = new StringBuilder().Append(Name).Append('\n').Append("path: ").Append(lines[0].Split(' ')[1]).Append('\n');
        foreach (var header in lines.Skip(1).Order(StringComparer.OrdinalIgnoreCase))
        {
            body.Append(header).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        var head = $"HTTP/1.1 {_status} {(_status == 200 ? "OK" : "Status")}\r\nContent-Type: text/plain\r\nServer: test-backend\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
        stream.Write(Encoding.ASCII.GetBytes(head));
        stream.Write(bytes);
    }

    private static string ReadHead(NetworkStream stream)
    {
        var buffer = new byte[16384];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = stream.Read(buffer.AsSpan(length));
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
    public static int Next() => Distinct(1)[0];

    /// <summary>Every port this process has handed out: HAProxy binds with SO_REUSEPORT, so two test
    /// HAProxies given one port would both bind it and answer each other's requests.</summary>
    private static readonly HashSet<int> Given = [];

    /// <summary>
    /// <paramref name="count"/> ports, all different and never handed out before in this process:
    /// each is held open until all are chosen, since the kernel may hand out a port it just handed
    /// out once that socket is closed.
    /// </summary>
    public static int[] Distinct(int count)
    {
        lock (Given)
        {
            var sockets = new List<TcpListener>();
            try
            {
                var ports = new List<int>();
                while (ports.Count < count)
                {
                    var socket = new TcpListener(IPAddress.Loopback, 0);
                    sockets.Add(socket);
                    socket.Start();
                    var port = ((IPEndPoint)socket.LocalEndpoint).Port;
                    if (Given.Add(port))
                    {
                        ports.Add(port);
                    }
                }

                return [.. ports];
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        }
    }
}
