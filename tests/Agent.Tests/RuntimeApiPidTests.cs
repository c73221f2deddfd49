namespace HaproxyCluster.Agent.Tests;

/// <summary>The worker's pid from <c>show info</c>: an answer cut short or garbled names none, and throws nothing.</summary>
public sealed class RuntimeApiPidTests
{
    [Theory]
    [InlineData("Name: HAProxy\nVersion: 3.0.5\nPid: 4242\nUptime: 0d 0h00m05s\n", 4242)]
    [InlineData("Name: HAProxy\nVersion: 3.0.5\n", null)]
    [InlineData("", null)]
    [InlineData("Pid: \n", null)]
    [InlineData("Pid: 12x\n", null)]
    [InlineData("Pid: 1\nPid: 2\n", null)]
    public void A_pid_is_read_only_from_one_whole_pid_line(string info, int? pid) => Assert.Equal(pid, RuntimeApi.Pid(info));
}
