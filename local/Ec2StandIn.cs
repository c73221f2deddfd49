using System.Globalization;
using System.Net;
using System.Text;
using System.Web;
using System.Xml.Linq;

namespace HaproxyCluster.Local;

/// <summary>
/// A stand-in for EC2's API on loopback, for the local cluster and the agent's tests: it answers
/// DescribeInstances in the EC2 Query API's own XML, filtered by instance state and tags and split
/// into pages, from an instances file the scripts edit. So the real SDK signs, sends, parses and
/// follows pages against it. While a file named like the instances file plus <c>.outage</c>
/// exists, every call gets 503, as during an API outage. While one named like it plus
/// <c>.reply</c> exists, every call gets what it holds (see <see cref="Reply"/>): the hostile
/// answers the agent must survive.
/// </summary>
/// <remarks>
/// The instances file has a line per instance, tab-separated: id, private IPv4, state
/// (<c>running</c>, <c>shutting-down</c>, …), launch time (ISO 8601), and tags as
/// <c>key=value</c> joined by ';'. Lines starting with '#' are comments.
/// </remarks>
public sealed class Ec2StandIn : IDisposable
{
    private static readonly XNamespace Ec2 = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private readonly HttpListener _listener;
    private readonly string _instancesFile;
    private readonly int _pageSize;
    private int _requests;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/> (default: loopback).</summary>
    public Ec2StandIn(int port, string instancesFile, int pageSize, string address = "127.0.0.1")
    {
        _instancesFile = instancesFile;
        _pageSize = pageSize;
        _listener = StandInListener.Start(address, port, RespondAsync);
        Endpoint = new Uri(_listener.Prefixes.First());
    }

    /// <summary>Where the SDK's ServiceURL points.</summary>
    public Uri Endpoint { get; }

    /// <summary>DescribeInstances calls answered so far, outages included.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The form of the last call, as the SDK sent it.</summary>
    public IReadOnlyDictionary<string, string> LastForm { get; private set; } = new Dictionary<string, string>();

    /// <summary>One instance of the instances file.</summary>
    public sealed record Instance(string Id, string PrivateIp, string State, DateTime LaunchTime, IReadOnlyDictionary<string, string> Tags)
    {
        /// <summary>Its line in the instances file.</summary>
        public string Line => string.Join('\t', Id, PrivateIp, State, LaunchTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), string.Join(';', Tags.Select(t => $"{t.Key}={t.Value}")));

        /// <summary>The instance a line of the instances file describes.</summary>
        public static Instance Parse(string line)
        {
            var f = line.Split('\t');
            var tags = f.Length > 4 && f[4].Length > 0 ? f[4].Split(';').Select(t => t.Split('=', 2)).ToDictionary(t => t[0], t => t[1]) : [];
            return new Instance(f[0], f[1], f[2], DateTime.Parse(f[3], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), tags);
        }
    }

    /// <summary>Writes <paramref name="instances"/> as the instances file, atomically.</summary>
    public static void Write(string instancesFile, IEnumerable<Instance> instances)
    {
        File.WriteAllLines(instancesFile + ".new", instances.Select(i => i.Line));
        File.Move(instancesFile + ".new", instancesFile, overwrite: true);
    }

    /// <summary>
    /// From now on every call gets <paramref name="status"/> and <paramref name="body"/> as they are
    /// (an HTML error page, an empty 200, XML the SDK cannot parse), or, with <paramref name="cut"/>,
    /// the connection closes after that many bytes of a longer answer. <see cref="Heal"/> ends it.
    /// </summary>
    public static void Reply(string instancesFile, int status, string body, int? cut = null) =>
        File.WriteAllText(instancesFile + ".reply", string.Create(CultureInfo.InvariantCulture, $"{status} {cut?.ToString(CultureInfo.InvariantCulture) ?? "-"}\n{body}"));

    /// <summary>From now on every call is answered <paramref name="seconds"/> late, as by an EC2 API in trouble; <see cref="Heal"/> ends it.</summary>
    public static void Slow(string instancesFile, double seconds) =>
        File.WriteAllText(instancesFile + ".slow", seconds.ToString(CultureInfo.InvariantCulture));

    /// <summary>Ends a <see cref="Reply"/>, a slowness and an outage: calls are answered from the instances file again, at once.</summary>
    public static void Heal(string instancesFile)
    {
        File.Delete(instancesFile + ".slow");
        File.Delete(instancesFile + ".reply");
        File.Delete(instancesFile + ".outage");
    }

    /// <summary>EC2's error document for <paramref name="code"/>, such as RequestLimitExceeded (with status 503: throttled).</summary>
    public static string Error(string code, string message) =>
        new XDocument(new XElement("Response",
            new XElement("Errors", new XElement("Error", new XElement("Code", code), new XElement("Message", message))),
            new XElement("RequestID", Guid.Empty))).ToString();

    /// <inheritdoc/>
    public void Dispose() => _listener.Close();

    private async Task RespondAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var form = HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
        LastForm = form.AllKeys.OfType<string>().ToDictionary(k => k, k => form[k] ?? "", StringComparer.Ordinal);
        Interlocked.Increment(ref _requests);
        if (File.Exists(_instancesFile + ".slow"))
        {
            await Task.Delay(TimeSpan.FromSeconds(double.Parse(await File.ReadAllTextAsync(_instancesFile + ".slow"), CultureInfo.InvariantCulture)));
        }

        if (File.Exists(_instancesFile + ".reply"))
        {
            await StandInListener.ReplyAsync(context.Response, await File.ReadAllTextAsync(_instancesFile + ".reply"), "text/xml;charset=UTF-8");
            return;
        }

        var (status, body) = File.Exists(_instancesFile + ".outage") ? (503, Error("Unavailable", "The service is unavailable (stand-in outage).")) : Answer(LastForm);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml;charset=UTF-8";
        var bytes = Encoding.UTF8.GetBytes(body);
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private (int Status, string Body) Answer(IReadOnlyDictionary<string, string> form)
    {
        if (form.GetValueOrDefault("Action") != "DescribeInstances")
        {
            return (400, Error("InvalidAction", $"The stand-in answers DescribeInstances only, not {form.GetValueOrDefault("Action")}."));
        }

        var filters = Filters(form);
        var matching = File.ReadAllLines(_instancesFile)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(Instance.Parse)
            .Where(i => filters.All(f => f.Key switch
            {
                "instance-state-name" => f.Value.Contains(i.State),
                _ when f.Key.StartsWith("tag:", StringComparison.Ordinal) => i.Tags.TryGetValue(f.Key[4..], out var v) && f.Value.Contains(v),
                _ => false, // A filter the stand-in does not know matches nothing, so a typo shows.
            }))
            .ToList();
        var start = form.TryGetValue("NextToken", out var token) ? int.Parse(token, CultureInfo.InvariantCulture) : 0;
        var page = matching.Skip(start).Take(_pageSize).ToList();
        var response = new XElement(Ec2 + "DescribeInstancesResponse",
            new XElement(Ec2 + "requestId", Guid.Empty),
            new XElement(Ec2 + "reservationSet", page.Select(Reservation)));
        // The last page carries no nextToken element at all: an empty one would read as another page.
        if (start + _pageSize < matching.Count)
        {
            response.Add(new XElement(Ec2 + "nextToken", (start + _pageSize).ToString(CultureInfo.InvariantCulture)));
        }

        return (200, new XDocument(new XDeclaration("1.0", "UTF-8", null), response).ToString());
    }

    private static XElement Reservation(Instance instance) => new(Ec2 + "item",
        new XElement(Ec2 + "reservationId", "r-" + instance.Id[2..]),
        new XElement(Ec2 + "ownerId", "123456789012"),
        new XElement(Ec2 + "instancesSet", new XElement(Ec2 + "item",
            new XElement(Ec2 + "instanceId", instance.Id),
            new XElement(Ec2 + "instanceState", new XElement(Ec2 + "code", instance.State == "running" ? 16 : 32), new XElement(Ec2 + "name", instance.State)),
            new XElement(Ec2 + "privateIpAddress", instance.PrivateIp),
            new XElement(Ec2 + "launchTime", instance.LaunchTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
            new XElement(Ec2 + "tagSet", instance.Tags.Select(t => new XElement(Ec2 + "item", new XElement(Ec2 + "key", t.Key), new XElement(Ec2 + "value", t.Value)))))));

    /// <summary>Filter.N.Name → its Filter.N.Value.M values.</summary>
    private static Dictionary<string, HashSet<string>> Filters(IReadOnlyDictionary<string, string> form) =>
        form.Where(f => f.Key.StartsWith("Filter.", StringComparison.Ordinal) && f.Key.EndsWith(".Name", StringComparison.Ordinal))
            .ToDictionary(
                f => f.Value,
                f => form.Where(v => v.Key.StartsWith(f.Key[..^"Name".Length] + "Value.", StringComparison.Ordinal)).Select(v => v.Value).ToHashSet(StringComparer.Ordinal),
                StringComparer.Ordinal);
}
