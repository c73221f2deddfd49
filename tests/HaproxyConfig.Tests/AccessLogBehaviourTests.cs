using System.Net;
using System.Text.Json;
using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>
/// What each request costs is partly what the config writes for it: the access log's fields and
/// X-Forwarded-For are settings, proved here through the real HAProxy (make bench prices each).
/// </summary>
public sealed class AccessLogBehaviourTests : IDisposable
{
    private readonly Backend _web = new("web");

    private HaproxySpec Spec(DefaultSettings defaults) => new()
    {
        Pools = [new Pool { Name = "web", Servers = [_web.Server] }],
        DefaultPool = "web",
        Defaults = defaults,
    };

    [Fact]
    public async Task The_log_line_holds_exactly_the_fields_asked_for_and_forwardfor_can_be_left_out()
    {
        // GIVEN three fields, listed out of order, and no X-Forwarded-For
        var defaults = new DefaultSettings { AccessLogFields = [AccessLogField.Status, AccessLogField.Client, AccessLogField.Uri], ForwardFor = false };
        using var haproxy = await RunningHaproxy.StartAsync(Spec(defaults));

        // WHEN a request goes through
        var reply = await haproxy.GetAsync("/fields-probe?x=1", client: IPAddress.Parse("192.0.2.7"));
        await Task.Delay(200);

        // THEN its line holds those fields, in the fixed order, and the server saw no X-Forwarded-For
        Assert.Equal(200, reply.Status);
        var line = haproxy.Output.Split('\n').Last(l => l.Contains("/fields-probe", StringComparison.Ordinal));
        using var entry = JsonDocument.Parse(line[line.IndexOf('{', StringComparison.Ordinal)..]);
        Assert.Equal(["client", "uri", "status"], entry.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("192.0.2.7", entry.RootElement.GetProperty("client").GetString());
        Assert.Equal("/fields-probe?x=1", entry.RootElement.GetProperty("uri").GetString());
        Assert.Null(reply.SeenHeader("X-Forwarded-For"));
    }

    [Fact]
    public async Task No_field_means_no_access_log_and_forwardfor_is_on_by_default()
    {
        using var haproxy = await RunningHaproxy.StartAsync(Spec(new DefaultSettings { AccessLogFields = [] }));

        var reply = await haproxy.GetAsync("/unlogged-probe", client: IPAddress.Parse("192.0.2.8"));
        await Task.Delay(200);

        Assert.Equal(200, reply.Status);
        Assert.DoesNotContain("/unlogged-probe", haproxy.Output, StringComparison.Ordinal);
        Assert.Equal("192.0.2.8", reply.SeenHeader("X-Forwarded-For"));
    }

    [Fact]
    public void A_field_listed_twice_is_refused_naming_it()
    {
        var error = Assert.Throws<ConfigValidationException>(() => ConfigRenderer.Render(Spec(new DefaultSettings { AccessLogFields = [AccessLogField.Uri, AccessLogField.Uri] })));

        Assert.Contains("Defaults.AccessLogFields: lists Uri twice; list each field once", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _web.Dispose();
}
