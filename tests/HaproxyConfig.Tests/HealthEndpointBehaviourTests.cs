using HaproxyCluster.Config.Tests.Support;

namespace HaproxyCluster.Config.Tests;

public class HealthEndpointBehaviourTests
{
    [Fact]
    public async Task Health_endpoint_fails_when_no_server_of_the_default_pool_is_reachable()
    {
        // GIVEN a node whose default pool has two servers, checked every 200 ms
        var first = new Backend("web");
        var second = new Backend("web");
        var spec = new HaproxySpec
        {
            Pools =
            [
                new Pool
                {
                    Name = "web",
                    Servers = [first.Server, second.Server],
                    HealthCheck = new HealthCheck { Interval = TimeSpan.FromMilliseconds(200), Fall = 2, Rise = 1 },
                    SlowStart = TimeSpan.Zero,
                },
            ],
            DefaultPool = "web",
        };
        using var haproxy = await RunningHaproxy.StartAsync(spec);
        Assert.Equal(200, (await haproxy.HealthAsync()).Status);

        // WHEN one server dies THEN the node stays healthy
        first.Dispose();
        await Task.Delay(1000);
        Assert.Equal(200, (await haproxy.HealthAsync()).Status);

        // WHEN the last server dies THEN the health endpoint answers 503, so the NLB stops sending here
        second.Dispose();
        var status = await StatusWithinAsync(haproxy, 503, TimeSpan.FromSeconds(5));
        Assert.Equal(503, status);
    }

    private static async Task<int> StatusWithinAsync(RunningHaproxy haproxy, int wanted, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        int status;
        do
        {
            status = (await haproxy.HealthAsync()).Status;
            if (status == wanted)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        return status;
    }
}
