using System.Net;

namespace HaproxyCluster.Local;

/// <summary>The request loop the AWS stand-ins share: one request at a time, until the listener closes.</summary>
internal static class StandInListener
{
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
}
