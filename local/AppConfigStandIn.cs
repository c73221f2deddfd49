using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using HaproxyCluster.Node;

namespace HaproxyCluster.Local;

/// <summary>
/// A stand-in for AWS AppConfig as a node sees it, for the local cluster and the tests. It answers
/// <c>GET /applications/A/environments/E/configurations/P</c> the way the AWS AppConfig Agent's
/// localhost endpoint does (the configuration's bytes, its version in <c>Configuration-Version</c>),
/// with the version deployed to that client: clients are told apart by address, as AppConfig tells
/// agents apart by session. A deployment steps through the clients as a strategy does (a share of
/// them per step, in address order, then a bake) and rolls back when the alarm fires: when a node's
/// agent sends an EMF data point of <see cref="FailedMetric"/> to the UDP port, as the CloudWatch
/// alarm on that metric would.
/// </summary>
/// <remarks>
/// Control, for scripts: <c>POST /deployments?steps=P1,P2,…&amp;step-seconds=S&amp;bake-seconds=B</c>
/// with a payload as body starts a deployment (no steps: all at once, no bake); <c>GET /deployments/latest</c>
/// tells its state as JSON.
/// </remarks>
public sealed class AppConfigStandIn : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly UdpClient? _alarms;
    private readonly Lock _lock = new();
    private readonly List<string> _versions = [];
    private readonly SortedSet<string> _clients = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private int _deployed;
    private Deployment? _latest;

    /// <summary>Listens on <paramref name="address"/>:<paramref name="port"/>, and for EMF on <paramref name="emfPort"/> when given.</summary>
    public AppConfigStandIn(int port, string address = "127.0.0.1", int? emfPort = null, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        // On loopback, the node agent asks for http://localhost:PORT/…, as on a node.
        _listener = StandInListener.Start(address, port, RespondAsync, alsoLocalhost: address == "127.0.0.1");
        Endpoint = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{address}:{port}/"));
        if (emfPort is { } udp)
        {
            _alarms = new UdpClient(new IPEndPoint(IPAddress.Parse(address), udp));
            _ = Task.Run(ListenForAlarmsAsync);
        }
    }

    /// <summary>The metric whose data points roll a deployment back (the failed-apply alarm's).</summary>
    public const string FailedMetric = HaproxyCluster.Node.NodeAgentMetrics.FailedApplies;

    /// <summary>Where the stand-in answers.</summary>
    public Uri Endpoint { get; }

    /// <summary>The state of a deployment, as AppConfig names it.</summary>
    public enum State
    {
        /// <summary>Steps still to take.</summary>
        Deploying,

        /// <summary>Every client has the version; the alarm is still watched.</summary>
        Baking,

        /// <summary>The version is the deployed one.</summary>
        Complete,

        /// <summary>The alarm fired: every client has the previous version again.</summary>
        RolledBack,
    }

    /// <summary>Deploys <paramref name="payload"/> as a new version; returns its number.</summary>
    /// <param name="payload">The configuration's bytes, as text.</param>
    /// <param name="steps">The share of clients (percent) given the version at each step, the last 100; empty: all at once.</param>
    /// <param name="stepTime">Time between two steps.</param>
    /// <param name="bake">Time the alarm is watched once every client has the version.</param>
    public int Deploy(string payload, IReadOnlyList<double> steps, TimeSpan stepTime, TimeSpan bake)
    {
        lock (_lock)
        {
            Advance();
            if (_latest is { State: State.Deploying or State.Baking })
            {
                throw new InvalidOperationException("a deployment is in progress; AppConfig allows one per environment");
            }

            _versions.Add(payload);
            _latest = new Deployment(_versions.Count, _deployed, steps.Count == 0 ? [100] : steps, stepTime, bake, _clock.GetTimestamp());
            Advance();
            return _versions.Count;
        }
    }

    /// <summary>The latest deployment's version, state and the version each client gets, as JSON.</summary>
    public string Status()
    {
        lock (_lock)
        {
            Advance();
            return JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["version"] = _latest?.Version,
                ["previous"] = _latest?.Previous,
                ["state"] = _latest?.State.ToString(),
                ["percent"] = _latest?.Percent,
                ["clients"] = _clients.ToDictionary(c => c, VersionFor, StringComparer.Ordinal),
            });
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _listener.Close();
        _alarms?.Dispose();
    }

    /// <summary>Takes the steps and the bake whose time has come.</summary>
    private void Advance()
    {
        if (_latest is not { State: State.Deploying or State.Baking } deployment)
        {
            return;
        }

        var elapsed = _clock.GetElapsedTime(deployment.Started);
        var step = Math.Min(deployment.Steps.Count - 1, (int)(elapsed / Max(deployment.StepTime, TimeSpan.FromTicks(1))));
        deployment.Percent = deployment.Steps[step];
        var stepsDone = deployment.StepTime * (deployment.Steps.Count - 1);
        deployment.State = elapsed < stepsDone ? State.Deploying : elapsed < stepsDone + deployment.Bake ? State.Baking : State.Complete;
        if (deployment.State == State.Complete)
        {
            _deployed = deployment.Version;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>The version <paramref name="client"/> gets: the new one when its place in address order is within the step's share.</summary>
    private int VersionFor(string client)
    {
        if (_latest is not { State: State.Deploying or State.Baking } deployment)
        {
            return _deployed;
        }

        var reached = (int)Math.Ceiling(deployment.Percent * _clients.Count / 100.0);
        return _clients.TakeWhile(c => c != client).Count() < reached ? deployment.Version : deployment.Previous;
    }

    private void RollBack()
    {
        lock (_lock)
        {
            Advance();
            if (_latest is { State: State.Deploying or State.Baking } deployment)
            {
                deployment.State = State.RolledBack;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"appconfig: alarm: version {deployment.Version} rolled back to {deployment.Previous}"));
            }
        }
    }

    private async Task ListenForAlarmsAsync()
    {
        while (true)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await _alarms!.ReceiveAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }

            using var emf = JsonDocument.Parse(datagram.Buffer);
            if (emf.RootElement.TryGetProperty(FailedMetric, out var failed) && failed.GetInt32() > 0)
            {
                RollBack();
            }
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var (status, body, version) = await AnswerAsync(context.Request);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (version is { } number)
        {
            context.Response.Headers["Configuration-Version"] = number.ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
        context.Response.Close();
    }

    private async Task<(int Status, string Body, int? Version)> AnswerAsync(HttpListenerRequest request)
    {
        var path = request.Url!.AbsolutePath;
        if (request.HttpMethod == "POST" && path == "/deployments")
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var payload = await reader.ReadToEndAsync();
            var query = request.QueryString;
            var steps = (query["steps"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var seconds = (string name) => TimeSpan.FromSeconds(double.Parse(query[name] ?? "0", CultureInfo.InvariantCulture));
            try
            {
                return (200, Deploy(payload, steps, seconds("step-seconds"), seconds("bake-seconds")).ToString(CultureInfo.InvariantCulture), null);
            }
            catch (InvalidOperationException e)
            {
                return (409, e.Message, null);
            }
        }

        if (path == "/deployments/latest")
        {
            return (200, Status(), null);
        }

        if (!path.StartsWith("/applications/", StringComparison.Ordinal) || !path.Contains("/configurations/", StringComparison.Ordinal))
        {
            return (404, "not an AppConfig Agent path", null);
        }

        lock (_lock)
        {
            _clients.Add(request.RemoteEndPoint.Address.ToString());
            Advance();
            var version = VersionFor(request.RemoteEndPoint.Address.ToString());
            return version == 0 ? (404, "no version deployed yet", null) : (200, _versions[version - 1], version);
        }
    }

    private sealed class Deployment(int version, int previous, IReadOnlyList<double> steps, TimeSpan stepTime, TimeSpan bake, long started)
    {
        public int Version => version;

        public int Previous => previous;

        public IReadOnlyList<double> Steps => steps;

        public TimeSpan StepTime => stepTime;

        public TimeSpan Bake => bake;

        public long Started => started;

        public double Percent { get; set; }

        public State State { get; set; } = State.Deploying;
    }
}
