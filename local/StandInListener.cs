using System.Globalization;
using System.Net;
using System.Text;

namespace HaproxyCluster.Local;

/// <summary>The request loop the AWS stand-ins share: one request at a time, until the listener closes.</summary>
internal static class StandInListener
{
    /// <summary>
    /// A listener on <c>http://ADDRESS:PORT/</c> (and <paramref name="alsoLocalhost"/>: on
    /// <c>localhost</c> too, as agents ask a node's own services), serving <paramref name="answer"/>
    /// in the background until it is closed; its first prefix is the stand-in's endpoint.
    /// </summary>
    public static HttpListener Start(string address, int port, Func<HttpListenerContext, Task> answer, bool alsoLocalhost = false)
    {
        var listener = new HttpListener();
        listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://{address}:{port}/"));
        if (alsoLocalhost)
        {
            listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://localhost:{port}/"));
        }

        listener.Start();
        _ = Task.Run(() => ServeAsync(listener, answer));
        return listener;
    }

    /// <summary>Hands each request <paramref name="listener"/> takes to <paramref name="answer"/>, which must close its response.</summary>
    public static async Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> answer)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            await answer(context);
        }
    }

    /// <summary>
    /// Answers with a reply file, a hostile answer a test set up: "STATUS CUT" on its first line,
    /// then the body, sent as it is, or (with a number for CUT) cut after that many bytes of a
    /// promised whole and the connection dropped.
    /// </summary>
    public static async Task ReplyAsync(HttpListenerResponse response, string reply, string contentType)
    {
        var head = reply[..reply.IndexOf('\n', StringComparison.Ordinal)].Split(' ');
        var body = Encoding.UTF8.GetBytes(reply[(reply.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        response.StatusCode = int.Parse(head[0], CultureInfo.InvariantCulture);
        response.ContentType = contentType;
        if (head[1] == "-")
        {
            await response.OutputStream.WriteAsync(body);
            response.Close();
            return;
        }

        // Promise the whole body, send its first bytes, and drop the connection.
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body.AsMemory(0, Math.Min(body.Length, int.Parse(head[1], CultureInfo.InvariantCulture))));
        await response.OutputStream.FlushAsync();
        response.Abort();
    }
}
