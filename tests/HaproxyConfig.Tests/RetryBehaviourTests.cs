using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

/// <summary>What HAProxy sends again when a server closes without answering, as a dying one does.</summary>
public class RetryBehaviourTests
{
    [Fact]
    public async Task Only_idempotent_requests_are_sent_again_after_a_server_hung_up()
    {
        // GIVEN a pool whose only server passes its health check but hangs up on every request
        using var dying = new Backend("web", onlyPath: "/healthz");
        var spec = new HaproxySpec
        {
            Pools = [new Pool { Name = "web", Servers = [dying.Server], HealthCheck = new HealthCheck { Path = "/healthz" } }],
            DefaultPool = "web",
        };
        using var haproxy = await RunningHaproxy.StartAsync(spec);

        // WHEN a GET is hung up on THEN it is sent again, once per retry, before the client gets 502
        var get = await haproxy.GetAsync("/orders/7");
        Assert.Equal(502, get.Status);
        Assert.Equal(1 + spec.Defaults.Retries, dying.HungUp);

        // WHEN a POST is hung up on THEN it is sent once: the server may have acted on it
        var post = await haproxy.GetAsync("/orders", method: "POST");
        Assert.Equal(502, post.Status);
        Assert.Equal(1 + spec.Defaults.Retries + 1, dying.HungUp);
    }
}
