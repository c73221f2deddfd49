using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HaproxyCluster.Local;

/// <summary>
/// A stand-in for SSM Parameter Store on loopback, for the local cluster and the agent's tests: it
/// answers GetParameter in SSM's own JSON protocol, so the real SDK signs, sends and parses against
/// it. Each parameter is a file under a folder, at the parameter's path
/// (<c>/haproxy/dev/tls/site</c> is <c>FOLDER/haproxy/dev/tls/site</c>); its version counts the
/// contents the stand-in has served. While a file named like the folder plus <c>.reply</c> exists,
/// every call gets what it holds (<see cref="StandInListener.ReplyAsync"/>): the hostile answers
/// the agent must survive.
/// </summary>
public sealed class SsmStandIn : IDisposable
{
    private readonly HttpListener _listener;
    private readonly string _folder;
    private readonly Dictionary<string, (string Value, long Version)> _served = new(StringComparer.Ordinal);
    private int _requests;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (default: loopback), serving the parameters under <paramref name="folder"/>.</summary>
    public SsmStandIn(int port, string folder, string address = "127.0.0.1")
    {
        _folder = folder;
        _listener = StandInListener.Start(address, port, RespondAsync);
        Endpoint = new Uri(_listener.Prefixes.First());
    }

    /// <summary>Where the SDK's ServiceURL points.</summary>
    public Uri Endpoint { get; }

    /// <summary>GetParameter calls answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Writes parameter <paramref name="name"/> under <paramref name="folder"/>, atomically.</summary>
    public static void Put(string folder, string name, string value)
    {
        var path = folder + name;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path + ".new", value);
        File.Move(path + ".new", path, overwrite: true);
    }

    /// <summary>From now on every call gets <paramref name="status"/> and <paramref name="body"/> (cut after <paramref name="cut"/> bytes); <see cref="Heal"/> ends it.</summary>
    public static void Reply(string folder, int status, string body, int? cut = null) =>
        File.WriteAllText(folder + ".reply", string.Create(CultureInfo.InvariantCulture, $"{status} {cut?.ToString(CultureInfo.InvariantCulture) ?? "-"}\n{body}"));

    /// <summary>Ends a <see cref="Reply"/>.</summary>
    public static void Heal(string folder) => File.Delete(folder + ".reply");

    /// <inheritdoc/>
    public void Dispose() => _listener.Close();

    private async Task RespondAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        Interlocked.Increment(ref _requests);
        if (File.Exists(_folder + ".reply"))
        {
            await StandInListener.ReplyAsync(context.Response, await File.ReadAllTextAsync(_folder + ".reply"), "application/x-amz-json-1.1");
            return;
        }

        var (status, answer) = Answer(context.Request.Headers["X-Amz-Target"], body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        var bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private (int Status, JsonObject Body) Answer(string? target, string body)
    {
        if (target != "AmazonSSM.GetParameter")
        {
            return Error("InvalidAction", $"The stand-in answers GetParameter only, not {target}.");
        }

        var name = JsonNode.Parse(body)?["Name"]?.GetValue<string>() ?? "";
        var path = _folder + name;
        if (!name.StartsWith('/') || name.Contains("..", StringComparison.Ordinal) || !File.Exists(path))
        {
            return Error("ParameterNotFound", $"Parameter {name} not found.");
        }

        var value = File.ReadAllText(path);
        lock (_served)
        {
            var version = _served.TryGetValue(name, out var last) ? (last.Value == value ? last.Version : last.Version + 1) : 1;
            _served[name] = (value, version);
            return (200, new JsonObject
            {
                ["Parameter"] = new JsonObject
                {
                    ["Name"] = name,
                    ["Type"] = "SecureString",
                    ["Value"] = value,
                    ["Version"] = version,
                    ["ARN"] = $"arn:aws:ssm:eu-west-1:123456789012:parameter{name}",
                    ["DataType"] = "text",
                },
            });
        }
    }

    private static (int, JsonObject) Error(string type, string message) => (400, new JsonObject { ["__type"] = type, ["message"] = message });
}
