using HaproxyCluster.Node;

namespace HaproxyCluster.Agent.Tests.Support;

/// <summary>The agent as a process: its dll beside the tests, run on a settings file as a node runs it.</summary>
internal static class AgentExecutable
{
    /// <summary>The agent's dll, built with the tests.</summary>
    public static string Dll => Path.Combine(Path.GetDirectoryName(typeof(AgentExecutable).Assembly.Location)!, "haproxy-cluster-agent.dll");

    /// <summary>Writes <paramref name="settings"/> as <c>agent.json</c> in <paramref name="folder"/>; returns its path.</summary>
    public static string WriteSettings(string folder, NodeSettings settings)
    {
        var file = Path.Combine(folder, "agent.json");
        File.WriteAllText(file, settings.ToJson());
        return file;
    }

    /// <summary>Settings for a node at <paramref name="configDirectory"/> with no HAProxy to reach: every other field as the test sets it.</summary>
    public static NodeSettings Settings(string configDirectory, string runtimeSocket = "/nonexistent/admin.sock") => new()
    {
        Region = "eu-west-1",
        ConfigDirectory = configDirectory,
        RuntimeSocket = runtimeSocket,
        HealthPort = 1,
        HealthPath = "/health",
    };
}
