using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HaproxyCluster.Agent;

/// <summary>
/// HAProxy's Runtime API on its admin socket: one command a connection, the answer read to the
/// end. Commands are built only from names the renderer wrote and addresses parsed as IPs, so no
/// value can add a command.
/// </summary>
internal sealed class RuntimeApi(string socketPath)
{
    /// <summary>Sends <paramref name="command"/>; returns HAProxy's answer.</summary>
    public async Task<string> SendAsync(string command, CancellationToken cancellation)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellation);
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), cancellation);
        var answer = new StringBuilder();
        var buffer = new byte[16384];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cancellation)) > 0)
        {
            answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    /// <summary>The slots of <paramref name="backend"/> named <paramref name="prefix"/>N: where each points, its mode and its open sessions.</summary>
    public async Task<IReadOnlyList<Slot>> SlotsAsync(string backend, string prefix, CancellationToken cancellation)
    {
        var sessions = Sessions(await SendAsync("show stat", cancellation), backend);
        return [.. Slot.Parse(await SendAsync($"show servers state {backend}", cancellation), prefix)
            .Select(slot => slot with { Sessions = sessions.GetValueOrDefault(slot.Name) })];
    }

    /// <summary>Points <paramref name="slot"/> of <paramref name="backend"/> at <paramref name="address"/>:<paramref name="port"/>.</summary>
    public Task<string> SetAddressAsync(string backend, string slot, IPAddress address, int port, CancellationToken cancellation) =>
        SendAsync(string.Create(CultureInfo.InvariantCulture, $"set server {backend}/{slot} addr {address} port {port}"), cancellation);

    /// <summary>Puts <paramref name="slot"/> of <paramref name="backend"/> in <paramref name="mode"/>.</summary>
    public Task<string> SetModeAsync(string backend, string slot, SlotMode mode, CancellationToken cancellation) =>
        SendAsync($"set server {backend}/{slot} state {mode.ToString().ToLowerInvariant()}", cancellation);

    /// <summary>The serving worker's pid (<c>show info</c>): it changes exactly when HAProxy reloads.</summary>
    public async Task<int> WorkerPidAsync(CancellationToken cancellation) =>
        Pid(await SendAsync("show info", cancellation)) ?? throw new InvalidOperationException("show info named no worker pid");

    /// <summary>
    /// The serving worker's pid, or null while no worker answers (between two workers, or
    /// restarting) or its answer names no pid (cut short): a reply is never a reason to stop.
    /// </summary>
    public async Task<int?> WorkerPidOrNullAsync(CancellationToken cancellation)
    {
        try
        {
            return Pid(await SendAsync("show info", cancellation));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>The one <c>Pid:</c> line's number in <paramref name="info"/>, or null.</summary>
    internal static int? Pid(string info) =>
        info.Split('\n').Where(line => line.StartsWith("Pid: ", StringComparison.Ordinal))
            .Select(line => int.TryParse(line[5..].Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : (int?)null)
            .ToList() is [{ } one] ? one : null;

    /// <summary>The servers' state as <c>show servers state</c> prints it, to save for the next reload.</summary>
    public Task<string> ServersStateAsync(CancellationToken cancellation) => SendAsync("show servers state", cancellation);

    /// <summary>Current sessions (<c>scur</c>) of each server of <paramref name="backend"/>, from <c>show stat</c>'s CSV.</summary>
    private static Dictionary<string, int> Sessions(string csv, string backend)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].TrimStart('#', ' ').Split(',');
        var scur = Array.IndexOf(header, "scur");
        return lines.Skip(1).Select(l => l.Split(','))
            .Where(f => f.Length > scur && f[0] == backend && f[1] is not ("BACKEND" or "FRONTEND"))
            .ToDictionary(f => f[1], f => int.Parse(f[scur], CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }
}

/// <summary>What a slot does: serve, finish its connections, or nothing.</summary>
internal enum SlotMode
{
    /// <summary>Takes traffic (once its health check passes).</summary>
    Ready,

    /// <summary>Takes no new traffic; its open connections finish.</summary>
    Drain,

    /// <summary>Empty or out of service: no traffic, no health check.</summary>
    Maint,
}

/// <summary>One <c>server-template</c> slot as HAProxy holds it.</summary>
internal sealed record Slot(string Name, int Number, IPAddress Address, int Port, SlotMode Mode, int Sessions = 0)
{
    // srv_admin_state bits (HAProxy's SRV_ADMF_*): forced or inherited maintenance, and forced,
    // inherited or health-check drain. The config's 'disabled' bit (CMAINT) stays set after a
    // 'set server ... state ready' and does not stop traffic, so it is not read.
    private const int Maintenance = 0x01 | 0x02;
    private const int Draining = 0x08 | 0x10 | 0x20;

    /// <summary>The slots in <c>show servers state BACKEND</c>'s answer, by number.</summary>
    public static IEnumerable<Slot> Parse(string state, string prefix) =>
        state.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#') && line.Contains(' ', StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 18 && f[3].StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(f[3][prefix.Length..], CultureInfo.InvariantCulture, out _))
            .Select(f => new Slot(
                f[3],
                int.Parse(f[3][prefix.Length..], CultureInfo.InvariantCulture),
                IPAddress.TryParse(f[4], out var address) ? address : IPAddress.Any,
                int.Parse(f[18], CultureInfo.InvariantCulture),
                ModeOf(int.Parse(f[6], CultureInfo.InvariantCulture))))
            .OrderBy(s => s.Number);

    private static SlotMode ModeOf(int adminState) =>
        (adminState & Maintenance) != 0 ? SlotMode.Maint : (adminState & Draining) != 0 ? SlotMode.Drain : SlotMode.Ready;
}
